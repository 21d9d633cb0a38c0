"""django-q2 entry points: each workflow's measured fill rates and cost, refreshed on a schedule;
a saved plan sent to the webhook."""

from planning.figures import figures_refresh
from planning.services import plan_webhook_deliver


def figures_refresh_task() -> str:
    snapshot = figures_refresh()
    return f"figures of {len(snapshot.figures)} workflows measured in {snapshot.seconds:.1f}s"


def plan_webhook_deliver_task(plan_id: int) -> str:
    """A saved plan to the webhook, off the request that exported it and outside any transaction."""
    return plan_webhook_deliver(plan_id=plan_id)
