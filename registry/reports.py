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
        "not_reporting": [_function_dict(f) for f in outcome.not_reporting],
        "styles": _style_counts(outcome),
        "duplicates": {name: [f.location for f in places] for name, places in outcome.duplicates.items()},
        "parse_errors": [{"path": f.path, "error": f.error} for f in outcome.scan.failures],
        "changes": {"applied": applied, "created": changes.created, "filled": changes.filled,
                    "deactivated": changes.deactivated, "kept_active": changes.kept_active},
    }


def _function_dict(function: IngestFunction) -> dict:
    return {"workflow": function.workflow, "function": function.function, "location": function.location,
            "tables": function.tables, "key_column": function.key_column, "key_type": function.key_type,
            "style": str(function.style), "reporting": str(function.reporting) if function.reporting else None}


def _style_counts(outcome: AuditOutcome) -> dict[str, int]:
    counts: dict[str, int] = {}
    for function in outcome.scan.functions:
        counts[str(function.style)] = counts.get(str(function.style), 0) + 1
    return dict(sorted(counts.items(), key=lambda item: -item[1]))


def audit_as_text(outcome: AuditOutcome, changes: AuditChanges, *, applied: bool) -> list[str]:
    scan = outcome.scan
    lines = [f"scanned {scan.files_scanned} files: {len(outcome.scan.by_workflow())} ingest workflows "
             f"in {len(scan.functions)} functions"]
    styles = _style_counts(outcome)
    if styles:
        lines.append("declared as: " + ", ".join(f"{count} {style}" for style, count in styles.items()))
    lines += [f"could not parse {f.path}: {f.error}" for f in scan.failures]
    lines.append(f"registered and present ({len(outcome.registered_present)}): "
                 f"{', '.join(outcome.registered_present) or '-'}")
    lines.append(f"present but unregistered ({len(outcome.unregistered)}):")
    lines += [f"  {f.workflow:<40} {f.location}  {_writes(f)}" for f in outcome.unregistered]
    lines.append(f"registered but absent from code ({len(outcome.absent)}): {', '.join(outcome.absent) or '-'}")
    lines.append(f"registered but not reporting their runs ({len(outcome.not_reporting)}):")
    lines += [f"  {f.workflow:<40} {f.location}  {f.function} calls neither track_enrichment nor the client's "
              f"report_run" for f in outcome.not_reporting]
    for name, places in outcome.duplicates.items():
        lines.append(f"defined more than once: {name} at {', '.join(p.location for p in places)}")
    lines.append(_changes_line(changes, applied=applied))
    return lines


def _writes(function: IngestFunction) -> str:
    tables = ", ".join(function.tables.values()) or "no tables seen"
    return f"writes {tables}; key {function.key_column or '?'}"


def _changes_line(changes: AuditChanges, *, applied: bool) -> str:
    verb = "applied" if applied else "dry run, --apply would make these changes"
    kept = (f"; {len(changes.kept_active)} absent rows kept active because some files could not be parsed"
            if changes.kept_active else "")
    if not changes.count:
        return f"registry already matches the code; nothing to change{kept}"
    return (f"{verb}: {len(changes.created)} draft rows (inactive), blanks filled in {len(changes.filled)} rows, "
            f"{len(changes.deactivated)} rows deactivated{kept}")


def drift_as_text(drifts: list[WorkflowDrift], *, checked: int) -> list[str]:
    lines = [f"checked {checked} workflows against the live catalog: {len(drifts)} need attention"]
    for drift in drifts:
        lines.append(f"{drift.workflow_name}:")
        lines += [f"  {line}" for line in drift.lines()]
    return lines
