"""django-q2 entry points of coalescing."""

from cleanup.coalescing.reported_runs import coalescing_job_params, coalescing_workflows, reported_runs_coalesce
from cleanup.jobs.services import job_preview
from cleanup.jobs.tasks import job_start_if_idle_task


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
