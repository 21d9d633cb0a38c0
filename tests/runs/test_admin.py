import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from runs.models import ApiKey, Run, RunTallyChange
from runs.services import run_events_record, run_tallies_fold
from tests.factories import WorkflowFactory

URL = "/admin/runs/run/"


@pytest.fixture
def runs(db):
    WorkflowFactory(workflow_name="company_news")
    run_events_record(items=[
        {"workflow_name": "company_news", "entity_key": key, "entity_type": "company", "status": status}
        for key, status in [("ironclad.com", "completed"), ("acme.io", "failed"), ("globex.com", "failed"),
                            ("initech.com", "running")]
    ])


def test_search_normalises_the_key_first(client, ops, runs):
    page = client.get(URL, {"q": "https://www.Ironclad.com/pricing"})
    assert [r.entity_key for r in page.context["cl"].result_list] == ["ironclad.com"]


def test_the_list_shows_counts_per_status(client, ops, runs):
    page = client.get(URL)
    assert page.context["status_counts"] == {"pending": "0", "running": "1", "completed": "1", "failed": "2"}
    assert "<strong>failed</strong> 2" in page.content.decode()


def test_counts_by_workflow_and_status_come_from_the_tallies_and_include_changes_not_yet_folded(
        client, ops, runs):
    WorkflowFactory(workflow_name="company_jobs")
    run_events_record(items=[{"workflow_name": "company_jobs", "entity_key": "acme.io", "entity_type": "company",
                              "status": "failed"}])
    assert RunTallyChange.objects.exists()  # nothing folded them yet
    page = client.get(URL, {"workflow__workflow_name__exact": "company_news"})
    assert page.context["status_counts"] == {"pending": "0", "running": "1", "completed": "1", "failed": "2"}
    page = client.get(URL, {"status__exact": "failed"})
    assert page.context["status_counts"] == {"failed": "3"}
    with CaptureQueriesContext(connection) as queries:
        client.get(URL, {"status__exact": "failed", "workflow__workflow_name__exact": "company_jobs"})
    counted = [q["sql"] for q in queries if "runs_tally" in q["sql"]]
    assert counted and not [q for q in counted if "enrichment_runs" in q]


def test_other_filters_and_searches_count_the_runs_up_to_a_cap(client, ops, runs, monkeypatch):
    import runs.admin as run_admin

    monkeypatch.setattr(run_admin, "STATUS_COUNT_CAP", 2)
    page = client.get(URL, {"entity_type__exact": "company"})
    assert page.context["status_counts"] == {"pending": "0", "running": "1", "completed": "1", "failed": "2+"}
    page = client.get(URL, {"q": "acme.io"})
    assert page.context["status_counts"] == {"pending": "0", "running": "0", "completed": "0", "failed": "1"}


def test_marking_failed_runs_pending_leaves_the_others_alone(client, ops, runs):
    selected = Run.objects.filter(entity_key__in=["acme.io", "ironclad.com"])
    ids = [str(pk) for pk in selected.values_list("pk", flat=True)]
    response = client.post(URL, {"action": "mark_pending", "_selected_action": ids})
    statuses = dict(Run.objects.values_list("entity_key", "status"))
    assert statuses == {"ironclad.com": "completed", "acme.io": "pending", "globex.com": "failed",
                        "initech.com": "running"}
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    assert notes == ["1 failed runs marked pending.", "1 selected runs were not failed and were left alone."]


def test_runs_are_read_only(client, ops, runs):
    run = Run.objects.first()
    assert client.get(f"{URL}{run.pk}/change/").status_code == 200
    assert client.post(f"{URL}{run.pk}/change/", {"status": "completed"}).status_code == 403


def test_the_registry_list_shows_run_counts_folded_or_not(client, ops, runs):
    def figures() -> tuple:
        row = client.get("/admin/registry/workflow/").context["cl"].result_list[0]
        return row.completed_count, row.failed_count, row.last_completed

    completed_at = Run.objects.get(entity_key="ironclad.com").completed_at
    assert figures() == (1, 2, completed_at)
    run_tallies_fold()
    assert figures() == (1, 2, completed_at)
    Run.objects.filter(entity_key="acme.io").update(status="completed")  # after the fold: a change row
    assert figures()[:2] == (2, 1)


def test_the_source_filter_offers_registry_vendors_and_filters(client, ops, runs):
    Run.objects.filter(entity_key="acme.io").update(source="backfill")
    page = client.get(URL, {"source": "backfill"})
    assert [r.entity_key for r in page.context["cl"].result_list] == ["acme.io"]
    choices = [c["display"] for spec in page.context["cl"].filter_specs if spec.title == "source"
               for c in spec.choices(page.context["cl"])]
    assert {"clay", "backfill", "manual"} <= set(choices)


def test_a_new_api_key_is_shown_once_with_its_prefix_and_keys_deactivate_from_the_list(client, ops):
    added = client.post("/admin/runs/apikey/add/", {"name": "modal-ingest", "is_active": "on"})
    key = ApiKey.objects.get(name="modal-ingest")
    assert f"({key.prefix}…)" in added.content.decode()
    other = ApiKey.objects.create(name="other", prefix="ehk_other", key_hash="x")
    client.post("/admin/runs/apikey/", {"action": "deactivate", "_selected_action": [key.pk, other.pk]})
    assert list(ApiKey.objects.filter(is_active=True)) == []
