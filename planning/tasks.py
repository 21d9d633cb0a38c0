"""django-q2 entry points: each workflow's measured fill rates and cost, refreshed on a schedule;
a saved plan sent to the webhook."""

from planning.figures import figures_refresh
from planning.leads import hidden_leads_count, hidden_leads_total
from planning.services import plan_webhook_deliver


def figures_refresh_task() -> str:
    snapshot = figures_refresh()
    return f"figures of {len(snapshot.figures)} workflows measured in {snapshot.seconds:.1f}s"


def hidden_leads_count_task(entity_types: list[str] | None = None) -> str:
    """Every five minutes both entity types; after a job that wrote core, the types it changed."""
    counted = [hidden_leads_count(entity_type=entity_type) for entity_type in entity_types or ("company", "person")]
    return "; ".join(f"{c.entity_type}: {hidden_leads_total(c):,} hidden leads counted in {c.seconds:.1f}s"
                     for c in counted)


def plan_webhook_deliver_task(plan_id: int) -> str:
    """A saved plan to the webhook, off the request that exported it and outside any transaction."""
    return plan_webhook_deliver(plan_id=plan_id)
