"""django-q2 entry points of gaps."""

from django.conf import settings

from cleanup.gaps.alerts import alerts_evaluate
from cleanup.gaps.checks import gaps_check


def gaps_check_task(full: bool = False) -> dict:
    """Hourly (weekly with `full`): measure the gaps, keep a snapshot, open or resolve alerts."""
    gaps = gaps_check(full=full, budget_s=settings.GAP_CHECK_BUDGET_S)
    changes = alerts_evaluate(gaps=gaps)
    summary = {"workflows": len(gaps), "opened": len(changes.opened), "resolved": len(changes.resolved),
               "still_counting": sum(1 for g in gaps if g.error and g.error.startswith("still counting"))}
    if full:
        summary["drift_keys"] = sum(abs(g.drift_keys or 0) for g in gaps)
    return summary
