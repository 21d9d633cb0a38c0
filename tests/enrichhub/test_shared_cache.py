"""Two web servers sharing Redis: one rate per API key across both, and a deactivation refused
by both at once. Each server alone would allow the rate again, and trust the key a while."""

import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import pytest

from enrichhub.embedded_db import embedded_server_stop
from tests.own_server import PROJECT_ROOT, api_post, free_port, own_server_start
from tests.processes import process_tree

pytestmark = pytest.mark.system  # starts processes: left out of `make test-fast`

REDIS = "/usr/bin/redis-server"
RATE = 10
DEACTIVATE = """
from runs.models import ApiKey
from runs.services import api_keys_deactivate
print(api_keys_deactivate(keys=ApiKey.objects.filter(name="second")))
"""
SECOND_KEY = """
from runs.services import api_key_create
print(api_key_create(name="second")[1])
"""


def _status(base: str, key: str) -> int:
    return api_post(base, "/api/enrichment/status", {"entity_type": "company", "entity_key": "ironclad.com"},
                    key=key)[0]


def _serving(base: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/docs", timeout=2).close()
            return
        except (urllib.error.URLError, ConnectionError):
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)


def _manage(env: dict, script: str) -> str:
    return subprocess.run([sys.executable, "manage.py", "shell", "-c", script], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=True).stdout.strip().splitlines()[-1]


@pytest.fixture
def two_web_servers(tmp_path):
    """(base URLs of two gunicorn servers on one Redis, environment, API key)."""
    assert Path(REDIS).exists(), "Redis is missing: `make test` installs Debian's redis-server"
    data_dir, _uri, env, key = own_server_start(tmp_path, key_name="fleet")
    redis_port = free_port()
    env = {**env, "ENRICHHUB_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0", "ENRICHHUB_API_RATE": f"{RATE}/m"}
    with ExitStack() as running:
        running.enter_context(process_tree([REDIS, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                                            "--appendonly", "no"], stdout=subprocess.DEVNULL))
        bases = []
        for number in (1, 2):
            port, log = free_port(), tmp_path / f"web{number}.log"
            running.enter_context(process_tree(
                [sys.executable, "-m", "gunicorn", "enrichhub.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
                cwd=PROJECT_ROOT, env=env, stdout=running.enter_context(log.open("w")), stderr=subprocess.STDOUT))
            bases.append(f"http://127.0.0.1:{port}")
            _serving(bases[-1], log)
        yield bases, env, key
    embedded_server_stop(data_dir=data_dir)


def test_the_rate_per_key_holds_across_two_web_servers(two_web_servers):
    bases, _env, key = two_web_servers
    answers = Counter(_status(bases[n % 2], key) for n in range(RATE + 4))
    assert answers == {200: RATE, 429: 4}


def test_a_key_deactivated_is_refused_by_both_servers_at_once(two_web_servers):
    bases, env, _key = two_web_servers
    second = _manage(env, SECOND_KEY)
    assert [_status(base, second) for base in bases] == [200, 200]  # now trusted by both for a while
    assert _manage(env, DEACTIVATE) == "1"
    assert [_status(base, second) for base in bases] == [401, 401]
