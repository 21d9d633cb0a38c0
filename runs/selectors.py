"""Reads of the runs app."""

from django.db.models import BigIntegerField, DateTimeField, Max, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Coalesce, Greatest

from runs.models import Run, RunTally, RunTallyChange
from runs.sql import tallies


def run_status_counts(*, runs: QuerySet[Run], cap: int) -> dict[str, int]:
    """How many of the given runs are in each status (every status present), each counted up
    to `cap`: a filter no index answers would otherwise count every run."""
    return {status: runs.filter(status=status).order_by()[:cap].count() for status in Run.Status.values}


def run_status_counts_tallied(*, workflow: str | None = None, status: str | None = None) -> dict[str, int]:
    """Exact counts per status of all runs, or of one workflow's or one status's, from the
    tallies and the changes not yet folded: a few hundred rows read, however many runs."""
    counts = tallies.current_status_counts(workflow=workflow, status=status)
    return {name: counts.get(name, 0) for name in Run.Status.values if status in (None, name)}


def workflow_run_figures() -> dict:
    """Annotations for a Workflow queryset: completed_count, failed_count, last_completed, from
    the tallies and the changes not yet folded (runs.models.RunTally).

    Correlated subqueries rather than a join and GROUP BY keep the outer queryset lockable and
    sliceable. last_completed is the latest completion event seen: a run re-enriched since still
    counts its completion, a deleted run's may remain.
    """

    def summed(model: type[RunTally] | type[RunTallyChange], status: str) -> Coalesce:
        rows = (model.objects.filter(workflow_name=OuterRef("pk"), status=status).order_by()
                .values("workflow_name").annotate(n=Sum("runs")).values("n"))
        return Coalesce(Subquery(rows, output_field=BigIntegerField()), Value(0))

    def latest(model: type[RunTally] | type[RunTallyChange]) -> Subquery:
        rows = (model.objects.filter(workflow_name=OuterRef("pk"), status=Run.Status.COMPLETED).order_by()
                .values("workflow_name").annotate(at=Max("last_event_at")).values("at"))
        return Subquery(rows, output_field=DateTimeField())

    def count_of(status: str) -> CombinedExpression:
        return summed(RunTally, status) + summed(RunTallyChange, status)

    return {"completed_count": count_of(Run.Status.COMPLETED), "failed_count": count_of(Run.Status.FAILED),
            "last_completed": Greatest(latest(RunTally), latest(RunTallyChange))}


def run_figures_by_status() -> list[tuple]:
    """(workflow, status, runs, last event, credits, wasted credits), from the tallies as of
    their last fold (runs.services.run_tallies_fold). The last event is exact per workflow, not
    per status: a run that moved on stays its old status's latest, a maximum not being undone."""
    return tallies.runs_by_status()


def run_spend_by_week() -> list[tuple]:
    """(workflow, week, credits, wasted credits) of the runs that reported credits, by the week
    of their latest event."""
    return tallies.spend_by_week()
