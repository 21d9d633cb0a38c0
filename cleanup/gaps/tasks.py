"""django-q2 entry points of gaps."""

from cleanup.gaps.alerts import alerts_evaluate
from cleanup.gaps.checks import gaps_check


def gaps_check_task(full: bool = False) -> dict:
    """Hourly (weekly with `full`): measure the gaps, keep a snapshot, open or resolve alerts."""
    gaps = gaps_check(full=full)
    changes = alerts_evaluate(gaps=gaps)
    summary = {"workflows": len(gaps), "opened": len(changes.opened), "resolved": len(changes.resolved)}
    if full:
        summary["drift_keys"] = sum(abs(g.drift_keys or 0) for g in gaps)
    return summary
