"""A separate embedded server for benchmarks, so they never touch the demo's data."""

import os
import subprocess
import sys
from pathlib import Path

from enrichhub.embedded_db import embedded_server_stop

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BENCH_DATA_DIR = PROJECT_ROOT / "var" / "bench-pgdata"


def bench_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(ENRICHHUB_DATA_DIR=str(BENCH_DATA_DIR), ENRICHHUB_VAR_DIR=str(PROJECT_ROOT / "var" / "bench"))
    return env


def manage(*args: str) -> subprocess.CompletedProcess:
    """Run a management command against the benchmark server; fail loudly."""
    return subprocess.run([sys.executable, "manage.py", *args], cwd=PROJECT_ROOT, env=bench_env(),
                          capture_output=True, text=True, check=True)


def bench_server_stop() -> None:
    embedded_server_stop(data_dir=BENCH_DATA_DIR)


def bench_database_uri() -> str:
    """A psycopg URI of the benchmark database (starting its server if needed)."""
    from enrichhub.embedded_db import embedded_server_start

    return embedded_server_start(data_dir=BENCH_DATA_DIR)


def ensure_demo_data(scale: str = "1") -> None:
    """Migrate, seed at `scale` unless data is there, and complete the demo registry."""
    manage("create_warehouse")
    manage("migrate", "--verbosity", "0")
    manage("seed_demo", "--scale", scale, "--if-empty")
    manage("complete_demo_registry")
