"""Completed runs derived from what already sits in the extracted tables (seed Phase 2, item 2).

Extracted keys are stored raw (`https://www.Foo.com/`, `Foo.com`), so keys are normalised
in Python, the one normaliser, and aggregated per entity in a session-local staging table:
completed_at is the latest created_at of the entity's rows, records_processed their count.
The staging is then merged into the runs in short chunks. A worker that dies restarts the
workflow from its first row; the merge makes that, and any re-run, write nothing new.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from kernel import InvalidEntityKey, normalise_entity_key
from registry.catalog import Catalog, catalog_load, workflow_problems
from registry.models import Workflow
from runs.sql import events as sql

BACKFILL_SOURCE = "backfill"
READ_BATCH_ROWS = 20_000
MERGE_CHUNK_KEYS = 10_000
REQUIRED_COLUMNS = ("id", "created_at")

Progress = Callable[[str, int, int], None]  # workflow, rows read so far, estimated rows


@dataclass
class BackfillResult:
    workflow: str
    rows_read: int = 0
    entities: int = 0
    invalid_keys: int = 0
    created: int = 0
    updated: int = 0
    skipped: str | None = None  # why this workflow could not be backfilled


def runs_backfill(*, workflow_names: list[str] | None = None, batch_rows: int = READ_BATCH_ROWS,
                  progress: Progress | None = None) -> list[BackfillResult]:
    """Backfill every registered workflow (or the named ones) whose extracted table has
    its key column, created_at and an id to walk."""
    catalog = catalog_load()
    workflows = Workflow.objects.order_by("workflow_name")
    if workflow_names:
        workflows = workflows.filter(workflow_name__in=workflow_names)
    results = []
    for workflow in workflows:
        reason = _unusable_because(workflow, catalog)
        if reason:
            results.append(BackfillResult(workflow.workflow_name, skipped=reason))
        else:
            results.append(_workflow_backfill(workflow, batch_rows=batch_rows, progress=progress))
    return results


def _unusable_because(workflow: Workflow, catalog: Catalog) -> str | None:
    if not (workflow.extracted_table and workflow.key_column and workflow.key_type):
        return "no extracted table, key column or key type registered"
    problems = workflow_problems(workflow=workflow, catalog=catalog)
    if "extracted_table" in problems or "key_column" in problems:
        return "; ".join(problems.get("extracted_table", []) + problems.get("key_column", []))
    missing = [c for c in REQUIRED_COLUMNS if not catalog.has_column(workflow.extracted_table, c)]
    return f"{workflow.extracted_table} has no {' or '.join(missing)} column" if missing else None


def _workflow_backfill(workflow: Workflow, *, batch_rows: int, progress: Progress | None) -> BackfillResult:
    result = BackfillResult(workflow.workflow_name)
    table, key_column, key_type = workflow.key_source
    estimate = sql.table_row_estimate(table=table)
    sql.backfill_staging_reset()
    after_id = 0
    while True:
        rows = sql.extracted_batch(table=table, key_column=key_column, after_id=after_id, limit=batch_rows)
        if not rows:
            break
        result.invalid_keys += _stage(rows, entity_type=key_type)
        result.rows_read += len(rows)
        after_id = rows[-1][0]
        if progress:
            progress(workflow.workflow_name, result.rows_read, max(estimate, result.rows_read))
    _merge(workflow, result)
    return result


def _stage(rows: list[tuple], *, entity_type: str) -> int:
    """Aggregate one batch per normalised key into the staging table; returns invalid keys."""
    latest: dict[str, datetime] = {}
    counts: dict[str, int] = {}
    invalid = 0
    for _, raw_key, created_at in rows:
        try:
            key = normalise_entity_key(entity_type=entity_type, raw=raw_key)
        except InvalidEntityKey:
            invalid += 1
            continue
        if key not in latest or created_at > latest[key]:
            latest[key] = created_at
        counts[key] = counts.get(key, 0) + 1
    sql.backfill_staging_add(latest_by_key=latest, count_by_key=counts)
    return invalid


def _merge(workflow: Workflow, result: BackfillResult) -> None:
    after = ""
    while True:
        with transaction.atomic():
            upto, created, updated = sql.backfill_merge_chunk(
                workflow=workflow.workflow_name, entity_type=workflow.key_source[2], source=BACKFILL_SOURCE,
                after=after, chunk=MERGE_CHUNK_KEYS)
        result.created += created
        result.updated += updated
        if upto is None:
            break
        after = upto
    result.entities = sql.backfill_staging_size()
