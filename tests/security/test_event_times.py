"""Finding 2: an event `at` of 0001-01-01T00:00:00+14:00 was stored as a BC timestamp; afterwards
the entity's status, every status batch holding it and the admin's runs list answered 500."""

import pytest
from django.db import connection

from runs.models import Run
from tests.factories import WorkflowFactory
from tests.fixtures.api import event

STATUS = "/api/enrichment/status"
YEAR_ONE = "0001-01-01T00:00:00+14:00"


@pytest.mark.parametrize("at", [YEAR_ONE, "1999-12-31T23:59:59Z", "9999-12-31T23:59:59Z"])
def test_an_event_outside_the_sane_window_is_refused_by_index_and_field(report, at):
    response = report({"events": [event(), event(entity_key="globex.com", at=at)]})
    assert response.status_code == 422
    body = response.json()
    (rejected,) = body["rejected"]
    assert (rejected["index"], rejected["field"]) == (1, "at")
    assert "before 2000-01-01" in rejected["error"] or "in the future" in rejected["error"]
    assert body["applied"] == 1 and Run.objects.count() == 1  # the valid item is kept


@pytest.fixture
def stored_bc_run(db):
    """A row written before the API refused such times: the table holds it as 1 BC."""
    WorkflowFactory(workflow_name="company_news", core_table=None)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO enrichment_runs (workflow_name, entity_key, entity_type, status, completed_at,"
                       " started_at, last_event_at) VALUES ('company_news', 'ironclad.com', 'company', 'completed',"
                       " %(at)s::timestamptz, %(at)s::timestamptz, '294276-01-01'::timestamptz)", {"at": YEAR_ONE})
        cursor.execute("SELECT completed_at::text FROM enrichment_runs")
        assert cursor.fetchone()[0].endswith(" BC")


def test_the_status_of_an_entity_with_a_stored_bc_time_answers(client, api_key, stored_bc_run):
    headers = {"X-API-Key": api_key}
    one = client.post(STATUS, {"entity_type": "company", "entity_key": "ironclad.com"},
                      content_type="application/json", headers=headers)
    assert one.status_code == 200
    (news,) = [e for e in one.json()["enrichments"] if e["workflow_name"] == "company_news"]
    assert news["status"] == "completed" and news["completed_at"].startswith("0001-01-01")
    batch = client.post(STATUS + "/batch", {"entities": [{"entity_type": "company", "entity_key": "ironclad.com"},
                                                         {"entity_type": "company", "entity_key": "globex.com"}]},
                        content_type="application/json", headers=headers)
    assert batch.status_code == 200 and len(batch.json()["results"]) == 2


def test_the_admin_lists_and_opens_a_run_with_a_stored_bc_time(client, ops, stored_bc_run):
    listed = client.get("/admin/runs/run/")
    assert listed.status_code == 200 and "ironclad.com" in listed.content.decode()
    run = Run.objects.get()
    assert run.completed_at.year == 1 and run.last_event_at.year == 9999
    assert client.get(f"/admin/runs/run/{run.pk}/change/").status_code == 200
