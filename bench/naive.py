"""The status without enrichhub's status statement, two ways, as the baselines the status API
is measured against: the straightforward 1 + 2×N queries (the registry, then a count per
workflow table), and what a competent engineer would write in an afternoon: the registry,
the runs, and every count in one UNION ALL statement, built per request and not prepared."""

import json

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from psycopg import sql

from kernel import normalise_entity_key, stored_variants
from registry.models import Workflow
from runs.models import Run


def naive_status(entity_type: str, raw_key: str) -> dict:
    key = normalise_entity_key(entity_type=entity_type, raw=raw_key)
    variants = stored_variants(entity_type=entity_type, key=key)
    runs = {r.workflow_id: r for r in Run.objects.filter(entity_type=entity_type, entity_key=key)}
    items = []
    for workflow in Workflow.objects.filter(is_active=True, key_type=entity_type).order_by("workflow_name"):
        run = runs.get(workflow.workflow_name)
        items.append({
            "workflow_name": workflow.workflow_name,
            "status": run.status if run else "not_run",
            "records_in_extracted": _count(workflow.extracted_table, workflow.key_column, variants),
            "records_in_core": _count(workflow.core_table, workflow.core_lookup_column, variants),
        })
    return {"entity_type": entity_type, "entity_key": key, "enrichments": items}


def union_status(entity_type: str, raw_key: str) -> dict:
    key = normalise_entity_key(entity_type=entity_type, raw=raw_key)
    variants = stored_variants(entity_type=entity_type, key=key)
    runs = {r.workflow_id: r for r in Run.objects.filter(entity_type=entity_type, entity_key=key)}
    workflows = list(Workflow.objects.filter(is_active=True, key_type=entity_type).order_by("workflow_name"))
    counts = _union_counts(workflows, variants)
    return {"entity_type": entity_type, "entity_key": key, "enrichments": [
        {"workflow_name": w.workflow_name, "status": runs[w.workflow_name].status if w.workflow_name in runs
         else "not_run", "records_in_extracted": counts.get((w.workflow_name, "extracted"), 0),
         "records_in_core": counts.get((w.workflow_name, "core"), 0)} for w in workflows]}


def _union_counts(workflows: list[Workflow], variants: list[str]) -> dict[tuple[str, str], int]:
    parts = []
    for workflow in workflows:
        for side, table, column in (("extracted", workflow.extracted_table, workflow.key_column),
                                    ("core", workflow.core_table, workflow.core_lookup_column)):
            if table and column:
                parts.append(sql.SQL("SELECT {}, {}, count(*) FROM {} WHERE {} = ANY(%(variants)s)").format(
                    sql.Literal(workflow.workflow_name), sql.Literal(side), sql.Identifier(*table.split(".")),
                    sql.Identifier(column)))
    if not parts:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL(" UNION ALL ").join(parts), {"variants": variants})
        return {(name, side): count for name, side, count in cursor.fetchall()}


def _count(table: str | None, column: str | None, variants: list[str]) -> int:
    if not table or not column:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("SELECT count(*) FROM {} WHERE {} = ANY(%s)").format(
            sql.Identifier(*table.split(".")), sql.Identifier(column)), [variants])
        return cursor.fetchone()[0]


@csrf_exempt
@require_POST
def naive_status_view(request: HttpRequest) -> JsonResponse:
    body = json.loads(request.body)
    return JsonResponse(naive_status(body["entity_type"], body["entity_key"]))


@csrf_exempt
@require_POST
def union_status_view(request: HttpRequest) -> JsonResponse:
    body = json.loads(request.body)
    return JsonResponse(union_status(body["entity_type"], body["entity_key"]))
