"""`make bench [BENCH=name]`: run benchmarks on their own embedded server, record results."""

import sys

from bench import (
    coalesce,
    dashboard,
    fleet,
    growth,
    growth_jobs,
    jobs,
    plan,
    registry_audit,
    runs,
    runs_at_scale,
    seed_demo,
    status,
    titles,
    workflows,
)
from bench.environment import bench_server_stop
from bench.results import RESULTS_FILE, section_write

BENCHMARKS = {
    "seed_demo": seed_demo.run,
    "registry_audit": registry_audit.run,
    "runs_api": runs.run_api,
    "runs_backfill": runs.run_backfill,
    "status": status.run,
    "jobs": jobs.run,
    "delete_links": jobs.run_link_rates,
    "coalesce": coalesce.run,
    "gaps": coalesce.run_gaps,
    "dashboard": dashboard.run,
    "titles": titles.run,
    "growth": growth.run,
    "growth_dashboard": growth.run_dashboard,
    "growth_jobs": growth_jobs.run,
    "workflows": workflows.run,
    "runs50": runs_at_scale.run,
    "fleet": fleet.run,
    "plan": plan.run,
}


# Each builds a second database the first time: the demo at ten times the size (about 20
# minutes and 13 GB), or the runs table at 50 million rows (about 30 minutes and 19 GB).
ONLY_BY_NAME = {"growth", "growth_dashboard", "growth_jobs", "runs50", "plan"}


def main(names: list[str]) -> int:
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    try:
        for name in names or [name for name in BENCHMARKS if name not in ONLY_BY_NAME]:
            print(f"running {name}…", flush=True)
            body = BENCHMARKS[name]()
            section_write(name=name, body=body)
            print(body, flush=True)
    finally:
        bench_server_stop()
    print(f"results written to {RESULTS_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
