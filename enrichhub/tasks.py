"""enrichhub's own entry points for the q2 cluster (declared in enrichhub.schedules)."""

from typing import Any

from enrichhub.owned_schedules import owned_schedule_run
from enrichhub.task_records import cut_off_tasks_record


def cluster_ping_task() -> str:
    """Proves a cluster takes and runs tasks (the tests, an operator checking a new cluster)."""
    return "pong"


def cut_off_tasks_record_task() -> str:
    """Every minute: tasks cut off at q2's time limit show as failed tasks, with the reason."""
    return f"{cut_off_tasks_record()} tasks cut off recorded as failed"


def owned_schedule_run_task(schedule_id: int) -> Any:
    """A schedule a person made, run as that person (enrichhub.owned_schedules)."""
    return owned_schedule_run(schedule_id=schedule_id)
