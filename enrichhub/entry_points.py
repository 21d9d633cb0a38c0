"""The q2 cluster runs enrichhub's own entry points only (kernel.entry_points), collected from
every app's `schedules` module, and checks each task before it runs."""

import logging
from collections.abc import Callable
from functools import cache
from importlib import import_module
from importlib.util import find_spec
from typing import Any

from django.apps import apps

from kernel import EntryPoint, EntryPointRefused

logger = logging.getLogger("enrichhub.entry_points")


@cache
def project_entry_points() -> tuple[EntryPoint, ...]:
    found: list[EntryPoint] = []
    for config in apps.get_app_configs():
        module = f"{config.name}.schedules"
        if find_spec(module) is not None:
            found += getattr(import_module(module), "ENTRY_POINTS", [])
    return tuple(found)


def entry_point_for_func(func: object) -> EntryPoint | None:
    return next((entry for entry in project_entry_points() if entry.func is func), None)


def entry_point_for_path(path: str) -> EntryPoint:
    """The entry point stored under `path`; refused, naming it, when there is none."""
    for entry in project_entry_points():
        if path in entry.paths:
            return entry
    raise EntryPointRefused(f"{path!r} is not one of enrichhub's entry points; the cluster runs nothing else")


def schedulable_entry_points() -> list[EntryPoint]:
    return [entry for entry in project_entry_points() if entry.schedulable]


def task_check(*, func: object, func_path: str, args: Any, kwargs: Any) -> None:
    """Refuse a task that is no entry point, or whose arguments its function does not take."""
    entry = entry_point_for_func(func)
    if entry is None:
        raise EntryPointRefused(f"{func_path!r} is not one of enrichhub's entry points; the cluster runs nothing else")
    if not isinstance(args, tuple | list) or not isinstance(kwargs, dict):
        raise EntryPointRefused(f"{func_path}: arguments must be a list and keywords a mapping")
    entry.arguments_check(args, kwargs)


class RefusedArguments:
    """Stands in for a refused task's arguments. django-q2 resolves the function and then calls it
    itself, after its last hook (pre_execute); the arguments are all a hook can still change.
    Unpacking these raises inside q2's own error handling: the task is recorded as failed with
    the reason, in the admin's Failed tasks, and the function never runs."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __iter__(self) -> Any:
        raise EntryPointRefused(self.reason)

    def __repr__(self) -> str:
        return f"refused: {self.reason}"


def task_guard(sender: Any, func: Callable[..., Any] | None, task: dict, **_: Any) -> None:
    """django-q2's pre_execute signal, in the worker, before every task."""
    if func is None:
        return  # q2 itself fails a task whose function cannot be imported
    try:
        task_check(func=func, func_path=str(task.get("func")), args=task.get("args", ()),
                   kwargs=task.get("kwargs", {}))
    except EntryPointRefused as exc:
        task["args"] = RefusedArguments(str(exc))
        task["kwargs"] = {}


def hook_drop(sender: Any, task: dict, **_: Any) -> None:
    """django-q2's pre_enqueue signal. q2 calls a task's hook in its monitor, where no guard sees
    it; enrichhub uses none, so a hook (from a schedule row, say) is dropped, not queued."""
    if task.get("hook"):
        logger.warning("dropped the hook %r of task %s (%s): enrichhub runs no hooks",
                       task["hook"], task.get("name"), task.get("func"))
        task["hook"] = None
