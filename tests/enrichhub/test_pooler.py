"""The web tier behind a real PgBouncer in transaction mode, jobs on the server itself.

Each test runs its own embedded server and its own PgBouncer (Debian's package, 1.18: no
prepared statements in transaction mode), so a role setting it makes touches nothing else.
"""

import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from enrichhub.database import SEARCH_PATH
from enrichhub.embedded_db import embedded_server_stop
from enrichhub.pgbouncer import pgbouncer_command
from tests.own_server import PROJECT_ROOT, api_post, free_port, own_server_start
from tests.processes import process_tree

pytestmark = pytest.mark.system  # starts processes: left out of `make test-fast`


def _wait_for_port(port: int, *, log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert time.monotonic() < deadline, log.read_text() if log.exists() else "no log"
            time.sleep(0.1)


@pytest.fixture
def server(tmp_path):
    """(direct URL, pooled URL, environment with both, API key) of a server behind PgBouncer."""
    data_dir, direct, env, key = own_server_start(tmp_path, key_name="pooled")
    bouncer_dir, port = tmp_path / "pgbouncer", free_port()
    # One server connection for the two web workers: a statement one of them prepared would be
    # seen, or missed, by the other.
    command = pgbouncer_command(folder=bouncer_dir, port=port, server=psycopg.conninfo.conninfo_to_dict(direct),
                                pool_size=1, owner_of=data_dir)
    with process_tree(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT):
        _wait_for_port(port, log=bouncer_dir / "pgbouncer.log")
        pooled = f"postgresql://postgres@127.0.0.1:{port}/enrichhub"
        yield direct, pooled, {**env, "DATABASE_URL": pooled, "ENRICHHUB_DIRECT_DATABASE_URL": direct}, key
    embedded_server_stop(data_dir=data_dir)


def _role_search_path(direct: str, value: str | None) -> None:
    with psycopg.connect(direct, autocommit=True) as conn:
        action = f"SET search_path = {value}" if value else "RESET search_path"
        conn.execute(f"ALTER ROLE postgres IN DATABASE enrichhub {action}")


def _pool_reconnect(pooled: str) -> None:
    """A role's settings reach only server connections opened after them: renew the pool's."""
    console = pooled.rsplit("/", 1)[0] + "/pgbouncer"
    with psycopg.connect(console, autocommit=True, cursor_factory=psycopg.ClientCursor) as conn:
        conn.execute("RECONNECT")


def _deploy_check(env: dict) -> str:
    done = subprocess.run([sys.executable, "manage.py", "check", "--deploy"], cwd=PROJECT_ROOT,
                          env={**env, "SECRET_KEY": "x" * 60}, capture_output=True, text=True, timeout=120)
    return done.stdout + done.stderr


def _status(base: str, key: str, entity: str) -> tuple[int, dict]:
    status, _, body = api_post(base, "/api/enrichment/status", {"entity_type": "company", "entity_key": entity},
                               key=key)
    return status, body


def _news_rows(direct: str) -> None:
    """company<n>.com has n + 1 rows in the workflow's extracted table, all under dirty spellings."""
    with psycopg.connect(direct, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS extracted")
        conn.execute("CREATE TABLE extracted.company_news (id bigserial PRIMARY KEY, domain text)")
        conn.execute("INSERT INTO extracted.company_news (domain) SELECT 'https://www.Company' || n || '.com/about'"
                     " FROM generate_series(0, 4) n, generate_series(0, 4) m WHERE m <= n")
        conn.execute("CREATE INDEX ON extracted.company_news (reference.company_key_v1(domain))")
        conn.execute("UPDATE reference.enrichment_workflow_registry SET extracted_table = 'extracted.company_news'"
                     " WHERE workflow_name = 'company_news'")


def test_the_status_api_answers_through_pgbouncer_in_transaction_mode(server, tmp_path):
    direct, _pooled, env, key = server
    _role_search_path(direct, SEARCH_PATH)
    _news_rows(direct)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output, process_tree(
            [sys.executable, "-m", "gunicorn", "enrichhub.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
            cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT):
        _wait_for_port(port, log=log)
        with ThreadPoolExecutor(max_workers=4) as pool:
            answers = list(pool.map(lambda n: _status(base, key, f"Company{n % 5}.com"), range(40)))
    assert {status for status, _ in answers} == {200}, answers[:3]
    assert {body["entity_key"] for _, body in answers} == {f"company{n}.com" for n in range(5)}
    assert all(body["enrichments"][0]["records_in_extracted"] == int(body["entity_key"][7]) + 1
               for _, body in answers)
    with psycopg.connect(direct) as conn:
        functions = conn.execute("SELECT count(*) FROM pg_proc WHERE pronamespace = 'enrichhub_status'::regnamespace"
                                 " AND proname LIKE 'counts\\_%'").fetchone()[0]
    assert functions == 1  # the count statement, made a function by whichever worker came first
    assert "Traceback" not in log.read_text()


def test_check_deploy_names_a_pooler_where_jobs_need_the_server(server):
    direct, pooled, env, _key = server
    swapped = _deploy_check({**env, "DATABASE_URL": direct, "ENRICHHUB_DIRECT_DATABASE_URL": pooled})
    assert "cannot connect through ENRICHHUB_DIRECT_DATABASE_URL" in swapped and "That is a pooler" in swapped
    assert "Traceback" not in swapped
    without_search_path = _deploy_check(env)
    assert "enrichhub.E011" in without_search_path and "ALTER ROLE" in without_search_path
    assert "enrichhub.E010" not in without_search_path
    _role_search_path(direct, SEARCH_PATH)
    _pool_reconnect(pooled)
    configured = _deploy_check(env)
    assert "enrichhub.E01" not in configured, configured
