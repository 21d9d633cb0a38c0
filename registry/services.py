"""Writes to the registry. Each saves row by row so that django-simple-history records
who changed what and why; the registry is small (tens of rows), so that costs nothing."""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import QuerySet

from registry.audit import IngestFunction
from registry.catalog import catalog_load, workflow_problems
from registry.models import Workflow
from registry.selectors import AuditOutcome

AUDIT_REASON = "registry_audit --apply"
# Fields the audit may fill from code when a registered row leaves them empty.
INFERABLE_FIELDS = ("raw_table", "extracted_table", "core_table", "key_column", "key_type")


@dataclass
class AuditChanges:
    created: list[str] = field(default_factory=list)
    filled: dict[str, list[str]] = field(default_factory=dict)  # workflow -> fields filled in
    deactivated: list[str] = field(default_factory=list)
    # Absent from the parsed code, but some files did not parse: the function may be in one.
    kept_active: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.created) + len(self.filled) + len(self.deactivated)


@dataclass
class ActivationResult:
    changed: list[str] = field(default_factory=list)
    refused: dict[str, list[str]] = field(default_factory=dict)  # workflow -> why it stays inactive


def workflow_set_active(*, workflows: QuerySet[Workflow], active: bool, reason: str) -> ActivationResult:
    """Activate or deactivate. A workflow is only activated when it is complete and agrees
    with the live catalog: the status API and the jobs act on every active row."""
    result = ActivationResult()
    catalog = catalog_load() if active else None
    with transaction.atomic():
        # Lock by primary key: the caller's queryset may carry annotations that cannot be locked.
        selected = Workflow.objects.select_for_update().filter(pk__in=list(workflows.values_list("pk", flat=True)))
        for workflow in selected.filter(is_active=not active):
            workflow.is_active = active
            problems = workflow_problems(workflow=workflow, catalog=catalog) if catalog else {}
            if problems:
                result.refused[workflow.workflow_name] = [f"{f}: {m}" for f, ms in problems.items() for m in ms]
                continue
            workflow._change_reason = reason  # type: ignore[attr-defined]  # simple_history
            workflow.save(update_fields=["is_active", "updated_at"])
            result.changed.append(workflow.workflow_name)
    return result


def audit_apply(*, outcome: AuditOutcome, commit: bool) -> AuditChanges:
    """Make the registry match the code: draft rows for unregistered functions, blanks of
    registered rows filled from what their code writes, rows whose code is gone deactivated.

    With commit=False nothing is written and the changes that would be made are returned.
    Drafts are inactive: nothing relies on them until someone curates and activates them.
    While any file fails to parse, nothing is deactivated: the missing code may be in it.
    """
    changes = AuditChanges()
    with transaction.atomic():
        for function in outcome.unregistered:
            changes.created.append(function.workflow)
            if commit:
                _draft_create(function)
        functions = outcome.scan.by_workflow()
        for workflow in Workflow.objects.select_for_update().filter(workflow_name__in=outcome.registered_present):
            filled = _blanks_fill(workflow, functions[workflow.workflow_name][0], commit=commit)
            if filled:
                changes.filled[workflow.workflow_name] = filled
        for workflow in Workflow.objects.select_for_update().filter(workflow_name__in=outcome.absent, is_active=True):
            if outcome.scan.failures:
                changes.kept_active.append(workflow.workflow_name)
                continue
            changes.deactivated.append(workflow.workflow_name)
            if commit:
                workflow.is_active = False
                workflow._change_reason = AUDIT_REASON  # type: ignore[attr-defined]  # simple_history
                workflow.save(update_fields=["is_active", "updated_at"])
    return changes


def _draft_create(function: IngestFunction) -> None:
    workflow = Workflow(
        workflow_name=function.workflow,
        description=f"Draft from {function.location} ({function.function}); review and activate.",
        key_column=function.key_column,
        key_type=function.key_type,
        is_active=False,
        **function.tables,
    )
    workflow._change_reason = AUDIT_REASON  # type: ignore[attr-defined]  # simple_history
    workflow.save(force_insert=True)


def _blanks_fill(workflow: Workflow, function: IngestFunction, *, commit: bool) -> list[str]:
    inferred = {**function.tables, "key_column": function.key_column, "key_type": function.key_type}
    filled = [name for name in INFERABLE_FIELDS if not getattr(workflow, name) and inferred.get(name)]
    if filled and commit:
        for name in filled:
            setattr(workflow, name, inferred[name])
        workflow._change_reason = AUDIT_REASON  # type: ignore[attr-defined]  # simple_history
        workflow.save(update_fields=[*filled, "updated_at"])
    return filled
