"""The cleanup app's recurring work as django-q2 Schedules (enrichhub.schedules installs every app's).

Reported runs reach core through a tick every minute that gives each coalescing workflow one
job for the entities completed since the last tick (cleanup.coalescing.reported_runs), rather than a task
per event: bursts are batched for free and the runs app stays unaware of the jobs
(dependencies point cleanup -> runs). A sweep every five minutes catches rows that arrived
without a report; a daily reconciliation proves older rows were not left behind.
"""

from django_q.models import Schedule

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
