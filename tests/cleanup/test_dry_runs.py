"""Dry runs off the web request: counted by a real q2 worker, and estimated by the planner when an
exact count would take too long."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from django.db import connection

from cleanup.jobs import services
from cleanup.jobs.models import BatchJob
from cleanup.jobs.sql import companies
from tests.conftest import database_url

START = "/admin/cleanup/batchjob/start/"


@contextmanager
def _first_statement_on_table_locked_out(settings, table: str) -> Iterator[None]:
    """Another session holds an exclusive lock on the table until the first statement that waits
    for it has given up, then lets every later one through: the count the dry run bounds waits
    however slow the machine, and the planner's estimate after it does not."""
    url = database_url(settings.DATABASES["default"])
    locked, block_ended = threading.Event(), threading.Event()

    def waiting_since(watcher: psycopg.Connection) -> set:
        return {row[0] for row in watcher.execute("SELECT query_start FROM pg_stat_activity WHERE "
                                                  "wait_event_type = 'Lock' AND datname = current_database()")}

    def hold() -> None:
        with psycopg.connect(url) as other, psycopg.connect(url, autocommit=True) as watcher:
            other.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
            locked.set()
            deadline, first = time.monotonic() + 60, None
            while time.monotonic() < deadline and not block_ended.is_set():
                waiting = waiting_since(watcher)
                if first is None and waiting:
                    first = min(waiting)
                elif first is not None and first not in waiting:
                    return
                time.sleep(0.02)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(10)
        yield
    finally:
        block_ended.set()
        holder.join()


def test_a_dry_run_that_takes_too_long_shows_the_planners_estimate_and_says_so(committed_demo, settings):
    job = BatchJob.objects.create(kind="delete_companies_missing_location", status=BatchJob.Status.DRAFT)
    exact, referenced = companies.candidates_count()
    with _first_statement_on_table_locked_out(settings, "core.person_work_history"):
        report = services.job_dry_run_bounded(job=job, exact_s=1.0)
    assert report["estimated"] is True
    assert "planner's estimate" in report["summary"] and "longer than 1 s" in report["summary"]
    assert report["would_change"] == companies.candidates_estimate()
    assert 0 < report["would_change"] < 10 * (exact - referenced + 1)
    unlocked = services.job_dry_run_bounded(job=job, exact_s=30)
    assert (unlocked["estimated"], unlocked["would_change"]) == (False, exact - referenced)


def test_a_dry_run_that_fails_is_recorded_on_the_draft_and_blocks_it(committed_demo, settings):
    job = BatchJob.objects.create(kind="tenure_backfill", status=BatchJob.Status.DRAFT)
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE core.person_tenure RENAME TO person_tenure_away")
    try:
        report = services.draft_dry_run(job_id=job.pk)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE core.person_tenure_away RENAME TO person_tenure")
    assert report["blocked"].startswith("the dry run failed: ")
    assert "person_tenure" in report["blocked"]
    job.refresh_from_db()
    assert job.dry_run_report == report
    with pytest.raises(services.JobRefused, match="cannot run now: the dry run failed"):
        services.job_confirm(job=job)


def test_the_admin_drafts_a_job_a_real_q2_worker_dry_runs_it_then_runs_it(q2_cluster, client, settings):
    from django.contrib.auth import get_user_model

    ops = get_user_model().objects.create_superuser(username="ops", email="", password="x-test-only")
    client.force_login(ops)
    response = client.post(START, {"kind": "tenure_backfill", "batch_size": "1000", "sleep_ms": "0",
                                   "preview": "1"})
    job = BatchJob.objects.get()
    assert response.url == f"{START}{job.pk}/"
    deadline = time.monotonic() + 60
    while 'name="confirm"' not in (page := client.get(f"{START}{job.pk}/").content.decode()):
        assert time.monotonic() < deadline, f"no dry run after 60 s; q2 log: {q2_cluster.log.read_text()[-2000:]}"
        time.sleep(0.3)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(DISTINCT person_id) FROM core.person_job_start_dates s WHERE NOT EXISTS "
                       "(SELECT 1 FROM core.person_tenure t WHERE t.person_id = s.person_id)")
        missing = cursor.fetchone()[0]
    assert f"would add {missing:,} people" in page
    client.post(f"{START}{job.pk}/", {"confirm": "1"})
    while (job := BatchJob.objects.get(pk=job.pk)).status != BatchJob.Status.COMPLETED:
        assert time.monotonic() < deadline and job.status != "failed", f"job is {job.status}: {job.last_error}"
        time.sleep(0.3)
    assert job.rows_done == missing == job.dry_run_report["would_change"]


def test_drafts_nobody_confirmed_within_a_day_are_discarded(db):
    from datetime import timedelta

    from django.utils import timezone

    from cleanup.tasks import stale_drafts_discard_task

    stale = BatchJob.objects.create(kind="tenure_backfill", status=BatchJob.Status.DRAFT)
    fresh = BatchJob.objects.create(kind="tenure_backfill", status=BatchJob.Status.DRAFT)
    queued = BatchJob.objects.create(kind="tenure_backfill", status=BatchJob.Status.QUEUED)
    BatchJob.objects.filter(pk__in=[stale.pk, queued.pk]).update(created_at=timezone.now() - timedelta(days=2))
    assert stale_drafts_discard_task() == [stale.pk]
    statuses = dict(BatchJob.objects.values_list("pk", "status"))
    assert statuses == {stale.pk: "cancelled", fresh.pk: "draft", queued.pk: "queued"}
    assert "not confirmed within 1 day" in BatchJob.objects.get(pk=stale.pk).last_error
