"""Reading a job's next batch on a second connection: committed data, so that connection sees it."""

import threading
import time

import pytest
from django.db import OperationalError, connection
from psycopg.errors import LockNotAvailable

from cleanup.coalescing.kinds import experience as experience_kind
from cleanup.coalescing.sql import experience
from cleanup.jobs import engine
from cleanup.jobs.engine import job_run
from cleanup.jobs.lookahead import lookahead_start, lookahead_take, reading_ahead
from cleanup.jobs.models import BatchJob
from tests.cleanup.test_coalesce import _coalesced, _oracle
from tests.factories import queued_job
from tests.oracles import scalar


def _sessions_left(application_name: str) -> int:
    """Sessions so named once the server has seen their clients go (it takes a moment)."""
    deadline = time.monotonic() + 10
    while True:
        left = scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE %s", [application_name])
        if left == 0 or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def _threads_reading(monkeypatch, name: str) -> list[str]:
    """The names of the threads that call experience.<name>, in call order."""
    threads: list[str] = []
    real = getattr(experience, name)

    def recorded(**kwargs):
        threads.append(threading.current_thread().name)
        return real(**kwargs)

    monkeypatch.setattr(experience, name, recorded)
    return threads


@pytest.mark.parametrize("mode, read", [("reconcile", "experience_missing"), ("refresh", "experience_batch")])
def test_a_coalescing_job_reads_ahead_and_ends_exactly_as_the_oracle(committed_demo, monkeypatch, mode, read):
    synced = set(_coalesced())
    threads = _threads_reading(monkeypatch, read)
    # A read ahead serves only a batch of the size it was read for: keep the size from adapting.
    monkeypatch.setattr(experience_kind.CoalescePersonExperience, "max_batch_rows", 100)
    job = queued_job(kind="coalesce_person_experience", params={"mode": mode}, batch_size=100, sleep_ms=0)
    assert job_run(job_id=job.pk) == "completed", BatchJob.objects.get(pk=job.pk).last_error
    job.refresh_from_db()
    assert job.batches > 3
    assert threads[0] == threading.current_thread().name  # nothing to read ahead of the first batch
    assert sum(name.startswith("enrichhub-lookahead") for name in threads) >= job.batches - 1
    if mode == "reconcile":
        assert job.checkpoint["inserted"] == 600
        new = {row_id: row for row_id, row in _coalesced().items() if row_id not in synced}
        assert new == {row_id: row for row_id, row in _oracle().items() if row_id not in synced}
    else:
        assert _coalesced() == _oracle()
    assert _sessions_left(f"enrichhub job {job.pk} %reading ahead") == 0  # its connection was closed


def test_a_batch_that_fails_after_reading_ahead_is_retried_from_its_own_read(committed_demo, monkeypatch):
    synced = set(_coalesced())
    failures = {"left": 1}
    real_upsert = experience.work_history_upsert

    def upsert_failing_once(**kwargs):
        if failures["left"] and len(kwargs["rows"]) > 0:
            failures["left"] -= 1
            raise OperationalError("lock timeout") from LockNotAvailable("lock timeout")
        return real_upsert(**kwargs)

    monkeypatch.setattr(experience_kind.sql, "work_history_upsert", upsert_failing_once)
    monkeypatch.setattr(engine, "RETRY_BACKOFF_S", 0)
    job = queued_job(kind="coalesce_person_experience", params={"mode": "reconcile"}, batch_size=100, sleep_ms=0)
    assert job_run(job_id=job.pk) == "completed", BatchJob.objects.get(pk=job.pk).last_error
    job.refresh_from_db()
    assert failures["left"] == 0 and job.checkpoint["inserted"] == 600
    new = {row_id: row for row_id, row in _coalesced().items() if row_id not in synced}
    assert new == {row_id: row for row_id, row in _oracle().items() if row_id not in synced}


def test_inside_a_transaction_nothing_is_read_ahead(db):
    # A test's own transaction is invisible to a second connection: reading there would miss rows.
    calls: list[str] = []
    with reading_ahead(allowed=not connection.in_atomic_block, statement_timeout_ms=1_000, application_name="x"):
        lookahead_start("next", lambda: calls.append("ahead"))
        assert lookahead_take("next", lambda: calls.append("now") or "read now") == "read now"
    assert calls == ["now"]


def test_a_read_ahead_serves_only_its_own_batch_and_passes_its_error_on(transactional_db):
    with reading_ahead(allowed=True, statement_timeout_ms=1_000, application_name="enrichhub test reading ahead"):
        lookahead_start(("job", 10), lambda: scalar("SELECT 10"))
        assert lookahead_take(("job", 20), lambda: "read in the batch") == "read in the batch"
        lookahead_start(("job", 20), lambda: scalar("SELECT current_setting('application_name')"))
        assert lookahead_take(("job", 20), lambda: "unused") == "enrichhub test reading ahead"
        lookahead_start(("job", 30), lambda: scalar("SELECT 1 / 0"))
        with pytest.raises(Exception, match="division by zero"):
            lookahead_take(("job", 30), lambda: "unused")
    assert _sessions_left("enrichhub test reading ahead") == 0
