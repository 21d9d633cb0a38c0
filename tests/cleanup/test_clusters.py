"""Two q2 clusters on one Redis, as if on two machines: a split job runs on both, a cluster
killed whole leaves its part to the other, and a schedule fires once, not once per cluster."""

import os
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import pytest
from django_q.models import Schedule, Task

from cleanup.jobs.models import BatchJob
from cleanup.jobs.services import RUNNER_GRACE, job_create
from cleanup.jobs.sql import job_runners_alive
from tests.cleanup.test_coalesce import _coalesced, _oracle
from tests.conftest import database_url
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
    parts = [job_create(kind="coalesce_person_experience", params={"mode": "reconcile", "part": f"{k}/2"},
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
    time.sleep(RUNNER_GRACE.total_seconds() + 1)
    _shell(env, "from cleanup.jobs.services import interrupted_jobs_resume\ninterrupted_jobs_resume()")
    _wait_for(lambda: all(BatchJob.objects.get(pk=pk).status == "completed" for pk in ids), seconds=120,
              what="both parts completed", logs=logs)
    inserted = [BatchJob.objects.get(pk=pk).checkpoint["inserted"] for pk in ids]
    assert sum(inserted) == 600 and min(inserted) > 0
    new = {row_id: row for row_id, row in _coalesced().items() if row_id not in synced}
    assert new == {row_id: row for row_id, row in _oracle().items() if row_id not in synced}


def test_a_schedule_fires_once_across_two_clusters(two_clusters):
    _clusters, logs, _env = two_clusters
    schedule = Schedule.objects.create(name="once across clusters", func="cleanup.jobs.tasks.stale_drafts_discard_task",
                                       schedule_type=Schedule.MINUTES, minutes=60,
                                       next_run=Schedule._meta.get_field("next_run").default())
    _wait_for(lambda: Task.objects.filter(name__startswith="once across clusters").exists()
              or Task.objects.filter(func=schedule.func).exists(), seconds=90, what="the schedule fired", logs=logs)
    time.sleep(5)  # room for a second firing, were the clusters to race
    assert Task.objects.filter(func=schedule.func).count() == 1
