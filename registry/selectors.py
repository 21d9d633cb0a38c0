"""Reads of the registry."""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet

from registry import sql
from registry.audit import AuditRules, IngestFunction, TreeScan
from registry.catalog import Catalog, catalog_load, workflow_problems
from registry.models import Workflow


@dataclass(frozen=True)
class WorkflowDrift:
    workflow_name: str
    problems: dict[str, list[str]]

    def lines(self) -> list[str]:
        return [f"{field}: {message}" for field, messages in self.problems.items() for message in messages]


@dataclass(frozen=True)
class AuditOutcome:
    scan: TreeScan
    registered_present: list[str]
    unregistered: list[IngestFunction]  # one per workflow: its first location
    absent: list[str]
    duplicates: dict[str, list[IngestFunction]]
    # Registered ingest functions that do not report their runs: the seed's second constraint.
    not_reporting: list[IngestFunction]


def workflow_list_with_table_status() -> QuerySet[Workflow]:
    """Workflows annotated raw_exists / extracted_exists / core_exists from the live catalog."""
    return Workflow.objects.annotate(**{
        column.replace("_table", "_exists"): sql.table_exists_expression(column=column) for column in sql.TABLE_COLUMNS
    })


def registry_drift(
    *, workflows: Iterable[Workflow] | None = None, catalog: Catalog | None = None
) -> list[WorkflowDrift]:
    """Every row that no longer agrees with today's catalog (or was never complete)."""
    catalog = catalog or catalog_load()
    rows = workflows if workflows is not None else Workflow.objects.all()
    drifts = [WorkflowDrift(w.workflow_name, workflow_problems(workflow=w, catalog=catalog)) for w in rows]
    return [drift for drift in drifts if drift.problems]


def audit_rules() -> AuditRules:
    return AuditRules(
        function_decorators=frozenset(settings.REGISTRY_AUDIT_FUNCTION_DECORATORS),
        class_decorators=frozenset(settings.REGISTRY_AUDIT_CLASS_DECORATORS),
        name_pattern=re.compile(settings.REGISTRY_AUDIT_NAME_PATTERN),
        key_columns=dict(settings.REGISTRY_AUDIT_KEY_COLUMNS),
        method_decorators=frozenset(settings.REGISTRY_AUDIT_METHOD_DECORATORS),
        reporting_calls=frozenset(settings.REGISTRY_AUDIT_REPORTING_CALLS),
    )


def audit_outcome(*, scan: TreeScan) -> AuditOutcome:
    """Compare what the code defines with what the registry lists."""
    found = scan.by_workflow()
    registered = set(Workflow.objects.values_list("workflow_name", flat=True))
    not_reporting = [f for name in sorted(registered & found.keys()) for f in found[name] if f.reporting is None]
    return AuditOutcome(
        scan=scan,
        registered_present=sorted(registered & found.keys()),
        unregistered=[found[name][0] for name in sorted(found.keys() - registered)],
        absent=sorted(registered - found.keys()),
        duplicates={name: places for name, places in sorted(found.items()) if len(places) > 1},
        not_reporting=not_reporting,
    )
