"""A job that changed many rows leaves the tables it wrote vacuumed and analysed."""

import time

import pytest
from django.db import connection

from cleanup.jobs.engine import job_run
from cleanup.jobs.models import BatchJob
from tests.factories import queued_job


def _last_maintenance(table: str) -> tuple:
    schema, name = table.split(".")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT last_vacuum, last_analyze FROM pg_stat_user_tables WHERE schemaname = %s"
                       " AND relname = %s", [schema, name])
        return cursor.fetchone()


def _completed(kind: str) -> BatchJob:
    job = queued_job(kind=kind, batch_size=500, sleep_ms=0)
    assert job_run(job_id=job.pk) == "completed", BatchJob.objects.get(pk=job.pk).last_error
    job.refresh_from_db()
    return job


def test_a_large_job_vacuums_and_analyses_what_it_wrote(committed_demo, settings):
    settings.JOB_MAINTENANCE_MIN_ROWS = 1
    before = _last_maintenance("core.person_tenure")
    job = _completed("tenure_backfill")
    assert job.rows_done > 0
    assert job.checkpoint["maintained"] == {"vacuum": True, "tables": ["core.person_tenure"], "problems": []}
    deadline = time.monotonic() + 5
    while _last_maintenance("core.person_tenure") == before and time.monotonic() < deadline:
        time.sleep(0.1)  # the statistics of the vacuum reach pg_stat_user_tables asynchronously
    last_vacuum, last_analyze = _last_maintenance("core.person_tenure")
    assert last_vacuum is not None and last_analyze is not None and (last_vacuum, last_analyze) != before


@pytest.mark.django_db
def test_inside_a_transaction_it_analyses_only_and_a_small_job_leaves_tables_alone(demo, settings):
    settings.JOB_MAINTENANCE_MIN_ROWS = 1
    job = _completed("classify_people_titles")
    assert job.checkpoint["maintained"] == {"vacuum": False, "tables": ["core.people"], "problems": []}
    settings.JOB_MAINTENANCE_MIN_ROWS = 10**9
    assert "maintained" not in _completed("classify_people_titles").checkpoint
