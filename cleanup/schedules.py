"""The recurring work of enrichhub as django-q2 Schedules, created or updated in place.

New runs reach core through a frequent coalescing sweep rather than a task per reported
run: a sweep with nothing new costs a few milliseconds, bursts of events are batched for
free, and the runs app stays unaware of the jobs (dependencies point cleanup -> runs).
"""

from django_q.models import Schedule

SCHEDULES = [
    # name, function, args, schedule type, minutes between runs
    ("enrichhub: coalescing sweep", "cleanup.tasks.job_start_if_idle_task", "'coalesce_person_experience'",
     Schedule.MINUTES, 5),
    ("enrichhub: coalescing reconciliation", "cleanup.tasks.job_start_if_idle_task",
     "'coalesce_person_experience', {'mode': 'reconcile'}", Schedule.DAILY, None),
    ("enrichhub: gap check and alerts", "cleanup.tasks.gaps_check_task", "", Schedule.HOURLY, None),
]


def schedules_ensure() -> list[tuple[str, bool]]:
    """Create the schedules that are missing and bring the others up to date. (name, created)."""
    outcome = []
    for name, func, args, kind, minutes in SCHEDULES:
        _, created = Schedule.objects.update_or_create(
            name=name, defaults={"func": func, "args": args or None, "schedule_type": kind, "minutes": minutes,
                                 "repeats": -1})
        outcome.append((name, created))
    return outcome
