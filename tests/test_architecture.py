"""The map of docs/architecture.md holds: import-linter's contracts (pyproject.toml) pass on the
code, and fail on a copy of it where an arrow points upward or an app reaches into another's SQL."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.system  # starts processes: left out of `make test-fast`

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["enrichhub", "kernel", "warehouse", "registry", "runs", "cleanup", "planning", "dashboard"]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    # PYTHONPATH first: the copy's packages, not the installed ones, are the ones analysed.
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=root, env={"PYTHONPATH": str(root), "PATH": ""},
                          capture_output=True, text=True, timeout=120)


def _copy_with(tmp_path: Path, module: str, added_import: str) -> Path:
    for package in [*PACKAGES, "tools"]:  # tools: the contract for task paths in strings
        shutil.copytree(PROJECT_ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__", "migrations"))
    shutil.copy(PROJECT_ROOT / "pyproject.toml", tmp_path)
    with (tmp_path / module).open("a") as source:
        source.write(f"\n{added_import}  # noqa\n")
    return tmp_path


def test_the_code_keeps_every_contract():
    result = _lint_imports(PROJECT_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("module, added_import, broken", [
    ("kernel/keys.py", "from runs.models import Run", "Apps import only the apps below them"),
    ("runs/status.py", "from cleanup.models import BatchJob", "Apps import only the apps below them"),
    ("cleanup/jobs/engine.py", "from cleanup.gaps.checks import gaps_check", "cleanup's rooms"),
    ("dashboard/views.py", "from runs.sql import events", "runs' SQL is its own"),
    ("cleanup/gaps/checks.py", "from kernel.keys import normalise_domain", "through its package"),
    # A task named by its path is an import made when the task runs.
    ("cleanup/jobs/services.py", 'AFTER = "cleanup.tasks.gaps_check_task"', "Task paths in strings"),
    ("runs/services.py", 'AFTER = "dashboard.tasks.dashboard_refresh_task"', "Task paths in strings"),
    ("planning/leads.py", 'AFTER = "planning.tasks.hidden_leads_recount_task"', "Task paths in strings"),
])
def test_an_upward_arrow_or_a_reach_into_internals_breaks_a_contract(tmp_path, module, added_import, broken):
    result = _lint_imports(_copy_with(tmp_path, module, added_import))
    assert result.returncode != 0
    broken_lines = [line for line in result.stdout.splitlines() if line.endswith("BROKEN")]
    assert [line for line in broken_lines if broken in line], result.stdout
