"""Text and JSON renderings of the audit and the drift check, shared by commands and admin."""

from registry.audit import IngestFunction
from registry.selectors import AuditOutcome, WorkflowDrift
from registry.services import AuditChanges


def audit_as_dict(outcome: AuditOutcome, changes: AuditChanges, *, applied: bool) -> dict:
    return {
        "files_scanned": outcome.scan.files_scanned,
        "functions_found": len(outcome.scan.functions),
        "registered_present": outcome.registered_present,
        "unregistered": [_function_dict(f) for f in outcome.unregistered],
        "absent": outcome.absent,
        "duplicates": {name: [f.location for f in places] for name, places in outcome.duplicates.items()},
        "parse_errors": [{"path": f.path, "error": f.error} for f in outcome.scan.failures],
        "changes": {"applied": applied, "created": changes.created, "filled": changes.filled,
                    "deactivated": changes.deactivated},
    }


def _function_dict(function: IngestFunction) -> dict:
    return {"workflow": function.workflow, "function": function.function, "location": function.location,
            "tables": function.tables, "key_column": function.key_column, "key_type": function.key_type}


def audit_as_text(outcome: AuditOutcome, changes: AuditChanges, *, applied: bool) -> list[str]:
    scan = outcome.scan
    lines = [f"scanned {scan.files_scanned} files: {len(outcome.scan.by_workflow())} ingest workflows "
             f"in {len(scan.functions)} functions"]
    lines += [f"could not parse {f.path}: {f.error}" for f in scan.failures]
    lines.append(f"registered and present ({len(outcome.registered_present)}): "
                 f"{', '.join(outcome.registered_present) or '-'}")
    lines.append(f"present but unregistered ({len(outcome.unregistered)}):")
    lines += [f"  {f.workflow:<40} {f.location}  {_writes(f)}" for f in outcome.unregistered]
    lines.append(f"registered but absent from code ({len(outcome.absent)}): {', '.join(outcome.absent) or '-'}")
    for name, places in outcome.duplicates.items():
        lines.append(f"defined more than once: {name} at {', '.join(p.location for p in places)}")
    lines.append(_changes_line(changes, applied=applied))
    return lines


def _writes(function: IngestFunction) -> str:
    tables = ", ".join(function.tables.values()) or "no tables seen"
    return f"writes {tables}; key {function.key_column or '?'}"


def _changes_line(changes: AuditChanges, *, applied: bool) -> str:
    verb = "applied" if applied else "dry run, --apply would make these changes"
    if not changes.count:
        return "registry already matches the code; nothing to change"
    return (f"{verb}: {len(changes.created)} draft rows (inactive), blanks filled in {len(changes.filled)} rows, "
            f"{len(changes.deactivated)} rows deactivated")


def drift_as_text(drifts: list[WorkflowDrift], *, checked: int) -> list[str]:
    lines = [f"checked {checked} workflows against the live catalog: {len(drifts)} need attention"]
    for drift in drifts:
        lines.append(f"{drift.workflow_name}:")
        lines += [f"  {line}" for line in drift.lines()]
    return lines
