"""docs/architecture.md's "How to add…" recipes, followed on a copy of the code: every block is
applied where it says, then the recipe's commands run in the copy against the test database and
must show what the recipe promises. A recipe whose anchor line moved fails here, not for a reader."""

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import database_url
from tests.fixtures.warehouse import demo_warehouse_empty

PROJECT_ROOT = Path(__file__).resolve().parents[1]
GUIDE = PROJECT_ROOT / "docs" / "architecture.md"
_BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.S)
_DIRECTIVE = re.compile(r"# (new file|append to): (\S+)|# in (\S+), (after|replace): (.+)")

pytestmark = pytest.mark.system


@dataclass
class Recipe:
    title: str
    edits: list[tuple[str, str, str, str]]  # (how, path, anchor line, text)
    commands: str


def _recipes() -> dict[str, Recipe]:
    guide = GUIDE.read_text()
    section = guide[guide.index("## How to add…"):]
    recipes = {}
    for part in re.split(r"^### ", section, flags=re.M)[1:]:
        title = part.splitlines()[0].strip()
        edits, commands = [], ""
        for language, body in _BLOCK.findall(part):
            if language == "sh":
                commands = body
                continue
            first, _, text = body.partition("\n")
            found = _DIRECTIVE.fullmatch(first)
            assert found, f"{title}: a block must start with where it goes, not {first!r}"
            if found.group(1):
                edits.append((found.group(1), found.group(2), "", text))
            else:
                edits.append((found.group(4), found.group(3), found.group(5), text))
        recipes[title] = Recipe(title, edits, commands)
    return recipes


def _copy(tmp_path: Path) -> Path:
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                            cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout
    for name in filter(None, listed.split("\0")):
        source = PROJECT_ROOT / name
        if source.is_file():
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, tmp_path / name)
    (tmp_path / ".venv").symlink_to(Path(sys.executable).parents[1])
    return tmp_path


def _apply(root: Path, how: str, path: str, anchor: str, text: str) -> None:
    target = root / path
    if how == "new file":
        assert not target.exists(), f"{path} exists already"
        target.write_text(text)
        return
    current = target.read_text()
    if how == "append to":
        target.write_text(current.rstrip("\n") + "\n" + text)
        return
    lines = current.splitlines(keepends=True)
    places = [n for n, line in enumerate(lines) if line.rstrip("\n") == anchor]
    assert len(places) == 1, f"{path}: the line {anchor!r} is there {len(places)} times, not once"
    at = places[0]
    lines[at:at + 1] = [lines[at], text] if how == "after" else [text]
    target.write_text("".join(lines))


def _run(root: Path, commands: str) -> str:
    env = {**os.environ, "DATABASE_URL": database_url(connection.settings_dict), "PYTHONPATH": str(root),
           "ENRICHHUB_VAR_DIR": str(root / "var"), "ENRICHHUB_ALLOW_WAREHOUSE_DDL": "1"}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", commands], cwd=root, env=env, capture_output=True,
                          text=True, timeout=300, start_new_session=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture
def copy_of_the_code(tmp_path, transactional_db):
    # The recipes' commands commit, and Django's flush does not reach the warehouse schemas.
    yield _copy(tmp_path)
    demo_warehouse_empty()


def test_the_guide_has_the_four_recipes():
    assert list(_recipes()) == ["A job kind", "An API endpoint", "A dashboard figure", "A schedule"]


def _follow(root: Path, title: str) -> str:
    recipe = _recipes()[title]
    for edit in recipe.edits:
        _apply(root, *edit)
    lint = subprocess.run([str(Path(sys.executable).parent / "lint-imports"), "--no-cache"], cwd=root,
                          env={"PYTHONPATH": str(root), "PATH": ""}, capture_output=True, text=True, timeout=120)
    assert lint.returncode == 0, lint.stdout
    return _run(root, recipe.commands)


def test_a_job_kind_added_as_the_guide_says_runs(copy_of_the_code):
    with connection.cursor() as cursor:
        cursor.execute("""INSERT INTO core.people (id, linkedin_url, person_country)
                          VALUES (9001, 'linkedin.com/in/blank-one', '  '), (9002, 'linkedin.com/in/blank-two', ''),
                                 (9003, 'linkedin.com/in/named', 'Norway')""")
    output = _follow(copy_of_the_code, "A job kind")
    assert "would clear 2 blank countries" in output
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, person_country FROM core.people WHERE id >= 9001 ORDER BY id")
        assert cursor.fetchall() == [(9001, None), (9002, None), (9003, "Norway")]


def test_an_api_endpoint_added_as_the_guide_says_answers_with_a_key_only(copy_of_the_code):
    from registry.models import Workflow

    Workflow.objects.create(workflow_name="company_discovery", key_type="company", is_active=True,
                            fills_fields=["company_name"])
    output = _follow(copy_of_the_code, "An API endpoint")
    assert "without a key: 401" in output
    assert "with one: [{'workflow_name': 'company_discovery', 'key_type': 'company', 'fills_fields': " \
           "['company_name']}]" in output


def test_a_dashboard_figure_added_as_the_guide_says_shows_on_the_page(copy_of_the_code, django_user_model):
    django_user_model.objects.create_superuser(username="ops", email="", password="x-test-only")
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO core.people (id, linkedin_url) VALUES (9101, 'linkedin.com/in/a'),"
                       " (9102, 'linkedin.com/in/b')")
    output = _follow(copy_of_the_code, "A dashboard figure")
    assert '<p id="people-without-tenure">2 people have no tenure yet.' in output


def test_a_schedule_added_as_the_guide_says_is_installed_and_runs(copy_of_the_code):
    output = _follow(copy_of_the_code, "A schedule")
    assert "dashboard.tasks.core_statistics_refresh_task -> core.companies and core.people analysed" in output
