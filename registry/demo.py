"""Phase 1 done for the demo warehouse: all 53 workflows registered with their data flow."""

from decimal import Decimal

from django.db import transaction

from registry.models import Workflow
from warehouse.workflows import DEMO_FILLS, DEMO_WORKFLOWS

DEMO_REASON = "demo: Phase 1 completed from warehouse/workflows.py"


def demo_registry_complete() -> tuple[int, int]:
    """Create or complete every demo workflow's row, active. Returns (created, updated)."""
    created = updated = 0
    with transaction.atomic():
        for demo in DEMO_WORKFLOWS:
            workflow = Workflow.objects.select_for_update().filter(pk=demo.name).first()
            is_new = workflow is None
            workflow = workflow or Workflow(workflow_name=demo.name, description=f"{demo.name.replace('_', ' ')}")
            workflow.vendor = workflow.vendor or demo.vendor
            workflow.key_type, workflow.key_column = demo.key_type, demo.key_column
            workflow.raw_table, workflow.extracted_table = demo.raw_table, demo.extracted_table
            workflow.core_table, workflow.coalesces_to_core = demo.core_table, demo.core_table is not None
            workflow.coalesce_when_filled = demo.coalesce_when_filled
            workflow.core_source_column = demo.core_source_column
            workflow.is_active = True
            if demo.name in DEMO_FILLS and not workflow.fills_fields:  # a curator's own choice stays
                fills, cost = DEMO_FILLS[demo.name]
                workflow.fills_fields, workflow.default_credit_cost = list(fills), Decimal(cost)
            workflow._change_reason = DEMO_REASON  # type: ignore[attr-defined]  # simple_history
            workflow.save()
            created, updated = created + is_new, updated + (not is_new)
    return created, updated
