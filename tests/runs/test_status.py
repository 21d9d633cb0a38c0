from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kernel import normalise_domain
from runs import status
from runs.services import run_events_record
from tests.factories import WorkflowFactory

STATUS = "/api/enrichment/status"


def _insert(table: str, column: str, values: list[str]) -> None:
    schema, name = table.split(".")
    from psycopg import sql

    with connection.cursor() as cursor:
        for value in values:
            cursor.execute(sql.SQL("INSERT INTO {} ({}) VALUES (%s)").format(sql.Identifier(schema, name),
                                                                             sql.Identifier(column)), [value])


def _record(workflow: str, key: str, state: str, at, kind: str = "company") -> None:
    run_events_record(items=[{"workflow_name": workflow, "entity_key": key, "entity_type": kind, "status": state,
                              "at": at.isoformat()}])


@pytest.fixture
def registry(db):
    WorkflowFactory(workflow_name="company_discovery", raw_table="raw.company_discovery",
                    extracted_table="extracted.company_discovery", core_table="core.companies",
                    coalesces_to_core=True)
    WorkflowFactory(workflow_name="company_customers", raw_table="raw.company_customers",
                    extracted_table="extracted.company_customers")
    WorkflowFactory(workflow_name="company_funding", raw_table="raw.company_discovery",
                    extracted_table="extracted.company_discovery", core_table="core.company_funding",
                    coalesces_to_core=True)
    WorkflowFactory(workflow_name="company_retired", is_active=False)
    WorkflowFactory(workflow_name="person_email", key_type="person", key_column="linkedin_url",
                    raw_table="raw.person_email", extracted_table="extracted.person_email")


def test_the_status_follows_the_seeds_shape(client, api_key, registry):
    _insert("extracted.company_discovery", "domain", ["https://www.Ironclad.com/"])
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO core.companies (id, domain) VALUES (1, 'ironclad.com')")
    _insert("extracted.company_customers", "domain", ["ironclad.com"] * 25)
    _record("company_discovery", "ironclad.com", "completed", timezone.now() - timedelta(days=3))
    _record("company_customers", "Ironclad.com", "completed", timezone.now() - timedelta(days=1))
    response = client.post(STATUS, {"entity_type": "company", "entity_key": "IRONCLAD.com/"},
                           content_type="application/json", headers={"X-API-Key": api_key})
    assert response.status_code == 200
    body = response.json()
    assert (body["entity_type"], body["entity_key"]) == ("company", "ironclad.com")
    items = {item["workflow_name"]: item for item in body["enrichments"]}
    assert set(items) == {"company_discovery", "company_customers", "company_funding"}
    assert items["company_discovery"] | {"completed_at": None, "fresh_until": None} == {
        "workflow_name": "company_discovery", "status": "completed", "completed_at": None,
        "coalesces_to_core": True, "records_in_extracted": 1, "records_in_core": 1, "missing_in_core": False,
        "fresh_until": None, "should_enrich": False, "attempts": 1, "error": None}
    assert (items["company_customers"]["records_in_extracted"], items["company_customers"]["records_in_core"],
            items["company_customers"]["coalesces_to_core"]) == (25, 0, False)
    assert items["company_funding"]["status"] == "not_run" and items["company_funding"]["should_enrich"] is True
    assert body["coverage"] == {"total_workflows": 3, "completed": 2, "pending": 0, "running": 0, "failed": 0,
                                "not_run": 1}


def test_rows_in_extracted_without_a_run_are_not_run_and_flagged_missing_in_core(registry):
    _insert("extracted.company_discovery", "domain", ["www.Acme.io/", "acme.io"])
    item = {i.workflow_name: i for i in status.entity_status_get(entity_type="company",
                                                                  entity_key="acme.io").enrichments}
    assert (item["company_discovery"].status, item["company_discovery"].records_in_extracted) == ("not_run", 2)
    assert item["company_discovery"].missing_in_core is True
    assert item["company_customers"].missing_in_core is False  # does not coalesce: no gap to flag


@pytest.mark.parametrize("state, days_ago, refresh, should_enrich", [
    ("completed", 10, 90, False), ("completed", 100, 90, True), ("running", 1, 90, False),
    ("pending", 1, 90, False), ("failed", 1, 90, True), ("completed", 10, 7, True),
])
def test_should_enrich_follows_the_freshness_window(registry, state, days_ago, refresh, should_enrich):
    from registry.models import Workflow

    Workflow.objects.filter(pk="company_customers").update(refresh_after_days=refresh)
    completed = timezone.now() - timedelta(days=days_ago)
    _record("company_customers", "acme.io", state, completed)
    item = next(i for i in status.entity_status_get(entity_type="company", entity_key="acme.io").enrichments
                if i.workflow_name == "company_customers")
    assert item.should_enrich is should_enrich
    if state == "completed":
        assert item.fresh_until == completed.replace(microsecond=item.fresh_until.microsecond) + timedelta(days=refresh)


def test_profile_urls_stored_in_other_spellings_are_counted(registry):
    _insert("extracted.person_email", "linkedin_url", ["https://www.linkedin.com/in/j%C3%BCrgen-m/",
                                                       "linkedin.com/in/jürgen-m", "https://LinkedIn.com/in/other"])
    (item,) = status.entity_status_get(entity_type="person", entity_key="linkedin.com/in/Jürgen-M").enrichments
    assert item.records_in_extracted == 2


@pytest.fixture(params=["direct", "behind a pooler"])
def route(request, settings):
    """Prepared on the server, or, behind a transaction-mode pooler, run as a server function."""
    settings.DATABASE_POOLED = request.param == "behind a pooler"
    return request.param


def _status_functions() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_proc WHERE pronamespace = 'enrichhub_status'::regnamespace")
        return cursor.fetchone()[0]


def test_tables_with_a_key_function_index_are_probed_once_per_key_and_find_every_spelling(registry, route):
    from kernel import key_function_indexes
    from runs.indexes import key_indexes_missing

    status._plans.clear()
    spellings = ["https://www.Ironclad.com/", "HTTPS://WWW.IRONCLAD.COM:443/about", "ironclad.com.", "ironclad.com",
                 "user@ironclad.com", "https://ironclad.company/", "notironclad.com"]
    _insert("extracted.company_customers", "domain", spellings)
    _insert("extracted.person_email", "linkedin_url", ["HTTPS://UK.LinkedIn.com/IN/Jane-Doe?trk=x",
                                                       "linkedin.com/in/jane-doe/details/", "linkedin.com/in/jane"])
    for need in key_indexes_missing():
        if need.function:  # built in the test's transaction: no CONCURRENTLY here
            with connection.cursor() as cursor:
                cursor.execute(f"CREATE INDEX ON {need.table} (reference.{need.function}({need.column}))")
    assert {(t, f) for t, _, f in key_function_indexes()} >= {
        ("extracted.company_customers", "company_key_v1"), ("extracted.person_email", "person_key_v1")}
    company, person = status.normalised_entity_statuses_get(entities=[("company", "ironclad.com"),
                                                           ("person", "linkedin.com/in/jane-doe")])
    assert not any(plan.uses_spellings for plan in status._plans.values())
    counts = {item.workflow_name: item.records_in_extracted for item in company.enrichments + person.enrichments}
    oracle = sum(normalise_domain(spelling) == "ironclad.com" for spelling in spellings)
    assert counts["company_customers"] == oracle == 5
    assert counts["person_email"] == 2
    assert _status_functions() == (2 if route == "behind a pooler" else 0)  # one per entity type's statement


def test_the_number_of_queries_does_not_grow_with_the_number_of_workflows(registry, monkeypatch):
    from runs.sql import status as status_sql

    prepared = []
    real_fetch = status_sql._prepared_fetch
    monkeypatch.setattr(status_sql, "_prepared_fetch", lambda *a, **k: prepared.append(1) or real_fetch(*a, **k))

    def queries_for(entities: list[tuple[str, str]]) -> int:
        status.normalised_entity_statuses_get(entities=entities)  # builds and caches the plan
        prepared.clear()
        with CaptureQueriesContext(connection) as captured:
            status.normalised_entity_statuses_get(entities=entities)
        # Savepoints only exist because a test runs inside a transaction.
        statements = [q for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
        return len(statements) + len(prepared)

    with_three = queries_for([("company", "ironclad.com")])
    assert with_three == 2  # the count statement (which also checks the registry); the runs
    WorkflowFactory.create_batch(12)
    assert queries_for([("company", "ironclad.com")]) == with_three
    assert queries_for([("company", f"c{n}.com") for n in range(50)]) == with_three


def test_a_dropped_table_is_reported_on_its_item_not_as_a_failure(registry, route):
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE extracted.company_ephemeral (id serial, domain text, created_at timestamptz)")
    WorkflowFactory(workflow_name="company_ephemeral", raw_table=None, extracted_table="extracted.company_ephemeral")
    status.entity_status_get(entity_type="company", entity_key="acme.io")
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE extracted.company_ephemeral")
    items = {i.workflow_name: i for i in status.entity_status_get(entity_type="company",
                                                                   entity_key="acme.io").enrichments}
    assert items["company_ephemeral"].error == (
        "table extracted.company_ephemeral or its column domain does not exist")
    assert items["company_ephemeral"].records_in_extracted is None
    assert items["company_customers"].error is None and items["company_customers"].records_in_extracted == 0


def test_the_batch_gives_each_entity_its_own_figures(client, api_key, registry):
    _insert("extracted.company_customers", "domain", ["acme.io", "acme.io", "globex.com"])
    body = client.post(STATUS + "/batch", {"entities": [
        {"entity_type": "company", "entity_key": "acme.io"},
        {"entity_type": "person", "entity_key": "https://www.linkedin.com/in/johndoe"},
        {"entity_type": "company", "entity_key": "www.globex.com"}]},
        content_type="application/json", headers={"X-API-Key": api_key}).json()
    keys = [r["entity_key"] for r in body["results"]]
    assert keys == ["acme.io", "linkedin.com/in/johndoe", "globex.com"]
    customers = [next(i["records_in_extracted"] for i in r["enrichments"] if i["workflow_name"] == "company_customers")
                 for r in (body["results"][0], body["results"][2])]
    assert customers == [2, 1]
    assert body["results"][1]["coverage"]["total_workflows"] == 1


def test_a_registry_change_shows_in_the_very_next_status(registry):
    from registry.models import Workflow

    def names() -> set[str]:
        found = status.entity_status_get(entity_type="company", entity_key="a.com")
        return {item.workflow_name for item in found.enrichments}

    assert "company_customers" in names()
    Workflow.objects.filter(pk="company_customers").update(is_active=False)  # as plain SQL would, no signal
    assert "company_customers" not in names()
    Workflow.objects.filter(pk="company_customers").update(is_active=True, refresh_after_days=1)
    item = next(i for i in status.entity_status_get(entity_type="company", entity_key="a.com").enrichments
                if i.workflow_name == "company_customers")
    assert item.workflow_name == "company_customers"


@pytest.mark.django_db
def test_with_no_active_workflow_the_status_is_empty_not_an_error():
    from registry.models import Workflow

    Workflow.objects.create(workflow_name="company_legacy")  # adopted, active, still without metadata
    found = status.entity_status_get(entity_type="company", entity_key="ironclad.com")
    assert found.enrichments == [] and found.coverage["total_workflows"] == 0
