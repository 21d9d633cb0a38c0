"""Reads of the runs app."""

from django.db.models import Count, IntegerField, Max, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from runs.models import Run
from runs.sql import tallies


def run_status_counts(*, runs: QuerySet[Run]) -> dict[str, int]:
    """How many of the given runs are in each status (every status present, zero or not)."""
    counts = dict(runs.order_by().values_list("status").annotate(n=Count("id")))
    return {status: counts.get(status, 0) for status in Run.Status.values}


def workflow_run_figures() -> dict:
    """Annotations for a Workflow queryset: completed_count, failed_count, last_completed.

    Correlated subqueries rather than a join and GROUP BY: each is answered from the
    (workflow_name, status) index, and the outer queryset stays lockable and sliceable.
    """

    def count_of(status: str) -> Coalesce:
        runs = (Run.objects.filter(workflow=OuterRef("pk"), status=status).order_by()
                .values("workflow").annotate(n=Count("*")).values("n"))
        return Coalesce(Subquery(runs, output_field=IntegerField()), Value(0))

    last = (Run.objects.filter(workflow=OuterRef("pk"), status=Run.Status.COMPLETED).order_by()
            .values("workflow").annotate(at=Max("completed_at")).values("at"))
    return {"completed_count": count_of(Run.Status.COMPLETED), "failed_count": count_of(Run.Status.FAILED),
            "last_completed": Subquery(last)}


def run_figures_by_status() -> list[tuple]:
    """(workflow, status, runs, last event, credits, wasted credits), from the tallies as of
    their last fold (runs.services.run_tallies_fold). The last event is exact per workflow, not
    per status: a run that moved on stays its old status's latest, a maximum not being undone."""
    return tallies.runs_by_status()


def run_spend_by_week() -> list[tuple]:
    """(workflow, week, credits, wasted credits) of the runs that reported credits, by the week
    of their latest event."""
    return tallies.spend_by_week()
