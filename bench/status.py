"""The status API under load: a real server (gunicorn) driven by wrk with 8 concurrent
connections over 1,000 entities, against the naive 1 + 2×N queries implementation served
by the same server in the same run."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from bench.environment import PROJECT_ROOT, bench_database_uri, bench_env, ensure_demo_data, manage
from bench.runs import _free_port, _wait_until_serving

ENTITIES = 1000
CLIENTS = 8
MIN_RUNS = 1_000_000
BATCH = 100
# Sync workers, one request at a time each: gthread workers let threads fight over the GIL,
# which tripled p99 even for /api/health (120 ms against 48 ms) on these two cores.
WORKERS = int(os.environ.get("BENCH_WORKERS", 4))
DURATION_SECONDS = 10


@dataclass(frozen=True)
class Load:
    p50_ms: float
    p99_ms: float
    requests_per_s: float
    requests: int


def _entities() -> list[dict]:
    with psycopg.connect(bench_database_uri()) as conn:
        companies = conn.execute("SELECT domain FROM core.companies ORDER BY md5(id::text) LIMIT %s",
                                 [ENTITIES // 2]).fetchall()
        people = conn.execute("SELECT linkedin_url FROM core.people ORDER BY md5(id::text) LIMIT %s",
                              [ENTITIES - ENTITIES // 2]).fetchall()
    mixed = [{"entity_type": "company", "entity_key": d} for (d,) in companies]
    mixed += [{"entity_type": "person", "entity_key": u} for (u,) in people]
    return sorted(mixed, key=lambda e: e["entity_key"][::-1])


def _prepare() -> str:
    ensure_demo_data()
    with psycopg.connect(bench_database_uri()) as conn:
        runs = conn.execute("SELECT count(*) FROM reference.enrichment_runs").fetchone()[0]
    if runs < MIN_RUNS:
        manage("backfill_runs")
    manage("registry_indexes", "--create")
    return manage("create_api_key", f"bench-status-{time.time_ns()}").stdout.strip().splitlines()[-1]


def _wrk(port: int, path: str, key: str, bodies: list[dict], seconds: int = DURATION_SECONDS,
         connections: int = CLIENTS) -> Load:
    """Drive the server with wrk: written in C, it leaves the two cores to the server."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed: run `make bench-deps` (apt-get install wrk)")
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as handle:
        handle.write("\n".join(json.dumps(body) for body in bodies))
    env = {**os.environ, "BODIES": handle.name, "TARGET_PATH": path, "API_KEY": key}
    script = str(Path(__file__).with_name("wrk_post.lua"))
    try:
        command = ["wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d", f"{seconds}s",
                   "--latency", "-s", script, f"http://127.0.0.1:{port}"]
        out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(handle.name)
    if "Non-2xx" in out:
        raise RuntimeError(f"{path} answered errors under load:\n{out}")
    return Load(p50_ms=_wrk_ms(out, "50%"), p99_ms=_wrk_ms(out, "99%"),
                requests_per_s=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
                requests=int(re.search(r"(\d+) requests in", out).group(1)))


def _wrk_ms(output: str, percentile: str) -> float:
    value, unit = re.search(rf"{percentile}\s+([\d.]+)(us|ms|s)", output).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _serve(port: int) -> subprocess.Popen:
    env = {**bench_env(), "ENRICHHUB_URLCONF": "bench.urls", "ENRICHHUB_API_RATE": "100000000/m", "DEBUG": "false",
           "SECRET_KEY": "bench-only-secret", "ALLOWED_HOSTS": "127.0.0.1"}
    return subprocess.Popen([sys.executable, "-m", "gunicorn", "enrichhub.wsgi", "-b", f"127.0.0.1:{port}",
                             "--workers", str(WORKERS), "--worker-class", "sync"],
                            cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run() -> str:
    key = _prepare()
    entities = _entities()
    batches = [{"entities": entities[i * BATCH:(i + 1) * BATCH]} for i in range(ENTITIES // BATCH)]
    port = _free_port()
    server = _serve(port)
    try:
        _wait_until_serving(port)
        _wrk(port, "/api/enrichment/status", key, entities, seconds=3)  # warm workers, plans, connections
        _wrk(port, "/bench/status-naive", key, entities, seconds=3)
        _wrk(port, "/bench/status-union", key, entities, seconds=3)
        ours = _wrk(port, "/api/enrichment/status", key, entities)
        naive = _wrk(port, "/bench/status-naive", key, entities)
        union = _wrk(port, "/bench/status-union", key, entities)
        batch = _wrk(port, "/api/enrichment/status/batch", key, batches, connections=1)
    finally:
        server.terminate()
        server.wait(timeout=30)
    with psycopg.connect(bench_database_uri()) as conn:
        runs = conn.execute("SELECT count(*) FROM reference.enrichment_runs").fetchone()[0]
        workflows = conn.execute("SELECT count(*) FROM reference.enrichment_workflow_registry"
                                 " WHERE is_active").fetchone()[0]
    return "\n".join([
        f"- command: `make bench BENCH=status` — gunicorn ({WORKERS} sync workers) on the scale-1 "
        f"demo data, {workflows} active workflows, {runs:,} runs, key-function indexes from "
        f"`registry_indexes --create`; {ENTITIES:,} entities (half companies, half "
        f"people, keys as stored in core) cycled by wrk with {CLIENTS} concurrent keep-alive connections for "
        f"{DURATION_SECONDS} s per row; wrk, gunicorn and PostgreSQL share the 2 cores",
        "",
        "| | p50 ms | p99 ms | throughput |",
        "|---|---:|---:|---:|",
        f"| `POST /api/enrichment/status` (one statement) | {ours.p50_ms:.1f} | {ours.p99_ms:.1f} "
        f"| {ours.requests_per_s:,.0f} requests/s |",
        f"| naive 1 + 2×N queries, same server | {naive.p50_ms:.1f} | {naive.p99_ms:.1f} "
        f"| {naive.requests_per_s:,.0f} requests/s |",
        f"| competent: registry, runs and one UNION ALL of the counts, unprepared | {union.p50_ms:.1f} | "
        f"{union.p99_ms:.1f} | {union.requests_per_s:,.0f} requests/s |",
        f"| `POST /api/enrichment/status/batch`, {BATCH} entities, one connection | {batch.p50_ms:.1f} | "
        f"{batch.p99_ms:.1f} | {batch.requests_per_s * BATCH:,.0f} entities/s |",
        "",
        f"- ratio: {ours.requests_per_s / naive.requests_per_s:.1f}× the naive approach's throughput, "
        f"{ours.requests_per_s / union.requests_per_s:.1f}× the competent one's; "
        "goals: p99 under 25 ms, at least 5×, a batch of 100 under 150 ms",
    ])
