"""Past one machine: the status API through PgBouncer in transaction mode against the same
gunicorn connected to the server directly, alternated in one run on the scale-1 demo; then the
whole fleet against the single-machine path (bench/fleet_scale.py)."""

import subprocess
import sys
import time
from pathlib import Path

import psycopg

from bench.environment import PROJECT_ROOT, bench_database_uri, bench_env, bench_server_stop
from bench.fleet_scale import process_group_stop, run_scale_out
from bench.runs import _free_port, _wait_until_serving
from bench.status import CLIENTS, DURATION_SECONDS, WORKERS, Load, _entities, _prepare, _wrk
from enrichhub.database import SEARCH_PATH
from enrichhub.pgbouncer import pgbouncer_command

ROUNDS = 2
POOL_SIZE = 4


def _serve(port: int, **database: str) -> subprocess.Popen:
    env = {**bench_env(), **database, "ENRICHHUB_API_RATE": "100000000/m", "DEBUG": "false",
           "SECRET_KEY": "bench-only-secret", "ALLOWED_HOSTS": "127.0.0.1"}
    return subprocess.Popen([sys.executable, "-m", "gunicorn", "enrichhub.wsgi", "-b", f"127.0.0.1:{port}",
                             "--workers", str(WORKERS), "--worker-class", "sync"], cwd=PROJECT_ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _measured(port: int, key: str, entities: list[dict], **database: str) -> Load:
    server = _serve(port, **database)
    try:
        _wait_until_serving(port)
        _wrk(port, "/api/enrichment/status", key, entities, seconds=3)  # warm workers, plans, connections
        return _wrk(port, "/api/enrichment/status", key, entities)
    finally:
        process_group_stop(server)


def _role_search_path(uri: str, value: str | None) -> None:
    with psycopg.connect(uri, autocommit=True) as conn:
        database = conn.execute("SELECT current_database()").fetchone()[0]
        action = f"SET search_path = {value}" if value else "RESET search_path"
        conn.execute(f'ALTER ROLE CURRENT_USER IN DATABASE "{database}" {action}')


def run() -> str:
    key = _prepare()
    entities = _entities()
    direct = bench_database_uri()
    info = psycopg.conninfo.conninfo_to_dict(direct)
    bouncer_port = _free_port()
    folder = PROJECT_ROOT / "var" / "bench-pgbouncer"
    command = pgbouncer_command(folder=folder, port=bouncer_port, server=info, pool_size=POOL_SIZE,
                                owner_of=Path(info["host"]))
    pooled = f"postgresql://{info.get('user', 'postgres')}@127.0.0.1:{bouncer_port}/{info['dbname']}"
    _role_search_path(direct, SEARCH_PATH)
    bouncer = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    arms: dict[str, list[Load]] = {"direct": [], "pooled": []}
    try:
        time.sleep(1)
        for _ in range(ROUNDS):
            arms["direct"].append(_measured(_free_port(), key, entities, DATABASE_URL=direct))
            arms["pooled"].append(_measured(_free_port(), key, entities, DATABASE_URL=pooled,
                                            ENRICHHUB_DIRECT_DATABASE_URL=direct))
    finally:
        process_group_stop(bouncer)
        _role_search_path(direct, None)
    bench_server_stop()  # the fleet brings servers of its own
    scale_out = run_scale_out()
    rows = [f"| {name}, round {n + 1} | {load.p50_ms:.1f} | {load.p99_ms:.1f} | {load.requests_per_s:,.0f} |"
            for name, loads in arms.items() for n, load in enumerate(loads)]
    worst = max(pooled.p99_ms / plain.p99_ms for pooled, plain in zip(arms["pooled"], arms["direct"], strict=True))
    return "\n".join([
        f"- command: `make bench BENCH=fleet` — `POST /api/enrichment/status` on the scale-1 demo, gunicorn "
        f"({WORKERS} sync workers) connected to PostgreSQL directly, then through PgBouncer 1.18 in transaction "
        f"mode ({POOL_SIZE} server connections; the status statement then runs as a server function), "
        f"alternated {ROUNDS} times; wrk with {CLIENTS} connections for {DURATION_SECONDS} s per row; "
        "wrk, gunicorn, PgBouncer and PostgreSQL share the 2 cores",
        "",
        "| web tier's connection | p50 ms | p99 ms | requests/s |",
        "|---|---:|---:|---:|",
        *rows,
        "",
        f"- ratio: through the pooler the p99 is at most {worst:.2f}× direct's in the same round (goal: 1.2×)",
        *scale_out,
    ])
