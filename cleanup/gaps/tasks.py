"""django-q2 entry points of gaps."""

from cleanup.gaps.alerts import alerts_evaluate
from cleanup.gaps.checks import gaps_check


def gaps_check_task() -> dict:
    """Hourly: measure the gaps, keep a snapshot, open or resolve alerts."""
    gaps = gaps_check()
    changes = alerts_evaluate(gaps=gaps)
    return {"workflows": len(gaps), "opened": len(changes.opened), "resolved": len(changes.resolved)}
