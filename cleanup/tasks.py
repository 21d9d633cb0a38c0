"""The cleanup app's django-q2 entry points, under the names its schedules and queued tasks
store: the functions live in the rooms, these names stay put."""

from cleanup.coalescing.tasks import coalesce_reported_runs_task, coalescing_sweeps_task
from cleanup.gaps.tasks import gaps_check_task
from cleanup.jobs.tasks import (
    draft_dry_run_task,
    interrupted_jobs_resume_task,
    job_run_task,
    job_start_if_idle_task,
    job_start_task,
    stale_drafts_discard_task,
)

__all__ = ["coalesce_reported_runs_task", "coalescing_sweeps_task", "draft_dry_run_task",
           "gaps_check_task", "interrupted_jobs_resume_task",
           "job_run_task", "job_start_if_idle_task", "job_start_task", "stale_drafts_discard_task"]
