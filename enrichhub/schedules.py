"""enrichhub's recurring work: every installed app may declare django-q2 Schedules in its own
`schedules` module, as SCHEDULES of (name, function, args, schedule type, minutes)."""

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django_q.models import Schedule


def project_schedules() -> list[tuple]:
    found: list[tuple] = []
    for config in apps.get_app_configs():
        module = f"{config.name}.schedules"
        if module != __name__ and find_spec(module) is not None:
            found += import_module(module).SCHEDULES
    return found


SCHEDULES = project_schedules()


def schedules_ensure() -> list[tuple[str, bool]]:
    """Create the schedules that are missing and bring the others up to date. (name, created)."""
    outcome = []
    for name, func, args, kind, minutes in SCHEDULES:
        _, created = Schedule.objects.update_or_create(
            name=name, defaults={"func": func, "args": args or None, "schedule_type": kind, "minutes": minutes,
                                 "repeats": -1})
        outcome.append((name, created))
    return outcome
