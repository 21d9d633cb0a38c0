"""The demo's ingest side for an exported plan. Each planned run lands an extracted row that
fills each field with the probability the plan gave it, and is reported completed with the
credits the plan expected. From there the real path takes over: the coalescing schedule brings
the rows to core, and the dashboard holds the leads that became visible against the plan's
expectation. Made-up rows must never reach a real warehouse, so this runs on the demo only."""

import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from cleanup.coalescing.mapping import MappingInvalid, MappingPlan, active_mapping_plan
from planning import sql
from planning.models import EnrichmentPlan, PlannedRun
from planning.services import PlanRefused
from runs.models import Run
from runs.services import run_events_record
from warehouse.demo.vocabulary import COUNTRIES


@dataclass(frozen=True)
class Played:
    runs_reported: int
    fields_landed: dict[str, int]  # field -> rows that carry a value for it
    credits: Decimal


def played_source(plan: EnrichmentPlan) -> str:
    """What the plan's runs are reported as coming from: it tells a played plan's runs apart."""
    return f"demo plan #{plan.pk}"


def plan_play(*, plan: EnrichmentPlan, seed: int | None = None) -> Played:
    """Raises PlanRefused on a real warehouse, for a plan played already, and for a workflow the
    demo cannot land rows for (one that coalesces through code, or whose mapping lacks a field)."""
    if not settings.WAREHOUSE_DDL_ALLOWED:
        raise PlanRefused("playing a plan lands made-up rows: it runs on the demo warehouse only, "
                          "and DATABASE_URL is a real warehouse (ENRICHHUB_ALLOW_WAREHOUSE_DDL is off)")
    runs = list(plan.runs.order_by("pk"))
    if not runs:
        raise PlanRefused(f"plan #{plan.pk} has no runs to play")
    landings = {name: _landing(name, runs) for name in sorted({run.workflow_name for run in runs})}
    draw = random.Random(seed)
    rows: dict[str, list[dict]] = defaultdict(list)
    landed: Counter[str] = Counter()
    for run in runs:
        values = {field: _made_up(field, run.entity_key, draw) for field, rate in sorted(run.fills.items())
                  if draw.random() < rate}
        rows[run.workflow_name].append(_extracted_row(landings[run.workflow_name], run.entity_key, values))
        landed.update(values.keys())
    with transaction.atomic():
        # Two plays of one plan at once: the second waits here, then finds the first's runs.
        EnrichmentPlan.objects.select_for_update().filter(pk=plan.pk).first()
        if Run.objects.filter(source=played_source(plan)).exists():
            raise PlanRefused(f"plan #{plan.pk} was played already: its runs are reported")
        for name, workflow_rows in rows.items():
            landing = landings[name]
            sql.extracted_rows_insert(table=landing.extracted_table, rows=workflow_rows)
        _report(plan, runs)
    return Played(runs_reported=len(runs), fields_landed=dict(landed),
                  credits=sum((run.expected_credits for run in runs), Decimal(0)))


def _landing(workflow_name: str, runs: list[PlannedRun]) -> MappingPlan:
    try:
        landing = active_mapping_plan(workflow_name)
    except MappingInvalid as exc:
        raise PlanRefused(f"{workflow_name}: the demo lands rows only through a coalesce mapping, "
                          f"and this workflow has none ({exc.args[0]})") from exc
    expected = {field for run in runs if run.workflow_name == workflow_name for field in run.fills}
    if unmapped := expected - set(landing.targets):
        raise PlanRefused(f"{workflow_name}: its coalesce mapping writes none of {', '.join(sorted(unmapped))}, "
                          "which the plan expects it to fill")
    return landing


def _extracted_row(landing: MappingPlan, key: str, values: dict[str, str]) -> dict:
    """The row as the mapping reads it back: a plain column, or a field of a json column."""
    row: dict = {landing.key_column: key}
    for source in landing.targets.values():
        if source.field:  # an empty object, not NULL, when nothing was drawn: json columns are NOT NULL
            row.setdefault(source.column, {})
    for field, value in values.items():
        source = landing.targets[field]
        if source.field:
            row.setdefault(source.column, {})[source.field] = value
        else:
            row[source.column] = value
    return row


def _made_up(field: str, key: str, draw: random.Random) -> str:
    if field.endswith("country"):
        return draw.choice(COUNTRIES)
    if field == "company_name":
        return key.split(".")[0].replace("-", " ").title()
    return f"{field.replace('_', ' ')} from the demo"


def _report(plan: EnrichmentPlan, runs: list[PlannedRun]) -> None:
    report = run_events_record(items=[
        {"workflow_name": run.workflow_name, "entity_key": run.entity_key, "entity_type": plan.entity_type,
         "status": "completed", "records_processed": 1, "credits_spent": str(run.expected_credits),
         "source": played_source(plan)} for run in runs])
    if report.rejected:
        first = report.rejected[0]
        raise PlanRefused(f"the runs service refused {len(report.rejected):,} of the plan's runs; the first: "
                          f"{first.field}: {first.error}")
