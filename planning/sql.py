"""The planner's SQL: what each workflow's completed runs left filled in core, and what its runs
cost. Table and column names come from warehouse.hidden (code, not data) or, for the demo's
landed rows, from a coalesce mapping checked against the catalog; values are bound parameters."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal

from django.db import connection, transaction
from psycopg import sql

from kernel import KEY_FUNCTION_SCHEMA, KEY_FUNCTIONS, key_function_call, key_function_value
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


_CLASSED = """
WITH hidden AS (
    SELECT {key} AS entity_key, {filled} FROM {table} c {only} GROUP BY 1 HAVING {hidden}),
blocked AS (
    SELECT r.entity_key, array_agg(r.workflow_name ORDER BY r.workflow_name) AS workflows
    FROM reference.enrichment_runs r
    JOIN reference.enrichment_workflow_registry w ON w.workflow_name = r.workflow_name
    WHERE r.entity_type = %(entity_type)s AND r.workflow_name = ANY(%(workflows)s)
      AND (r.status IN ('pending', 'running')
           OR (r.status = 'completed' AND r.completed_at > now() - make_interval(days => w.refresh_after_days))
           OR (r.status = 'failed' AND r.attempts >= %(max_failures)s))
    GROUP BY r.entity_key),
classed AS (
    SELECT h.*, coalesce(b.workflows, '{{}}') AS blocked,
           concat_ws('|', {bits}, array_to_string(coalesce(b.workflows, '{{}}'), ',')) AS signature
    FROM hidden h LEFT JOIN blocked b USING (entity_key)
    WHERE h.entity_key IS NOT NULL)
"""


def _classed(*, entity_type: str, fields: tuple[str, ...], keys: list[str] | None) -> sql.Composed:
    """Every hidden lead with its fields filled, the offered workflows not to buy for it now (in
    flight, fresh, or failing) and its class: leads of one signature are interchangeable."""
    schema, table, key_column = CORE_ENTITIES[entity_type]
    column = sql.Identifier("c", key_column)
    # Some keys only: the function itself, which the key column's expression index serves.
    key = (key_function_call(function=KEY_FUNCTIONS[entity_type], argument=column) if keys is not None
           else key_function_value(function=KEY_FUNCTIONS[entity_type], column=column))
    filled = sql.SQL(", ").join(sql.SQL("bool_or(NOT {}) AS {}").format(missing_sql(field), sql.Identifier(field))
                                for field in fields)
    hidden = sql.SQL(" OR ").join(sql.SQL("NOT bool_or(NOT {})").format(missing_sql(field)) for field in fields)
    bits = sql.SQL(" || ").join(sql.SQL("CASE WHEN {} THEN '1' ELSE '0' END").format(sql.Identifier("h", field))
                                for field in fields)
    only = sql.SQL("WHERE {key} = ANY(%(keys)s)").format(key=key) if keys is not None else sql.SQL("")
    return sql.SQL(_CLASSED).format(key=key, filled=filled, table=sql.Identifier(schema, table), only=only,
                                    hidden=hidden, bits=bits)


@contextmanager
def classed_leads(*, entity_type: str, fields: tuple[str, ...], workflows: list[str], max_failures: int,
                  keys: list[str] | None) -> Iterator[None]:
    """The hidden leads with their classes, in a temporary table for the statements inside: the
    key function, most of the cost, runs once per core row, not once per statement. The table
    lives in this transaction only, so it needs no session of its own (fine behind a pooler)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS pg_temp.plan_classed_leads")
        cursor.execute(sql.SQL("CREATE TEMP TABLE plan_classed_leads ON COMMIT DROP AS {} SELECT * FROM classed")
                       .format(_classed(entity_type=entity_type, fields=fields, keys=keys)),
                       {"entity_type": entity_type, "workflows": workflows, "max_failures": max_failures,
                        "keys": keys})
        yield
        cursor.execute("DROP TABLE pg_temp.plan_classed_leads")


def lead_classes(*, fields: tuple[str, ...]) -> list[tuple]:
    """(signature, each field filled, the workflows blocked, leads) of every class of hidden leads,
    inside classed_leads: a GROUP BY, so a plan reads a few hundred rows, not a row per lead."""
    columns = sql.SQL(", ").join(sql.Identifier(field) for field in fields)
    statement = sql.SQL("SELECT signature, {columns}, blocked, count(*) FROM pg_temp.plan_classed_leads"
                        " GROUP BY signature, {columns}, blocked ORDER BY signature").format(columns=columns)
    with connection.cursor() as cursor:
        cursor.execute(statement)
        return cursor.fetchall()


def class_keys(*, wanted: dict[str, int]) -> list[tuple[str, str, int]]:
    """(signature, entity key, 1-based position in key order) of the first `wanted[signature]`
    leads of each class, inside classed_leads: the ones a plan buys."""
    signatures = sorted(wanted)
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT ranked.signature, ranked.entity_key, ranked.position FROM (
                SELECT signature, entity_key,
                       row_number() OVER (PARTITION BY signature ORDER BY entity_key) AS position
                FROM pg_temp.plan_classed_leads WHERE signature = ANY(%(signatures)s)) ranked
            JOIN unnest(%(signatures)s::text[], %(limits)s::bigint[]) AS wanted(signature, n) USING (signature)
            WHERE ranked.position <= wanted.n
            ORDER BY ranked.entity_key""",
                       {"signatures": signatures, "limits": [wanted[signature] for signature in signatures]})
        return cursor.fetchall()


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
