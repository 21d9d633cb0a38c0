"""The review's findings, replayed as an attacker and a clumsy operator would, each refused.

E1: a registry edit that points a workflow at Django's users, then a mapping that creates
missing rows, would let any job starter mint a superuser. It must stop at the first step.
"""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from cleanup.coalescing.models import CoalesceMapping
from cleanup.jobs.kinds.base import JobParamsError
from cleanup.jobs.models import BatchJob
from cleanup.jobs.services import JobRefused, job_cancel, job_pause, job_resume
from cleanup.tasks import draft_dry_run_task
from registry.models import Workflow
from runs.models import Run
from tests.factories import WorkflowFactory, queued_job, staff_user
from tests.fixtures.api import event

REGISTRY = "/admin/registry/workflow/"
EXTRACTED = "extracted.company_cleaned_name"




def _users() -> list[tuple]:
    return list(get_user_model().objects.order_by("pk").values_list("pk", "username", "is_superuser"))


@pytest.fixture
def cleaned_name_workflow(db):
    return WorkflowFactory(workflow_name="company_cleaned_name", raw_table=None, extracted_table=EXTRACTED,
                           core_table="core.companies", coalesces_to_core=True)


def _registry_form(workflow: Workflow, **overrides) -> dict:
    data = {"workflow_name": workflow.workflow_name, "description": "", "vendor": "clay", "is_active": "on",
            "key_type": "company", "key_column": "domain", "raw_table": "", "extracted_table": EXTRACTED,
            "coalesces_to_core": "on", "core_table": "core.companies", "core_key_column": "",
            "coalesce_when_filled": "", "refresh_after_days": "90", "gap_alert_threshold": ""}
    return {**data, **overrides}


def test_e1_the_registry_edit_towards_auth_user_is_refused_at_the_first_step(client, cleaned_name_workflow):
    attacker = staff_user("mallory", "registry.view_workflow", "registry.change_workflow")
    users = _users()
    client.force_login(attacker)
    response = client.post(f"{REGISTRY}company_cleaned_name/change/",
                           _registry_form(cleaned_name_workflow, core_table="public.auth_user",
                                          core_key_column="username"))
    assert response.status_code == 200  # the form again, with the reason on the field
    (problem,) = response.context["adminform"].form.errors["core_table"]
    assert "public.auth_user is outside the warehouse schemas" in problem
    assert Workflow.objects.get(pk="company_cleaned_name").core_table == "core.companies"
    assert _users() == users


@pytest.mark.parametrize("table", ["public.auth_user", "reference.enrichment_runs", "archive.core_companies",
                                   "pg_catalog.pg_authid", "PUBLIC.auth_user"])
def test_e1_the_database_itself_refuses_a_registry_row_naming_an_owned_table(cleaned_name_workflow, table):
    with pytest.raises(IntegrityError, match="not_owned"), transaction.atomic():
        Workflow.objects.filter(pk="company_cleaned_name").update(core_table=table)
    with pytest.raises(IntegrityError, match="not_owned"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE reference.enrichment_workflow_registry SET extracted_table = %s", [table])


def test_e1_model_validation_refuses_tables_outside_the_warehouse_schemas(db, settings):
    settings.WAREHOUSE_SCHEMAS = ["raw", "extracted", "core", "public"]  # a careless configuration
    for table, reason in [("public.auth_user", "outside the warehouse schemas"),
                          ("staging.companies", "outside the warehouse schemas")]:
        with pytest.raises(ValidationError) as caught:
            Workflow(workflow_name="x", core_table=table).clean()
        assert reason in caught.value.message_dict["core_table"][0]
    settings.WAREHOUSE_SCHEMAS = ["raw", "extracted", "core", "staging"]
    Workflow(workflow_name="x", core_table="staging.companies").clean()
    with pytest.raises(ValidationError, match="enrichhub or Django owns"):
        Workflow(workflow_name="x", core_table="staging.auth_user").clean()


def test_e1_a_job_rechecks_the_scope_before_any_sql_runs(cleaned_name_workflow, settings):
    CoalesceMapping.objects.create(workflow=cleaned_name_workflow, columns={"cleaned_name": "payload.company"},
                                   create_missing=False)
    settings.WAREHOUSE_SCHEMAS = ["raw", "extracted"]  # core was taken out of scope after the row was saved
    with pytest.raises((JobParamsError, JobRefused), match="core.companies is outside the warehouse schemas"):
        queued_job(kind="coalesce_mapped", params={"workflow": "company_cleaned_name"})


JOBS = "/admin/cleanup/batchjob/"
WRITING_KINDS = ["tenure_backfill", "funding_backfill", "coalesce_person_experience", "coalesce_person_profile"]


@pytest.mark.parametrize("kind", WRITING_KINDS)
def test_e2_staff_without_permissions_cannot_start_a_writing_job(client, demo, kind):
    client.force_login(staff_user("intern"))
    assert client.get(f"{JOBS}start/").status_code == 403
    response = client.post(f"{JOBS}start/", {"kind": kind, "batch_size": "1000", "sleep_ms": "5",
                                             "preview": "1"})
    assert response.status_code == 403
    assert not BatchJob.objects.exists()


def test_e2_the_start_permission_starts_jobs_but_not_destructive_ones(client, demo):
    starter = staff_user("ops", "cleanup.add_batchjob", "cleanup.view_batchjob")
    client.force_login(starter)
    response = client.post(f"{JOBS}start/", {"kind": "tenure_backfill", "batch_size": "1000",
                                             "sleep_ms": "5", "preview": "1"})
    draft = BatchJob.objects.get()
    assert response.status_code == 302 and draft.started_by == starter
    draft_dry_run_task(draft.pk)
    client.post(f"{JOBS}start/{draft.pk}/", {"confirm": "1"})
    draft.refresh_from_db()
    assert (draft.status, draft.started_by) == ("queued", starter)
    with pytest.raises(JobRefused, match="run destructive jobs"):
        queued_job(kind="delete_companies_missing_location", user=starter)


def _paused_delete_job() -> BatchJob:
    job = queued_job(kind="delete_companies_missing_location", batch_size=100, sleep_ms=0)
    BatchJob.objects.filter(pk=job.pk).update(status=BatchJob.Status.PAUSED)
    return BatchJob.objects.get(pk=job.pk)


@pytest.mark.parametrize("action", ["pause", "resume", "cancel"])
def test_e3_view_permission_does_not_pause_resume_or_cancel(client, demo, action):
    job = _paused_delete_job()
    if action in ("pause", "cancel"):
        BatchJob.objects.filter(pk=job.pk).update(status=BatchJob.Status.RUNNING)
    before = BatchJob.objects.get(pk=job.pk).status
    client.force_login(staff_user("auditor", "cleanup.view_batchjob"))
    response = client.post(JOBS, {"action": action, "_selected_action": [job.pk]})
    assert response.status_code in (200, 302)
    assert BatchJob.objects.get(pk=job.pk).status == before
    with pytest.raises(JobRefused, match="change batch job"):
        {"pause": job_pause, "resume": job_resume, "cancel": job_cancel}[action](
            job=job, user=staff_user("auditor2", "cleanup.view_batchjob"))


def test_e3_resuming_a_paused_delete_needs_the_destructive_permission_and_is_recorded(client, demo):
    job = _paused_delete_job()
    changer = staff_user("shift", "cleanup.view_batchjob", "cleanup.change_batchjob")
    client.force_login(changer)
    client.post(JOBS, {"action": "resume", "_selected_action": [job.pk]})
    assert BatchJob.objects.get(pk=job.pk).status == BatchJob.Status.PAUSED  # 1,497 companies stay
    changer.user_permissions.add(Permission.objects.get(codename="run_destructive_job"))
    client.force_login(get_user_model().objects.get(pk=changer.pk))
    client.post(JOBS, {"action": "resume", "_selected_action": [job.pk]})
    assert BatchJob.objects.get(pk=job.pk).status == BatchJob.Status.QUEUED
    page = client.get(f"{JOBS}{job.pk}/change/").content.decode()
    assert "shift: resumed" in page


@pytest.mark.parametrize("field", ["source", "error", "workflow_name", "entity_key"])
def test_e6_a_nul_byte_rejects_its_item_and_keeps_the_rest_of_the_batch(report, field):
    events = [event(entity_key=f"company{i}.com") for i in range(3)]
    events[1][field] = "clay\u0000" if field != "entity_key" else "acme\u0000.com"
    response = report({"events": events})
    assert response.status_code == 422 and response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["applied"] == 2 and len(body["rejected"]) == 1
    rejected = body["rejected"][0]
    assert rejected["index"] == 1 and rejected["field"] == field and "NUL" in rejected["error"]
    assert sorted(Run.objects.values_list("entity_key", flat=True)) == ["company0.com", "company2.com"]


def test_e6_a_nul_byte_in_a_status_query_is_a_422_naming_the_field(client, api_key):
    response = client.post("/api/enrichment/status", {"entity_type": "company", "entity_key": "acme\u0000.com"},
                           content_type="application/json", headers={"X-API-Key": api_key})
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"][-1] == "entity_key" and "NUL" in problem["msg"]


@pytest.mark.parametrize("url", ["/api/enrichment/runs", "/api/enrichment/status"])
def test_e6_nesting_too_deep_to_parse_is_answered_in_json(client, api_key, url):
    deep = b"[" * 100_000 + b"]" * 100_000
    response = client.post(url, data=deep, content_type="application/json", headers={"X-API-Key": api_key})
    assert response.status_code == 422 and response["Content-Type"].startswith("application/json")
    assert "Traceback" not in response.content.decode()


def test_e1_registry_steered_writes_run_under_a_role_that_cannot_reach_djangos_tables(db):
    from cleanup.coalescing.kinds.mapped import core_write_skipping_refused_rows
    from cleanup.coalescing.mapping import MappingPlan, Source
    from cleanup.jobs.sql import roles
    from registry.scope import warehouse_schemas

    assert roles.jobs_role_prepare(schemas=warehouse_schemas())
    # As if every check had been bypassed: a plan aimed straight at auth_user.
    plan = MappingPlan("evil", "company", "extracted.company_news", "domain", "public.auth_user", "username",
                       {"is_superuser": Source("payload", "is_superuser")}, create_missing=False)
    users = _users()
    with transaction.atomic():  # SET LOCAL lasts to the end of the test's own transaction: reset by hand
        roles.jobs_role_set()
        with pytest.raises(Exception) as caught:
            core_write_skipping_refused_rows(plan, [{"username": "admin", "is_superuser": True}])
        roles.jobs_role_reset()
    assert "permission denied" in str(caught.value)
    assert _users() == users
    with transaction.atomic():  # the same role does write the warehouse
        roles.jobs_role_set()
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO core.companies (id, domain) VALUES (990001, 'role-check.io') RETURNING id")
            assert cursor.fetchone() == (990001,)
        roles.jobs_role_reset()
