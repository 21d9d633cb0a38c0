"""Tasks q2 cuts off at its time limit show as failed tasks with the reason, and a failed task is
one line on the console (its traceback is in the admin)."""

import io
import logging
from datetime import timedelta

from django.utils import timezone
from django_q.models import Failure
from django_q.signals import post_execute_in_worker, pre_execute

from enrichhub.logs import ADMIN_PAGE, TaskFailureOneLine
from enrichhub.models import TaskStart
from enrichhub.task_records import cut_off_tasks_record
from enrichhub.tasks import cluster_ping_task


def _task(task_id: str) -> dict:
    return {"id": task_id, "name": f"name-{task_id}", "func": "planning.tasks.figures_refresh_task", "args": (),
            "kwargs": {}}


def test_a_task_that_returns_leaves_no_start_and_one_cut_off_becomes_a_failed_task(admin_client, settings):
    pre_execute.send(sender="django_q", func=cluster_ping_task, task=_task("a" * 32))
    post_execute_in_worker.send(sender="django_q", func=cluster_ping_task, task=_task("a" * 32))
    pre_execute.send(sender="django_q", func=None, task=_task("b" * 32))
    assert list(TaskStart.objects.values_list("task_id", flat=True)) == ["b" * 32]
    assert cut_off_tasks_record() == 0  # still within the limit: it may be running
    later = timezone.now() + timedelta(seconds=settings.Q_TIMEOUT + 61)
    assert cut_off_tasks_record(now=later) == 1 and not TaskStart.objects.exists()
    failed = Failure.objects.get()
    assert failed.id == "b" * 32 and failed.func == "planning.tasks.figures_refresh_task"
    assert f"past q2's time limit of {settings.Q_TIMEOUT} s" in failed.result
    page = admin_client.get("/admin/django_q/failure/").content.decode()
    assert "name-" + "b" * 32 in page


def test_a_failed_task_is_one_line_on_the_console():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(TaskFailureOneLine())
    logger = logging.getLogger("django-q")
    logger.addHandler(handler)
    try:
        logger.error("Failed 'planning.tasks.figures_refresh_task' (name) - boom : Traceback (most recent call last):"
                     "\n  File \"x.py\", line 1\nValueError: boom")
        logging.getLogger("enrichhub.other").addHandler(handler)
        logging.getLogger("enrichhub.other").error("two\nlines")
    finally:
        logger.removeHandler(handler)
        logging.getLogger("enrichhub.other").removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert lines[0] == f"Failed 'planning.tasks.figures_refresh_task' (name) - boom : Traceback (most recent call " \
                       f"last): ({ADMIN_PAGE})"
    assert lines[1:] == ["two", "lines"]  # other loggers keep their lines
