"""django-q2 entry points of the cleanup app."""

from django.conf import settings

from cleanup.alerts import alerts_evaluate
from cleanup.coalescing import coalescing_job_params, coalescing_workflows, reported_runs_coalesce
from cleanup.engine import job_run
from cleanup.gaps import gaps_check
from cleanup.models import BatchJob
from cleanup.services import (
    JobRefused,
    interrupted_jobs_resume,
    job_create,
    job_enqueue,
    job_preview,
    job_slice_enqueue,
)

# Stop well inside the q2 timeout so the checkpoint is saved by us, not lost to a kill.
BUDGET_MARGIN_S = 60


def job_run_task(job_id: int) -> str:
    """Run a slice of the job; if the time budget ran out, queue the next slice."""
    status = job_run(job_id=job_id, budget_s=max(30, settings.Q_TIMEOUT - BUDGET_MARGIN_S))
    if status == BatchJob.Status.RUNNING:
        # Queued, not running, while it waits for a worker: only a job whose runner died is
        # running without one.
        BatchJob.objects.filter(pk=job_id, status=BatchJob.Status.RUNNING).update(status=BatchJob.Status.QUEUED)
        job_slice_enqueue(job_id=job_id)
    return status


def interrupted_jobs_resume_task() -> list[int]:
    """Every minute: jobs whose runner died continue from their checkpoint."""
    return interrupted_jobs_resume()


def job_start_task(kind: str, params: dict | None = None) -> int:
    """For q2 Schedules of recurring kinds (e.g. tenure_backfill every night)."""
    job = job_create(kind=kind, params=params or {})
    job_enqueue(job=job)
    return job.pk


def job_start_if_idle_task(kind: str, params: dict | None = None) -> str:
    """For frequent schedules: start a job unless one of its kind is still active."""
    try:
        job_id = job_start_task(kind, params)
    except JobRefused as exc:
        return f"skipped: {exc}"
    return f"started job #{job_id}"


def coalesce_reported_runs_task() -> dict[str, str]:
    """Every minute: the entities whose runs completed since the last tick, one job per workflow."""
    return reported_runs_coalesce()


def coalescing_sweeps_task() -> dict[str, str]:
    """Every few minutes: a sweep of every coalescing workflow from its high-water mark, for rows
    that arrived without a run report. A workflow with an active job is left to it."""
    outcome = {}
    for workflow in coalescing_workflows():
        kind, params = coalescing_job_params(workflow)
        # Nothing past the mark: no job at all, so the job list does not fill with empty sweeps.
        if job_preview(kind=kind, params=params).would_change == 0:
            outcome[workflow] = "nothing new"
        else:
            outcome[workflow] = job_start_if_idle_task(kind, params)
    return outcome


def gaps_check_task() -> dict:
    """Hourly: measure the gaps, keep a snapshot, open or resolve alerts."""
    gaps = gaps_check()
    changes = alerts_evaluate(gaps=gaps)
    return {"workflows": len(gaps), "opened": len(changes.opened), "resolved": len(changes.resolved)}
