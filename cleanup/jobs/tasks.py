"""django-q2 entry points of the job engine."""

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from cleanup.jobs.engine import INTERRUPTED, job_run
from cleanup.jobs.models import BatchJob
from cleanup.jobs.services import (
    JobPermissionDenied,
    JobRefused,
    NothingToDo,
    draft_dry_run,
    interrupted_jobs_resume,
    job_slice_enqueue,
    job_start,
    stale_drafts_discard,
)

# Stop well inside the q2 timeout so the checkpoint is saved by us, not lost to a kill.
BUDGET_MARGIN_S = 60


def job_run_task(job_id: int) -> str:
    """Run a slice of the job; if the time budget ran out, queue the next slice."""
    status = job_run(job_id=job_id, budget_s=max(30, settings.Q_TIMEOUT - BUDGET_MARGIN_S))
    if status == INTERRUPTED:
        return f"job #{job_id} interrupted by a lost database connection; the resume sweep continues it"
    if status == BatchJob.Status.RUNNING:
        # Queued, not running, while it waits for a worker: only a job whose runner died is
        # running without one. Since when it waits tells a lost task (services.py).
        BatchJob.objects.filter(pk=job_id, status=BatchJob.Status.RUNNING).update(
            status=BatchJob.Status.QUEUED, updated_at=timezone.now())
        job_slice_enqueue(job_id=job_id)
    return status


def draft_dry_run_task(job_id: int) -> str:
    """The dry run of a job drafted in the admin, off the web request; the draft page shows it."""
    report = draft_dry_run(job_id=job_id)
    return report["summary"] if report else f"job #{job_id} is no draft waiting for a dry run"


def stale_drafts_discard_task() -> list[int]:
    """Hourly: drafts nobody confirmed within a day are cancelled."""
    return stale_drafts_discard()


def interrupted_jobs_resume_task() -> list[int]:
    """Every minute: jobs whose runner died continue from their checkpoint."""
    return interrupted_jobs_resume()


def job_start_task(kind: str, params: dict | None = None, user_id: int | None = None) -> int:
    """For q2 Schedules of recurring kinds (e.g. tenure_backfill every night). `user_id` is the
    schedule's owner, whose permissions the start needs and who is recorded as its starter; None
    is the operator of the machine (the schedules enrichhub installs)."""
    return job_start(kind=kind, params=params or {}, user=_person(user_id)).pk


def _person(user_id: int | None) -> Any:
    if user_id is None:
        return None
    user = get_user_model().objects.defer("password").filter(pk=user_id).first()  # the jobs role cannot read it
    if user is None:
        raise JobRefused(f"user #{user_id}, for whom the job was to start, no longer exists")
    return user


def job_start_if_idle_task(kind: str, params: dict | None = None, user_id: int | None = None) -> str:
    """For frequent schedules: start a job unless one of its kind is still active."""
    return job_start_outcome(kind, params, user_id=user_id)


def job_start_outcome(kind: str, params: dict | None, *, user_id: int | None = None,
                      unless_nothing_to_do: bool = False) -> str:
    """Start a job, or say why not: for a schedule another active job is no failure, but a
    missing permission is."""
    try:
        job = job_start(kind=kind, params=params or {}, user=_person(user_id),
                        unless_nothing_to_do=unless_nothing_to_do)
    except JobPermissionDenied:
        raise  # a failed task in the admin, not a quiet skip
    except NothingToDo:
        return "nothing new"
    except JobRefused as exc:
        return f"skipped: {exc}"
    return f"started job #{job.pk}"
