"""Starting, dry-running, pausing, resuming and cancelling jobs."""

import logging
import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

import psycopg
from django.conf import settings
from django.db import OperationalError, transaction
from django.utils import timezone
from django_q.tasks import async_task

from cleanup.jobs import sql
from cleanup.jobs.kinds import kind_get
from cleanup.jobs.kinds.base import DryRun, JobParamsError
from cleanup.jobs.models import BatchJob

# By name: the tasks module imports this one. lint-imports checks that the names exist and stay
# in this room (tools/task_path_contract.py); cleanup.tasks keeps the older names for queued tasks.
DRY_RUN_TASK = "cleanup.jobs.tasks.draft_dry_run_task"
SLICE_TASK = "cleanup.jobs.tasks.job_run_task"

logger = logging.getLogger("enrichhub.jobs")
ACTIVE = (BatchJob.Status.QUEUED, BatchJob.Status.RUNNING, BatchJob.Status.PAUSED)
# Starting a job is adding one; pausing, resuming and cancelling change one. Kinds that delete,
# drop or restore also need the destructive permission to start or resume.
START_PERMISSION = "cleanup.add_batchjob"
CHANGE_PERMISSION = "cleanup.change_batchjob"
DESTRUCTIVE_PERMISSION = "cleanup.run_destructive_job"
_PERMISSION_NAMES = {START_PERMISSION: "add batch job", CHANGE_PERMISSION: "change batch job"}
# A runner saves progress after every batch and holds the job's advisory lock while it lives.
# A running job whose lock nobody holds, silent for longer than this, lost its runner.
RUNNER_GRACE = timedelta(seconds=10)
# How much longer than q2's own `retry` a queued job waits before the sweep gives it a new task.
LOST_TASK_MARGIN = timedelta(seconds=60)
DRAFT_LIFETIME = timedelta(days=1)
# Who asks: a Django user (maybe anonymous), or None for the operator of the machine (a command
# line, a schedule), who may do everything.
Operator = Any


class JobRefused(Exception):
    """The job cannot be started or changed now; the message says why."""


class JobPermissionDenied(JobRefused):
    """The person asking lacks a permission the job needs: never a reason to skip quietly."""


class NothingToDo(JobRefused):
    """The dry run found nothing for the job to do, and the caller asked not to start it then."""


def job_draft(*, kind: str, params: dict | None = None, batch_size: int = 1000, sleep_ms: int = 5,
              user: Operator = None) -> BatchJob:
    """Record a job to be confirmed once its dry run is in. The dry run is handed to the q2
    cluster, so the request that asked for it returns at once, whatever the warehouse size."""
    job = _draft_record(kind=kind, params=params, batch_size=batch_size, sleep_ms=sleep_ms, user=user)
    transaction.on_commit(lambda: async_task(DRY_RUN_TASK, job.pk, task_name=f"dry-run-{job.pk}"))
    return job


def job_start(*, kind: str, params: dict | None = None, batch_size: int = 1000, sleep_ms: int = 5,
              user: Operator = None, enqueue: bool = True, unless_nothing_to_do: bool = False) -> BatchJob:
    """The admin's draft and confirmation in one call, for whoever waits for the dry run (a
    command line, a schedule, a repair): the same bounded dry run runs here, then the draft is
    confirmed. A refusal leaves no job behind. `enqueue=False` leaves the queued job to the
    caller, who runs it in the foreground."""
    with transaction.atomic():
        job = _draft_record(kind=kind, params=params, batch_size=batch_size, sleep_ms=sleep_ms, user=user)
        _refuse_if_active(job.kind, job.params)  # before counting: the count may take a while
        report = draft_dry_run(job_id=job.pk) or {}
        if unless_nothing_to_do and not report.get("blocked") and report.get("would_change") == 0:
            raise NothingToDo(f"{kind}: {report['summary']}")
        return job_confirm(job=job, user=user, enqueue=enqueue)


def _draft_record(*, kind: str, params: dict | None, batch_size: int, sleep_ms: int, user: Operator) -> BatchJob:
    job_kind = kind_get(kind)
    _check_permissions(user, kind, START_PERMISSION, "start")
    cleaned = job_kind.clean_params(params or {})
    return BatchJob.objects.create(kind=kind, params=cleaned, batch_size=batch_size, sleep_ms=sleep_ms,
                                   status=BatchJob.Status.DRAFT, started_by=_starter(user))


def draft_dry_run(*, job_id: int) -> dict | None:
    """The dry run of a draft, recorded on it; None when there is no such draft or it has one."""
    job = BatchJob.objects.filter(pk=job_id, status=BatchJob.Status.DRAFT, dry_run_report__isnull=True).first()
    if job is None:
        return None
    try:
        report = job_dry_run_bounded(job=job, exact_s=settings.JOB_DRY_RUN_EXACT_S)
    except Exception as exc:  # recorded on the draft: a page waiting for ever would say nothing
        logger.exception("dry run of job %s (%s) failed", job.pk, job.kind)
        report = _report(DryRun(None, f"the dry run failed: {type(exc).__name__}: {exc}".strip(),
                                blocked=f"the dry run failed: {exc}".strip()), estimated=False)
    BatchJob.objects.filter(pk=job_id, status=BatchJob.Status.DRAFT).update(dry_run_report=report)
    return report


def job_dry_run_bounded(*, job: BatchJob, exact_s: float) -> dict:
    """The dry run as a report, exact when its statements finish within `exact_s` each; else the
    planner's estimate of the same count, marked as such."""
    began = time.monotonic()
    try:
        with transaction.atomic():
            _statement_limit(exact_s)
            report = _report(kind_get(job.kind).dry_run(job), estimated=False)
            transaction.set_rollback(True)
    except OperationalError as exc:
        if not isinstance(exc.__cause__, psycopg.errors.QueryCanceled):
            raise
        report = _dry_run_estimated(job, exact_s)
    return {**report, "seconds": round(time.monotonic() - began, 2)}


def _statement_limit(seconds: float) -> None:
    """A waited-for lock counts in the statement's time: no separate lock limit is needed."""
    sql.batch_limits_set(statement_timeout_ms=round(seconds * 1000), lock_timeout_ms=0)


def _dry_run_estimated(job: BatchJob, exact_s: float) -> dict:
    with transaction.atomic():
        _statement_limit(exact_s)  # planning waits for the same locks as counting
        estimate = kind_get(job.kind).planner_estimate(job)
        transaction.set_rollback(True)
    if estimate is None:
        summary = (f"an exact count takes longer than {exact_s:g} s, and this kind has no estimate: "
                   "the job's progress shows the count as it goes")
    else:
        summary = (f"about {estimate:,} rows: the planner's estimate, because an exact count takes longer "
                   f"than {exact_s:g} s; the job's progress shows the exact figure as it goes")
    return _report(DryRun(estimate, summary), estimated=True)


def _report(dry_run: DryRun, *, estimated: bool) -> dict:
    """A dry run as a draft stores it, saying whether its count is the planner's estimate. Its
    count is the job's total (BatchJob.total): nothing counts the job's work again."""
    return {**vars(dry_run), "estimated": estimated}


def stale_drafts_discard(*, older_than: timedelta = DRAFT_LIFETIME) -> list[int]:
    """Cancel drafts nobody confirmed in time: the figures of their dry runs are stale."""
    stale = BatchJob.objects.filter(status=BatchJob.Status.DRAFT, created_at__lt=timezone.now() - older_than)
    discarded = sorted(stale.values_list("pk", flat=True))
    BatchJob.objects.filter(pk__in=discarded, status=BatchJob.Status.DRAFT).update(
        status=BatchJob.Status.CANCELLED, last_error=f"draft discarded: not confirmed within {older_than}")
    return discarded


def job_confirm(*, job: BatchJob, user: Operator = None, enqueue: bool = True) -> BatchJob:
    """Queue a draft whose dry run is in and allows it; the dry run is not repeated, and its
    count is the job's total."""
    _check_permissions(user, job.kind, START_PERMISSION, "start")
    with transaction.atomic():
        draft = BatchJob.objects.select_for_update().get(pk=job.pk)
        if draft.status != BatchJob.Status.DRAFT:
            raise JobRefused(f"{draft} is {draft.status}, not a draft waiting to be confirmed")
        report = draft.dry_run_report
        if report is None:
            raise JobRefused(f"{draft}: its dry run has not finished yet")
        if report.get("blocked"):
            raise JobRefused(f"{draft.kind} cannot run now: {report['blocked']}")
        _refuse_if_active(draft.kind, draft.params)
        draft.status = BatchJob.Status.QUEUED
        draft.started_by = _starter(user)
        draft.save(update_fields=["status", "started_by", "updated_at"])
        if enqueue:
            job_enqueue(job=draft)
    return draft


def job_preview(*, kind: str, params: dict | None = None) -> dict:
    """The dry run of a job not recorded (run_job --dry-run), bounded as a draft's is."""
    unsaved = BatchJob(kind=kind, params=kind_get(kind).clean_params(params or {}))
    return job_dry_run_bounded(job=unsaved, exact_s=settings.JOB_DRY_RUN_EXACT_S)


def job_enqueue(*, job: BatchJob) -> None:
    """Hand the job to the q2 cluster once the surrounding transaction commits."""
    transaction.on_commit(lambda: job_slice_enqueue(job_id=job.pk))


def job_slice_enqueue(*, job_id: int) -> None:
    """The one q2 task that runs a slice of a job (the task name shows which job in q2's lists)."""
    async_task(SLICE_TASK, job_id, task_name=f"job-{job_id}")


def job_pause(*, job: BatchJob, user: Operator = None) -> bool:
    """Takes effect between batches. False when the job was not queued or running."""
    _check_change_permission(user, job)
    return _transition(job, {BatchJob.Status.QUEUED, BatchJob.Status.RUNNING}, BatchJob.Status.PAUSED)


def job_resume(*, job: BatchJob, user: Operator = None) -> bool:
    """Resuming a destructive job deletes what is left: it needs the destructive permission too."""
    _check_permissions(user, job.kind, CHANGE_PERMISSION, "resume")
    resumed = _transition(job, {BatchJob.Status.PAUSED, BatchJob.Status.FAILED}, BatchJob.Status.QUEUED)
    if resumed:
        job_enqueue(job=job)
    return resumed


def job_cancel(*, job: BatchJob, user: Operator = None) -> bool:
    """Stops between batches; what earlier batches did stays done (and archived)."""
    _check_change_permission(user, job)
    return _transition(job, {*ACTIVE, BatchJob.Status.DRAFT}, BatchJob.Status.CANCELLED)


def jobs_interrupted(*, jobs: Iterable[BatchJob]) -> dict[int, timedelta]:
    """Running jobs whose runner died (killed, its machine gone): job id -> how long it has been silent."""
    running = [job for job in jobs if job.status == BatchJob.Status.RUNNING]
    if not running:
        return {}
    alive = sql.job_runners_alive(job_ids=[job.pk for job in running])
    now = timezone.now()
    return {job.pk: now - job.updated_at for job in running
            if job.pk not in alive and now - job.updated_at > RUNNER_GRACE}


def job_interruption(*, job: BatchJob) -> timedelta | None:
    """How long an interrupted job's runner has been silent; None when it is not interrupted."""
    return jobs_interrupted(jobs=[job]).get(job.pk)


def interrupted_job_for(*, kind: str, params: dict | None = None) -> BatchJob | None:
    """The interrupted job that starting `kind` with these parameters would continue."""
    cleaned = kind_get(kind).clean_params(params or {})
    candidates = [job for job in BatchJob.objects.filter(kind=kind, status=BatchJob.Status.RUNNING)
                  if job.params == cleaned]
    interrupted = jobs_interrupted(jobs=candidates)
    return next((job for job in candidates if job.pk in interrupted), None)


def job_resume_interrupted(*, job: BatchJob, user: Operator = None) -> bool:
    """Hand an interrupted job to the q2 cluster; it continues from its checkpoint."""
    _check_permissions(user, job.kind, CHANGE_PERMISSION, "resume")
    if job_interruption(job=job) is None:
        return False
    job_enqueue(job=job)
    return True


def interrupted_jobs_resume() -> list[int]:
    """The schedule's sweep: every interrupted job goes on, whatever q2's retry window says, and
    so does every job whose task was lost before it started."""
    running = list(BatchJob.objects.filter(status=BatchJob.Status.RUNNING))  # one query, read twice below
    interrupted = jobs_interrupted(jobs=running)
    for job in running:
        if job.pk in interrupted:
            job_enqueue(job=job)
    return sorted([*interrupted, *lost_queued_jobs_requeue()])


def lost_queued_jobs_requeue() -> list[int]:
    """Jobs queued for longer than q2 takes to hand a task on get a task again.

    On the Redis broker a task that a dying cluster had taken, but not started, is gone, and
    its job would stay queued for ever (the ORM broker hands it on after `retry`; this waits
    longer still). A job merely waiting for a busy worker gets a second task at most once per
    window: its job lock and status make a duplicate a no-op, and the chain it starts ends at
    the first slice that finds the lock held."""
    window = timedelta(seconds=settings.Q_RETRY_S) + LOST_TASK_MARGIN
    with transaction.atomic():
        stale = list(BatchJob.objects.select_for_update(skip_locked=True)
                     .filter(status=BatchJob.Status.QUEUED, updated_at__lt=timezone.now() - window)
                     .values_list("pk", flat=True))
        # Touched, so that the next sweep waits a whole window again.
        BatchJob.objects.filter(pk__in=stale).update(updated_at=timezone.now())
        for job_id in stale:
            transaction.on_commit(_slice_enqueuer(job_id))
    return stale


def _slice_enqueuer(job_id: int) -> Callable[[], None]:
    return lambda: job_slice_enqueue(job_id=job_id)


def _starter(user: Operator) -> Any:
    """Who a job records as its starter: a signed-in person, else nobody (the machine's operator)."""
    return user if user is not None and user.is_authenticated else None


def _refuse_if_active(kind: str, cleaned: dict) -> None:
    """One active job per kind (or per value of the kind's exclusive parameter). Holds the kind's
    lock until the caller's transaction ends, so two requests cannot both pass."""
    exclusive = kind_get(kind).exclusive_param
    sql.job_kind_lock(scope=f"{kind}:{cleaned.get(exclusive, '')}" if exclusive else kind)
    active = BatchJob.objects.filter(kind=kind, status__in=ACTIVE)
    scope = ""
    if exclusive and exclusive in cleaned:
        active = active.filter(**{f"params__{exclusive}": cleaned[exclusive]})
        scope = f" for {exclusive} {cleaned[exclusive]}"
    elif exclusive:
        active = active.exclude(params__has_key=exclusive)
    if blocking := active.first():
        state = "interrupted (its runner is gone)" if job_interruption(job=blocking) else blocking.status
        raise JobRefused(f"{kind} job #{blocking.pk}{scope} is {state}; finish, resume or cancel it first")


def job_start_refusal(*, user: Operator, kind: object, params: object = None) -> str | None:
    """Why `user` may not start a job of `kind` with `params`, or None (schedules are checked
    when saved, not only when they run)."""
    try:
        _check_permissions(user, str(kind), START_PERMISSION, "start")
        kind_get(str(kind)).clean_params(params if isinstance(params, dict) else {})
    except (JobRefused, JobParamsError) as exc:
        return str(exc)
    return None


def _check_change_permission(user: Operator, job: BatchJob) -> None:
    if user is not None and not user.has_perm(CHANGE_PERMISSION):
        raise JobPermissionDenied(f"changing {job} needs the 'change batch job' permission")


def _check_permissions(user: Operator, kind: str, permission: str, verb: str) -> None:
    if user is None:
        return
    if not user.has_perm(permission):
        raise JobPermissionDenied(f"{verb} {kind}: needs the '{_PERMISSION_NAMES[permission]}' permission")
    if kind_get(kind).destructive and not user.has_perm(DESTRUCTIVE_PERMISSION):
        raise JobPermissionDenied(
            f"{kind} deletes or moves warehouse data: it needs the 'run destructive jobs' permission")


def _transition(job: BatchJob, allowed: set[str], target: str) -> bool:
    changed = BatchJob.objects.filter(pk=job.pk, status__in=allowed).update(status=target, updated_at=timezone.now())
    job.refresh_from_db(fields=["status"])
    return changed == 1


__all__ = ["JobParamsError", "JobPermissionDenied", "JobRefused", "NothingToDo", "job_draft", "job_start",
           "draft_dry_run", "job_dry_run_bounded", "job_start_refusal",
           "job_confirm", "stale_drafts_discard", "job_preview", "job_enqueue", "job_pause",
           "job_resume", "job_cancel", "jobs_interrupted", "job_interruption", "interrupted_job_for",
           "job_resume_interrupted", "interrupted_jobs_resume", "job_slice_enqueue", "lost_queued_jobs_requeue"]
