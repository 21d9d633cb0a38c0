"""Where benchmarks run: a separate embedded server, so they never touch the demo's data, or
the server named by ENRICHHUB_BENCH_DATABASE_URL (to compare PostgreSQL versions on one
machine: it is seeded like the embedded one, so it must be a disposable database)."""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from enrichhub.embedded_db import embedded_server_stop

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BENCH_DATA_DIR = PROJECT_ROOT / "var" / "bench-pgdata"
# Larger demos live beside it, one server each (var/bench10-pgdata for scale 10): seeding scale
# 10 takes about 20 minutes and 13 GB, so each is kept for the next run.
_scale = "1"


def _data_dir() -> Path:
    return bench_data_dir(_scale)


def bench_data_dir(scale: str) -> Path:
    """Where the demo of this scale keeps its server's data."""
    return BENCH_DATA_DIR if scale == "1" else PROJECT_ROOT / "var" / f"bench{scale}-pgdata"


@contextmanager
def at_scale(scale: str) -> Iterator[None]:
    """Run the benchmark helpers against the demo of this scale; its server stops after."""
    global _scale
    previous, _scale = _scale, scale
    try:
        yield
    finally:
        bench_server_stop()
        _scale = previous


def _other_server() -> str:
    return os.environ.get("ENRICHHUB_BENCH_DATABASE_URL", "").strip()


def bench_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    var_dir = PROJECT_ROOT / "var" / ("bench" if _scale == "1" else f"bench{_scale}")
    env.update(ENRICHHUB_DATA_DIR=str(_data_dir()), ENRICHHUB_VAR_DIR=str(var_dir))
    if _other_server():
        env.update(DATABASE_URL=_other_server(), ENRICHHUB_ALLOW_WAREHOUSE_DDL="1")
    return env


def manage(*args: str, settings: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run a management command against the benchmark server, with `settings` added to its
    environment; fail loudly."""
    return subprocess.run([sys.executable, "manage.py", *args], cwd=PROJECT_ROOT,
                          env={**bench_env(), **(settings or {})}, capture_output=True, text=True, check=True)


def bench_server_stop() -> None:
    if not _other_server():
        embedded_server_stop(data_dir=_data_dir())


def bench_database_uri() -> str:
    """A psycopg URI of the benchmark database (starting its server if needed)."""
    if _other_server():
        return _other_server()
    from enrichhub.embedded_db import embedded_server_start

    return embedded_server_start(data_dir=_data_dir())


def ensure_demo_data() -> None:
    """Migrate, seed at the current scale unless data is there, and complete the demo registry."""
    manage("create_warehouse")
    manage("migrate", "--verbosity", "0")
    manage("seed_demo", "--scale", _scale, "--if-empty")
    manage("complete_demo_registry")
