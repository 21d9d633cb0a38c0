import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import psycopg
import pytest

from enrichhub.database import connection_pooled, database_settings, replica_database_settings
from enrichhub.embedded_db import (
    DatabaseSetupError,
    embedded_server_pid,
    embedded_server_start,
    embedded_server_started_here,
    embedded_server_stop,
    server_major_version,
)
from enrichhub.server_sizing import MachineMemory, server_sizing

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_database_url_wins_and_no_embedded_server_is_started(tmp_path):
    data_dir = tmp_path / "pgdata"
    config, embedded = database_settings(
        environ={"DATABASE_URL": "postgresql://ops:secret@warehouse.internal:6543/leads",
                 "ENRICHHUB_DATA_DIR": str(data_dir)},
    )
    assert embedded is False
    assert (config["HOST"], config["PORT"]) == ("warehouse.internal", 6543)
    assert (config["NAME"], config["USER"]) == ("leads", "ops")
    assert "search_path=" in config["OPTIONS"]["options"]
    assert not data_dir.exists()


def test_behind_a_pooler_the_web_tier_keeps_no_session_state_and_everything_else_goes_direct():
    environ = {"DATABASE_URL": "postgresql://web@pooler.internal:6432/leads",
               "ENRICHHUB_DIRECT_DATABASE_URL": "postgresql://jobs@db.internal:5432/leads"}
    web_environ = {**environ, "ENRICHHUB_PROCESS": "web"}
    web, _ = database_settings(environ=web_environ)
    jobs, _ = database_settings(environ=environ)
    assert (web["HOST"], web["PORT"], web["USER"]) == ("pooler.internal", 6432, "web")
    assert "options" not in web["OPTIONS"] and web["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert (jobs["HOST"], jobs["PORT"], jobs["USER"]) == ("db.internal", 5432, "jobs")
    assert "search_path=" in jobs["OPTIONS"]["options"] and not jobs.get("DISABLE_SERVER_SIDE_CURSORS")
    assert connection_pooled(environ=web_environ) and not connection_pooled(environ=environ)
    # One URL for both: no pooler apart, so the web tier keeps its session settings.
    same = {**web_environ, "ENRICHHUB_DIRECT_DATABASE_URL": environ["DATABASE_URL"]}
    assert not connection_pooled(environ=same) and "options" in database_settings(environ=same)[0]["OPTIONS"]


def test_a_bad_direct_url_is_named_in_its_error():
    with pytest.raises(DatabaseSetupError, match="ENRICHHUB_DIRECT_DATABASE_URL has no database name"):
        database_settings(environ={"DATABASE_URL": "postgresql://u@pooler:6432/leads",
                                   "ENRICHHUB_DIRECT_DATABASE_URL": "postgresql://u@db:5432"})


def test_the_replica_is_reached_directly_and_tests_read_the_primary_in_its_place():
    assert replica_database_settings(environ={"DATABASE_URL": "postgresql://u@db:5432/leads"}) is None
    replica = replica_database_settings(environ={"ENRICHHUB_REPLICA_DATABASE_URL": "postgresql://r@standby:5432/leads"})
    assert replica is not None and (replica["HOST"], replica["USER"]) == ("standby", "r")
    assert "search_path=" in replica["OPTIONS"]["options"] and replica["TEST"] == {"MIRROR": "default"}
    with pytest.raises(DatabaseSetupError, match="ENRICHHUB_REPLICA_DATABASE_URL has no database name"):
        replica_database_settings(environ={"ENRICHHUB_REPLICA_DATABASE_URL": "postgresql://r@standby:5432"})


@pytest.mark.parametrize("url, fragment", [
    ("nonsense://x", "not a usable URL"),
    ("sqlite:///tmp/x.db", "needs PostgreSQL"),
    ("postgresql://u:p@host:5432", "no database name"),
])
def test_a_bad_database_url_is_refused_with_a_one_line_reason(tmp_path, url, fragment):
    with pytest.raises(DatabaseSetupError, match=fragment) as caught:
        database_settings(environ={"DATABASE_URL": url, "ENRICHHUB_DATA_DIR": str(tmp_path / "pgdata")})
    assert "\n" not in str(caught.value)


def test_a_data_folder_that_is_a_file_is_refused(tmp_path):
    occupied = tmp_path / "pgdata"
    occupied.write_text("not a folder")
    with pytest.raises(DatabaseSetupError, match="is a file"):
        embedded_server_start(data_dir=occupied)


def test_a_data_folder_holding_other_files_is_refused(tmp_path):
    occupied = tmp_path / "pgdata"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("someone else's folder")
    with pytest.raises(DatabaseSetupError, match="no PostgreSQL data"):
        embedded_server_start(data_dir=occupied)


@pytest.mark.system
def test_the_embedded_server_starts_is_reused_and_stops(tmp_path):
    data_dir = tmp_path / "pgdata"
    try:
        uri = embedded_server_start(data_dir=data_dir)
        first_pid = embedded_server_pid(data_dir=data_dir)
        assert first_pid is not None
        assert embedded_server_start(data_dir=data_dir) == uri
        assert embedded_server_pid(data_dir=data_dir) == first_pid
        with psycopg.connect(uri) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == ("enrichhub",)
    finally:
        embedded_server_stop(data_dir=data_dir)
    assert embedded_server_pid(data_dir=data_dir) is None


def _manage(*args: str, env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    env = {**os.environ, **env_overrides}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("url, fragment", [
    ("nonsense://nowhere", "DATABASE_URL is not a usable URL"),
    ("postgresql://ops@127.0.0.1:1/leads", "cannot reach the database"),
])
@pytest.mark.system
def test_manage_py_reports_database_problems_in_one_line(url, fragment):
    result = _manage("migrate", "--check", env_overrides={"DATABASE_URL": url})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("enrichhub: error:") and fragment in lines[0]


@pytest.mark.system
def test_a_server_killed_outright_is_started_again_on_the_next_attach(tmp_path):
    data_dir = tmp_path / "pgdata"
    try:
        embedded_server_start(data_dir=data_dir)
        killed = embedded_server_pid(data_dir=data_dir)
        os.kill(killed, signal.SIGKILL)  # postmaster.pid stays behind, naming a dead process
        while psutil.pid_exists(killed):
            time.sleep(0.05)
        assert (data_dir / "postmaster.pid").exists()
        uri = embedded_server_start(data_dir=data_dir)
        assert embedded_server_pid(data_dir=data_dir) not in (None, killed)
        with psycopg.connect(uri) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        embedded_server_stop(data_dir=data_dir)


@pytest.mark.system
def test_a_data_folder_of_another_major_version_is_refused_and_left_untouched(tmp_path):
    data_dir = tmp_path / "pgdata"
    data_dir.mkdir()
    (data_dir / "PG_VERSION").write_text("16\n")
    (data_dir / "base").mkdir()
    (data_dir / "base" / "1").write_bytes(b"old rows")
    before = sorted((path.relative_to(data_dir), path.read_bytes() if path.is_file() else b"")
                    for path in data_dir.rglob("*"))
    with pytest.raises(DatabaseSetupError) as caught:
        embedded_server_start(data_dir=data_dir)
    message = str(caught.value)
    assert "\n" not in message
    assert "PostgreSQL 16" in message and f"PostgreSQL {server_major_version()}" in message
    assert "pg_upgrade" in message and "ENRICHHUB_DATA_DIR" in message
    after = sorted((path.relative_to(data_dir), path.read_bytes() if path.is_file() else b"")
                   for path in data_dir.rglob("*"))
    assert after == before and embedded_server_pid(data_dir=data_dir) is None


@pytest.mark.system
def test_manage_py_names_both_versions_for_an_old_data_folder(tmp_path):
    data_dir = tmp_path / "pgdata"
    data_dir.mkdir()
    (data_dir / "PG_VERSION").write_text("16\n")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            env={**env, "ENRICHHUB_DATA_DIR": str(data_dir)}, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("enrichhub: error: the data folder") and "PostgreSQL 16" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.system
def test_the_embedded_server_is_postgresql_18_sized_for_the_machine_with_statement_statistics(tmp_path):
    data_dir = tmp_path / "pgdata"
    sizing = server_sizing(MachineMemory.detect())
    try:
        uri = embedded_server_start(data_dir=data_dir)
        assert embedded_server_started_here(data_dir=data_dir)
        with psycopg.connect(uri) as conn:
            setting = dict(conn.execute(
                "SELECT name, pg_size_bytes(current_setting(name)) FROM unnest(ARRAY['shared_buffers', "
                "'effective_cache_size', 'work_mem', 'maintenance_work_mem']) name").fetchall())
            assert conn.info.server_version // 10_000 == 18
            assert conn.execute("SELECT count(*) FROM pg_stat_statements").fetchone()[0] >= 0
        mb = 1024 * 1024
        assert setting == {"shared_buffers": sizing.shared_buffers // mb * mb,
                           "effective_cache_size": sizing.effective_cache_size // mb * mb,
                           "work_mem": sizing.work_mem // mb * mb,
                           "maintenance_work_mem": sizing.maintenance_work_mem // mb * mb}
    finally:
        embedded_server_stop(data_dir=data_dir)
    assert not embedded_server_started_here(data_dir=data_dir)


@pytest.mark.system
def test_a_project_command_reports_a_settings_problem_instead_of_unknown_command():
    result = _manage("seed_demo", "--scale", "0.01", env_overrides={"DATABASE_URL": "nonsense://nowhere"})
    assert result.returncode == 2
    assert "Unknown command" not in result.stderr
    assert result.stderr.startswith("enrichhub: error: DATABASE_URL is not a usable URL")


@pytest.mark.system
def test_many_processes_attaching_at_once_all_get_the_server(tmp_path):
    data_dir = tmp_path / "pgdata"
    attach = ("import sys; from pathlib import Path; from enrichhub.embedded_db import embedded_server_start as s; "
              "print(s(data_dir=Path(sys.argv[1])))")
    try:
        procs = [subprocess.Popen([sys.executable, "-c", attach, str(data_dir)], cwd=PROJECT_ROOT, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(6)]
        outcomes = [proc.communicate(timeout=120) for proc in procs]
        assert all(proc.returncode == 0 for proc in procs), [err for _, err in outcomes]
        assert len({out.strip() for out, _ in outcomes}) == 1
    finally:
        embedded_server_stop(data_dir=data_dir)


@pytest.mark.system
def test_a_server_that_cannot_start_says_so_in_one_line_and_points_at_its_log(tmp_path):
    data_dir = tmp_path / "pgdata"
    embedded_server_start(data_dir=data_dir)
    embedded_server_stop(data_dir=data_dir)
    with (data_dir / "postgresql.conf").open("a") as conf:
        conf.write("shared_buffers = 'a lot'\n")  # after enrichhub's own file, so it wins
    with pytest.raises(DatabaseSetupError) as caught:
        embedded_server_start(data_dir=data_dir)
    assert "pg_ctl failed" in str(caught.value) and str(data_dir / "log") in str(caught.value)
    assert "\n" not in str(caught.value) and embedded_server_pid(data_dir=data_dir) is None
    assert "shared_buffers" in (data_dir / "log").read_text()


def test_each_database_keeps_its_own_demo_secrets(tmp_path):
    from enrichhub.database import secrets_suffix

    project = secrets_suffix(environ={}, database={})
    other = secrets_suffix(environ={"ENRICHHUB_DATA_DIR": str(tmp_path / "pgdata")}, database={})
    server = {"HOST": "db.internal", "PORT": 5432, "NAME": "warehouse"}
    remote = secrets_suffix(environ={"DATABASE_URL": "postgresql://x@db.internal/warehouse"}, database=server)
    assert project == ""
    assert other.startswith("-") and other == secrets_suffix(
        environ={"ENRICHHUB_DATA_DIR": str(tmp_path / "pgdata")}, database={})
    assert len({project, other, remote}) == 3


def test_a_route_to_another_port_than_the_servers_own_is_named_as_a_pooler():
    from enrichhub.checks import route_messages

    assert route_messages(url_port=5432, server_port=5432, variable="DATABASE_URL") == []
    (message,) = route_messages(url_port=6432, server_port=5432, variable="ENRICHHUB_DIRECT_DATABASE_URL")
    assert message.id == "enrichhub.E010"
    assert "ENRICHHUB_DIRECT_DATABASE_URL connects to port 6432, but the server listens on 5432" in message.msg
