"""The main command end to end: a fresh data folder, real processes, real HTTP."""

import contextlib
import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import psutil
import pytest

from enrichhub.embedded_db import embedded_server_pid, embedded_server_stop
from tests.processes import process_tree

pytestmark = pytest.mark.system  # starts processes: left out of `make test-fast`

PROJECT_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 120


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_health(base: str, demo: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        assert demo.poll() is None, "the demo command exited before serving"
        try:
            with urllib.request.urlopen(f"{base}/api/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail("the demo server did not answer /api/health in time")


def _admin_login(base: str, username: str, password: str) -> tuple[str, urllib.request.OpenerDirector]:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base}/admin/login/").read()
    csrf = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
    form = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": csrf,
                                   "next": "/admin/"}).encode()
    with opener.open(f"{base}/admin/login/?next=/admin/", data=form) as response:
        return response.read().decode(), opener


def _backfilled_runs(env: dict[str, str]) -> int:
    count_runs = ("import time; from runs.models import Run\n"
                  "for _ in range(120):\n"
                  "    n = Run.objects.filter(source='backfill').count()\n"
                  "    if n: break\n"
                  "    time.sleep(0.5)\n"
                  "print(n)")
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", count_runs], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    return int(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def demo_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(ENRICHHUB_DATA_DIR=str(tmp_path / "pgdata"), ENRICHHUB_VAR_DIR=str(tmp_path / "var"),
               ENRICHHUB_Q_WORKERS="1", PYTHONUNBUFFERED="1")
    yield env
    embedded_server_stop(data_dir=tmp_path / "pgdata")


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # what a shell does for `cmd &`


def _demo(base: str, env: dict[str, str], log) -> contextlib.AbstractContextManager[subprocess.Popen]:
    # Started as a background job is: SIGINT ignored on arrival. The demo must still obey Ctrl-C.
    return process_tree([sys.executable, "manage.py", "demo", "--scale", "0.01", "--addr", base[7:]],
                        cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_ignore_sigint)


def test_the_demo_command_serves_admin_and_api_runs_q2_tasks_and_stops_cleanly(demo_env, tmp_path):
    base = f"http://127.0.0.1:{_free_port()}"
    log = (tmp_path / "demo.log").open("w+")
    with _demo(base, demo_env, log) as demo:
        _wait_for_health(base, demo)
        with urllib.request.urlopen(f"{base}/api/health", timeout=5) as health:
            assert json.loads(health.read())["database"] == "reachable"
        output = Path(log.name).read_text()
        username, password = re.search(r"admin user created: username (\S+)\s+password (\S+)", output).groups()
        before_login = output[:output.index("admin user created")].splitlines()
        assert len(before_login) <= 25, before_login  # one line per stage; the details are in the log
        assert "created companies_domain_company_key_v1_idx" in (tmp_path / "var" / "demo-setup.log").read_text()
        index, browser = _admin_login(base, username, password)
        assert "Lead warehouse control" in index
        with browser.open(f"{base}/admin/dashboard/", timeout=10) as dashboard:
            page = dashboard.read().decode()
        assert "Figures of" in page and 'data-workflow="company_discovery"' in page  # computed on the first run
        before, after = (int(n.replace(",", "")) for n in re.search(
            r"job titles classified: people hidden for a title field ([\d,]+) -> ([\d,]+)", output).groups())
        assert before > after  # the classifier made people visible, and the dashboard says so
        assert 'id="title-classification"' in page and f"<strong>{after:,}</strong> after it" in page
        with browser.open(f"{base}/admin/cleanup/gapsnapshot/", timeout=10) as gaps:
            assert "company_funding" in gaps.read().decode()  # a first gap check, not an empty list
        with urllib.request.urlopen(f"{base}/api/docs", timeout=5) as docs:
            assert docs.status == 200
        api_key = re.search(r"API key for the demo: (\S+)", output).group(1)
        event = {"workflow_name": "company_news", "entity_key": "https://www.Ironclad.com/", "entity_type": "company",
                 "status": "completed", "records_processed": 4, "source": "clay"}
        request = urllib.request.Request(f"{base}/api/enrichment/runs", data=json.dumps(event).encode(),
                                         headers={"Content-Type": "application/json", "X-API-Key": api_key})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.loads(response.read())["results"][0]["entity_key"] == "ironclad.com"

        task = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c",
             "from django_q.tasks import async_task, result; "
             "print(result(async_task('enrichhub.tasks.cluster_ping_task'), wait=60000))"],
            cwd=PROJECT_ROOT, env=demo_env, capture_output=True, text=True, timeout=90,
        )
        assert task.stdout.strip().splitlines()[-1] == "pong", task.stderr
        assert _backfilled_runs(demo_env) > 0  # the q2 cluster ran the backfill the demo enqueued
        embedded_server_stop(data_dir=tmp_path / "pgdata")  # a crash, as far as the demo can tell
        _wait_for_health(base, demo)  # the demo started it again; the API answered 503 meanwhile
        assert "the embedded PostgreSQL is back" in Path(log.name).read_text()
        descendants = psutil.Process(demo.pid).children(recursive=True)
        assert len(descendants) >= 3  # web server, q2 sentinel, its workers
        demo.send_signal(signal.SIGINT)
        exit_code = demo.wait(timeout=60)
    assert exit_code == 0, Path(log.name).read_text()
    assert embedded_server_pid(data_dir=tmp_path / "pgdata") is None
    assert _still_running(descendants) == []


def _still_running(processes: list[psutil.Process]) -> list[int]:
    return [p.pid for p in processes if _alive(p)]


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:  # gone between the two questions
        return False


def test_a_demo_killed_outright_takes_its_web_server_and_q2_cluster_with_it(demo_env, tmp_path):
    base = f"http://127.0.0.1:{_free_port()}"
    with (tmp_path / "demo.log").open("w+") as log, _demo(base, demo_env, log) as demo:
        _wait_for_health(base, demo)
        children = psutil.Process(demo.pid).children(recursive=True)
        demo.kill()
        demo.wait(timeout=30)
        deadline = time.monotonic() + 60
        while _still_running(children) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _still_running(children) == [], "the demo's children outlived it"
