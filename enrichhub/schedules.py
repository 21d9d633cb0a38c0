"""enrichhub's recurring work: every installed app may declare django-q2 Schedules in its own
`schedules` module, as SCHEDULES of (name, function, args, schedule type, minutes), and the
entry points the cluster may run for it, as ENTRY_POINTS (enrichhub.entry_points collects them).
This module holds enrichhub's own entry points."""

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django_q.models import Schedule

from enrichhub.tasks import cluster_ping_task, cut_off_tasks_record_task, owned_schedule_run_task
from kernel import EntryPoint


def project_schedules() -> list[tuple]:
    found: list[tuple] = []
    for config in apps.get_app_configs():
        module = f"{config.name}.schedules"
        if module != __name__ and find_spec(module) is not None:
            found += import_module(module).SCHEDULES
    return found


SCHEDULES = [*project_schedules(),
             ("enrichhub: tasks cut off by the time limit", "enrichhub.tasks.cut_off_tasks_record_task", "",
              Schedule.MINUTES, 1)]

ENTRY_POINTS = [
    EntryPoint(cluster_ping_task, "Answer pong: proves a cluster runs tasks"),
    EntryPoint(cut_off_tasks_record_task, "Show tasks cut off at q2's time limit as failed tasks"),
    # Queued by the schedules people make; the schedule names its own entry point.
    EntryPoint(owned_schedule_run_task, "Run a schedule as the person who made it", schedulable=False),
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
