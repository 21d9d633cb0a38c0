"""enrichhub's own entry points for the q2 cluster (declared in enrichhub.schedules)."""

from typing import Any

from enrichhub.owned_schedules import owned_schedule_run


def cluster_ping_task() -> str:
    """Proves a cluster takes and runs tasks (the tests, an operator checking a new cluster)."""
    return "pong"


def owned_schedule_run_task(schedule_id: int) -> Any:
    """A schedule a person made, run as that person (enrichhub.owned_schedules)."""
    return owned_schedule_run(schedule_id=schedule_id)
