"""Run tracking: events through the HTTP batch API, and the backfill from history.

Each is quoted against one single INSERT ... SELECT doing the nearest set-based equivalent
in the same run, on the same server.
"""

import json
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import psycopg
from psycopg import sql

from bench.environment import PROJECT_ROOT, bench_database_uri, bench_env, ensure_demo_data, manage

BATCHES = 20
BATCH_SIZE = 1000
CLIENTS = 4
BENCH_SOURCE = "bench"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _post(url: str, key: str, events: list[dict]) -> None:
    request = urllib.request.Request(url, data=json.dumps({"events": events}).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "X-API-Key": key})
    with urllib.request.urlopen(request, timeout=60) as response:
        body = json.loads(response.read())
        assert body["applied"] == len(events), body


def _batches(offset: int) -> list[list[dict]]:
    at = datetime.now(UTC).isoformat()
    return [[{"workflow_name": "company_news", "entity_key": f"bench{offset + b * BATCH_SIZE + i}.example.com",
              "entity_type": "company", "status": "completed", "records_processed": 1, "source": BENCH_SOURCE,
              "at": at} for i in range(BATCH_SIZE)] for b in range(BATCHES)]


def _clear_bench_runs(conn: psycopg.Connection) -> None:
    conn.execute("DELETE FROM reference.enrichment_runs WHERE source = %s", [BENCH_SOURCE])


def _single_insert_seconds(conn: psycopg.Connection) -> float:
    began = time.perf_counter()
    conn.execute(
        """INSERT INTO reference.enrichment_runs (workflow_name, entity_key, entity_type, status,
               records_processed, completed_at, source)
           SELECT 'company_news', 'single' || g || '.example.com', 'company', 'completed', 1, now(), %s
           FROM generate_series(1, %s) AS g""", [BENCH_SOURCE, BATCHES * BATCH_SIZE])
    return time.perf_counter() - began


def run_api() -> str:
    ensure_demo_data()
    plain = manage("create_api_key", f"bench-{time.time_ns()}").stdout.strip().splitlines()[-1]
    port = _free_port()
    server = subprocess.Popen([sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
                              cwd=PROJECT_ROOT, env=bench_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/api/enrichment/runs"
    try:
        _wait_until_serving(port)
        with psycopg.connect(bench_database_uri(), autocommit=True) as conn:
            _clear_bench_runs(conn)
            began = time.perf_counter()
            for batch in _batches(0):
                _post(url, plain, batch)
            sequential = time.perf_counter() - began
            _clear_bench_runs(conn)
            began = time.perf_counter()
            with ThreadPoolExecutor(CLIENTS) as pool:
                list(pool.map(lambda b: _post(url, plain, b), _batches(10_000_000)))
            concurrent = time.perf_counter() - began
            _clear_bench_runs(conn)
            single = _single_insert_seconds(conn)
            _clear_bench_runs(conn)
    finally:
        server.terminate()
        server.wait(timeout=30)
    events = BATCHES * BATCH_SIZE
    return "\n".join([
        f"- command: `make bench BENCH=runs_api` — {BATCHES} batches of {BATCH_SIZE:,} new-entity events "
        f"POSTed to `/api/enrichment/runs` on `manage.py runserver` (Django's development server, threaded)",
        f"- one client: {events / sequential:,.0f} events/s ({sequential:.2f} s); {CLIENTS} clients: "
        f"{events / concurrent:,.0f} events/s ({concurrent:.2f} s)",
        f"- baseline, one single `INSERT ... SELECT` of {events:,} runs: {events / single:,.0f} rows/s "
        f"({single:.2f} s)",
        f"- ratio: the API with {CLIENTS} clients records at {(events / concurrent) / (events / single):.1%} of the "
        f"single statement's rate, while validating, normalising and ordering every event",
    ])


def _wait_until_serving(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("runserver did not start")


def _naive_backfill(conn: psycopg.Connection) -> float:
    """One INSERT ... SELECT over every workflow, keys merely lower-cased: the set-based plan."""
    workflows = conn.execute(
        "SELECT workflow_name, extracted_table, key_column, key_type FROM reference.enrichment_workflow_registry"
        " WHERE is_active AND extracted_table IS NOT NULL ORDER BY workflow_name").fetchall()
    parts = [sql.SQL("SELECT %s::text, lower({key}), %s::text, max(created_at), count(*) FROM {table}"
                     " GROUP BY lower({key})").format(key=sql.Identifier(key), table=sql.Identifier(*table.split(".")))
             for _, table, key, _ in workflows]
    params = [value for name, _, _, kind in workflows for value in (name, kind)]
    statement = sql.SQL(
        "INSERT INTO reference.enrichment_runs (workflow_name, entity_key, entity_type, status, completed_at,"
        " records_processed, started_at, last_event_at, source)"
        " SELECT w, k, t, 'completed', c, n, c, c, 'backfill' FROM ({}) AS u(w, k, t, c, n)"
        " ON CONFLICT (workflow_name, entity_key) DO NOTHING").format(sql.SQL(" UNION ALL ").join(parts))
    began = time.perf_counter()
    conn.execute(statement, params)
    return time.perf_counter() - began


def run_backfill() -> str:
    ensure_demo_data()
    with psycopg.connect(bench_database_uri(), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT sum(c.reltuples)::bigint FROM reference.enrichment_workflow_registry r"
            " JOIN pg_class c ON c.oid = to_regclass(r.extracted_table) WHERE r.is_active").fetchone()[0]
        conn.execute("TRUNCATE reference.enrichment_runs")
        began = time.perf_counter()
        output = manage("backfill_runs").stdout
        ours = time.perf_counter() - began
        created = conn.execute("SELECT count(*) FROM reference.enrichment_runs").fetchone()[0]
        began = time.perf_counter()
        manage("backfill_runs")
        rerun = time.perf_counter() - began
        conn.execute("TRUNCATE reference.enrichment_runs")
        naive = statistics.median(_naive_then_clear(conn) for _ in range(2))
        naive_created = conn.execute("SELECT count(*) FROM reference.enrichment_runs").fetchone()[0]
        conn.execute("TRUNCATE reference.enrichment_runs")
        manage("backfill_runs")
    invalid = sum(int(line.split(", ")[-1].split()[0].replace(",", "")) for line in output.splitlines()
                  if line.endswith("invalid keys"))
    return "\n".join([
        f"- command: `python manage.py backfill_runs` (whole process) over the scale-1 demo data, "
        f"53 workflows, ~{rows:,} extracted rows",
        f"- enrichhub: {ours:.1f} s, {rows / ours:,.0f} rows/s, {created:,} runs created, {invalid} invalid keys; "
        f"re-run {rerun:.1f} s, writing nothing",
        f"- baseline, one single `INSERT ... SELECT ... GROUP BY lower(key)` over all workflows: {naive:.1f} s, "
        f"{rows / naive:,.0f} rows/s, but {naive_created:,} runs: it cannot normalise scheme, `www.`, "
        f"trailing slashes or percent-encoding, so {naive_created - created:,} runs are duplicates of one entity",
        f"- ratio: the single statement is {ours / naive:.1f}× faster and wrong; enrichhub's backfill is "
        f"resumable per workflow, holds no lock longer than one {10_000:,}-key merge chunk, and is idempotent",
    ])


def _naive_then_clear(conn: psycopg.Connection) -> float:
    conn.execute("TRUNCATE reference.enrichment_runs")
    return _naive_backfill(conn)
