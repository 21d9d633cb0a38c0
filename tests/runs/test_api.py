import pytest

from runs.models import Run
from runs.schemas import MAX_BATCH
from tests.fixtures.api import event


def test_without_a_key_the_api_answers_401(report):
    assert report(event(), key=None).status_code == 401
    assert report(event(), key="ehk_00000000_not-a-real-key").status_code == 401
    assert not Run.objects.exists()


def test_one_event_creates_one_run_with_the_normalised_key(report):
    response = report(event())
    assert response.status_code == 200
    assert response.json()["results"] == [{"index": 0, "workflow_name": "company_news",
                                           "entity_key": "ironclad.com", "outcome": "applied"}]
    run = Run.objects.get()
    assert (run.entity_key, run.status, run.records_processed, run.attempts, run.source) == (
        "ironclad.com", "completed", 3, 1, "clay")
    assert run.completed_at.isoformat() == "2026-11-01T10:00:00+00:00"


def test_the_same_event_twice_leaves_the_same_row(report):
    report(event(credits_spent="1.5"))
    first = Run.objects.values().get()
    second = report(event(credits_spent="1.5")).json()
    assert second["ignored"] == 1 and second["applied"] == 0
    again = Run.objects.values().get()
    unchanged = {k: v for k, v in first.items() if k != "updated_at"}
    assert {k: v for k, v in again.items() if k != "updated_at"} == unchanged


def test_a_late_running_event_does_not_undo_completed(report):
    report(event(status="completed", at="2026-11-01T10:05:00Z"))
    body = report(event(status="running", at="2026-11-01T10:00:00Z")).json()
    assert body["results"][0]["outcome"] == "ignored"
    assert Run.objects.get().status == "completed"


def test_a_newer_run_after_completion_is_a_re_enrichment_counted_in_attempts(report):
    report(event(status="running", at="2026-11-01T10:00:00Z"))
    report(event(status="completed", at="2026-11-01T10:05:00Z", credits_spent="2"))
    report(event(status="running", at="2026-11-20T09:00:00Z"))
    run = Run.objects.get()
    assert (run.status, run.attempts) == ("running", 2)
    assert run.completed_at.isoformat() == "2026-11-01T10:05:00+00:00"  # the last good one stays visible
    assert run.started_at.isoformat() == "2026-11-20T09:00:00+00:00"
    report(event(status="failed", at="2026-11-20T09:01:00Z", error="vendor timeout", credits_spent="0.5"))
    run.refresh_from_db()
    assert (run.status, run.error, run.attempts, str(run.credits_spent)) == ("failed", "vendor timeout", 2, "2.5000")


def test_events_of_one_entity_in_one_batch_apply_in_time_order(report):
    body = report({"events": [event(status="completed", at="2026-11-01T10:05:00Z"),
                              event(status="running", at="2026-11-01T10:00:00Z")]}).json()
    assert [r["outcome"] for r in body["results"]] == ["applied", "applied"]
    run = Run.objects.get()
    assert (run.status, run.attempts) == ("completed", 1)
    assert run.started_at.isoformat() == "2026-11-01T10:00:00+00:00"


def test_a_mixed_batch_records_the_valid_items_and_names_the_bad_ones(report):
    response = report({"events": [
        event(entity_key="ironclad.com"),
        event(workflow_name="company_unknown"),
        event(entity_type="person"),
        event(entity_key="not a domain"),
        event(status="finished"),
        event(workflow_name="person_email", entity_type="person", entity_key="https://www.linkedin.com/in/JohnDoe/"),
        event(at="2099-01-01T00:00:00Z"),
        {"workflow_name": "company_news"},
        event(record_processed=3),
    ]})
    assert response.status_code == 422
    body = response.json()
    assert (body["received"], body["applied"]) == (9, 2)
    rejected = {r["index"]: (r["field"], r["error"]) for r in body["rejected"]}
    assert rejected[1] == ("workflow_name", "unknown workflow 'company_unknown'")
    assert rejected[2][0] == "entity_type" and "enriches company entities" in rejected[2][1]
    assert rejected[3][0] == "entity_key" and "not a domain" in rejected[3][1]
    assert rejected[4][0] == "status"
    assert rejected[6][0] == "at" and "in the future" in rejected[6][1]
    assert rejected[7][0] in {"entity_key", "entity_type", "status"}
    assert rejected[8][0] == "record_processed"
    assert set(Run.objects.values_list("entity_key", flat=True)) == {"ironclad.com", "linkedin.com/in/johndoe"}


def test_an_inactive_workflow_is_refused(report, workflows):
    workflows[0].is_active = False
    workflows[0].save()
    body = report(event()).json()
    assert body["rejected"] == [{"index": 0, "field": "workflow_name", "error": "workflow 'company_news' is inactive"}]


@pytest.mark.parametrize("raw, message", [
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "must be a run event object"),
    (b'{"events": []}', "non-empty list"),
])
def test_a_body_that_is_not_events_is_a_422_that_says_why(report, raw, message):
    response = report(None, raw=raw)
    assert response.status_code == 422 and message in response.json()["detail"]


def test_a_batch_over_the_limit_is_refused_whole(report):
    response = report({"events": [event(entity_key=f"c{n}.com") for n in range(MAX_BATCH + 1)]})
    assert response.status_code == 422 and "at most 1000" in response.json()["detail"]
    assert not Run.objects.exists()


def test_a_full_batch_is_recorded(report):
    body = report({"events": [event(entity_key=f"company{n}.com") for n in range(MAX_BATCH)]}).json()
    assert body["applied"] == MAX_BATCH and Run.objects.count() == MAX_BATCH


def test_the_openapi_document_describes_the_events_body(client):
    schema = client.get("/api/openapi.json").json()
    body = schema["paths"]["/api/enrichment/runs"]["post"]["requestBody"]["content"]["application/json"]
    assert {"one event", "a batch"} <= set(body["examples"])
    assert "RunEventIn" in schema["components"]["schemas"]


def test_credits_paid_again_inside_the_freshness_window_are_counted_as_wasted(report):
    report(event(at="2026-01-01T00:00:00Z", credits_spent="1"))  # the first enrichment: not a waste
    report(event(status="running", at="2026-01-10T00:00:00Z"))
    report(event(at="2026-01-11T00:00:00Z", credits_spent="2"))  # 10 days later, the window is 90
    run = Run.objects.get()
    assert (str(run.credits_spent), str(run.credits_wasted), run.attempts) == ("3.0000", "2.0000", 2)
    report(event(at="2026-06-01T00:00:00Z", credits_spent="4"))  # the completion had gone stale
    run.refresh_from_db()
    assert (str(run.credits_spent), str(run.credits_wasted)) == ("7.0000", "2.0000")


def test_applied_counts_only_the_events_that_were_written(report):
    first = report({"events": [event(), event(entity_key="acme.com")]}).json()
    replayed = report({"events": [event(), event(entity_key="globex.com")]}).json()
    assert (first["applied"], first["ignored"]) == (2, 0)
    assert (replayed["received"], replayed["applied"], replayed["ignored"]) == (2, 1, 1)
    assert Run.objects.count() == 3


@pytest.mark.parametrize("count", [True, "12", 1.5])
def test_a_count_that_is_not_an_integer_is_refused_by_name(report, count):
    response = report(event(records_processed=count))
    assert response.status_code == 422 and not Run.objects.exists()
    assert response.json()["rejected"][0]["field"] == "records_processed"
