import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django_q.models import OrmQ

from cleanup.jobs.models import BatchJob

START = "/admin/cleanup/batchjob/start/"


@pytest.fixture
def analyst(client, db):
    user = get_user_model().objects.create_user(username="analyst", password="x-test-only", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_batchjob", "add_batchjob"]))
    client.force_login(user)
    return user


def _form(kind: str, **extra) -> dict:
    return {"kind": kind, "params": "{}", "batch_size": "1000", "sleep_ms": "5", **extra}


def test_the_start_page_shows_the_dry_run_before_anything_starts(client, ops, demo):
    page = client.post(START, _form("tenure_backfill", preview="1"))
    assert page.status_code == 200
    assert "would add 49 people to core.person_tenure" in page.content.decode()
    assert not BatchJob.objects.exists()


def test_confirming_creates_the_job_and_hands_it_to_q2(client, ops, demo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(START, _form("tenure_backfill", confirm="1"))
    job = BatchJob.objects.get()
    assert response.status_code == 302 and response.url.endswith(f"/cleanup/batchjob/{job.pk}/change/")
    assert (job.status, job.started_by, job.dry_run_report["would_change"]) == ("queued", ops, 49)
    assert OrmQ.objects.count() == 1


def test_destructive_kinds_need_their_own_permission(client, analyst, demo):
    page = client.post(START, _form("delete_companies_missing_location", confirm="1"))
    assert "needs the &#x27;run destructive jobs&#x27; permission" in page.content.decode()
    assert not BatchJob.objects.exists()


def test_a_blocked_job_says_why_and_offers_no_start_button(client, ops, demo):
    page = client.post(START, _form("drop_reference_tables", params='{"table": "reference.people_missing_country"}',
                                    preview="1")).content.decode()
    assert "Cannot run now" in page and "still without person_country" in page
    assert 'name="confirm"' not in page


def test_bad_parameters_are_shown_on_the_form(client, ops, demo):
    page = client.post(START, _form("restore_companies_missing_location", params="{oops", preview="1"))
    assert "not valid JSON" in page.content.decode()


def test_the_list_shows_progress_and_pause_takes_effect(client, ops, demo):
    from cleanup.jobs.services import job_create

    job = job_create(kind="tenure_backfill")
    BatchJob.objects.filter(pk=job.pk).update(rows_done=20, estimated_total=49, status="running")
    page = client.get("/admin/cleanup/batchjob/").content.decode()
    assert "20 / 49 (41%)" in page and 'http-equiv="refresh"' in page
    client.post("/admin/cleanup/batchjob/", {"action": "pause", "_selected_action": [job.pk]})
    assert BatchJob.objects.get(pk=job.pk).status == "paused"
