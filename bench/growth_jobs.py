"""`make bench BENCH=growth_jobs`: the batch jobs against one statement on the scale-1 and the
scale-10 demo, side by side. Each job runs as the whole `manage.py run_job` command under GNU
time (start-up, dry run, job, vacuum) and is also timed from its started_at to its finished_at;
the data is put back after every arm. The delete job runs at three link rates (the seed's own,
10% and 30% of work history linked to companies), and once more at the default throttle with a
writer updating random companies."""

import re
import time
from dataclasses import dataclass

import psycopg

from bench import coalesce, jobs
from bench.environment import bench_database_uri, ensure_demo_data
from bench.growth import SCALES, Measured, at_both_scales, timed_command, warehouse_rows

DELETE = "delete_companies_missing_location"
FUNDING = "funding_backfill"
COALESCE = "coalesce_person_experience"
WRITER_SAMPLE = 100_000


@dataclass(frozen=True)
class JobRun:
    """One run_job command: the whole process and the job inside it."""
    whole: Measured
    job_seconds: float
    rows: int
    batches: int
    longest_batch_ms: int


@dataclass(frozen=True)
class Arms:
    single_seconds: float
    single_rows: int
    job: JobRun

    def row(self) -> list[str]:
        return [f"{self.single_seconds:.2f}", f"{self.job.job_seconds:.2f}", f"{self.job.whole.seconds:.2f}",
                f"{self.job.job_seconds / self.single_seconds:.2f}×",
                f"{self.job.whole.seconds / self.single_seconds:.2f}×", f"{self.job.longest_batch_ms:,}",
                f"{self.job.whole.peak_mb:.0f}"]


def _run_job(kind: str, *args: str, sleep_ms: int = 0) -> JobRun:
    whole = timed_command("run_job", kind, "--sleep-ms", str(sleep_ms), *args)
    match = re.search(r"job #(\d+) completed: ([\d,]+) rows in (\d+) batches, longest batch (\d+) ms", whole.output)
    if match is None:
        raise RuntimeError(f"run_job {kind} did not complete: {whole.output[-500:]}")
    with psycopg.connect(bench_database_uri()) as conn:
        seconds = conn.execute("SELECT extract(epoch FROM finished_at - started_at) FROM cleanup_batch_jobs"
                               " WHERE id = %s", [int(match[1])]).fetchone()[0]
    return JobRun(whole, float(seconds), int(match[2].replace(",", "")), int(match[3]), int(match[4]))


def _writer_ids(conn: psycopg.Connection) -> list[int]:
    """About WRITER_SAMPLE company ids spread over the whole table, the ones the job deletes included."""
    companies = conn.execute("SELECT count(*) FROM core.companies").fetchone()[0]
    step = max(1, companies // WRITER_SAMPLE)
    return [row[0] for row in conn.execute("SELECT id FROM core.companies WHERE id %% %s = 0", [step])]


def _delete_arms(conn: psycopg.Connection, since: float) -> Arms:
    single = jobs._single_delete(conn)
    jobs._reset(conn, since)
    job = _run_job(DELETE)
    jobs._reset(conn, since)
    return Arms(single.seconds, single.rows, job)


def _job_figures() -> dict[str, object]:
    ensure_demo_data()
    since = time.time()
    figures: dict[str, object] = {}
    with jobs._conn() as conn:
        figures["rows"] = warehouse_rows(conn)
        jobs._save_state(conn)
        conn.execute("DROP TABLE IF EXISTS public.bench_saved_links")
        conn.execute("CREATE TABLE public.bench_saved_links AS SELECT id, company_id FROM core.person_work_history"
                     " WHERE company_id IS NOT NULL")
        try:
            figures["links_seeded"] = conn.execute(
                "SELECT round(100.0 * count(company_id) / count(*), 1) FROM core.person_work_history").fetchone()[0]
            figures["delete, links as seeded"] = _delete_arms(conn, since)
            single = jobs._single_funding(conn)
            jobs._reset(conn, since)
            figures["funding"] = Arms(single.seconds, single.rows, _run_job(FUNDING))
            jobs._reset(conn, since)
            figures["writer"] = _writer_figures(conn, since)
            for percent in jobs.LINK_PERCENTS:
                jobs._links_set(conn, percent)
                figures[f"delete, {percent}% linked"] = _delete_arms(conn, since)
        finally:
            jobs._links_restore(conn)
            conn.execute("DROP TABLE IF EXISTS public.bench_saved_links, public.bench_saved_companies, "
                         "public.bench_saved_snapshot, public.bench_started")
        figures["coalesce"] = _coalesce_arms(conn)
    return figures


def _writer_figures(conn: psycopg.Connection, since: float) -> dict[str, str]:
    ids = _writer_ids(conn)
    idle = jobs.Writer(ids)
    idle.start()
    time.sleep(jobs.WRITER_IDLE_SECONDS)
    idle.stop.set()
    idle.join()
    during, _ = jobs._with_writer(ids, lambda: _run_job(DELETE, sleep_ms=5))
    jobs._reset(conn, since)
    return {"idle": idle.summary(), "during": during}


def _coalesce_arms(conn: psycopg.Connection) -> Arms:
    """Against the statement that links by the SQL key functions, as the job does."""
    coalesce._reset(conn)
    single, rows = coalesce._single(conn, coalesce._SINGLE_KEYED)
    job = _run_job(COALESCE, "--param", "mode=reconcile")
    coalesce._reset(conn)
    return Arms(single, rows, job)


def run() -> str:
    small, large = at_both_scales(_job_figures)
    figures = dict(zip(SCALES, (small, large), strict=True))
    lines = [
        "- command: `make bench BENCH=growth_jobs`: on the scale-1 demo "
        f"({small['rows']:,} warehouse rows) and the scale-10 demo ({large['rows']:,} rows), each job against one "
        "statement doing the same work; the job as the whole `manage.py run_job` command under GNU time (Python "
        "start-up, the dry run, the job, the vacuum after it) and from its started_at to its finished_at, "
        "unthrottled; the data is put back after every arm",
        f"- link rates: work history linked to companies as seeded ({small['links_seeded']}% and "
        f"{large['links_seeded']}%), then 10% and 30% (every n-th row, companies over the whole id range)",
        "",
        "| job | scale | one statement s | job s | whole command s | job × | whole × | longest batch ms "
        "| peak MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    labels = [key for key, value in small.items() if isinstance(value, Arms)]
    for label in labels:
        for scale in SCALES:
            lines.append(f"| {label} | {scale} | " + " | ".join(figures[scale][label].row()) + " |")
    lines += [
        "",
        "**A writer updating random core.companies rows while the delete job runs at the default throttle "
        "(5 ms)** (latency of each UPDATE)",
        "",
        "| scale | during | writer p50 ms | p99 ms | max ms | updates |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for scale in SCALES:
        writer = figures[scale]["writer"]
        lines += [f"| {scale} | idle | {writer['idle']} |", f"| {scale} | delete job | {writer['during']} |"]
    lines += ["", "- goals at both scales: every batch job within 1.5× of one statement, its longest batch under "
              "200 ms; the writer's worst wait under 50 ms at the default throttle"]
    return "\n".join(lines)
