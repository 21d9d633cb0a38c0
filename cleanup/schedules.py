"""The cleanup app's recurring work as django-q2 Schedules (enrichhub.schedules installs every app's),
and the entry points the q2 cluster may run for it (kernel.entry_points).

Reported runs reach core through a tick every minute that gives each coalescing workflow one
job for the entities completed since the last tick (cleanup.coalescing.reported_runs), rather than a task
per event: bursts are batched for free and the runs app stays unaware of the jobs
(dependencies point cleanup -> runs). A sweep every five minutes catches rows that arrived
without a report; a daily reconciliation proves older rows were not left behind.
"""

from collections.abc import Callable
from typing import Any

from django_q.models import Schedule

from cleanup import tasks
from cleanup.jobs.services import CHANGE_PERMISSION, START_PERMISSION, job_start_refusal
from kernel import EntryPoint

SCHEDULES = [
    # name, function, args, schedule type, minutes between runs (the form enrichhub.schedules reads)
    ("enrichhub: coalesce reported runs", "cleanup.tasks.coalesce_reported_runs_task", "", Schedule.MINUTES, 1),
    ("enrichhub: coalescing sweep", "cleanup.tasks.coalescing_sweeps_task", "", Schedule.MINUTES, 5),
    ("enrichhub: coalescing reconciliation", "cleanup.tasks.job_start_if_idle_task",
     "'coalesce_person_experience', {'mode': 'reconcile'}", Schedule.DAILY, None),
    ("enrichhub: gap check and alerts", "cleanup.tasks.gaps_check_task", "", Schedule.HOURLY, None),
    # The hourly check reads only rows past its marks; this one counts from scratch and
    # reports what deletions and re-keyed rows had made it miss.
    ("enrichhub: gap full recount", "cleanup.tasks.gaps_check_task", "True", Schedule.WEEKLY, None),
    ("enrichhub: resume interrupted jobs", "cleanup.tasks.interrupted_jobs_resume_task", "", Schedule.MINUTES, 1),
    # A draft nobody confirmed within a day is discarded: its dry run is stale by then.
    ("enrichhub: discard stale job drafts", "cleanup.tasks.stale_drafts_discard_task", "", Schedule.HOURLY, None),
]


def _entry(func: Callable[..., Any], label: str, **options: Any) -> EntryPoint:
    # Schedules and queued tasks store these functions under cleanup.tasks (the facade).
    return EntryPoint(func, label, aliases=(f"cleanup.tasks.{func.__name__}",), **options)


def _job_start_refusal(user: Any, arguments: dict[str, Any]) -> str | None:
    return job_start_refusal(user=user, kind=arguments.get("kind"), params=arguments.get("params"))


ENTRY_POINTS = [
    _entry(tasks.coalesce_reported_runs_task, "Coalesce the runs reported since the last tick",
           permission=START_PERMISSION),
    _entry(tasks.coalescing_sweeps_task, "Sweep every coalescing workflow for rows that arrived unreported",
           permission=START_PERMISSION),
    _entry(tasks.job_start_if_idle_task, "Start a job unless one of its kind is active",
           permission=START_PERMISSION, acts_for_user=True, owner_check=_job_start_refusal),
    _entry(tasks.job_start_task, "Start a job", permission=START_PERMISSION, acts_for_user=True,
           owner_check=_job_start_refusal),
    _entry(tasks.gaps_check_task, "Check the coalescing gaps and send alerts"),
    _entry(tasks.interrupted_jobs_resume_task, "Resume jobs whose runner died", permission=CHANGE_PERMISSION),
    _entry(tasks.stale_drafts_discard_task, "Discard job drafts nobody confirmed within a day",
           permission=CHANGE_PERMISSION),
    _entry(tasks.job_run_task, "Run a slice of a job", schedulable=False),
    _entry(tasks.draft_dry_run_task, "Dry-run a drafted job", schedulable=False),
]
