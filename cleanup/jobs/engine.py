"""The one runner of every long job.

Each batch runs in its own short transaction with SET LOCAL statement_timeout and
lock_timeout, and saves the checkpoint and progress in that same transaction: a worker
killed mid-batch loses only that batch's uncommitted work and the next run resumes from
the last checkpoint, with no duplicate and no hole. A session-level advisory lock keyed
by the job id makes a second runner of the same job return at once. Pause and cancel are
read between batches. The batch size adapts so a batch takes about its kind's target_batch_ms: long
enough that per-batch overhead stays small, short enough that no lock is held for long.
"""

import logging
import time
from collections.abc import Callable
from contextlib import nullcontext

import psycopg
from django.conf import settings
from django.db import DatabaseError, IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from cleanup.jobs import sql
from cleanup.jobs.kinds import kind_get
from cleanup.jobs.kinds.base import Batch, JobKind
from cleanup.jobs.lookahead import reading_ahead
from cleanup.jobs.models import BatchJob
from cleanup.jobs.signals import job_completed

logger = logging.getLogger("enrichhub.jobs")
batch_logger = logging.getLogger("enrichhub.jobs.batches")  # a file of its own (settings.LOGGING)

STATEMENT_TIMEOUT_MS = 30_000
LOCK_TIMEOUT_MS = 2_000
LOCK_RETRIES = 4
RETRY_BACKOFF_S = 0.5
MIN_BATCH_ROWS = 100
BUSY = "busy"  # another runner holds the job
INTERRUPTED = "interrupted"  # the database went away mid-batch; the resume sweep continues the job

Progress = Callable[[BatchJob], None]
_PROGRESS_FIELDS = ["checkpoint", "rows_done", "batches", "longest_batch_ms", "updated_at"]


def job_run(*, job_id: int, budget_s: float | None = None, progress: Progress | None = None,
            should_stop: Callable[[], bool] = lambda: False) -> str:
    """Run batches until the job completes, is paused or cancelled, fails, the budget is
    spent or should_stop() says so. Returns the job's status then, or BUSY."""
    if not sql.job_lock_try(job_id=job_id):
        return BUSY
    try:
        return _run_locked(job_id, budget_s, progress, should_stop)
    finally:
        if not sql.connection_lost():  # else the lock ended with the session
            sql.job_lock_release(job_id=job_id)


def _run_locked(job_id: int, budget_s: float | None, progress: Progress | None,
                should_stop: Callable[[], bool]) -> str:
    job = BatchJob.objects.get(pk=job_id)
    if job.is_finished or job.status == BatchJob.Status.PAUSED:
        return job.status
    kind = kind_get(job.kind)
    sql.application_name_set(name=f"enrichhub job {job.pk} {job.kind}")
    _mark(job, status=BatchJob.Status.RUNNING, started_at=job.started_at or timezone.now(), last_error="")
    deadline = time.monotonic() + budget_s if budget_s else None
    limit = job.batch_size
    try:
        kind.prepare(job)
        # Outside any transaction every batch commits on its own, so another connection may read ahead.
        with reading_ahead(allowed=settings.JOB_READ_AHEAD and not connection.in_atomic_block,
                           statement_timeout_ms=STATEMENT_TIMEOUT_MS,
                           application_name=f"enrichhub job {job.pk} {job.kind}, reading ahead"):
            while True:
                requested = BatchJob.objects.values_list("status", flat=True).get(pk=job.pk)
                if requested in (BatchJob.Status.PAUSED, BatchJob.Status.CANCELLED):
                    return _stopped(job, requested)
                if should_stop() or (deadline and time.monotonic() > deadline):
                    return BatchJob.Status.RUNNING
                batch, elapsed_ms = _batch_with_retries(job, kind, limit)
                if progress:
                    progress(job)
                if batch.done:
                    break
                limit = _adapted(limit, elapsed_ms, kind)
                time.sleep(job.sleep_ms / 1000)
        kind.finish(job)  # may add its closing figures to the checkpoint
        _mark(job, status=BatchJob.Status.COMPLETED, finished_at=timezone.now(), checkpoint=job.checkpoint)
        _written_tables_maintain(job, kind)
        tables = kind.written_tables(job)
        transaction.on_commit(lambda: job_completed.send(sender=BatchJob, job=job, tables=tables))
        return job.status
    except Exception as exc:
        if isinstance(exc, DatabaseError) and sql.connection_lost(exc):
            # Not a failure: the batch rolled back with the session, the checkpoint holds, and the
            # resume sweep continues the job once the database answers. One line, no traceback.
            logger.warning("job %s (%s): the database connection was lost mid-batch (%s); the batch rolled back and "
                           "the job continues from its checkpoint when the database is back",
                           job.pk, job.kind, _first_line(exc))
            return INTERRUPTED
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        _mark(job, status=BatchJob.Status.FAILED, finished_at=timezone.now(), last_error=f"{type(exc).__name__}: {exc}")
        return job.status


def _first_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _written_tables_maintain(job: BatchJob, kind: JobKind) -> None:
    """After many writes the planner's statistics are stale and the visibility map is behind,
    so the next index-only scan walks the heap: vacuum and analyse what the job wrote. Never
    fails the job; what happened is kept in its checkpoint."""
    if job.rows_done < settings.JOB_MAINTENANCE_MIN_ROWS:
        return
    vacuum = not connection.in_atomic_block
    done, problems = [], []
    for table in kind.written_tables(job):
        try:
            # Inside a transaction (tests), a savepoint keeps a failure from aborting it.
            with transaction.atomic() if not vacuum else nullcontext():
                sql.table_maintain(table=table, vacuum=vacuum)
            done.append(table)
        except DatabaseError as exc:
            logger.warning("job %s: could not maintain %s: %s", job.pk, table, exc)
            problems.append(f"{table}: {exc}".strip())
    job.checkpoint = {**job.checkpoint, "maintained": {"vacuum": vacuum, "tables": done, "problems": problems}}
    _mark(job, checkpoint=job.checkpoint)


def _batch_with_retries(job: BatchJob, kind: JobKind, limit: int) -> tuple[Batch, int]:
    for attempt in range(LOCK_RETRIES + 1):
        try:
            return _batch(job, kind, limit)
        except (OperationalError, IntegrityError) as exc:
            job.refresh_from_db(fields=_PROGRESS_FIELDS[:-1])  # the batch rolled back; so does our copy
            if attempt == LOCK_RETRIES or not _retryable(exc):
                raise
            wait = RETRY_BACKOFF_S * 2 ** attempt
            logger.warning("job %s batch hit %s; retrying in %.1fs", job.pk, type(exc.__cause__).__name__, wait)
            time.sleep(wait)
    raise AssertionError("unreachable")


def _retryable(exc: Exception) -> bool:
    """Waiting for a lock, or a row changed under us (a new reference appeared): try again."""
    cause = exc.__cause__
    return isinstance(cause, psycopg.errors.LockNotAvailable | psycopg.errors.ForeignKeyViolation |
                      psycopg.errors.SerializationFailure | psycopg.errors.DeadlockDetected)


def _batch(job: BatchJob, kind: JobKind, limit: int) -> tuple[Batch, int]:
    began = time.monotonic()
    with transaction.atomic():
        sql.batch_limits_set(statement_timeout_ms=STATEMENT_TIMEOUT_MS, lock_timeout_ms=LOCK_TIMEOUT_MS)
        batch = kind.run_batch(job, limit=limit)
        elapsed_ms = round((time.monotonic() - began) * 1000)
        job.checkpoint = batch.checkpoint
        job.rows_done += batch.rows
        job.batches += 1
        job.longest_batch_ms = max(job.longest_batch_ms, elapsed_ms)
        job.save(update_fields=_PROGRESS_FIELDS)  # in the batch's transaction: both or neither
    batch_logger.info("job %s batch %s: %s rows in %s ms, checkpoint %s", job.pk, job.batches, batch.rows,
                      elapsed_ms, batch.checkpoint)
    return batch, elapsed_ms


def _adapted(limit: int, elapsed_ms: int, kind: JobKind) -> int:
    """The next batch's size: doubled while batches are quick, halved when slow, within the kind's cap."""
    if elapsed_ms < kind.target_batch_ms / 2:
        limit *= 2
    elif elapsed_ms > kind.target_batch_ms:
        limit = max(limit // 2, MIN_BATCH_ROWS)
    return min(limit, kind.max_batch_rows)


def _stopped(job: BatchJob, requested: str) -> str:
    job.status = requested
    if requested == BatchJob.Status.CANCELLED:
        _mark(job, finished_at=timezone.now())
    return requested


def _mark(job: BatchJob, **fields: object) -> None:
    for name, value in fields.items():
        setattr(job, name, value)
    job.save(update_fields=[*fields, "updated_at"])
