"""How long `seed_demo --scale 1` takes: the seed TODO's volumes, generated set-based."""

import re
import statistics
import time

from bench.environment import manage

SCALE = "1"
REPEATS = 3
_TABLE_LINE = re.compile(r"^\s+(\S+)\s+([\d,]+) rows\s+([\d.]+)s$")


def run() -> str:
    manage("migrate", "--verbosity", "0")
    seconds, output = [], ""
    for _ in range(REPEATS):
        began = time.perf_counter()
        output = manage("seed_demo", "--scale", SCALE, "--reset").stdout
        seconds.append(time.perf_counter() - began)
    tables = [(m[1], int(m[2].replace(",", "")), float(m[3]))
              for m in map(_TABLE_LINE.match, output.splitlines()) if m]
    total_rows = sum(rows for _, rows, _ in tables)
    slowest = sorted(tables, key=lambda t: t[2], reverse=True)[:5]
    lines = [
        f"- command: `python manage.py seed_demo --scale {SCALE} --reset` (whole process, {REPEATS} runs)",
        f"- rows written: {total_rows:,} in {len(tables)} tables",
        f"- wall time: median {statistics.median(seconds):.1f} s, best {min(seconds):.1f} s, "
        f"worst {max(seconds):.1f} s (goal: under 180 s)",
        f"- throughput: {total_rows / statistics.median(seconds):,.0f} rows/s (median run)",
        "",
        "| slowest statements (last run) | rows | seconds |",
        "|---|---:|---:|",
        *[f"| {table} | {rows:,} | {secs:.2f} |" for table, rows, secs in slowest],
    ]
    return "\n".join(lines)
