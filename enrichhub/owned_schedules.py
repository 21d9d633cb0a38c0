"""Schedules people make: one of enrichhub's entry points, typed arguments, an owner whose
permissions are checked when it is saved and every time it runs."""

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django_q.models import Schedule

from enrichhub.entry_points import entry_point_for_path
from enrichhub.models import OwnedSchedule
from kernel import EntryPoint, EntryPointRefused

# What the q2 Schedule of an owned schedule runs, with the owned schedule's id.
RUNNER = "enrichhub.tasks.owned_schedule_run_task"


def owned_schedule_check(*, entry: EntryPoint, user: Any, arguments: dict[str, Any]) -> None:
    """Whether `user` may have `entry` run for them with `arguments`; refused with the reason."""
    if not user.is_active:
        raise EntryPointRefused(f"{entry.path}: its owner {user} is deactivated")
    if not entry.schedulable:
        raise EntryPointRefused(f"{entry.path} is queued by enrichhub itself and cannot be scheduled")
    if entry.permission and not (user.is_superuser or user.has_perm(entry.permission)):
        raise EntryPointRefused(f"{entry.path}: {user} lacks the permission {entry.permission!r}")
    entry.arguments_check((), arguments, from_person=True)
    if entry.owner_check and (reason := entry.owner_check(user, arguments)):
        raise EntryPointRefused(f"{entry.path}: {reason}")


def owned_schedule_save(*, owned: OwnedSchedule | None, entry_point: str, arguments: dict[str, Any], user: Any,
                        name: str, schedule_type: str, minutes: int | None = None, cron: str | None = None,
                        next_run: datetime | None = None, repeats: int = -1) -> OwnedSchedule:
    """Create or change a schedule; its owner becomes `user`, whose permissions it then runs with."""
    entry = entry_point_for_path(entry_point)
    owned_schedule_check(entry=entry, user=user, arguments=arguments)
    with transaction.atomic():
        schedule = owned.schedule if owned else Schedule(func=RUNNER)
        schedule.name, schedule.schedule_type, schedule.minutes = name, schedule_type, minutes
        schedule.cron, schedule.repeats = cron or None, repeats
        if next_run:
            schedule.next_run = next_run
        schedule.func, schedule.kwargs, schedule.hook = RUNNER, None, None
        schedule.save()
        owned = owned or OwnedSchedule(schedule=schedule)
        owned.entry_point, owned.arguments, owned.owner = entry.paths[0], arguments, user
        owned.save()
        Schedule.objects.filter(pk=schedule.pk).update(args=repr(owned.pk))
    return owned


def owned_schedule_run(*, schedule_id: int) -> Any:
    """Run a person's schedule as that person. Entry point, arguments and permission are checked
    again now: a permission taken away since it was saved stops it."""
    owned = OwnedSchedule.objects.filter(pk=schedule_id).first()
    if owned is None:
        raise EntryPointRefused(f"owned schedule #{schedule_id} no longer exists (its owner was deleted?)")
    entry = entry_point_for_path(owned.entry_point)
    # Fresh, since permissions are cached per object; without the password, which the cluster's
    # database role may not read (enrichhub.db_roles).
    owner = get_user_model().objects.defer("password").get(pk=owned.owner_id)
    kwargs = dict(owned.arguments)
    owned_schedule_check(entry=entry, user=owner, arguments=kwargs)
    if entry.acts_for_user:
        kwargs["user_id"] = owner.pk
    return entry.func(**kwargs)
