"""Reads of the runs app."""

from django.db.models import Count, QuerySet

from runs.models import Run


def run_status_counts(*, runs: QuerySet[Run]) -> dict[str, int]:
    """How many of the given runs are in each status (every status present, zero or not)."""
    counts = dict(runs.order_by().values_list("status").annotate(n=Count("id")))
    return {status: counts.get(status, 0) for status in Run.Status.values}
