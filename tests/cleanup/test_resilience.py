"""Real processes and real locks: these tests commit, so the jobs' own connections see the data."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from cleanup.jobs import engine
from cleanup.jobs.engine import BUSY, job_run
from cleanup.jobs.models import BatchJob
from cleanup.jobs.services import job_resume
from tests.conftest import database_url
from tests.factories import queued_job
from tests.oracles import column, scalar, unreferenced_without_location
from tests.processes import process_tree

PROJECT_ROOT = Path(__file__).resolve().parents[2]
def _env() -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url(connection.settings_dict)}


def _kill_the_runner_after_its_first_batch(job: BatchJob) -> None:
    with process_tree([sys.executable, "manage.py", "run_job", "--resume", str(job.pk)], cwd=PROJECT_ROOT,
                      env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as worker:
        deadline = time.monotonic() + 60
        while BatchJob.objects.get(pk=job.pk).batches < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)


@pytest.mark.system
def test_a_worker_killed_mid_job_resumes_to_the_same_result(committed_demo):
    doomed = unreferenced_without_location()
    job = queued_job(kind="delete_companies_missing_location", batch_size=100, sleep_ms=400)
    _kill_the_runner_after_its_first_batch(job)
    killed = BatchJob.objects.get(pk=job.pk)
    assert killed.status == "running" and 0 < killed.rows_done < len(doomed)
    assert scalar("SELECT count(*) FROM archive.core_companies WHERE archive_job_id = %s", [job.pk]) == killed.rows_done
    BatchJob.objects.filter(pk=job.pk).update(sleep_ms=0)
    assert job_run(job_id=job.pk) == "completed"  # the dead worker's advisory lock died with its connection
    assert unreferenced_without_location() == set()
    archived = column("SELECT id FROM archive.core_companies WHERE archive_job_id = %s", [job.pk])
    assert sorted(archived) == sorted(doomed)  # no hole, no duplicate
    assert BatchJob.objects.get(pk=job.pk).rows_done == len(doomed)


def test_a_job_already_running_elsewhere_is_not_run_twice(committed_demo):
    from cleanup.jobs.sql import ADVISORY_NAMESPACE

    job = queued_job(kind="tenure_backfill", sleep_ms=0)
    with psycopg.connect(database_url(connection.settings_dict), autocommit=True) as other_worker:
        other_worker.execute("SELECT pg_advisory_lock(%s, %s)", [ADVISORY_NAMESPACE, job.pk])
        assert job_run(job_id=job.pk) == BUSY
        assert BatchJob.objects.get(pk=job.pk).rows_done == 0
    # The server releases a closed session's locks a moment after the client has gone.
    _wait_until_advisory_lock_is_free(ADVISORY_NAMESPACE, job.pk)
    assert job_run(job_id=job.pk) == "completed"


def _wait_until_advisory_lock_is_free(namespace: int, key: int) -> None:
    held = ("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s::int::oid"
            " AND objid = %s::int::oid AND granted")
    deadline = time.monotonic() + 30
    while scalar(held, [namespace, key]):
        assert time.monotonic() < deadline, "the closed session's advisory lock was never released"
        time.sleep(0.01)


def test_a_lock_timeout_is_retried_with_backoff_and_then_fails_the_job(committed_demo, monkeypatch):
    monkeypatch.setattr(engine, "LOCK_TIMEOUT_MS", 100)
    monkeypatch.setattr(engine, "RETRY_BACKOFF_S", 0.05)
    monkeypatch.setattr(engine, "LOCK_RETRIES", 2)
    first = min(unreferenced_without_location())
    job = queued_job(kind="delete_companies_missing_location", batch_size=100, sleep_ms=0)
    with psycopg.connect(database_url(connection.settings_dict)) as writer:
        writer.execute("SELECT 1 FROM core.companies WHERE id = %s FOR UPDATE", [first])
        began = time.monotonic()
        assert job_run(job_id=job.pk) == "failed"
        assert time.monotonic() - began >= 0.05 + 0.1  # two backoffs
        writer.rollback()
    failed = BatchJob.objects.get(pk=job.pk)
    assert "LockNotAvailable" in failed.last_error or "lock timeout" in failed.last_error
    assert failed.rows_done == 0 and failed.checkpoint == {}
    job_resume(job=failed)
    assert job_run(job_id=job.pk) == "completed"
    assert unreferenced_without_location() == set()


def test_the_q2_task_runs_the_job(committed_demo):
    from cleanup.jobs.tasks import job_run_task

    missing = ("SELECT count(*) FROM core.person_job_start_dates s WHERE NOT EXISTS "
               "(SELECT 1 FROM core.person_tenure t WHERE t.person_id = s.person_id)")
    before = scalar("SELECT count(*) FROM core.person_tenure")
    lacking = scalar(missing)
    job = queued_job(kind="tenure_backfill", sleep_ms=0)
    assert lacking > 0 and job_run_task(job.pk) == "completed"
    assert scalar(missing) == 0  # the people it lacked were added, each once
    assert scalar("SELECT count(*) FROM core.person_tenure") - before == BatchJob.objects.get(pk=job.pk).rows_done


@pytest.mark.system
@pytest.mark.parametrize("kind", ["tenure_backfill"])
def test_run_job_dry_run_and_run_from_the_command_line(committed_demo, kind):
    dry = subprocess.run([sys.executable, "manage.py", "run_job", kind, "--dry-run"], cwd=PROJECT_ROOT, env=_env(),
                         capture_output=True, text=True, timeout=60)
    assert dry.returncode == 0 and "would add 49 people" in dry.stdout
    assert not BatchJob.objects.exists()
    done = subprocess.run([sys.executable, "manage.py", "run_job", kind], cwd=PROJECT_ROOT, env=_env(),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "completed: 49 rows" in done.stdout


@pytest.mark.system
def test_a_killed_runner_shows_as_interrupted_and_run_job_resumes_it_to_the_same_result(committed_demo, client):
    from django.contrib.auth import get_user_model

    from cleanup.jobs.services import interrupted_jobs_resume, job_interruption

    doomed = unreferenced_without_location()
    job = queued_job(kind="delete_companies_missing_location", batch_size=100, sleep_ms=400)
    _kill_the_runner_after_its_first_batch(job)
    killed_at = time.monotonic()
    while job_interruption(job=BatchJob.objects.get(pk=job.pk)) is None:
        assert time.monotonic() - killed_at < 30, "the dead runner was not noticed within 30 s"
        time.sleep(0.5)
    client.force_login(get_user_model().objects.create_superuser(username="ops", password="x-test-only"))
    assert "interrupted" in client.get("/admin/cleanup/batchjob/").content.decode()
    assert interrupted_jobs_resume() == [job.pk]  # what the schedule does: a q2 task to continue it
    BatchJob.objects.filter(pk=job.pk).update(sleep_ms=0)
    resumed = subprocess.run([sys.executable, "manage.py", "run_job", "delete_companies_missing_location"],
                             cwd=PROJECT_ROOT, env=_env(), capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert f"job #{job.pk} was interrupted" in resumed.stdout and "resuming it from its checkpoint" in resumed.stdout
    assert unreferenced_without_location() == set()
    archived = column("SELECT id FROM archive.core_companies WHERE archive_job_id = %s", [job.pk])
    assert sorted(archived) == sorted(doomed)
    assert BatchJob.objects.get(pk=job.pk).status == BatchJob.Status.COMPLETED
