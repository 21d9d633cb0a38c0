"""django-q2 entry points of coalescing."""

from cleanup.coalescing.reported_runs import coalescing_job_params, coalescing_workflows, reported_runs_coalesce
from cleanup.jobs.tasks import job_start_outcome


def coalesce_reported_runs_task() -> dict[str, str]:
    """Every minute: the entities whose runs completed since the last tick, one job per workflow."""
    return reported_runs_coalesce()


def coalescing_sweeps_task() -> dict[str, str]:
    """Every few minutes: a sweep of every coalescing workflow from its high-water mark, for rows
    that arrived without a run report. A workflow with an active job is left to it."""
    # One dry run decides: nothing past the mark leaves no job at all (the job list does not fill
    # with empty sweeps); otherwise its count is the started job's total.
    return {workflow: job_start_outcome(*coalescing_job_params(workflow), unless_nothing_to_do=True)
            for workflow in coalescing_workflows()}
