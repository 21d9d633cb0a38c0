"""A PostgreSQL server of a test's own, migrated and holding one workflow and one API key, for
tests that restart it or put something in front of it."""

import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

from enrichhub.embedded_db import embedded_server_start

PROJECT_ROOT = Path(__file__).resolve().parents[1]
_PREPARE = """
from registry.models import Workflow
from runs.services import api_key_create
Workflow.objects.create(workflow_name="company_news", key_type="company", key_column="domain")
print(api_key_create(name={name!r})[1])
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def own_server_start(tmp_path: Path, *, key_name: str) -> tuple[Path, str, dict[str, str], str]:
    """(data folder, URL, environment for manage.py on it, API key) of a fresh migrated server."""
    data_dir = tmp_path / "pgdata"
    uri = embedded_server_start(data_dir=data_dir)
    env = {**os.environ, "DATABASE_URL": uri, "ENRICHHUB_VAR_DIR": str(tmp_path / "var"), "PYTHONUNBUFFERED": "1"}
    env.pop("ENRICHHUB_DIRECT_DATABASE_URL", None)
    for command in (["migrate", "--verbosity", "0"], ["shell", "-c", _PREPARE.format(name=key_name)]):
        done = subprocess.run([sys.executable, "manage.py", *command], cwd=PROJECT_ROOT, env=env,
                              capture_output=True, text=True, timeout=120, check=True)
    return data_dir, uri, env, done.stdout.strip().splitlines()[-1]


def api_post(base: str, path: str, body: dict, *, key: str) -> tuple[int, Message, dict]:
    """(status, headers, JSON body) of a POST to a running server; every answer must be JSON."""
    request = urllib.request.Request(f"{base}{path}", method="POST", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", "X-API-Key": key})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, json.load(response)
    except urllib.error.HTTPError as error:
        assert error.headers["Content-Type"].startswith("application/json")
        return error.code, error.headers, json.load(error)
