"""bench/RESULTS.md: one section per benchmark, replaced in place on each run."""

import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path

RESULTS_FILE = Path(__file__).resolve().parent / "RESULTS.md"
HEADER = """# Benchmark results

Written by `make bench` (one benchmark: `make bench BENCH=name`). Each section names the
machine and the exact command; absolute times on shared machines are noisy, so sections
quote ratios measured in the same run wherever there is a baseline.
"""


def machine_description() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown CPU")
    memory_kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal"))
    return (f"{os.cpu_count()} cores ({cpu}), {memory_kib / 1024 / 1024:.0f} GiB RAM, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}")


def server_description() -> str:
    """The PostgreSQL the benchmark ran on, with the settings that decide its speed."""
    import psycopg

    from bench.environment import bench_database_uri

    with psycopg.connect(bench_database_uri()) as conn:
        version, buffers, work_mem = conn.execute(
            "SELECT current_setting('server_version'), current_setting('shared_buffers'),"
            " current_setting('work_mem')").fetchone()
    return f"PostgreSQL {version}, shared_buffers {buffers}, work_mem {work_mem}"


def git_revision() -> str:
    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    return result.stdout.strip() or "unknown"


def section_write(*, name: str, body: str) -> None:
    """Replace (or append) the section of one benchmark, leaving the others as they are."""
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    block = (f"{start}\n## {name}\n\n- when: {stamp}, commit {git_revision()}\n"
             f"- machine: {machine_description()}\n- server: {server_description()}\n\n{body.strip()}\n{end}")
    text = RESULTS_FILE.read_text() if RESULTS_FILE.exists() else HEADER
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    RESULTS_FILE.write_text(text)
