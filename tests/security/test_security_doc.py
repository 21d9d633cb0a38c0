"""docs/security.md's table of who may do what, held against the code: every permission it
names exists, every check is in the file it names, every test it names exists; and every
setting and command the page names is real."""

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.management import get_commands

PROJECT = Path(__file__).resolve().parents[2]
PAGE = PROJECT / "docs" / "security.md"
PERMISSION = re.compile(r"`([a-z_]+\.[a-z_]+)`")


def _table_rows() -> list[list[str]]:
    text = PAGE.read_text()
    table = text[text.index("| action | who may |"):].split("\n\n", 1)[0].splitlines()[2:]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in table]


def test_the_table_covers_the_actions_of_this_round():
    actions = " ".join(row[0] for row in _table_rows())
    for action in ("schedule", "resubmit", "dashboard", "log in", "API key", "mark failed runs pending"):
        assert action in actions


@pytest.mark.django_db
def test_every_permission_the_table_names_exists():
    named = {name for row in _table_rows() for name in PERMISSION.findall(row[1])}
    assert named  # the table names permissions, not only roles
    existing = {f"{app}.{codename}" for app, codename in
                Permission.objects.values_list("content_type__app_label", "codename")}
    assert named - existing == set()


def test_every_check_is_in_the_file_the_table_names():
    for action, _who, checked_in, _proof in _table_rows():
        path, literal = re.fullmatch(r"`([^`]+)`: `([^`]+)`", checked_in).groups()
        assert literal in (PROJECT / path).read_text(), f"{action}: {literal!r} not in {path}"


def test_every_test_the_table_names_exists():
    for action, _who, _checked_in, proof in _table_rows():
        path, name = proof.strip("`").split("::")
        tree = ast.parse((PROJECT / path).read_text())
        names = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
        assert name in names, f"{action}: {proof} does not exist"


def test_every_setting_and_command_the_page_names_is_real():
    text = PAGE.read_text()
    settings_source = (PROJECT / "enrichhub" / "settings.py").read_text()
    for variable in set(re.findall(r"`(ENRICHHUB_[A-Z_]+)`", text)):
        assert f'"{variable}"' in settings_source, variable
    for command in set(re.findall(r"manage\.py ([a-z_]+)", text)):
        assert command in get_commands(), command
    assert settings.TRUSTED_PROXY_COUNT >= 0 and settings.WEBHOOK_ALLOW_PRIVATE in (True, False)
