"""The production roles are enough for the API and the jobs, and no more than enough.

The roles are applied to the test database; each test then switches its own connection to one
role (SET ROLE, undone with the test's transaction) and does the real work through it.
"""

import io

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from cleanup.jobs.engine import job_run
from tests.factories import queued_job
from tests.fixtures.api import event
from tests.oracles import scalar


@pytest.fixture
def roles_applied(request, db):
    # After the seed, never before: GRANT rewrites each table's catalog row in the test's open
    # transaction, and a seed ANALYZE of that table afterwards could deadlock with autovacuum
    # analysing it at the same moment (seen on 15).
    if "demo" in request.fixturenames:
        request.getfixturevalue("demo")
    call_command("db_roles", "--apply", stdout=io.StringIO())


def _as(role: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {role}")  # a constant of this module, never input


def _refused(statement: str, params=None) -> str:
    with pytest.raises(Exception) as caught, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)
    return str(caught.value)


def test_the_printed_statements_name_three_roles_and_keep_web_off_warehouse_writes(db, capsys):
    call_command("db_roles")
    printed = capsys.readouterr().out
    for role in ("enrichhub_owner", "enrichhub_web", "enrichhub_jobs"):
        assert f'CREATE ROLE "{role}" NOLOGIN;' in printed
    web_lines = [line for line in printed.splitlines() if line.endswith('TO "enrichhub_web";')]
    assert not [line for line in web_lines if '"core"' in line and "INSERT" in line]


def test_the_web_role_reports_runs_and_answers_status_but_cannot_write_the_warehouse(roles_applied, report,
                                                                                     client, api_key):
    _as("enrichhub_web")
    assert report(event()).status_code == 200
    status = client.post("/api/enrichment/status", {"entity_type": "company", "entity_key": "ironclad.com"},
                         content_type="application/json", headers={"X-API-Key": api_key})
    assert status.status_code == 200
    assert "permission denied" in _refused("DELETE FROM core.companies")
    assert "permission denied" in _refused("UPDATE extracted.company_discovery SET domain = domain")
    assert "permission denied" in _refused("CREATE TABLE core.web_was_here (id int)")


def test_the_web_roles_writes_move_the_registry_version_and_the_run_tallies_it_cannot_write_itself(
        roles_applied, report):
    _as("enrichhub_web")
    version = scalar("SELECT version FROM reference.registry_version")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE reference.enrichment_workflow_registry SET refresh_after_days = 9"
                       " WHERE workflow_name = 'company_news'")
    assert scalar("SELECT version FROM reference.registry_version") == version + 1
    assert "permission denied" in _refused("UPDATE reference.registry_version SET version = 0")
    assert report(event()).status_code == 200
    assert scalar("SELECT sum(runs) FROM runs_tally_changes WHERE workflow_name = 'company_news'") == 1


@pytest.mark.parametrize("kind, oracle", [
    ("tenure_backfill", "SELECT count(*) FROM core.person_job_start_dates s WHERE NOT EXISTS "
                        "(SELECT 1 FROM core.person_tenure t WHERE t.person_id = s.person_id)"),
    ("delete_companies_missing_location", "SELECT count(*) FROM core.companies c WHERE c.discovery_location IS NULL"
                                          " AND c.salesnav_location IS NULL AND NOT EXISTS (SELECT 1 FROM "
                                          "core.person_work_history w WHERE w.company_id = c.id)"),
])
def test_the_jobs_role_runs_writing_jobs_to_the_oracles_result(roles_applied, demo, kind, oracle):
    assert scalar(oracle) > 0
    _as("enrichhub_jobs")
    job = queued_job(kind=kind, batch_size=500, sleep_ms=0)
    assert job_run(job_id=job.pk) == "completed"
    assert scalar(oracle) == 0


def test_the_jobs_role_cannot_touch_users_keys_or_the_registry(roles_applied, workflows):
    _as("enrichhub_jobs")
    assert "permission denied" in _refused("UPDATE auth_user SET is_superuser = true")
    assert "permission denied" in _refused("SELECT key_hash FROM enrichhub_api_keys")
    assert "permission denied" in _refused("UPDATE reference.enrichment_workflow_registry SET is_active = false")
    assert "must be owner" in _refused("DROP TABLE core.companies")


def test_moving_a_reference_table_is_left_to_its_owner_and_says_so(roles_applied, demo):
    with connection.cursor() as cursor:  # its purpose served, so only the privilege stands in the way
        cursor.execute("UPDATE core.people SET person_country = 'Germany' WHERE id IN "
                       "(SELECT id FROM reference.people_missing_country)")
    _as("enrichhub_jobs")
    job = queued_job(kind="drop_reference_tables", params={"table": "reference.people_missing_country"},
                     sleep_ms=0)
    assert job_run(job_id=job.pk) == "failed"
    job.refresh_from_db()
    assert "must be owner of table people_missing_country" in job.last_error
    assert scalar("SELECT to_regclass('reference.people_missing_country') IS NOT NULL")


def test_behind_a_pooler_the_web_role_makes_its_status_statement_a_function(roles_applied, report, client, api_key,
                                                                             settings):
    settings.DATABASE_POOLED = True
    _as("enrichhub_web")
    for _ in range(2):
        status = client.post("/api/enrichment/status", {"entity_type": "company", "entity_key": "ironclad.com"},
                             content_type="application/json", headers={"X-API-Key": api_key})
        assert status.status_code == 200 and status.json()["enrichments"][0]["error"] is None
    assert scalar("SELECT count(*) FROM pg_proc WHERE pronamespace = 'enrichhub_status'::regnamespace") == 1
