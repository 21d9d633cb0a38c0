"""The planner's SQL: what each workflow's completed runs left filled in core, and what its runs
cost. Table and column names come from warehouse.hidden (code, not data) or, for the demo's
landed rows, from a coalesce mapping checked against the catalog; values are bound parameters."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from django.db import connection, transaction
from psycopg import sql

from kernel import KEY_FUNCTION_SCHEMA, KEY_FUNCTIONS, key_function_value
from warehouse.hidden import missing_sql

# Where each entity type's required fields live, and its key column there.
CORE_ENTITIES = {"company": ("core", "companies", "domain"), "person": ("core", "people", "linkedin_url")}


def fields_filled_after_runs(*, entity_type: str, fields: tuple[str, ...], workflows: list[str],
                             settled_after_s: int) -> list[tuple]:
    """Per workflow: (name, completed runs at least `settled_after_s` old, then per field how
    many of those runs' entities have it filled in core), all as of the entity type's latest
    count. A key with several core rows counts as filled when any of them is."""
    counted = sql.SQL(", ").join(
        sql.SQL("count(*) FILTER (WHERE {})").format(_filled_as_counted(index)) for index in range(len(fields)))
    settled = sql.SQL("""
            SELECT r.workflow_name, r.entity_key FROM reference.enrichment_runs r, latest
            WHERE r.entity_type = %(entity_type)s AND r.status = 'completed' AND r.id <= latest.runs_through
              AND r.completed_at <= latest.counted_at - make_interval(secs => %(settled_after_s)s)
              AND r.workflow_name = ANY(%(workflows)s)""")
    return _counted_per_workflow(settled, sql.SQL("count(*), {}").format(counted), entity_type=entity_type,
                                 workflows=workflows, settled_after_s=settled_after_s)


def _filled_as_counted(index: int) -> sql.Composed:
    """Whether the latest count saw the settled run's entity (m) in core with field `index` filled:
    not outside core (o), and not missing the field if hidden (h); neither means every field filled."""
    return sql.SQL("(o.entity_key IS NULL AND coalesce(h.missing, 0) & {} = 0)").format(sql.Literal(1 << index))


def _counted_per_workflow(settled: sql.Composable, counted: sql.Composable, *, entity_type: str,
                          workflows: list[str], settled_after_s: int) -> list[tuple]:
    """Per workflow of the `settled` runs (m), the `counted` columns over them joined with their
    entities as the latest count left them (h, o). The count keyed every core row once, so this
    reads no core table; runs past the count wait for the next one, whose snapshot holds them."""
    statement = sql.SQL("""
        WITH latest AS (SELECT counted_at, runs_through FROM planning_hidden_leads_counts
                        WHERE entity_type = %(entity_type)s AND runs_through IS NOT NULL),
             settled AS ({settled})
        SELECT m.workflow_name, {counted}
        FROM settled m
        LEFT JOIN planning_hidden_leads h ON h.entity_type = %(entity_type)s AND h.entity_key = m.entity_key
        LEFT JOIN planning_run_keys_outside_core o ON o.entity_type = %(entity_type)s AND o.entity_key = m.entity_key
        GROUP BY 1 ORDER BY 1""").format(settled=settled, counted=counted)
    with connection.cursor() as cursor:
        cursor.execute(statement, {"entity_type": entity_type, "settled_after_s": settled_after_s,
                                   "workflows": workflows})
        return cursor.fetchall()


def fields_filled_after_planned_runs(*, entity_type: str, fields: tuple[str, ...], workflows: list[str],
                                     settled_after_s: int) -> list[tuple]:
    """Per workflow: (name, then per field: the exported plans' runs of it that completed and
    settled and were planned to fill that field, and how many of those entities have it filled
    in core), as of the latest count. A plan is made for leads missing the field, so these count
    runs after which the field became filled. A pair planned several times counts once, for its
    latest plan."""
    counted = sql.SQL(", ").join(
        sql.SQL("count(*) FILTER (WHERE m.fills ? {label}), count(*) FILTER (WHERE m.fills ? {label} AND {filled})")
        .format(label=sql.Literal(field), filled=_filled_as_counted(index)) for index, field in enumerate(fields))
    settled = sql.SQL("""
            SELECT DISTINCT ON (p.workflow_name, p.entity_key) p.workflow_name, p.entity_key, p.fills
            FROM planning_planned_runs p
            JOIN planning_plans e ON e.id = p.plan_id
            JOIN reference.enrichment_runs r ON r.workflow_name = p.workflow_name AND r.entity_key = p.entity_key
            CROSS JOIN latest
            WHERE e.entity_type = %(entity_type)s AND p.workflow_name = ANY(%(workflows)s)
              AND r.status = 'completed' AND r.completed_at >= e.created_at AND r.id <= latest.runs_through
              AND r.completed_at <= latest.counted_at - make_interval(secs => %(settled_after_s)s)
            ORDER BY p.workflow_name, p.entity_key, e.created_at DESC""")
    return _counted_per_workflow(settled, counted, entity_type=entity_type, workflows=workflows,
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


@contextmanager
def count_snapshot(entity_type: str) -> Iterator[tuple[datetime, UUID | None]]:
    """One transaction for a count and its record, reading core and the runs as of one moment
    (a caller's transaction decides that for itself); yields (the snapshot's time, the highest
    run id it holds). Plans and measurements read the previous count until it commits. A second
    count of the same entity type (the schedule and a job's, at once) waits for the first, then
    reads a snapshot that sees its rows."""
    lock = f"enrichhub: hidden leads {entity_type}"
    outermost = not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtext(%s))", [lock])
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if outermost:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SELECT now(), (SELECT id FROM reference.enrichment_runs ORDER BY id DESC LIMIT 1)")
            yield cursor.fetchone()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [lock])


def core_keys_stage(*, entity_type: str, fields: tuple[str, ...]) -> None:
    """Every normalised key of the entity type's core rows with the required fields none of its
    rows fills, as bits, into a temporary table for the rest of the count's transaction: the one
    pass over core (keying each row) that the hidden leads and the keys outside core share."""
    schema, table, key_column = CORE_ENTITIES[entity_type]
    key = key_function_value(function=KEY_FUNCTIONS[entity_type], column=sql.Identifier("c", key_column))
    bits = sql.SQL(" | ").join(
        sql.SQL("CASE WHEN bool_or(NOT {missing}) THEN 0 ELSE {bit} END").format(missing=missing_sql(field),
                                                                                 bit=sql.Literal(1 << index))
        for index, field in enumerate(fields))
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS pg_temp.count_core_keys")
        # CREATE TABLE AS, unlike INSERT, may hand the key function to parallel workers.
        cursor.execute(sql.SQL("""
            CREATE TEMP TABLE count_core_keys ON COMMIT DROP AS
            SELECT keyed.* FROM (SELECT {key} AS entity_key, ({bits})::smallint AS missing
                                 FROM {table} c GROUP BY 1) keyed
            WHERE keyed.entity_key IS NOT NULL""").format(key=key, bits=bits, table=sql.Identifier(schema, table)))
        cursor.execute("ANALYZE pg_temp.count_core_keys")


def hidden_leads_replace(*, entity_type: str, max_failures: int) -> list[tuple[int, list[str], int]]:
    """Replace the entity type's rows of planning_hidden_leads with the staged keys some of whose
    required fields no core row fills, each with the workflows blocked for it; returns its
    classes [(missing bits, blocked, leads)]."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM planning_hidden_leads WHERE entity_type = %s", [entity_type])
        cursor.execute(sql.SQL("""
            INSERT INTO planning_hidden_leads (entity_type, entity_key, missing, blocked)
            SELECT %(entity_type)s, k.entity_key, k.missing, b.workflows
            FROM pg_temp.count_core_keys k LEFT JOIN ({blocking}) b USING (entity_key)
            WHERE k.missing <> 0""").format(blocking=sql.SQL(_BLOCKING.format(changed=""))),
            {"entity_type": entity_type, "max_failures": max_failures})
        cursor.execute("SELECT missing, coalesce(blocked, '{}'), count(*) FROM planning_hidden_leads"
                       " WHERE entity_type = %s GROUP BY 1, 2 ORDER BY 1, 2", [entity_type])
        return cursor.fetchall()


def run_keys_outside_core_replace(*, entity_type: str) -> int:
    """Replace the entity type's keys of runs that no staged core key matches; how many there are."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM planning_run_keys_outside_core WHERE entity_type = %s", [entity_type])
        cursor.execute("""
            INSERT INTO planning_run_keys_outside_core (entity_type, entity_key)
            SELECT DISTINCT %(entity_type)s, r.entity_key FROM reference.enrichment_runs r
            WHERE r.entity_type = %(entity_type)s
              AND NOT EXISTS (SELECT FROM pg_temp.count_core_keys k WHERE k.entity_key = r.entity_key)""",
                       {"entity_type": entity_type})
        return cursor.rowcount


def count_tables_analyse() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE planning_hidden_leads, planning_run_keys_outside_core")


@contextmanager
def changed_leads(*, entity_type: str, since: datetime, max_failures: int,
                  keys: list[str] | None) -> Iterator[None]:
    """The hidden leads whose runs changed since their count, with the workflows blocked for them
    then and now, in a temporary table for the statements inside: a plan reads these live and
    the rest as counted. Its cost follows the runs changed since. The table lives in this
    transaction only, so it needs no session of its own (fine behind a pooler)."""
    only = sql.SQL("AND h.entity_key = ANY(%(keys)s)") if keys is not None else sql.SQL("")
    params: dict[str, str | datetime | int | list[str] | None] = {
        "entity_type": entity_type, "since": since, "max_failures": max_failures, "keys": keys}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS pg_temp.plan_changed_leads")
        cursor.execute(sql.SQL("""
            CREATE TEMP TABLE plan_changed_leads ON COMMIT DROP AS
            SELECT h.entity_key, h.missing, coalesce(h.blocked, '{{}}') AS blocked_then, '{{}}'::text[] AS blocked_now
            FROM (SELECT DISTINCT entity_key FROM reference.enrichment_runs
                  WHERE entity_type = %(entity_type)s AND updated_at >= %(since)s) changed
            JOIN planning_hidden_leads h ON h.entity_type = %(entity_type)s AND h.entity_key = changed.entity_key
            WHERE TRUE {only}""").format(only=only), params)
        # The blocked workflows in a second statement, once the planner knows how many leads
        # changed: in one statement, runs just written (not yet analysed) made it estimate a
        # handful and rescan every changed lead's runs once per changed lead.
        cursor.execute("ANALYZE pg_temp.plan_changed_leads")
        cursor.execute(sql.SQL("""
            UPDATE pg_temp.plan_changed_leads c SET blocked_now = b.workflows
            FROM ({blocking}) b WHERE b.entity_key = c.entity_key""").format(
            blocking=sql.SQL(_BLOCKING.format(changed="JOIN pg_temp.plan_changed_leads USING (entity_key)"))), params)
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
