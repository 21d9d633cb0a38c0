"""A database restart under load: the API answers only 200 or 503, and loses no acknowledged write."""

import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import psycopg
import pytest

from enrichhub.embedded_db import embedded_server_start, embedded_server_stop
from tests.own_server import PROJECT_ROOT, api_post, free_port, own_server_start
from tests.processes import process_tree

pytestmark = pytest.mark.system  # starts processes: left out of `make test-fast`


@pytest.fixture
def own_server(tmp_path):
    data_dir, uri, env, key = own_server_start(tmp_path, key_name="outage")
    yield data_dir, uri, env, key
    embedded_server_stop(data_dir=data_dir)


def _post(base: str, key: str, entity: str) -> int:
    body = {"workflow_name": "company_news", "entity_key": entity, "entity_type": "company", "status": "completed"}
    status, headers, _ = api_post(base, "/api/enrichment/runs", body, key=key)
    if status == 503:
        assert headers["Retry-After"]
    return status


def _serving(base: str, key: str) -> bool:
    try:
        return _post(base, key, "warmup.com") == 200
    except urllib.error.URLError:  # not listening yet
        return False


def _answered(answers: list[tuple[str, int]], status: int) -> int:
    return sum(1 for _, answered in list(answers) if answered == status)


def _wait_until(condition, *, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"no {what} within {seconds:g} s"
        time.sleep(0.05)


def test_a_database_restart_answers_only_200_or_503_and_loses_no_acknowledged_write(own_server, tmp_path):
    data_dir, uri, env, key = own_server
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    answers: list[tuple[str, int]] = []
    stop = threading.Event()

    def load() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            entity = f"company{n}.com"
            answers.append((entity, _post(base, key, entity)))
            time.sleep(0.01)

    with log.open("w") as output, process_tree([sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}",
                                                "--noreload"], cwd=PROJECT_ROOT, env=env, stdout=output,
                                               stderr=subprocess.STDOUT):
        deadline = time.monotonic() + 60
        while not _serving(base, key):
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        client = threading.Thread(target=load)
        client.start()
        try:
            # Each step waits for what the clients see, not for a time: writes going through,
            # refusals while the database is down, writes again after it is back.
            _wait_until(lambda: _answered(answers, 200) >= 20, what="writes acknowledged before the restart")
            embedded_server_stop(data_dir=data_dir)
            _wait_until(lambda: _answered(answers, 503) >= 5, what="503s while the database is down")
            embedded_server_start(data_dir=data_dir)
            refused = len(answers)
            _wait_until(lambda: _answered(answers[refused:], 200) >= 20, what="writes acknowledged after it is back")
        finally:
            stop.set()
            client.join(timeout=30)
    statuses = {status for _, status in answers}
    assert statuses == {200, 503}, statuses
    assert answers[-1][1] == 200  # back without anyone running a command
    acknowledged = {entity for entity, status in answers if status == 200}
    with psycopg.connect(uri) as conn:
        stored = {key for (key,) in conn.execute("SELECT entity_key FROM reference.enrichment_runs")}
    assert acknowledged <= stored
    text = log.read_text()
    assert text.count("database unreachable") == 1 and text.count("database reachable again") == 1
    assert "Traceback" not in text and "Service Unavailable" not in text  # no line per refused request
