"""Declarative coalescing: a mapping, no code, fills core from a workflow's extracted rows."""

import json

import pytest
from django.db import connection

from cleanup.coalescing.mapping import mapping_problems
from cleanup.coalescing.models import CoalesceMapping
from cleanup.jobs.engine import job_run
from cleanup.jobs.kinds.base import JobParamsError
from cleanup.jobs.models import BatchJob
from cleanup.jobs.services import JobRefused
from tests.factories import WorkflowFactory, queued_job
from tests.oracles import column

EXTRACTED = "extracted.company_cleaned_name"


def _execute(query: str, params=None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(query, params)


def _extracted(domain: str, **payload) -> None:
    _execute("INSERT INTO extracted.company_cleaned_name (domain, payload) VALUES (%s, %s)",
             [domain, json.dumps(payload)])


def _cleaned_names() -> dict[str, str | None]:
    return dict(zip(column("SELECT domain FROM core.companies ORDER BY id"),
                    column("SELECT cleaned_name FROM core.companies ORDER BY id"), strict=True))


def _run(**params) -> BatchJob:
    job = queued_job(kind="coalesce_mapped", params={"workflow": "company_cleaned_name", **params}, batch_size=2,
                     sleep_ms=0)
    assert job_run(job_id=job.pk) == "completed", BatchJob.objects.get(pk=job.pk).last_error
    job.refresh_from_db()
    return job


@pytest.fixture
def mapping(db):
    workflow = WorkflowFactory(workflow_name="company_cleaned_name", raw_table=None, extracted_table=EXTRACTED,
                               core_table="core.companies", coalesces_to_core=True)
    # Core stores one key under another spelling, as the warehouse's older rows do.
    for company_id, domain in enumerate(["ironclad.com", "acme.io", "globex.de", "Initech.com"], start=1):
        _execute("INSERT INTO core.companies (id, domain, cleaned_name) VALUES (%s, %s, %s)",
                 [company_id, domain, "Kept" if domain == "globex.de" else None])
    return CoalesceMapping.objects.create(workflow=workflow, columns={"cleaned_name": "payload.company"})


def test_a_sweep_fills_core_with_each_keys_latest_value_under_any_spelling(mapping):
    _extracted("https://www.Ironclad.com/", company="Ironclad (old)")
    _extracted("ironclad.com", company="Ironclad")
    _extracted("ACME.io", company="Acme")
    _extracted("globex.de")  # no value: core keeps what it has
    _extracted("initech.com", company="Initech")  # found under core's spelling, which stays
    _extracted("unknown.org", company="Not in core")  # core lacks it and the mapping only fills
    _extracted("not a domain", company="Bad")
    job = _run()
    assert _cleaned_names() == {"ironclad.com": "Ironclad", "acme.io": "Acme", "globex.de": "Kept",
                                "Initech.com": "Initech"}
    assert (job.rows_done, job.checkpoint["invalid"]) == (3, 1)
    assert _run().rows_done == 0  # nothing new after the high-water mark
    assert _run(mode="refresh").rows_done == 0  # everything read again: nothing changes


@pytest.mark.parametrize("key_function_index", [False, True])
def test_a_keys_job_coalesces_exactly_those_entities(mapping, key_function_index):
    _extracted("ironclad.com", company="Ironclad")
    _extracted("http://www.acme.io/", company="Acme")
    if key_function_index:  # then any spelling is found, not only the usual ones
        _execute("CREATE INDEX ON extracted.company_cleaned_name (reference.company_key_v1(domain))")
        _execute("CREATE INDEX ON core.companies (reference.company_key_v1(domain))")
        _extracted("HTTP://ACME.IO:80/about", company="Acme Corp")
    job = _run(keys=["https://ACME.io"])
    assert job.params == {"workflow": "company_cleaned_name", "mode": "keys", "keys": ["acme.io"]}
    assert _cleaned_names()["acme.io"] == ("Acme Corp" if key_function_index else "Acme")
    assert _cleaned_names()["ironclad.com"] is None
    _extracted("initech.com", company="Initech")
    _run(keys=["initech.com"])
    assert _cleaned_names()["Initech.com"] == "Initech"


def test_creating_rows_inserts_the_keys_core_lacks(db):
    workflow = WorkflowFactory(workflow_name="company_funding_mapped", raw_table=None,
                               extracted_table="extracted.company_discovery", core_table="core.company_funding",
                               coalesces_to_core=True)
    mapping = CoalesceMapping.objects.create(workflow=workflow, create_missing=True, columns={
        "raw_funding_range": "total_funding_amount_range_usd", "source": "industry"})
    assert mapping_problems(mapping) == {}
    _execute("INSERT INTO extracted.company_discovery (domain, total_funding_amount_range_usd, industry)"
             " VALUES ('www.Acme.io', '$1M - $5M', 'clay'), ('beta.ai', NULL, 'clay')")
    job = queued_job(kind="coalesce_mapped", params={"workflow": "company_funding_mapped"}, sleep_ms=0)
    assert job_run(job_id=job.pk) == "completed"
    assert column("SELECT domain || ' ' || coalesce(raw_funding_range, '-') FROM core.company_funding"
                  " ORDER BY domain") == ["acme.io $1M - $5M", "beta.ai -"]


def test_creating_rows_in_the_entitys_own_table_updates_a_row_stored_under_another_spelling(db):
    workflow = WorkflowFactory(workflow_name="company_names_mapped", raw_table=None,
                               extracted_table="extracted.company_discovery", core_table="core.companies",
                               coalesces_to_core=True)
    _execute("ALTER TABLE core.companies ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY")
    _execute("INSERT INTO core.companies (id, domain) VALUES (1000, 'Acme.io')")
    mapping = CoalesceMapping.objects.create(workflow=workflow, create_missing=True,
                                             columns={"company_name": "company_name"})
    assert mapping_problems(mapping) == {}
    _execute("INSERT INTO extracted.company_discovery (domain, company_name)"
             " VALUES ('acme.io', 'Acme'), ('beta.ai', 'Beta')")
    job = queued_job(kind="coalesce_mapped", params={"workflow": "company_names_mapped"}, sleep_ms=0)
    assert job_run(job_id=job.pk) == "completed"
    # One Acme, still under its own spelling: not a second row under the normalised key.
    assert column("SELECT domain || ' ' || company_name FROM core.companies ORDER BY domain") == \
        ["Acme.io Acme", "beta.ai Beta"]


@pytest.mark.parametrize("columns, create_missing, problem", [
    ({"no_such_column": "payload.company"}, False, "core column core.companies.no_such_column does not exist"),
    ({"cleaned_name": "nope"}, False, "source column extracted.company_cleaned_name.nope does not exist"),
    ({"cleaned_name": "domain.part"}, False, "domain.part: domain is not a json column"),
    ({"domain": "payload.company"}, False, "domain is the core key"),
    ({"cleaned_name": "payload;drop"}, False, "'payload;drop' is not a column name or column.field"),
    ({}, False, "columns must map core columns to sources"),
    ({"cleaned_name": "payload.company"}, True, "creating rows needs a value for id (NOT NULL, no default)"),
])
def test_a_mapping_that_does_not_fit_the_catalog_is_refused_with_the_reason(mapping, columns, create_missing,
                                                                            problem):
    mapping.columns, mapping.create_missing = columns, create_missing
    problems = mapping_problems(mapping)
    assert any(problem in message for messages in problems.values() for message in messages), problems


def test_jobs_are_exclusive_per_workflow_and_unknown_workflows_are_refused(mapping):
    queued_job(kind="coalesce_mapped", params={"workflow": "company_cleaned_name"})
    with pytest.raises(JobRefused, match="for workflow company_cleaned_name is queued"):
        queued_job(kind="coalesce_mapped", params={"workflow": "company_cleaned_name"})
    with pytest.raises(JobParamsError, match="'nope' has no active coalesce mapping"):
        queued_job(kind="coalesce_mapped", params={"workflow": "nope"})
    with pytest.raises(JobParamsError, match=r"keys\[1\]: "):
        queued_job(kind="coalesce_mapped", params={"workflow": "company_cleaned_name", "mode": "keys",
                                                   "keys": ["a.com", "not a domain"]})


def test_the_demo_mappings_fit_the_demo_warehouse_and_write_what_their_workflows_declare(demo):
    from cleanup.coalescing.demo import DEMO_MAPPINGS, demo_mappings_ensure
    from registry.demo import demo_registry_complete

    demo_registry_complete()
    assert demo_mappings_ensure() == len(DEMO_MAPPINGS) and demo_mappings_ensure() == 0
    for mapping in CoalesceMapping.objects.select_related("workflow"):
        assert mapping_problems(mapping) == {}, mapping.workflow_id
        assert set(mapping.workflow.fills_fields or []) <= set(mapping.columns), mapping.workflow_id
    job = queued_job(kind="coalesce_mapped", params={"workflow": "company_cleaned_name"}, sleep_ms=0)
    assert job_run(job_id=job.pk) == "completed"
    job.refresh_from_db()
    assert job.rows_done > 0


def test_rows_core_refuses_are_recorded_and_skipped_while_the_rest_is_written(db):
    workflow = WorkflowFactory(workflow_name="company_funding_mapped", raw_table=None,
                               extracted_table="extracted.company_discovery", core_table="core.company_funding",
                               coalesces_to_core=True)
    CoalesceMapping.objects.create(workflow=workflow, create_missing=True, columns={
        "raw_funding_range": "total_funding_amount_range_usd", "source": "industry"})
    _execute("ALTER TABLE core.company_funding ADD CONSTRAINT funding_source_known CHECK (source <> 'bogus')")
    _execute("INSERT INTO extracted.company_discovery (domain, total_funding_amount_range_usd, industry) VALUES"
             " ('a.io', '$1M', 'clay'), ('b.io', '$2M', 'bogus'), ('c.io', '$3M', 'clay'), ('d.io', '$4M', 'bogus'),"
             " ('e.io', '$5M', 'clay')")
    job = queued_job(kind="coalesce_mapped", params={"workflow": "company_funding_mapped"}, sleep_ms=0)
    assert job_run(job_id=job.pk) == "completed"
    job.refresh_from_db()
    assert column("SELECT domain FROM core.company_funding ORDER BY domain") == ["a.io", "c.io", "e.io"]
    assert job.checkpoint["refused"] == 2 and job.rows_done == 3
    assert [row["key"] for row in job.checkpoint["refused_rows"]] == ["b.io", "d.io"]
    assert all("funding_source_known" in row["reason"] for row in job.checkpoint["refused_rows"])


def test_run_job_takes_a_list_of_keys_as_json_on_the_command_line(mapping):
    from django.core.management import call_command

    from cleanup.management.commands.run_job import params_parse

    assert params_parse(["mode=keys", 'keys=["acme.io", "https://www.Ironclad.com/"]', "job_id=12"]) == {
        "mode": "keys", "keys": ["acme.io", "https://www.Ironclad.com/"], "job_id": 12}
    _extracted("ironclad.com", company="Ironclad")
    _extracted("acme.io", company="Acme")
    call_command("run_job", "coalesce_mapped", "--param", "workflow=company_cleaned_name", "--param", "mode=keys",
                 "--param", 'keys=["https://www.Ironclad.com/"]', "--sleep-ms", "0")
    assert _cleaned_names()["ironclad.com"] == "Ironclad" and _cleaned_names()["acme.io"] is None
