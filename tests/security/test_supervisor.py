"""Finding 9: the demo shut everything down when its q2 cluster died, and a job whose database
restarted mid-batch logged "failed" with a traceback although it resumed and completed."""

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import psycopg
import pytest
from django.db import connection

from cleanup.jobs import engine
from cleanup.jobs.engine import INTERRUPTED, job_run
from cleanup.jobs.models import BatchJob
from cleanup.jobs.tasks import job_run_task
from tests.conftest import database_url
from tests.enrichhub.test_demo_command import PROJECT_ROOT, _demo, _free_port, _wait_for_health, demo_env  # noqa: F401
from tests.factories import queued_job

pytestmark = pytest.mark.system  # starts processes: left out of `make test-fast`


def _cluster_of(demo: subprocess.Popen, *, other_than: int | None = None, within_s: float = 30) -> psutil.Process:
    """The demo's q2 cluster; with `other_than`, the one it started after that one died (it says
    "restarting it" just before it starts the new one, so the test waits for it)."""
    deadline = time.monotonic() + within_s
    while True:
        for child in psutil.Process(demo.pid).children():
            try:
                if "qcluster" in child.cmdline() and child.pid != other_than:
                    return child
            except psutil.Error:  # a child that exited between listing and reading
                continue
        assert time.monotonic() < deadline, "the demo has no q2 cluster"
        time.sleep(0.1)


def _ping(env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "manage.py", "shell", "-c",
                           "from django_q.tasks import async_task, result; "
                           "print(result(async_task('enrichhub.tasks.cluster_ping_task'), wait=60000))"],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=90)
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-2000:]


def test_the_demo_restarts_a_q2_cluster_that_died(demo_env, tmp_path):  # noqa: F811
    base = f"http://127.0.0.1:{_free_port()}"
    log_path = tmp_path / "demo.log"
    with log_path.open("w+") as log, _demo(base, demo_env, log) as demo:
        _wait_for_health(base, demo)
        first = _cluster_of(demo)
        os.killpg(first.pid, signal.SIGKILL)  # the cluster and its workers, as the OOM killer might
        deadline = time.monotonic() + 60
        while "restarting it" not in log_path.read_text():
            assert demo.poll() is None, log_path.read_text()[-3000:]
            assert time.monotonic() < deadline, log_path.read_text()[-3000:]
            time.sleep(0.3)
        assert _cluster_of(demo, other_than=first.pid).is_running()
        assert _ping(demo_env) == "pong"
        demo.send_signal(signal.SIGINT)
        assert demo.wait(timeout=60) == 0, log_path.read_text()[-3000:]
    assert "the q2 cluster stopped (exit" in Path(log_path).read_text()


@pytest.mark.django_db(transaction=True)
def test_a_job_whose_connection_is_lost_logs_one_line_and_resumes_to_the_end(committed_demo, settings, caplog,
                                                                             monkeypatch):
    job = queued_job(kind="tenure_backfill", batch_size=10, sleep_ms=0)
    real_batch, batches = engine._batch, []

    def batch_then_lose_the_connection(job, kind, limit):
        batches.append(limit)
        if len(batches) == 2:  # mid-job: a checkpoint is saved, and more is left
            with psycopg.connect(database_url(settings.DATABASES["default"]), autocommit=True) as other:
                other.execute("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])
        return real_batch(job, kind, limit)

    monkeypatch.setattr(engine, "_batch", batch_then_lose_the_connection)
    with caplog.at_level(logging.INFO, logger="enrichhub.jobs"):
        outcome = job_run_task(job.pk)
    assert "interrupted by a lost database connection" in outcome
    lost = [r for r in caplog.records if "connection was lost" in r.getMessage()]
    assert len(lost) == 1 and lost[0].levelno == logging.WARNING and lost[0].exc_info is None
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    connection.close()  # Django reconnects on the next query, as a q2 worker does between tasks
    assert BatchJob.objects.get(pk=job.pk).status == BatchJob.Status.RUNNING  # not failed
    monkeypatch.setattr(engine, "_batch", real_batch)
    assert job_run(job_id=job.pk) == BatchJob.Status.COMPLETED
    clean = queued_job(kind="tenure_backfill", batch_size=10, sleep_ms=0)
    assert job_run(job_id=clean.pk) == BatchJob.Status.COMPLETED
    assert BatchJob.objects.get(pk=clean.pk).rows_done == 0  # the resumed job left nothing undone
    assert INTERRUPTED == "interrupted"
