"""The embedded PostgreSQL server used when no DATABASE_URL is configured.

pgserver ships a PostgreSQL build inside its wheel and runs it on a Unix socket in the
data folder. We always start it with cleanup_mode=None: pgserver's own reference count
keeps the pids of every process that touched the server and never forgets a killed one,
so leaving the stop to pgserver would either stop the server under a running qcluster or
never stop it at all. The demo supervisor, `make stop` and `.ci/run` stop it explicitly.
"""

import json
import sys
import warnings
from collections.abc import Mapping
from pathlib import Path

import psycopg
from django.core.exceptions import ImproperlyConfigured
from psycopg import sql

DATABASE_NAME = "enrichhub"
PROJECT_DIR = Path(__file__).resolve().parent.parent


def data_dir_from(environ: Mapping[str, str]) -> Path:
    """Where the embedded server keeps its data: ENRICHHUB_DATA_DIR, else var/pgdata in the project."""
    return Path(environ.get("ENRICHHUB_DATA_DIR") or PROJECT_DIR / "var" / "pgdata").resolve()


class DatabaseSetupError(ImproperlyConfigured):
    """The database cannot be used; the message says what to do about it."""


def embedded_server_start(*, data_dir: Path) -> str:
    """Start (or reuse) the server in data_dir; return a URI for the enrichhub database."""
    _check_data_dir(data_dir)
    admin_uri = _running_server_uri(data_dir)
    try:
        admin_uri = admin_uri or _server_start(data_dir)
    except DatabaseSetupError:
        raise
    except Exception as exc:  # pgserver raises bare assertions and CalledProcessError alike
        log = data_dir / "log"
        raise DatabaseSetupError(
            f"the embedded PostgreSQL in {data_dir} did not start ({type(exc).__name__}: {exc}); "
            f"see {log} or remove the folder to start afresh"
        ) from exc
    _ensure_database(admin_uri)
    return admin_uri.replace("/postgres?", f"/{DATABASE_NAME}?", 1)


def _running_server_uri(data_dir: Path) -> str | None:
    """Attach to a running server without pgserver's bookkeeping: web workers, q2 workers
    and commands start together, and only the first start needs pgserver at all."""
    _import_pgserver()
    from pgserver.utils import PostmasterInfo

    try:
        info = PostmasterInfo.read_from_pgdata(data_dir) if (data_dir / "postmaster.pid").exists() else None
    except (AssertionError, ValueError, OSError):  # a postmaster.pid being written right now
        return None
    if info is None or not info.is_running() or info.status != "ready":
        return None
    return info.get_uri()


def _server_start(data_dir: Path) -> str:
    pgserver = _import_pgserver()
    # pgserver serialises starts with an inter-process lock; repairing its pid list under
    # the same lock keeps us from reading a list another process is halfway through writing.
    with pgserver.PostgresServer._lock:
        # Under the lock: another process may be running initdb into this folder right now.
        _check_data_contents(data_dir)
        _repair_handle_list(data_dir)
    return pgserver.get_server(data_dir, cleanup_mode=None).get_uri()


def embedded_server_stop(*, data_dir: Path) -> bool:
    """Stop the server in data_dir if it runs. True when a server was stopped."""
    if embedded_server_pid(data_dir=data_dir) is None:
        return False
    _import_pgserver()
    from pgserver import _commands

    _commands.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir, user=_system_user())
    return True


def embedded_server_pid(*, data_dir: Path) -> int | None:
    _import_pgserver()
    from pgserver.utils import PostmasterInfo

    if not (data_dir / "postmaster.pid").exists():
        return None
    info = PostmasterInfo.read_from_pgdata(data_dir)
    return info.pid if info is not None and info.is_running() else None


def _import_pgserver():
    """Import pgserver lazily (needless with DATABASE_URL) and quietly.

    platformdirs warns when XDG_RUNTIME_DIR is unset, as under CI and cron, and then falls
    back to a folder under /tmp, which is fine for pgserver's lock file.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver
    return pgserver


def _repair_handle_list(data_dir: Path) -> None:
    """Reset pgserver's list of attached pids when a killed process left it half-written.

    pgserver reads the list with json.loads and fails on an empty file; we never let
    pgserver stop the server (cleanup_mode=None), so the list carries nothing we need.
    """
    handle_list = data_dir / ".handle_pids.json"
    try:
        json.loads(handle_list.read_text())
    except FileNotFoundError:
        return
    except ValueError:
        handle_list.write_text("[]")


_HINT = "set ENRICHHUB_DATA_DIR to a folder enrichhub may create, or set DATABASE_URL"


def _check_data_contents(data_dir: Path) -> None:
    if data_dir.is_dir() and any(data_dir.iterdir()) and not (data_dir / "PG_VERSION").exists():
        raise DatabaseSetupError(f"the data folder {data_dir} holds files but no PostgreSQL data: {_HINT}")


def _check_data_dir(data_dir: Path) -> None:
    hint = _HINT
    if data_dir.exists() and not data_dir.is_dir():
        raise DatabaseSetupError(f"the data folder {data_dir} is a file, not a folder: {hint}")
    try:
        data_dir.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseSetupError(f"cannot create {data_dir.parent} ({exc.strerror}): {hint}") from exc


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


def _system_user() -> str | None:
    import os

    return "pgserver" if os.name == "posix" and os.geteuid() == 0 else None


def main(argv: list[str]) -> int:
    """`python -m enrichhub.embedded_db start|stop|status`, usable without Django settings."""
    import os

    action = argv[0] if argv else "status"
    data_dir = data_dir_from(os.environ)
    if action == "start":
        print(embedded_server_start(data_dir=data_dir))
    elif action == "stop":
        print("stopped" if embedded_server_stop(data_dir=data_dir) else "not running")
    elif action == "status":
        pid = embedded_server_pid(data_dir=data_dir)
        print(f"running (pid {pid}) in {data_dir}" if pid else f"not running ({data_dir})")
    else:
        print(f"unknown action {action!r}: use start, stop or status", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except DatabaseSetupError as exc:
        print(f"enrichhub: error: {exc}", file=sys.stderr)
        sys.exit(2)
