"""Two q2 clusters on one Redis, as if on two machines: a split job runs on both, a cluster
killed whole leaves its part to the other, and a schedule fires once, not once per cluster."""

import os
import subprocess
import sys
import time
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.utils import timezone
from django_q.models import Schedule

from cleanup.jobs.models import BatchJob
from cleanup.jobs.services import RUNNER_GRACE, jobs_interrupted
from cleanup.jobs.sql import job_runners_alive
from tests.cleanup.test_coalesce import _coalesced, _oracle
from tests.conftest import database_url
from tests.factories import queued_job
from tests.own_server import PROJECT_ROOT, free_port
from tests.processes import kill_tree, process_tree

pytestmark = pytest.mark.system  # starts processes: left out of `make test-fast`

REDIS = "/usr/bin/redis-server"


def _wait_for(condition, *, seconds: float, what: str, logs: list[Path]) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what}\n" + "\n".join(log.read_text()[-3000:] for log in logs)
        time.sleep(0.2)


@pytest.fixture
def two_clusters(committed_demo, settings, tmp_path):
    """(the two qcluster processes, their logs, the environment they share)."""
    assert Path(REDIS).exists(), "Redis is missing: `make test` installs Debian's redis-server"
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url(settings.DATABASES["default"]), "ENRICHHUB_Q_WORKERS": "1",
           "ENRICHHUB_REDIS_URL": f"redis://127.0.0.1:{port}/0"}
    with ExitStack() as running:
        running.enter_context(process_tree([REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                            "--appendonly", "no"], stdout=subprocess.DEVNULL))
        clusters, logs = [], []
        for number in (1, 2):
            log = tmp_path / f"cluster{number}.log"
            clusters.append(running.enter_context(process_tree(
                [sys.executable, "manage.py", "qcluster"], cwd=PROJECT_ROOT, env=env,
                stdout=running.enter_context(log.open("w")), stderr=subprocess.STDOUT)))
            logs.append(log)
        # Both listening on Redis before any task is queued, or the first one up takes them all.
        _wait_for(lambda: all("] running." in log.read_text() for log in logs), seconds=60,
                  what="both clusters up", logs=logs)
        yield clusters, logs, env


def _shell(env: dict, script: str) -> None:
    subprocess.run([sys.executable, "manage.py", "shell", "-c", script], cwd=PROJECT_ROOT, env=env,
                   capture_output=True, text=True, timeout=120, check=True)


def test_a_split_job_runs_on_both_clusters_and_a_killed_clusters_part_finishes_on_the_other(two_clusters):
    clusters, logs, env = two_clusters
    synced = set(_coalesced())
    parts = [queued_job(kind="coalesce_person_experience", params={"mode": "reconcile", "part": f"{k}/2"},
                        batch_size=100, sleep_ms=2000) for k in (1, 2)]
    ids = [job.pk for job in parts]
    _shell(env, f"from cleanup.jobs.services import job_slice_enqueue\nfor pk in {ids}: job_slice_enqueue(job_id=pk)")
    # One worker each: both parts past a batch at once means each cluster holds one.
    _wait_for(lambda: job_runners_alive(job_ids=ids) == set(ids) and all(
        job.status == "running" and job.batches >= 1 for job in BatchJob.objects.filter(pk__in=ids)),
        seconds=60, what="both parts running", logs=logs)
    kill_tree(clusters[0])  # the whole cluster, sentinel and worker, mid-part
    _wait_for(lambda: len(job_runners_alive(job_ids=ids)) < 2
              or all(BatchJob.objects.get(pk=pk).is_finished for pk in ids),
              seconds=30, what="the killed runner's lock released", logs=logs)
    # What the every-minute schedule does once the runner has been silent past its grace: an
    # interrupted part is handed to the living cluster.
    _wait_for(lambda: jobs_interrupted(jobs=BatchJob.objects.filter(pk__in=ids))
              or all(BatchJob.objects.get(pk=pk).is_finished for pk in ids),
              seconds=RUNNER_GRACE.total_seconds() + 30, what="the killed part seen as interrupted", logs=logs)
    _shell(env, "from cleanup.jobs.services import interrupted_jobs_resume\ninterrupted_jobs_resume()")
    _wait_for(lambda: all(BatchJob.objects.get(pk=pk).status == "completed" for pk in ids), seconds=120,
              what="both parts completed", logs=logs)
    inserted = [BatchJob.objects.get(pk=pk).checkpoint["inserted"] for pk in ids]
    assert sum(inserted) == 600 and min(inserted) > 0
    new = {row_id: row for row_id, row in _coalesced().items() if row_id not in synced}
    assert new == {row_id: row for row_id, row in _oracle().items() if row_id not in synced}


def test_a_schedule_fires_once_across_two_clusters(two_clusters, settings):
    """Both clusters' schedulers are made to wait at once for the schedule table, locked here
    while the schedule is made due; released, both find it due, one fires it, and the other,
    waiting for its row, finds it no longer due. Each firing counts down `repeats`: one left of
    two is one firing, whatever the workers do after."""
    _clusters, logs, _env = two_clusters
    schedule = Schedule.objects.create(name="once across clusters", func="cleanup.jobs.tasks.stale_drafts_discard_task",
                                       schedule_type=Schedule.MINUTES, minutes=60, repeats=2,
                                       next_run=timezone.now() + timedelta(hours=1))
    with psycopg.connect(database_url(settings.DATABASES["default"]), autocommit=False) as holder:
        # The schedulers' SELECT … FOR UPDATE waits for this lock before it takes its snapshot.
        holder.execute("LOCK TABLE django_q_schedule IN EXCLUSIVE MODE")
        holder.execute("UPDATE django_q_schedule SET next_run = now() - interval '1 second' WHERE id = %s",
                       [schedule.pk])
        holder_pid = holder.info.backend_pid
        _wait_for(lambda: _sessions_waiting_for(holder_pid) == 2, seconds=120,
                  what="both clusters' schedulers waiting for the due schedule", logs=logs)
        holder.commit()
    _wait_for(lambda: Schedule.objects.get(pk=schedule.pk).repeats < 2 and not _schedule_statements_running(),
              seconds=60, what="both schedulers done with the schedule", logs=logs)
    assert Schedule.objects.get(pk=schedule.pk).repeats == 1


def _sessions_waiting_for(pid: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", [pid])
        return cursor.fetchone()[0]


def _schedule_statements_running() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE state <> 'idle' AND pid <> pg_backend_pid()"
                       " AND query ILIKE '%%django_q_schedule%%'")
        return cursor.fetchone()[0] > 0
