"""`make bench BENCH=workflows`: the status API as the registry grows from the demo's 53
workflows to 100 and 200. The added workflows are real: each has its own extracted table, a copy
of a generic demo table's rows under a new name, with the key indexes `registry_indexes
--create` builds. They are dropped again at the end."""

import psycopg
from psycopg import sql

from bench.environment import bench_database_uri, manage
from bench.runs import _free_port, _wait_until_serving
from bench.status import CLIENTS, DURATION_SECONDS, WORKERS, Load, _entities, _prepare, _serve, _wrk

TOTALS = (53, 100, 200)
PREFIX = "bench_many_"
# The tables the added workflows copy: generic landing tables of each key type.
TEMPLATES = {"company": ("extracted.company_news", "domain"), "person": ("extracted.person_education",
                                                                           "linkedin_url")}
P99_GOAL_MS = 25


def _added_name(number: int) -> str:
    return f"{PREFIX}{number:03d}"


def _workflows_add(conn: psycopg.Connection, *, start: int, stop: int) -> None:
    """Workflows start..stop-1, alternating companies and people, each with its extracted table."""
    for number in range(start, stop):
        entity = "company" if number % 2 == 0 else "person"
        template, key_column = TEMPLATES[entity]
        table = sql.Identifier("extracted", _added_name(number))
        source = sql.Identifier(*template.split("."))
        conn.execute(sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING DEFAULTS INCLUDING IDENTITY)").format(table, source))
        conn.execute(sql.SQL("INSERT INTO {} SELECT * FROM {}").format(table, source))
        conn.execute(sql.SQL("ALTER TABLE {} ADD PRIMARY KEY (id)").format(table))
        conn.execute(sql.SQL("ANALYZE {}").format(table))
        conn.execute(
            """INSERT INTO reference.enrichment_workflow_registry
               (workflow_name, description, provider, extracted_table, key_column, key_type, is_active)
               VALUES (%s, 'status benchmark: one more workflow', 'bench', %s, %s, %s, true)""",
            [_added_name(number), f"extracted.{_added_name(number)}", key_column, entity])


def _workflows_remove(conn: psycopg.Connection) -> None:
    names = [name for (name,) in conn.execute(
        "SELECT workflow_name FROM reference.enrichment_workflow_registry WHERE workflow_name LIKE %s",
        [PREFIX + "%"])]
    conn.execute("DELETE FROM reference.enrichment_workflow_registry WHERE workflow_name = ANY(%s)", [names])
    for name in names:
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier("extracted", name)))


def _active_workflows(conn: psycopg.Connection) -> int:
    return conn.execute("SELECT count(*) FROM reference.enrichment_workflow_registry WHERE is_active").fetchone()[0]


def _status_load(key: str, entities: list[dict]) -> Load:
    port = _free_port()
    server = _serve(port)
    try:
        _wait_until_serving(port)
        _wrk(port, "/api/enrichment/status", key, entities, seconds=3)  # warm workers, plans, connections
        return _wrk(port, "/api/enrichment/status", key, entities)
    finally:
        server.terminate()
        server.wait(timeout=30)


def run() -> str:
    key = _prepare()
    entities = _entities()
    loads: dict[int, Load] = {}
    with psycopg.connect(bench_database_uri(), autocommit=True) as conn:
        _workflows_remove(conn)  # what an interrupted run left
        base = _active_workflows(conn)
        try:
            added = 0
            for total in TOTALS:
                _workflows_add(conn, start=added, stop=total - base)
                added = max(added, total - base)
                manage("registry_indexes", "--create")
                loads[_active_workflows(conn)] = _status_load(key, entities)
        finally:
            _workflows_remove(conn)
    first = loads[min(loads)]
    rows = [f"| {total} | {load.p50_ms:.1f} | {load.p99_ms:.1f} | {load.requests_per_s:,.0f} | "
            f"{load.p99_ms / first.p99_ms:.2f}× |" for total, load in sorted(loads.items())]
    return "\n".join([
        f"- command: `make bench BENCH=workflows`: `POST /api/enrichment/status` on the scale-1 demo under gunicorn "
        f"({WORKERS} sync workers), wrk with {CLIENTS} keep-alive connections for {DURATION_SECONDS} s per row over "
        f"{len(entities):,} entities; each added workflow is active with its own extracted table (a copy of "
        f"{' or '.join(table for table, _ in TEMPLATES.values())}) and its key indexes; wrk, gunicorn and "
        "PostgreSQL share the 2 cores",
        "",
        "| active workflows | p50 ms | p99 ms | requests/s | p99 vs the demo's registry |",
        "|---:|---:|---:|---:|---:|",
        *rows,
        "",
        f"- goal: p99 under {P99_GOAL_MS} ms at 200 workflows with {CLIENTS} clients",
    ])
