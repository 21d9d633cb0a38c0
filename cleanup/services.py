"""Starting, dry-running, pausing, resuming and cancelling jobs."""

from django.db import transaction
from django_q.tasks import async_task

from cleanup.kinds import kind_get
from cleanup.kinds.base import DryRun, JobParamsError
from cleanup.models import BatchJob

ACTIVE = (BatchJob.Status.QUEUED, BatchJob.Status.RUNNING, BatchJob.Status.PAUSED)
DESTRUCTIVE_PERMISSION = "cleanup.run_destructive_job"


class JobRefused(Exception):
    """The job cannot be started or changed now; the message says why."""


def job_create(*, kind: str, params: dict | None = None, batch_size: int = 1000, sleep_ms: int = 5,
               user=None) -> BatchJob:
    """Validate and record a job (status queued) with its dry-run figures. Refuses a second
    active job of the same kind, and destructive kinds for users without the permission."""
    job_kind = kind_get(kind)
    if job_kind.destructive and user is not None and not user.has_perm(DESTRUCTIVE_PERMISSION):
        raise JobRefused(f"{kind} deletes or moves warehouse data: it needs the 'run destructive jobs' permission")
    cleaned = job_kind.clean_params(params or {})
    with transaction.atomic():
        active = BatchJob.objects.select_for_update().filter(kind=kind, status__in=ACTIVE)
        exclusive = getattr(job_kind, "exclusive_param", None)
        scope = ""
        if exclusive and exclusive in cleaned:
            active = active.filter(**{f"params__{exclusive}": cleaned[exclusive]})
            scope = f" for {exclusive} {cleaned[exclusive]}"
        elif exclusive:
            active = active.exclude(params__has_key=exclusive)
        if blocking := active.first():
            raise JobRefused(f"{kind} job #{blocking.pk}{scope} is {blocking.status}; finish, resume or cancel it "
                             "first")
        job = BatchJob.objects.create(kind=kind, params=cleaned, batch_size=batch_size, sleep_ms=sleep_ms,
                                      started_by=user if user is not None and user.is_authenticated else None)
        report = job_dry_run(job=job)
        if report.blocked:
            raise JobRefused(f"{kind} cannot run now: {report.blocked}")
        job.dry_run_report = vars(report)
        job.save(update_fields=["dry_run_report"])
    return job


def job_dry_run(*, job: BatchJob) -> DryRun:
    """What the job would do. Runs in a transaction that is always rolled back."""
    with transaction.atomic():
        report = kind_get(job.kind).dry_run(job)
        transaction.set_rollback(True)
    return report


def job_preview(*, kind: str, params: dict | None = None) -> DryRun:
    """The dry run of a job not created yet (the admin's confirmation page)."""
    job_kind = kind_get(kind)
    unsaved = BatchJob(kind=kind, params=job_kind.clean_params(params or {}))
    return job_dry_run(job=unsaved)


def job_enqueue(*, job: BatchJob) -> None:
    """Hand the job to the q2 cluster once the surrounding transaction commits."""
    transaction.on_commit(lambda: async_task("cleanup.tasks.job_run_task", job.pk, task_name=f"job-{job.pk}"))


def job_pause(*, job: BatchJob) -> bool:
    """Takes effect between batches. False when the job was not queued or running."""
    return _transition(job, {BatchJob.Status.QUEUED, BatchJob.Status.RUNNING}, BatchJob.Status.PAUSED)


def job_resume(*, job: BatchJob) -> bool:
    resumed = _transition(job, {BatchJob.Status.PAUSED, BatchJob.Status.FAILED}, BatchJob.Status.QUEUED)
    if resumed:
        job_enqueue(job=job)
    return resumed


def job_cancel(*, job: BatchJob) -> bool:
    """Stops between batches; what earlier batches did stays done (and archived)."""
    return _transition(job, set(ACTIVE), BatchJob.Status.CANCELLED)


def _transition(job: BatchJob, allowed: set[str], target: str) -> bool:
    changed = BatchJob.objects.filter(pk=job.pk, status__in=allowed).update(status=target)
    job.refresh_from_db(fields=["status"])
    return changed == 1


__all__ = ["JobParamsError", "JobRefused", "job_create", "job_dry_run", "job_preview", "job_enqueue", "job_pause",
           "job_resume", "job_cancel"]
