import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from tests.conftest import database_url
from tests.factories import WorkflowFactory

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _check() -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("registry_check", stdout=out)
    except SystemExit as exit_:
        return int(exit_.code), out.getvalue()
    return 0, out.getvalue()


@pytest.mark.django_db
def test_registry_check_passes_when_every_row_agrees_with_the_catalog():
    WorkflowFactory.create_batch(2)
    code, output = _check()
    assert code == 0
    assert output.startswith("checked 2 workflows against the live catalog: 0 need attention")


@pytest.mark.django_db
def test_registry_check_lists_a_renamed_table_and_fails():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE extracted.company_moving (domain text)")
    WorkflowFactory(workflow_name="company_moving", extracted_table="extracted.company_moving", raw_table=None)
    assert _check()[0] == 0
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE extracted.company_moving RENAME TO company_moved")
    code, output = _check()
    assert code == 1
    assert "company_moving:\n  extracted_table: table extracted.company_moving does not exist" in output


@pytest.mark.system
@pytest.mark.django_db(transaction=True)
def test_the_pre_commit_entry_point_audits_against_database_url():
    env = {**os.environ, "DATABASE_URL": database_url(connection.settings_dict)}
    result = subprocess.run([str(Path(sys.executable).parent / "enrichhub-registry-audit"), "--check",
                             "examples/modal_ingest"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1, result.stderr
    assert "present but unregistered (53)" in result.stdout
