"""Run events: the order-safe upsert of reported events, and the staging of the backfill."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from psycopg import sql

# Within one instant, a later stage of a run wins over an earlier one.
_RANK = sql.SQL("CASE {status} WHEN 'pending' THEN 0 WHEN 'running' THEN 1 WHEN 'failed' THEN 2 ELSE 3 END")
_FINISHED = sql.SQL("{status} IN ('completed', 'failed')")
_OLD_STATUS, _NEW_STATUS = sql.Identifier("r", "status"), sql.Identifier("excluded", "status")

# One statement records a whole round of events, at most one per (workflow, entity).
# The WHERE of the DO UPDATE is what makes it order-safe: an event older than the one that
# last changed the row (or equally old and of an earlier stage) changes nothing, so a late
# "running" cannot undo a "completed", and replaying an event is a no-op.
_UPSERT_EVENTS = sql.SQL("""
INSERT INTO reference.enrichment_runs AS r
    (workflow_name, entity_key, entity_type, status, records_processed, started_at, completed_at,
     source, error, attempts, credits_spent, last_event_at, updated_at)
SELECT e.workflow_name, e.entity_key, e.entity_type, e.status, e.records_processed, e.at,
       CASE WHEN e.status = 'completed' THEN e.at END, e.source, coalesce(e.error, ''), 1, e.credits, e.at, now()
FROM unnest(%(workflows)s::text[], %(keys)s::text[], %(types)s::text[], %(statuses)s::text[],
            %(records)s::integer[], %(ats)s::timestamptz[], %(sources)s::text[], %(errors)s::text[],
            %(credits)s::numeric[])
     AS e(workflow_name, entity_key, entity_type, status, records_processed, at, source, error, credits)
ON CONFLICT (workflow_name, entity_key) DO UPDATE SET
    status = EXCLUDED.status,
    -- a newer event for a finished run is a re-enrichment: a new attempt
    attempts = r.attempts + CASE WHEN {old_finished} THEN 1 ELSE 0 END,
    started_at = CASE WHEN {old_finished} OR (r.status = 'pending' AND EXCLUDED.status <> 'pending')
                      THEN EXCLUDED.last_event_at ELSE r.started_at END,
    completed_at = coalesce(EXCLUDED.completed_at, r.completed_at),
    records_processed = coalesce(EXCLUDED.records_processed, r.records_processed),
    source = coalesce(EXCLUDED.source, r.source),
    error = EXCLUDED.error,
    credits_spent = CASE WHEN EXCLUDED.credits_spent IS NULL THEN r.credits_spent
                         ELSE coalesce(r.credits_spent, 0) + EXCLUDED.credits_spent END,
    -- paid again while the last completion was inside the workflow's freshness window
    credits_wasted = r.credits_wasted + CASE
        WHEN EXCLUDED.credits_spent IS NOT NULL AND EXCLUDED.last_event_at <
             r.completed_at + make_interval(days => (SELECT w.refresh_after_days
                                                     FROM reference.enrichment_workflow_registry w
                                                     WHERE w.workflow_name = r.workflow_name))
        THEN EXCLUDED.credits_spent ELSE 0 END,
    last_event_at = EXCLUDED.last_event_at,
    updated_at = now()
WHERE (r.last_event_at, {old_rank}) < (EXCLUDED.last_event_at, {new_rank})
RETURNING r.workflow_name, r.entity_key
""").format(
    old_finished=_FINISHED.format(status=_OLD_STATUS),
    old_rank=_RANK.format(status=_OLD_STATUS),
    new_rank=_RANK.format(status=_NEW_STATUS),
)


@dataclass(frozen=True)
class EventRow:
    workflow_name: str
    entity_key: str
    entity_type: str
    status: str
    records_processed: int | None
    at: datetime
    source: str | None
    error: str | None
    credits_spent: Decimal | None


def events_upsert(*, rows: list[EventRow]) -> set[tuple[str, str]]:
    """Apply one round of events; returns the (workflow, key) pairs whose row changed."""
    if not rows:
        return set()
    params: dict[str, Any] = {
        "workflows": [r.workflow_name for r in rows], "keys": [r.entity_key for r in rows],
        "types": [r.entity_type for r in rows], "statuses": [r.status for r in rows],
        "records": [r.records_processed for r in rows], "ats": [r.at for r in rows],
        "sources": [r.source for r in rows], "errors": [r.error for r in rows],
        "credits": [r.credits_spent for r in rows],
    }
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT_EVENTS, params)
        return {(workflow, key) for workflow, key in cursor.fetchall()}


_STAGING_CREATE = """CREATE TEMP TABLE IF NOT EXISTS runs_backfill_staging (
    entity_key text PRIMARY KEY, completed_at timestamptz NOT NULL, records integer NOT NULL)"""
_STAGING_ADD = """
INSERT INTO pg_temp.runs_backfill_staging AS s (entity_key, completed_at, records)
SELECT * FROM unnest(%(keys)s::text[], %(latest)s::timestamptz[], %(counts)s::integer[])
ON CONFLICT (entity_key) DO UPDATE SET completed_at = greatest(s.completed_at, EXCLUDED.completed_at),
                                       records = s.records + EXCLUDED.records"""
_STAGING_BOUND = """SELECT entity_key FROM pg_temp.runs_backfill_staging WHERE entity_key > %(after)s
                    ORDER BY entity_key OFFSET %(skip)s LIMIT 1"""
# Runs reported by ingest functions are never touched; runs an earlier backfill made are
# updated only when the history changed, so a second backfill writes nothing.
_STAGING_MERGE = """
INSERT INTO reference.enrichment_runs AS r
    (workflow_name, entity_key, entity_type, status, records_processed, started_at, completed_at, source,
     attempts, last_event_at, updated_at)
SELECT %(workflow)s, s.entity_key, %(entity_type)s, 'completed', s.records, s.completed_at, s.completed_at,
       %(source)s, 1, s.completed_at, now()
FROM pg_temp.runs_backfill_staging s
WHERE s.entity_key > %(after)s AND (%(upto)s::text IS NULL OR s.entity_key <= %(upto)s)
ON CONFLICT (workflow_name, entity_key) DO UPDATE SET
    records_processed = EXCLUDED.records_processed, started_at = EXCLUDED.started_at,
    completed_at = EXCLUDED.completed_at, last_event_at = EXCLUDED.last_event_at, updated_at = now()
WHERE r.source = %(source)s AND r.status = 'completed'
  AND (r.completed_at, r.records_processed) IS DISTINCT FROM (EXCLUDED.completed_at, EXCLUDED.records_processed)
RETURNING (xmax = 0)"""
_EXTRACTED_BATCH = sql.SQL(
    "SELECT id, {key}, created_at FROM {table} WHERE id > %(after)s ORDER BY id LIMIT %(limit)s")
_ROW_ESTIMATE = "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = to_regclass(%(table)s)"


def backfill_staging_reset() -> None:
    with connection.cursor() as cursor:
        cursor.execute(_STAGING_CREATE)
        cursor.execute("TRUNCATE pg_temp.runs_backfill_staging")


def backfill_staging_add(*, latest_by_key: dict[str, datetime], count_by_key: dict[str, int]) -> None:
    keys = list(latest_by_key)
    with connection.cursor() as cursor:
        cursor.execute(_STAGING_ADD, {"keys": keys, "latest": [latest_by_key[k] for k in keys],
                                      "counts": [count_by_key[k] for k in keys]})


def backfill_staging_size() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_temp.runs_backfill_staging")
        return cursor.fetchone()[0]


def extracted_batch(*, table: str, key_column: str, after_id: int, limit: int) -> list[tuple]:
    """(id, raw key, created_at) rows after a checkpoint, in id order. The caller has checked
    the table and column against the live catalog."""
    schema, name = table.split(".")
    query = _EXTRACTED_BATCH.format(key=sql.Identifier(key_column), table=sql.Identifier(schema, name))
    with connection.cursor() as cursor:
        cursor.execute(query, {"after": after_id, "limit": limit})
        return cursor.fetchall()


def table_row_estimate(*, table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(_ROW_ESTIMATE, {"table": table})
        row = cursor.fetchone()
        return int(row[0]) if row and row[0] else 0


def backfill_merge_chunk(*, workflow: str, entity_type: str, source: str, after: str,
                         chunk: int) -> tuple[str | None, int, int]:
    """Merge the next `chunk` staged keys into the runs. Returns (last key merged or None
    when the staging is exhausted, runs created, runs updated)."""
    with connection.cursor() as cursor:
        cursor.execute(_STAGING_BOUND, {"after": after, "skip": chunk - 1})
        bound = cursor.fetchone()
        upto = bound[0] if bound else None
        cursor.execute(_STAGING_MERGE, {"workflow": workflow, "entity_type": entity_type, "source": source,
                                        "after": after, "upto": upto})
        flags = [row[0] for row in cursor.fetchall()]
    created = sum(flags)
    return upto, created, len(flags) - created
