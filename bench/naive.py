"""The status the straightforward way: 1 + 2×N queries (the registry, then a count per
workflow table), the baseline the one-statement status API is measured against."""

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
