import html
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone
from django_q.models import OrmQ

from cleanup.coalescing.demo import demo_mappings_ensure
from cleanup.jobs import services
from cleanup.jobs.models import BatchJob
from cleanup.tasks import draft_dry_run_task
from registry.demo import demo_registry_complete
from tests.oracles import review_list_waiting_oracle

START = "/admin/cleanup/batchjob/start/"


@pytest.fixture
def analyst(client, db):
    user = get_user_model().objects.create_user(username="analyst", password="x-test-only", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_batchjob", "add_batchjob"]))
    client.force_login(user)
    return user


def _form(kind: str, **extra) -> dict:
    return {"kind": kind, "batch_size": "1000", "sleep_ms": "5", **extra}


def _draft(client, kind: str, **extra) -> BatchJob:
    response = client.post(START, _form(kind, preview="1", **extra))
    job = BatchJob.objects.get()
    assert response.status_code == 302 and response.url == f"{START}{job.pk}/"
    return job


def test_the_start_page_drafts_the_job_and_leaves_its_dry_run_to_q2(client, ops, demo,
                                                                    django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = _draft(client, "tenure_backfill")
    assert (job.status, job.dry_run_report) == ("draft", None)  # nothing counted inside the request
    assert [task.func() for task in OrmQ.objects.all()] == ["cleanup.jobs.tasks.draft_dry_run_task"]
    page = client.get(f"{START}{job.pk}/").content.decode()
    assert "Counting in the q2 cluster" in page and 'http-equiv="refresh"' in page
    assert 'name="confirm"' not in page
    listed = client.get("/admin/cleanup/batchjob/").content.decode()
    assert f'href="{START}{job.pk}/">draft</a>: dry run counting' in listed


def test_the_draft_shows_its_dry_run_once_counted_and_confirming_starts_it(client, ops, demo,
                                                                            django_capture_on_commit_callbacks):
    job = _draft(client, "tenure_backfill")
    assert draft_dry_run_task(job.pk).startswith("would add 49 people")
    page = client.get(f"{START}{job.pk}/").content.decode()
    assert "would add 49 people to core.person_tenure" in page and 'name="confirm"' in page
    assert 'http-equiv="refresh"' not in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{START}{job.pk}/", {"confirm": "1"})
    job.refresh_from_db()
    assert response.status_code == 302 and response.url.endswith(f"/cleanup/batchjob/{job.pk}/change/")
    assert (job.status, job.started_by, job.dry_run_report["would_change"]) == ("queued", ops, 49)
    assert [task.func() for task in OrmQ.objects.all()] == ["cleanup.jobs.tasks.job_run_task"]
    assert client.get(f"{START}{job.pk}/").status_code == 302  # no longer a draft: the job's own page


def test_a_draft_cannot_be_confirmed_before_its_dry_run(client, ops, demo):
    job = _draft(client, "tenure_backfill")
    page = client.post(f"{START}{job.pk}/", {"confirm": "1"}).content.decode()
    assert "its dry run has not finished yet" in page
    assert BatchJob.objects.get(pk=job.pk).status == "draft"


def test_a_discarded_draft_is_cancelled_and_never_runs(client, ops, demo):
    job = _draft(client, "tenure_backfill")
    client.post(f"{START}{job.pk}/", {"discard": "1"})
    assert BatchJob.objects.get(pk=job.pk).status == "cancelled"
    assert draft_dry_run_task(job.pk) == f"job #{job.pk} is no draft waiting for a dry run"


def test_destructive_kinds_need_their_own_permission(client, analyst, demo):
    page = client.post(START, _form("delete_companies_missing_location", preview="1"))
    assert "needs the &#x27;run destructive jobs&#x27; permission" in page.content.decode()
    assert not BatchJob.objects.exists()


def test_confirming_checks_the_permission_of_who_confirms(client, ops, analyst, demo):
    job = services.job_draft(kind="delete_companies_missing_location", user=ops)
    services.draft_dry_run(job_id=job.pk)
    page = client.post(f"{START}{job.pk}/", {"confirm": "1"}).content.decode()  # the analyst is logged in
    assert "run destructive jobs" in page
    assert BatchJob.objects.get(pk=job.pk).status == "draft"


def test_a_blocked_job_says_why_and_offers_no_start_button(client, ops, demo):
    job = _draft(client, "drop_reference_tables", table="reference.people_missing_country")
    draft_dry_run_task(job.pk)
    page = client.get(f"{START}{job.pk}/").content.decode()
    assert "Cannot run now" in page and "still without person_country" in page
    assert 'name="confirm"' not in page
    forged = client.post(f"{START}{job.pk}/", {"confirm": "1"}).content.decode()
    assert "cannot run now" in forged and BatchJob.objects.get(pk=job.pk).status == "draft"


def test_each_kind_asks_for_its_parameters_as_fields(client, ops, demo):
    demo_registry_complete()
    demo_mappings_ensure()
    chooser = client.get(START).content.decode()
    assert 'href="?kind=coalesce_mapped"' in chooser and "<textarea" not in chooser
    mapped = client.get(f"{START}?kind=coalesce_mapped&workflow=company_cleaned_name").content.decode()
    assert re.search(r'<select name="workflow"[^>]*>.*<option value="company_cleaned_name" selected>', mapped, re.S)
    assert re.search(r'<select name="mode"[^>]*>.*<option value="refresh">', mapped, re.S)
    assert 'name="keys"' in mapped and "JSON" not in mapped
    job = _draft(client, "coalesce_mapped", workflow="company_cleaned_name", mode="keys",
                 keys="https://www.Ironclad.com/\nexample.org, ironclad.com")
    assert job.params == {"workflow": "company_cleaned_name", "mode": "keys", "keys": ["example.org", "ironclad.com"]}


def test_bad_parameters_are_shown_on_their_field(client, ops, demo):
    page = client.post(START, _form("restore_companies_missing_location", job_id="999", preview="1")).content.decode()
    assert re.search(r'<ul class="errorlist[^"]*"[^>]*><li>job_id 999 is not a delete_companies_missing_location job',
                     page)
    page = client.post(START, _form("coalesce_person_profile", mode="keys", keys="not a url\n", preview="1"))
    assert "keys[0]" in page.content.decode()
    assert client.post(START, _form("coalesce_mapped", workflow="nope", preview="1")).status_code == 200
    assert not BatchJob.objects.exists()


def test_the_list_shows_progress_and_pause_takes_effect(client, ops, demo):
    from tests.factories import queued_job

    job = queued_job(kind="tenure_backfill")
    assert job.dry_run_report["would_change"] == 49
    assert job.total == 49  # the one count: the dry run's
    BatchJob.objects.filter(pk=job.pk).update(rows_done=20, status="running")
    page = client.get("/admin/cleanup/batchjob/").content.decode()
    assert "20 of 49 (41%)" in page and 'http-equiv="refresh"' in page
    client.post("/admin/cleanup/batchjob/", {"action": "pause", "_selected_action": [job.pk]})
    assert BatchJob.objects.get(pk=job.pk).status == "paused"


def test_the_list_says_done_without_a_total_and_tells_jobs_of_one_kind_apart(client, ops, demo):
    def job(status: str, rows: int, **fields) -> BatchJob:
        return BatchJob.objects.create(kind="coalesce_mapped", status=status, rows_done=rows,
                                       dry_run_report={"would_change": 110_000, "estimated": False}, **fields)

    job("completed", 236_002, params={"workflow": "company_cleaned_name"})
    job("completed", 0, params={"workflow": "company_discovery"})
    job("paused", 236_002, params={"workflow": "company_salesnav_location"},
        started_at=timezone.now() - timedelta(minutes=5))
    page = client.get("/admin/cleanup/batchjob/").content.decode().replace("<wbr>", "")
    assert page.count("done: 236,002 rows") == 1 and "done: 0 rows" in page
    assert "236,002 rows" in page  # the paused one counted more than its dry run: no percentage
    for wrong in ("/ 300,000", "/ 110,000", "(100%)", "/ ?"):
        assert wrong not in page
    for workflow in ("company_cleaned_name", "company_discovery", "company_salesnav_location"):
        assert f"workflow={workflow}" in page
    paused = BatchJob.objects.get(status="paused")
    assert paused.eta is None  # not getting anywhere while paused


def test_a_jobs_page_shows_tables_no_save_button_and_how_to_undo_it(client, ops, demo):
    from cleanup.jobs.engine import job_run
    from tests.factories import queued_job

    delete = queued_job(kind="delete_companies_missing_location", sleep_ms=0)
    assert job_run(job_id=delete.pk) == "completed"
    page = client.get(f"/admin/cleanup/batchjob/{delete.pk}/change/").content.decode()
    assert 'name="_save"' not in page and "Save and continue" not in page
    assert '<table class="job-figures">' in page and "<th>would change</th>" in page
    assert '{"' not in page.split('id="content-main"')[1]  # no raw JSON on the page
    (link,) = re.findall(r'href="([^"]+)">Restore what this job did', page)
    form = client.get(html.unescape(link)).content.decode()
    assert '<input type="hidden" name="kind" value="restore_companies_missing_location">' in form
    assert re.search(rf'<input type="number" name="job_id" value="{delete.pk}"', form)


def test_restore_is_an_action_that_drafts_the_restore_and_shows_its_dry_run(client, ops, demo):
    from cleanup.jobs.engine import job_run
    from tests.factories import queued_job

    delete = queued_job(kind="delete_companies_missing_location", sleep_ms=0)
    job_run(job_id=delete.pk)
    response = client.post("/admin/cleanup/batchjob/", {"action": "draft_restore", "_selected_action": [delete.pk]})
    draft = BatchJob.objects.get(kind="restore_companies_missing_location")
    assert (draft.status, draft.params, draft.started_by) == ("draft", {"job_id": delete.pk}, ops)
    assert response.status_code == 302 and response.url.endswith(f"/start/{draft.pk}/")


@pytest.mark.parametrize("table, entity, field, filled_by", [
    ("people_missing_country", "person", "person_country", "coalesce_person_profile"),
    ("companies_missing_cleaned_name", "company", "cleaned_name", "coalesce_mapped"),
])
def test_retiring_a_reference_table_is_a_button_and_a_refusal_leads_to_the_rows_and_the_job(
        client, ops, demo, table, entity, field, filled_by):
    demo_registry_complete()
    demo_mappings_ensure()
    start_page = client.get(START).content.decode()
    assert f'value="Dry-run retiring reference.{table}"' in start_page
    client.post(START, {"kind": "drop_reference_tables", "table": f"reference.{table}",
                        "batch_size": "1000", "sleep_ms": "5", "preview": "1"})
    draft = BatchJob.objects.get(kind="drop_reference_tables")
    draft_dry_run_task(draft.pk)
    page = html.unescape(client.get(f"{START}{draft.pk}/").content.decode())
    waiting = len(review_list_waiting_oracle(table))
    assert waiting > 0 and page.count(f"{waiting:,} listed") == 1  # the reason, said once
    links = dict((label, url) for url, label in re.findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', page))
    rows = client.get(links[f"see the {waiting:,} rows still waiting"])
    assert rows.status_code == 200 and rows.context["cl"].queryset.count() == waiting
    (fill_label,) = [label for label in links if label.startswith("fill them")]
    assert f'name="kind" value="{filled_by}"' in client.get(links[fill_label]).content.decode()
    assert client.get(links["plan enrichment for what the warehouse has no value for"]).status_code == 200
