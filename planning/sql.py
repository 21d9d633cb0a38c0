"""The planner's SQL: what each workflow's completed runs left filled in core, and what its runs
cost. Table and column names come from warehouse.hidden (code, not data) or, for the demo's
landed rows, from a coalesce mapping checked against the catalog; values are bound parameters."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from psycopg import sql

from kernel import KEY_FUNCTION_SCHEMA, KEY_FUNCTIONS, key_function_value
from warehouse.hidden import missing_sql

# Where each entity type's required fields live, and its key column there.
CORE_ENTITIES = {"company": ("core", "companies", "domain"), "person": ("core", "people", "linkedin_url")}


def fields_filled_after_runs(*, entity_type: str, fields: tuple[str, ...], workflows: list[str],
                             settled_after_s: int) -> list[tuple]:
    """Per workflow: (name, completed runs at least `settled_after_s` old, then per field how
    many of those runs' entities have it filled in core now). A key with several core rows
    counts as filled when any of them is."""
    counted = sql.SQL(", ").join(
        sql.SQL("count(*) FILTER (WHERE s.{})").format(sql.Identifier(field)) for field in fields)
    settled = sql.SQL("""
            SELECT r.workflow_name, r.entity_key FROM reference.enrichment_runs r
            WHERE r.entity_type = %(entity_type)s AND r.status = 'completed'
              AND r.completed_at <= now() - make_interval(secs => %(settled_after_s)s)
              AND r.workflow_name = ANY(%(workflows)s)""")
    return _counted_per_workflow(settled, sql.SQL("count(*), {}").format(counted), entity_type=entity_type,
                                 fields=fields, workflows=workflows, settled_after_s=settled_after_s)


def _counted_per_workflow(settled: sql.Composable, counted: sql.Composable, *, entity_type: str,
                          fields: tuple[str, ...], workflows: list[str], settled_after_s: int) -> list[tuple]:
    """Per workflow of the `settled` runs (m), the `counted` columns over them joined with their
    entities' filled fields (s)."""
    statement = sql.SQL("""
        WITH settled AS ({settled}), state AS ({state})
        SELECT m.workflow_name, {counted}
        FROM settled m LEFT JOIN state s USING (entity_key)
        GROUP BY 1 ORDER BY 1""").format(settled=settled, state=_settled_entities_state(entity_type, fields),
                                         counted=counted)
    with connection.cursor() as cursor:
        cursor.execute(statement, {"entity_type": entity_type, "settled_after_s": settled_after_s,
                                   "workflows": workflows})
        return cursor.fetchall()


def _settled_entities_state(entity_type: str, fields: tuple[str, ...]) -> sql.Composed:
    """Per normalised key in the `settled` CTE, whether any of its core rows fills each field."""
    schema, table, key_column = CORE_ENTITIES[entity_type]
    key = sql.SQL("{}({})").format(sql.Identifier(KEY_FUNCTION_SCHEMA, KEY_FUNCTIONS[entity_type]),
                                   sql.Identifier("c", key_column))
    filled = sql.SQL(", ").join(
        sql.SQL("bool_or(NOT {missing}) AS {name}").format(missing=missing_sql(field), name=sql.Identifier(field))
        for field in fields)
    return sql.SQL("SELECT {key} AS entity_key, {filled} FROM {table} c"
                   " WHERE {key} IN (SELECT entity_key FROM settled) GROUP BY 1").format(
        key=key, filled=filled, table=sql.Identifier(schema, table))


def fields_filled_after_planned_runs(*, entity_type: str, fields: tuple[str, ...], workflows: list[str],
                                     settled_after_s: int) -> list[tuple]:
    """Per workflow: (name, then per field: the exported plans' runs of it that completed and
    settled and were planned to fill that field, and how many of those entities have it filled
    in core now). A plan is made for leads missing the field, so these count runs after which
    the field became filled. A pair planned several times counts once, for its latest plan."""
    counted = sql.SQL(", ").join(
        sql.SQL("count(*) FILTER (WHERE m.fills ? {label}), count(*) FILTER (WHERE m.fills ? {label} AND s.{name})")
        .format(label=sql.Literal(field), name=sql.Identifier(field)) for field in fields)
    settled = sql.SQL("""
            SELECT DISTINCT ON (p.workflow_name, p.entity_key) p.workflow_name, p.entity_key, p.fills
            FROM planning_planned_runs p
            JOIN planning_plans e ON e.id = p.plan_id
            JOIN reference.enrichment_runs r ON r.workflow_name = p.workflow_name AND r.entity_key = p.entity_key
            WHERE e.entity_type = %(entity_type)s AND p.workflow_name = ANY(%(workflows)s)
              AND r.status = 'completed' AND r.completed_at >= e.created_at
              AND r.completed_at <= now() - make_interval(secs => %(settled_after_s)s)
            ORDER BY p.workflow_name, p.entity_key, e.created_at DESC""")
    return _counted_per_workflow(settled, counted, entity_type=entity_type, fields=fields, workflows=workflows,
                                 settled_after_s=settled_after_s)


def run_costs(*, workflows: list[str]) -> list[tuple]:
    """(workflow, runs with a cost, their median credits) per workflow that has any."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT workflow_name, count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY credits_spent)
            FROM reference.enrichment_runs
            WHERE credits_spent IS NOT NULL AND workflow_name = ANY(%(workflows)s)
            GROUP BY 1 ORDER BY 1""", {"workflows": workflows})
        return cursor.fetchall()


def hidden_leads(*, entity_type: str, fields: tuple[str, ...], keys: list[str] | None) -> list[tuple]:
    """(entity key, then per field whether it is filled) of every key whose core rows leave some
    required field empty; only the given normalised keys when `keys` is not None."""
    schema, table, key_column = CORE_ENTITIES[entity_type]
    key = sql.SQL("{}({})").format(sql.Identifier(KEY_FUNCTION_SCHEMA, KEY_FUNCTIONS[entity_type]),
                                   sql.Identifier("c", key_column))
    filled = sql.SQL(", ").join(sql.SQL("bool_or(NOT {})").format(missing_sql(field)) for field in fields)
    hidden = sql.SQL(" OR ").join(sql.SQL("NOT bool_or(NOT {})").format(missing_sql(field)) for field in fields)
    only = sql.SQL("WHERE {key} = ANY(%(keys)s)").format(key=key) if keys is not None else sql.SQL("")
    statement = sql.SQL("SELECT {key}, {filled} FROM {table} c {only} GROUP BY 1 HAVING {hidden} ORDER BY 1").format(
        key=key, filled=filled, table=sql.Identifier(schema, table), only=only, hidden=hidden)
    with connection.cursor() as cursor:
        cursor.execute(statement, {"keys": keys})
        return [(row[0], *row[1:]) for row in cursor.fetchall() if row[0] is not None]


# Per entity key, the workflows not to buy for it now: in flight, fresh, or failing too often.
_BLOCKING = """
    SELECT r.entity_key, array_agg(r.workflow_name ORDER BY r.workflow_name) AS workflows
    FROM reference.enrichment_runs r
    JOIN reference.enrichment_workflow_registry w ON w.workflow_name = r.workflow_name {changed}
    WHERE r.entity_type = %(entity_type)s
      AND (r.status IN ('pending', 'running')
           OR (r.status = 'completed' AND r.completed_at > now() - make_interval(days => w.refresh_after_days))
           OR (r.status = 'failed' AND r.attempts >= %(max_failures)s))
    GROUP BY r.entity_key"""


def hidden_leads_recount(*, entity_type: str, fields: tuple[str, ...],
                         max_failures: int) -> tuple[datetime, list[tuple[int, list[str], int]]]:
    """Replace the entity type's rows of planning_hidden_leads with what core and the runs hold
    now: one row per normalised key some of whose required fields no core row fills, those
    fields as bits, and the workflows blocked for it. Returns (the time of the snapshot it read,
    [(missing bits, blocked, leads)]). One transaction: plans read the old count until it commits."""
    schema, table, key_column = CORE_ENTITIES[entity_type]
    key = key_function_value(function=KEY_FUNCTIONS[entity_type], column=sql.Identifier("c", key_column))
    bits = sql.SQL(" | ").join(
        sql.SQL("CASE WHEN bool_or(NOT {missing}) THEN 0 ELSE {bit} END").format(missing=missing_sql(field),
                                                                                 bit=sql.Literal(1 << index))
        for index, field in enumerate(fields))
    params: dict[str, Any] = {"entity_type": entity_type, "max_failures": max_failures}
    outermost = not connection.in_atomic_block
    with _count_lock(entity_type), transaction.atomic(), connection.cursor() as cursor:
        if outermost:  # core and the runs as of one moment (a caller's transaction decides for itself)
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("SELECT now()")
        (snapshot_at,) = cursor.fetchone()
        cursor.execute("DELETE FROM planning_hidden_leads WHERE entity_type = %s", [entity_type])
        cursor.execute(sql.SQL("""
            INSERT INTO planning_hidden_leads (entity_type, entity_key, missing, blocked)
            SELECT %(entity_type)s, keyed.entity_key, keyed.missing, b.workflows
            FROM (SELECT {key} AS entity_key, ({bits})::smallint AS missing FROM {table} c GROUP BY 1) keyed
            LEFT JOIN ({blocking}) b USING (entity_key)
            WHERE keyed.missing <> 0 AND keyed.entity_key IS NOT NULL""").format(
            key=key, bits=bits, table=sql.Identifier(schema, table),
            blocking=sql.SQL(_BLOCKING.format(changed=""))), params)
        cursor.execute("SELECT missing, coalesce(blocked, '{}'), count(*) FROM planning_hidden_leads"
                       " WHERE entity_type = %s GROUP BY 1, 2 ORDER BY 1, 2", [entity_type])
        classes = cursor.fetchall()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE planning_hidden_leads")
    return snapshot_at, classes


@contextmanager
def _count_lock(entity_type: str) -> Iterator[None]:
    """Session-level, taken before the count's transaction: a second count of the same entity type
    (the schedule and a job's, at once) waits, then reads a snapshot that sees the first one's rows."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtext(%s))", [f"enrichhub: hidden leads {entity_type}"])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [f"enrichhub: hidden leads {entity_type}"])


@contextmanager
def changed_leads(*, entity_type: str, since: datetime, max_failures: int,
                  keys: list[str] | None) -> Iterator[None]:
    """The hidden leads whose runs changed since their count, with the workflows blocked for them
    then and now, in a temporary table for the statements inside: a plan reads these live and
    the rest as counted. Its cost follows the runs changed since. The table lives in this
    transaction only, so it needs no session of its own (fine behind a pooler)."""
    only = sql.SQL("AND h.entity_key = ANY(%(keys)s)") if keys is not None else sql.SQL("")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS pg_temp.plan_changed_leads")
        cursor.execute(sql.SQL("""
            CREATE TEMP TABLE plan_changed_leads ON COMMIT DROP AS
            WITH changed AS (
                SELECT DISTINCT entity_key FROM reference.enrichment_runs
                WHERE entity_type = %(entity_type)s AND updated_at >= %(since)s),
            blocking AS ({blocking})
            SELECT h.entity_key, h.missing, coalesce(h.blocked, '{{}}') AS blocked_then,
                   coalesce(b.workflows, '{{}}') AS blocked_now
            FROM changed
            JOIN planning_hidden_leads h ON h.entity_type = %(entity_type)s AND h.entity_key = changed.entity_key
            LEFT JOIN blocking b ON b.entity_key = h.entity_key
            WHERE TRUE {only}""").format(
            blocking=sql.SQL(_BLOCKING.format(changed="JOIN changed USING (entity_key)")), only=only),
            {"entity_type": entity_type, "since": since, "max_failures": max_failures, "keys": keys})
        cursor.execute("ANALYZE pg_temp.plan_changed_leads")
        yield
        cursor.execute("DROP TABLE pg_temp.plan_changed_leads")


def counted_classes(*, entity_type: str, keys: list[str]) -> list[tuple[int, list[str], int]]:
    """(missing bits, workflows blocked as counted, leads) among these keys (a plan for some keys)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT missing, coalesce(blocked, '{}'), count(*) FROM planning_hidden_leads"
                       " WHERE entity_type = %s AND entity_key = ANY(%s) GROUP BY 1, 2", [entity_type, keys])
        return cursor.fetchall()


def changed_classes() -> list[tuple[int, list[str], list[str]]]:
    """(missing bits, blocked as counted, blocked now) of each changed lead, inside changed_leads."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT missing, blocked_then, blocked_now FROM pg_temp.plan_changed_leads")
        return cursor.fetchall()


# The workflows of a lead's blocked array among the offered ones, as "a,b": its class's blocked part.
_OFFERED_BLOCKED = ("array_to_string(ARRAY(SELECT x FROM unnest({}) x WHERE x = ANY(%(offered)s) ORDER BY x), ',')")

_CLASS_KEYS = """
SELECT wanted.missing, wanted.blocked, picked.entity_key, picked.position
FROM unnest(%(bits)s::smallint[], %(blocked)s::text[], %(limits)s::bigint[]) AS wanted(missing, blocked, n)
CROSS JOIN LATERAL (
    SELECT members.entity_key, row_number() OVER (ORDER BY members.entity_key) AS position FROM (
        (SELECT h.entity_key FROM planning_hidden_leads h
         WHERE h.entity_type = %(entity_type)s AND h.missing = wanted.missing {only} AND {counted_class}
           AND NOT EXISTS (SELECT 1 FROM pg_temp.plan_changed_leads c WHERE c.entity_key = h.entity_key)
         ORDER BY h.entity_key LIMIT wanted.n)
        UNION ALL
        (SELECT c.entity_key FROM pg_temp.plan_changed_leads c
         WHERE c.missing = wanted.missing AND {changed_class} = wanted.blocked)
    ) members ORDER BY members.entity_key LIMIT wanted.n) picked"""


def class_keys(*, entity_type: str, offered: list[str], wanted: dict[tuple[int, tuple[str, ...]], int],
               keys: list[str] | None) -> list[tuple[int, str, str, int]]:
    """(missing bits, blocked as "a,b", key, 1-based position in key order) of the first
    `wanted[class]` leads of each class, inside changed_leads: leads no offered workflow is
    blocked for by one index range per class, the others through the index of blocked leads."""
    only = sql.SQL("AND h.entity_key = ANY(%(keys)s)") if keys is not None else sql.SQL("")
    rows = []
    for blocked_part in (False, True):
        chosen = sorted(identity for identity in wanted if bool(identity[1]) == blocked_part)
        if not chosen:
            continue
        counted_class = (sql.SQL("h.blocked IS NOT NULL AND {} = wanted.blocked").format(
                             sql.SQL(_OFFERED_BLOCKED.format("h.blocked"))) if blocked_part
                         else sql.SQL("(h.blocked IS NULL OR NOT h.blocked && %(offered)s::text[])"))
        statement = sql.SQL(_CLASS_KEYS).format(only=only, counted_class=counted_class,
                                                changed_class=sql.SQL(_OFFERED_BLOCKED.format("c.blocked_now")))
        with connection.cursor() as cursor:
            cursor.execute(statement, {
                "bits": [bits for bits, _ in chosen], "blocked": [",".join(names) for _, names in chosen],
                "limits": [wanted[identity] for identity in chosen], "entity_type": entity_type,
                "offered": offered, "keys": keys})
            rows += cursor.fetchall()
    return rows


def planned_runs_completed(*, plan_id: int, since: datetime) -> tuple[int, Decimal]:
    """(the plan's runs completed since it was exported, the credits they spent)."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT count(r.*), coalesce(sum(r.credits_spent), 0)
            FROM planning_planned_runs p
            JOIN reference.enrichment_runs r ON r.workflow_name = p.workflow_name AND r.entity_key = p.entity_key
            WHERE p.plan_id = %(plan)s AND r.status = 'completed' AND r.completed_at >= %(since)s""",
                       {"plan": plan_id, "since": since})
        return cursor.fetchone()


def extracted_rows_insert(*, table: str, rows: list[dict]) -> None:
    """Land rows in an extracted table, each a dict of column -> value (a dict for a json
    column). The table and column names come from a coalesce mapping checked against the
    catalog; jsonb_populate_recordset gives each value its column's type."""
    columns = sql.SQL(", ").join(sql.Identifier(name) for name in sorted({name for row in rows for name in row}))
    target = sql.Identifier(*table.split("."))
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("INSERT INTO {target} ({columns}) SELECT {columns}"
                               " FROM jsonb_populate_recordset(NULL::{target}, %(rows)s)")
                       .format(target=target, columns=columns), {"rows": json.dumps(rows)})
