"""How often each workflow really fills the fields it declares, and what a run of it costs:
measured from its runs and core where enough runs exist, the curated defaults otherwise.

A fill rate is best measured on the runs that exported plans asked for: those leads missed the
field, so a filled field now means the run filled it. Until enough of them have settled, the
rate is the share of all its settled runs whose entity has the field, which also counts
entities that had it before the run (the base rate).

Both are measured as of the latest hidden-leads count (planning.leads), which keys every core row
once and keeps the keys that miss fields and the run keys core lacks: a measurement reads those
and the runs, never core, so its cost follows the runs (12 s at ten times the seed where keying
core again took 99 s). Runs reported after the count wait for the next one, at most five
minutes later."""

import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from planning import sql
from planning.leads import hidden_leads_latest
from planning.models import FiguresSnapshot
from registry.models import Workflow
from warehouse.hidden import REQUIRED_FIELDS


@dataclass(frozen=True)
class FillRate:
    field: str
    rate: float
    runs: int  # the settled completed runs behind a measured rate; 0 for the default
    measured: bool
    planned: bool = False  # measured on exported plans' runs only: leads that missed the field


@dataclass(frozen=True)
class WorkflowFigures:
    workflow_name: str
    entity_type: str
    fill_rates: dict[str, FillRate]
    credits: Decimal | None  # per run; None when neither measured nor curated
    credit_runs: int  # runs behind a measured cost; 0 for the curated default
    cost_measured: bool


def workflow_figures(*, entity_type: str | None = None) -> dict[str, WorkflowFigures]:
    """Figures of every active workflow that declares fields it fills, by name."""
    declaring = Workflow.objects.filter(is_active=True, fills_fields__len__gt=0)
    if entity_type:
        declaring = declaring.filter(key_type=entity_type)
    workflows = {workflow.workflow_name: workflow for workflow in declaring}
    costs = {name: (runs, median) for name, runs, median in sql.run_costs(workflows=list(workflows))}
    figures = {}
    for kind in sorted({workflow.key_type or "" for workflow in workflows.values()} & set(REQUIRED_FIELDS)):
        of_kind = [name for name, workflow in workflows.items() if workflow.key_type == kind]
        hidden_leads_latest(entity_type=kind)  # the first measurement counts when no count exists
        counted = _fills_counted(kind, of_kind)
        planned = _planned_fills_counted(kind, of_kind)
        for name in of_kind:
            rates = {field: _fill_rate(field, counted.get(name), planned.get(name, {}).get(field))
                     for field in workflows[name].fills_fields or []}
            figures[name] = _figures(workflows[name], rates, costs.get(name))
    return figures


def _fills_counted(kind: str, names: list[str]) -> dict[str, tuple[int, dict[str, int]]]:
    fields = REQUIRED_FIELDS[kind]
    rows = sql.fields_filled_after_runs(entity_type=kind, fields=fields, workflows=names,
                                        settled_after_s=settings.PLAN_SETTLE_HOURS * 3600)
    return {name: (runs, dict(zip(fields, filled, strict=True))) for name, runs, *filled in rows}


def _planned_fills_counted(kind: str, names: list[str]) -> dict[str, dict[str, tuple[int, int]]]:
    """Per workflow and field: (planned runs settled, of them filled now)."""
    fields = REQUIRED_FIELDS[kind]
    rows = sql.fields_filled_after_planned_runs(entity_type=kind, fields=fields, workflows=names,
                                                settled_after_s=settings.PLAN_SETTLE_HOURS * 3600)
    return {name: {field: (counts[2 * i], counts[2 * i + 1]) for i, field in enumerate(fields)}
            for name, *counts in rows}


def _fill_rate(field: str, counted: tuple[int, dict[str, int]] | None, planned: tuple[int, int] | None) -> FillRate:
    planned_runs, planned_filled = planned or (0, 0)
    if planned_runs >= settings.PLAN_MIN_RUNS:
        return FillRate(field, planned_filled / planned_runs, planned_runs, measured=True, planned=True)
    runs, filled = counted or (0, {})
    if runs >= settings.PLAN_MIN_RUNS:
        return FillRate(field, filled.get(field, 0) / runs, runs, measured=True)
    return FillRate(field, settings.PLAN_DEFAULT_FILL_RATE, 0, measured=False)


def _figures(workflow: Workflow, rates: dict[str, FillRate], cost: tuple[int, Decimal] | None) -> WorkflowFigures:
    cost_runs, median = cost or (0, None)
    cost_measured = cost_runs >= settings.PLAN_MIN_RUNS
    credits = Decimal(str(median)) if cost_measured else workflow.default_credit_cost
    return WorkflowFigures(workflow_name=workflow.workflow_name, entity_type=workflow.key_type or "",
                           fill_rates=rates, credits=credits, credit_runs=cost_runs if cost_measured else 0,
                           cost_measured=cost_measured)


SNAPSHOTS_KEPT = timedelta(days=30)


def figures_refresh() -> FiguresSnapshot:
    """Measure every declaring workflow now and keep the result for the planner and the registry."""
    began = time.monotonic()
    figures = {name: _plain(item) for name, item in workflow_figures().items()}
    snapshot = FiguresSnapshot.objects.create(taken_at=timezone.now(), seconds=time.monotonic() - began,
                                              figures=figures)
    FiguresSnapshot.objects.filter(taken_at__lt=snapshot.taken_at - SNAPSHOTS_KEPT).delete()
    return snapshot


def curated_figures() -> dict[str, WorkflowFigures]:
    """Every declaring workflow with the registry's curated cost and the default fill rate, read
    from the registry alone: what plans use before the first measurement, in milliseconds (measuring
    inline took 44 to 54 s at four times the seed's scale)."""
    declaring = Workflow.objects.filter(is_active=True, fills_fields__len__gt=0)
    return {workflow.workflow_name: _figures(workflow, {field: FillRate(field, settings.PLAN_DEFAULT_FILL_RATE, 0,
                                                                        measured=False)
                                                        for field in workflow.fills_fields or []}, None)
            for workflow in declaring}


def figures_taken_at() -> datetime | None:
    return FiguresSnapshot.objects.values_list("taken_at", flat=True).first()


def figures_latest() -> dict[str, WorkflowFigures]:
    """The last refresh's figures; empty before the first."""
    snapshot = FiguresSnapshot.objects.first()
    return {name: _figures_from(plain) for name, plain in snapshot.figures.items()} if snapshot else {}


def figures_display() -> dict[str, list[str]]:
    """For the registry's list (registered with registry.workflow_lines in planning.apps): per
    workflow, a line per field it fills and one for its cost, each figure with the runs behind it
    or marked as the curated default."""
    return {name: [*(_rate_text(rate) for rate in figures.fill_rates.values()), _cost_text(figures)]
            for name, figures in figures_latest().items()}


def _plain(figures: WorkflowFigures) -> dict:
    plain = asdict(figures)
    plain["credits"] = None if figures.credits is None else str(figures.credits)
    return plain


def _figures_from(plain: dict) -> WorkflowFigures:
    return WorkflowFigures(**{**plain, "credits": None if plain["credits"] is None else Decimal(plain["credits"]),
                              "fill_rates": {field: FillRate(**rate) for field, rate in plain["fill_rates"].items()}})


def _rate_text(rate: FillRate) -> str:
    if not rate.measured:
        behind = "default"
    else:
        behind = f"{rate.runs:,} planned" if rate.planned else f"{rate.runs:,}"
    return f"{rate.field} {rate.rate:.0%} ({behind})"


def _cost_text(figures: WorkflowFigures) -> str:
    if figures.credits is None:
        return "credits unknown"
    behind = f"median of {figures.credit_runs:,}" if figures.cost_measured else "curated"
    return f"{figures.credits.normalize():f} credits ({behind})"
