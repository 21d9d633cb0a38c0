"""`make fleet`, smaller: one web server and one q2 cluster, with the primary, its hot standby,
PgBouncer and Redis, each a process of its own. The standby is slowed down or stopped to show
that the status API reads counts from it only while it is current enough, and freshness never.
"""

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import psutil
import psycopg
import pytest

from enrichhub.embedded_db import embedded_server_pid, embedded_server_start, embedded_server_stop
from tests.own_server import PROJECT_ROOT, api_post, free_port
from tests.processes import process_tree

pytestmark = pytest.mark.system  # starts processes: left out of `make test-fast`

MAX_LAG_S = 3
ENTITY = "acme.com"
_PREPARE = """
from registry.models import Workflow
from runs.services import api_key_create
Workflow.objects.create(workflow_name="fleet_news", key_type="company", key_column="domain",
                        extracted_table="extracted.fleet_news", refresh_after_days=30)
print(api_key_create(name="fleet")[1])
"""


class RunningFleet:
    def __init__(self, folder: Path, launcher: subprocess.Popen, web: str) -> None:
        self.folder, self.launcher, self.web = folder, launcher, web
        self.env = dict(re.findall(r"^(\w+)='(.*)'$", (folder / "fleet.env").read_text(), re.M))
        self.primary = self.env["ENRICHHUB_DIRECT_DATABASE_URL"]
        self.standby = self.env["ENRICHHUB_REPLICA_DATABASE_URL"]
        self.key = ""
        self.said = ""

    def manage(self, script: str) -> str:
        done = subprocess.run([sys.executable, "manage.py", "shell", "-c", script], cwd=PROJECT_ROOT,
                              env={**os.environ, **self.env}, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""

    def status(self) -> dict:
        code, _, body = api_post(self.web, "/api/enrichment/status", {"entity_type": "company", "entity_key": ENTITY},
                                 key=self.key)
        assert code == 200, body
        (item,) = body["enrichments"]
        return item


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fleet")
    web_port = free_port()
    command = [sys.executable, "-m", "enrichhub.fleet", "--folder", str(folder), "--scale", "0", "--clusters", "1",
               "--web-ports", str(web_port), "--web-workers", "2", "--pgbouncer-port", str(free_port()),
               "--redis-port", str(free_port())]
    env = {**os.environ, "ENRICHHUB_REPLICA_MAX_LAG_S": str(MAX_LAG_S), "PYTHONUNBUFFERED": "1"}
    with process_tree(command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                      text=True) as launcher:
        said = _read_until(launcher, "Ctrl-C stops them all.")
        running = RunningFleet(folder, launcher, f"http://127.0.0.1:{web_port}")
        running.said = said
        with psycopg.connect(running.primary, autocommit=True) as conn:
            conn.execute("CREATE TABLE extracted.fleet_news (id bigserial PRIMARY KEY, domain text)")
            conn.execute("INSERT INTO extracted.fleet_news (domain) VALUES (%s), (%s)", [ENTITY, "www." + ENTITY])
        running.key = running.manage(_PREPARE)
        yield running
    for data_dir in (folder / "standby", folder / "primary"):
        embedded_server_stop(data_dir=data_dir)


def _read_until(launcher: subprocess.Popen, line: str) -> str:
    said = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        text = launcher.stdout.readline()
        if not text:
            break
        said.append(text)
        if text.strip() == line:
            return "".join(said)
    pytest.fail("the fleet did not come up:\n" + "".join(said))


def _standby_rows(fleet: RunningFleet) -> int:
    with psycopg.connect(fleet.standby, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM extracted.fleet_news").fetchone()[0]


def _caught_up(fleet: RunningFleet) -> None:
    with psycopg.connect(fleet.primary, autocommit=True) as conn:
        wanted = conn.execute("SELECT count(*) FROM extracted.fleet_news").fetchone()[0]
    deadline = time.monotonic() + 30
    while _standby_rows(fleet) != wanted:
        assert time.monotonic() < deadline, "the standby does not catch up"
        time.sleep(0.1)


def _apply_delay(fleet: RunningFleet, delay: str) -> None:
    with psycopg.connect(fleet.standby, autocommit=True) as conn:
        conn.execute(f"ALTER SYSTEM SET recovery_min_apply_delay = '{delay}'")
        conn.execute("SELECT pg_reload_conf()")


def test_the_fleet_prints_where_every_part_listens(fleet):
    for part in ("primary", "standby", "redis", "pgbouncer", "cluster 1", "web 1"):
        assert re.search(rf"^  {part}\s+\S", fleet.said, re.M), fleet.said


def test_counts_come_from_the_standby_and_freshness_from_the_primary(fleet):
    _caught_up(fleet)
    assert fleet.status()["records_in_extracted"] == 2
    _apply_delay(fleet, "10s")
    try:
        with psycopg.connect(fleet.primary, autocommit=True) as conn:
            conn.execute("INSERT INTO extracted.fleet_news (domain) VALUES (%s)", ["https://" + ENTITY])
        code, _, body = api_post(fleet.web, "/api/enrichment/runs", {
            "workflow_name": "fleet_news", "entity_type": "company", "entity_key": ENTITY, "status": "completed",
            "source": "test"}, key=fleet.key)
        assert code == 200, body
        lagging = fleet.status()
        # The standby has not replayed the new row: the count is its own...
        assert lagging["records_in_extracted"] == 2
        # ...while the run reported a moment ago is known: enriching again now would be a waste.
        assert (lagging["status"], lagging["should_enrich"]) == ("completed", False)
        assert lagging["fresh_until"] is not None
        # Past the allowed lag, the primary answers the counts too: asked until it does, well
        # before the standby's delay runs out.
        deadline = time.monotonic() + MAX_LAG_S + 5
        while fleet.status()["records_in_extracted"] != 3:
            assert time.monotonic() < deadline, f"the primary never answered the counts past {MAX_LAG_S} s of lag"
            time.sleep(0.2)
        assert _standby_rows(fleet) == 2, "the standby should still be delayed"
    finally:
        _apply_delay(fleet, "0")
    _caught_up(fleet)
    assert fleet.status()["records_in_extracted"] == 3


def test_the_router_sends_only_the_page_apps_reads_to_the_replica(fleet):
    said = fleet.manage("from django.contrib.auth.models import User\n"
                        "from django.db import router\n"
                        "from dashboard.models import DashboardSnapshot\n"
                        "from kernel.replica import replica_reads\n"
                        "print(router.db_for_read(DashboardSnapshot), end=' ')\n"
                        "with replica_reads() as alias:\n"
                        "    print(alias, router.db_for_read(DashboardSnapshot), router.db_for_read(User),"
                        " router.db_for_write(DashboardSnapshot))")
    assert said == "default replica replica default default"


def test_check_deploy_accepts_the_standby_and_names_a_replica_that_is_none(fleet):
    def deploy_check(**overrides: str) -> str:
        done = subprocess.run([sys.executable, "manage.py", "check", "--deploy"], cwd=PROJECT_ROOT,
                              env={**os.environ, **fleet.env, **overrides}, capture_output=True, text=True, timeout=120)
        return done.stdout + done.stderr

    assert "enrichhub.W01" not in deploy_check()
    said = deploy_check(ENRICHHUB_REPLICA_DATABASE_URL=fleet.primary)
    assert "enrichhub.W013" in said and "not a standby" in said


def test_a_stopped_standby_leaves_the_primary_answering(fleet):
    standby_dir = fleet.folder / "standby"
    embedded_server_stop(data_dir=standby_dir)
    try:
        with psycopg.connect(fleet.primary, autocommit=True) as conn:
            conn.execute("INSERT INTO extracted.fleet_news (domain) VALUES (%s)", ["http://" + ENTITY])
        assert fleet.status()["records_in_extracted"] == 4
        assert _dashboard_status(fleet) == 200
    finally:
        embedded_server_start(data_dir=standby_dir)
    _caught_up(fleet)
    assert fleet.status()["records_in_extracted"] == 4
    assert _dashboard_status(fleet) == 200


def test_the_cluster_takes_tasks_from_redis(fleet):
    answer = fleet.manage("from django_q.tasks import async_task, result\n"
                          "print(result(async_task('enrichhub.tasks.cluster_ping_task'), wait=30000))")
    assert answer == "pong"


def test_ctrl_c_stops_every_part(fleet):
    parts = psutil.Process(fleet.launcher.pid).children(recursive=True)
    servers = [embedded_server_pid(data_dir=fleet.folder / name) for name in ("primary", "standby")]
    assert len(parts) >= 4 and all(servers)
    fleet.launcher.send_signal(signal.SIGINT)
    assert fleet.launcher.wait(timeout=60) == 0, fleet.launcher.stdout.read()
    assert [part.pid for part in parts if _alive(part)] == []
    assert [pid for pid in servers if psutil.pid_exists(pid)] == []


def _alive(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _dashboard_status(fleet: RunningFleet) -> int:
    """The coverage page as the admin sees it, logged in through the login form."""
    password = next((fleet.folder / "var").glob("admin-password*.txt")).read_text().strip()
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{fleet.web}/admin/login/", timeout=10).read()
    token = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
    form = urllib.parse.urlencode({"username": "admin", "password": password, "csrfmiddlewaretoken": token,
                                   "next": "/admin/dashboard/"}).encode()
    login = urllib.request.Request(f"{fleet.web}/admin/login/", data=form, headers={"Referer": f"{fleet.web}/"})
    with opener.open(login, timeout=30) as page:
        assert "Enrichment coverage" in page.read().decode(), "the login did not lead to the dashboard"
        return page.status
