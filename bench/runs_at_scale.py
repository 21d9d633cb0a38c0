"""`make bench BENCH=runs50`: the runs table at 50 million rows, the rest of the warehouse at
scale 1. It answers whether `reference.enrichment_runs` needs partitioning: the runs upsert,
the status API and the admin's run pages, measured on the scale-1 demo (about 1.2 million
runs) and on a copy of it whose runs table holds 50 million.

The copy lives in var/benchruns50-pgdata. The first run makes it: it copies the scale-1 data
directory, then loads the generated runs with the table's indexes and triggers off and builds
them again (about 30 minutes and 19 GB), and keeps it for the next run."""

import json
import shutil
import subprocess
import time

import psycopg

from bench.environment import at_scale, bench_data_dir, bench_database_uri, bench_server_stop, ensure_demo_data, manage
from bench.growth import _WORKLOAD_UPSERT, EVENTS_PER_STATEMENT, WORKLOAD_EVENTS, _workload_statements
from bench.runs import _free_port, _wait_until_serving
from bench.status import CLIENTS, Load, _serve, _wrk

SCALE = "runs50"
TARGET_RUNS = 50_000_000
LOAD_CHUNK_ENTITIES = 250_000
ENTITIES = 1000
# Each generated entity has a run of about half the workflows of its type, statuses and credits
# in the shares a mature warehouse shows, events spread over two years.
_GENERATE = """
INSERT INTO reference.enrichment_runs (id, workflow_name, entity_key, entity_type, status, records_processed,
    started_at, completed_at, source, error, attempts, credits_spent, credits_wasted, last_event_at, updated_at)
SELECT gen_random_uuid(), w.workflow_name, k.entity_key, w.key_type,
       CASE WHEN h < 85 THEN 'completed' WHEN h < 90 THEN 'failed' WHEN h < 95 THEN 'running' ELSE 'pending' END,
       h %% 7, at, CASE WHEN h < 85 THEN at END, 'generated', '', 1 + h %% 3,
       CASE WHEN h %% 4 = 0 THEN (h %% 5) * 0.25 END, 0, at, at
FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS e(n)
CROSS JOIN LATERAL (SELECT CASE WHEN e.n %% 2 = 0 THEN 'company' ELSE 'person' END AS key_type) t
CROSS JOIN LATERAL (SELECT CASE t.key_type WHEN 'company' THEN 'gen' || e.n || '.example.com'
                               ELSE 'linkedin.com/in/gen-' || e.n END AS entity_key) k
JOIN reference.enrichment_workflow_registry w ON w.key_type = t.key_type AND w.is_active
CROSS JOIN LATERAL (SELECT abs(hashtext(w.workflow_name || e.n)) %% 100 AS h) r
CROSS JOIN LATERAL (SELECT timestamptz '2025-01-01'
                           + make_interval(mins => ((e.n * 7 + r.h) %% 1051200)::integer) AS at) a
WHERE r.h %% 2 = 0"""


def _copy_scale_one() -> None:
    """The scale-1 demo's data directory, copied while its server is stopped."""
    target = bench_data_dir(SCALE)
    if target.exists():
        return
    with at_scale("1"):
        ensure_demo_data()
    bench_server_stop()
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    # cp -a keeps the owner: the embedded server runs as its own system user.
    subprocess.run(["cp", "-a", str(bench_data_dir("1")), str(partial)], check=True)
    (partial / "postmaster.pid").unlink(missing_ok=True)
    partial.rename(target)


def _runs(conn: psycopg.Connection) -> int:
    return conn.execute("SELECT count(*) FROM reference.enrichment_runs").fetchone()[0]


def _load_generated_runs(conn: psycopg.Connection) -> None:
    """Up to TARGET_RUNS with the table bare: its constraints and indexes are dropped, the rows
    loaded in chunks, then each is built again from the definition the catalog gave."""
    if _runs(conn) >= TARGET_RUNS:
        return
    constraints = conn.execute(
        """SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
           WHERE conrelid = 'reference.enrichment_runs'::regclass AND contype IN ('p', 'u')""").fetchall()
    indexes = conn.execute(
        """SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'reference' AND tablename = 'enrichment_runs'
           AND indexname NOT IN (SELECT conname FROM pg_constraint
                                 WHERE conrelid = 'reference.enrichment_runs'::regclass)""").fetchall()
    conn.execute("ALTER TABLE reference.enrichment_runs DISABLE TRIGGER ALL")
    try:
        for name, _ in indexes:
            conn.execute(f'DROP INDEX reference."{name}"')  # names from the catalog, not input
        for name, _ in constraints:
            conn.execute(f'ALTER TABLE reference.enrichment_runs DROP CONSTRAINT "{name}"')
        first = 0
        while _runs(conn) < TARGET_RUNS:
            conn.execute(_GENERATE, {"first": first, "last": first + LOAD_CHUNK_ENTITIES - 1})
            first += LOAD_CHUNK_ENTITIES
        conn.execute("SET maintenance_work_mem = '2GB'")
        for name, definition in constraints:
            conn.execute(f'ALTER TABLE reference.enrichment_runs ADD CONSTRAINT "{name}" {definition}')
        for _, definition in indexes:
            conn.execute(definition)
    finally:
        conn.execute("ALTER TABLE reference.enrichment_runs ENABLE TRIGGER ALL")
    conn.execute("VACUUM (ANALYZE) reference.enrichment_runs")
    manage("refresh_dashboard", "--recount-runs")


def _upsert(conn: psycopg.Connection) -> tuple[float, float]:
    """Five minutes of a busy ingest (bench.growth's workload), rolled back: the median seconds
    of three, and the WAL it wrote in MB."""
    timings, wal = [], []
    for _ in range(3):
        with conn.transaction(force_rollback=True):
            start = conn.execute("SELECT pg_current_wal_insert_lsn()").fetchone()[0]
            began = time.perf_counter()
            for params in _workload_statements():
                conn.execute(_WORKLOAD_UPSERT, params)
            timings.append(time.perf_counter() - began)
            written = conn.execute("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), %s)", [start]).fetchone()[0]
            wal.append(float(written) / 1024 ** 2)
    return sorted(timings)[1], sorted(wal)[1]


def _status_entities(conn: psycopg.Connection) -> list[dict]:
    """Entities that have runs, drawn evenly over the runs table's key order."""
    rows = conn.execute(
        """SELECT DISTINCT ON (entity_key) entity_type, entity_key FROM reference.enrichment_runs TABLESAMPLE SYSTEM (1)
           ORDER BY entity_key, entity_type LIMIT %s""", [ENTITIES * 20]).fetchall()
    step = max(1, len(rows) // ENTITIES)
    return [{"entity_type": kind, "entity_key": key} for kind, key in rows[::step][:ENTITIES]]


def _status_load(key: str, entities: list[dict]) -> Load:
    port = _free_port()
    server = _serve(port)
    try:
        _wait_until_serving(port)
        _wrk(port, "/api/enrichment/status", key, entities, seconds=3)
        return _wrk(port, "/api/enrichment/status", key, entities)
    finally:
        server.terminate()
        server.wait(timeout=30)


# The admin's pages as a logged-in superuser sees them, timed inside one process with Django's
# test client (server time, no network): each the median of five after one warm-up.
_ADMIN_PAGES = """
import json, statistics, time
from django.contrib.auth import get_user_model
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
user, _ = get_user_model().objects.get_or_create(username="bench-admin", defaults={"is_superuser": True,
                                                                                     "is_staff": True})
client = Client()
client.force_login(user)
pages = {"run list": "/admin/runs/run/",
         "run list, one workflow": "/admin/runs/run/?workflow__workflow_name__exact=company_news",
         "run list, failed": "/admin/runs/run/?status__exact=failed", "run search, one key": "/admin/runs/run/?q=%s",
         "registry list with run figures": "/admin/registry/workflow/"}
figures = {}
for name, path in pages.items():
    client.get(path)
    timings = []
    for _ in range(5):
        began = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    figures[name] = statistics.median(timings)
print(json.dumps(figures))
"""


def _admin_pages_ms(search_key: str) -> dict[str, float]:
    output = manage("shell", "-c", _ADMIN_PAGES.replace("%s", search_key)).stdout
    return json.loads(output.strip().splitlines()[-1])


def _figures(*, generated: bool) -> dict[str, object]:
    if not generated:
        ensure_demo_data()
    manage("migrate", "--verbosity", "0")
    with psycopg.connect(bench_database_uri(), autocommit=True) as conn:
        if generated:
            _load_generated_runs(conn)
        runs = _runs(conn)
        size = conn.execute("SELECT pg_total_relation_size('reference.enrichment_runs')").fetchone()[0]
        upsert, upsert_wal = _upsert(conn)
        entities = _status_entities(conn)
    key = manage("create_api_key", f"bench-runs50-{time.time_ns()}").stdout.strip().splitlines()[-1]
    load = _status_load(key, entities)
    pages = _admin_pages_ms(entities[0]["entity_key"])
    return {"runs": runs, "gb": size / 1024 ** 3, "upsert": upsert, "upsert_wal": upsert_wal, "load": load,
            "pages": pages}


def run() -> str:
    _copy_scale_one()
    figures = {}
    for scale in ("1", SCALE):
        with at_scale(scale):
            figures[scale] = _figures(generated=scale == SCALE)
    small, large = figures["1"], figures[SCALE]
    events = 2 * WORKLOAD_EVENTS

    def row(label: str, a: float, b: float) -> str:
        return f"| {label} | {a:,.1f} | {b:,.1f} | {b / a:.2f}× |"

    pages = [row(f"admin: {name}, ms", small["pages"][name], large["pages"][name]) for name in small["pages"]]
    return "\n".join([
        f"- command: `make bench BENCH=runs50`: the scale-1 demo ({small['runs']:,} runs, {small['gb']:.1f} GB with "
        f"indexes) against a copy of it whose runs table holds {large['runs']:,} ({large['gb']:.1f} GB); the other "
        "tables are the same",
        f"- upsert: {events:,} run events in statements of {EVENTS_PER_STATEMENT:,} (new runs, then the same runs "
        "completed with credits), with the tally triggers, rolled back; the median of 3",
        f"- status: `POST /api/enrichment/status` under gunicorn, wrk with {CLIENTS} connections over {ENTITIES:,} "
        "entities that have runs",
        "- admin pages: Django's test client in one process as a superuser (server time), the median of 5",
        "",
        "| | 1.2 M runs | 50 M runs | ratio |",
        "|---|---:|---:|---:|",
        row("upsert of the workload, s", small["upsert"], large["upsert"]),
        row("upsert, events/s", events / small["upsert"], events / large["upsert"]),
        row("upsert, WAL written, MB", small["upsert_wal"], large["upsert_wal"]),
        row("status p50, ms", small["load"].p50_ms, large["load"].p50_ms),
        row("status p99, ms", small["load"].p99_ms, large["load"].p99_ms),
        row("status requests/s", small["load"].requests_per_s, large["load"].requests_per_s),
        *pages,
        "",
        "- goal: the admin's run list and search under 300 ms at 50 M runs",
    ])
