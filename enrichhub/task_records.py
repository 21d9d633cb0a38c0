"""Tasks q2 cut off. A worker killed at the time limit (ENRICHHUB_Q_TIMEOUT), or one that died,
saves no result: the admin's Failed tasks page stayed empty while the console showed a
traceback. So each task's start is noted before it runs and forgotten when it returns; a start
still there past the limit becomes a failed task, with the reason, where operators look."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_q.models import Task
from django_q.utils import get_func_repr

from enrichhub.models import TaskStart

# q2's guard adds a few seconds to the limit before it kills a worker, and saving takes some more.
GRACE_S = 60


def task_started(sender: object, func: Any, task: dict, **_: object) -> None:
    """django-q2's pre_execute signal, in the worker."""
    TaskStart.objects.update_or_create(task_id=task["id"], defaults={
        "name": str(task.get("name", ""))[:100], "func": get_func_repr(func or task.get("func"))[:256],
        "started_at": timezone.now()})


def task_finished(sender: object, func: Any, task: dict, **_: object) -> None:
    """django-q2's post_execute_in_worker signal: the task returned, its result is on its way."""
    TaskStart.objects.filter(task_id=task["id"]).delete()


def cut_off_tasks_record(*, now: datetime | None = None) -> int:
    """Turn each start older than the time limit into a failed task that says why; returns how many."""
    now = now or timezone.now()
    cut_off = 0
    for start in TaskStart.objects.filter(started_at__lt=now - timedelta(seconds=settings.Q_TIMEOUT + GRACE_S)):
        reason = (f"cut off: still running {(now - start.started_at).total_seconds():.0f} s after it started, past "
                  f"q2's time limit of {settings.Q_TIMEOUT} s (ENRICHHUB_Q_TIMEOUT), or its worker died. What it "
                  "committed before stays; a scheduled task runs again at its next time.")
        with transaction.atomic():
            Task.objects.update_or_create(id=start.task_id, defaults={
                "name": start.name, "func": start.func, "started": start.started_at, "stopped": now,
                "success": False, "result": reason, "attempt_count": 1})
            start.delete()
        cut_off += 1
    return cut_off
