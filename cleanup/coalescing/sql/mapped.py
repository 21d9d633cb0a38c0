"""Declarative coalescing: read a workflow's extracted rows, fill or upsert its core rows.

Every table and column name arrives checked against the catalog (cleanup.coalescing.mapping) and goes
in as Identifier; jsonb field names and values are bound parameters. Rows reach PostgreSQL
as one jsonb array read with jsonb_populate_recordset, so each value takes its core column's
type without Python knowing the types.
"""

import json
from typing import TYPE_CHECKING

from django.db import connection
from psycopg import sql

from kernel import KeyLookup, server_bound_fetch

if TYPE_CHECKING:  # the mapping module reads the catalog through this one
    from cleanup.coalescing.mapping import MappingPlan


def _table(qualified: str) -> sql.Identifier:
    return sql.Identifier(*qualified.split("."))


def column_type(*, table: str, column: str) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
                       " WHERE attrelid = to_regclass(%s) AND attname = %s AND NOT attisdropped", [table, column])
        row = cursor.fetchone()
        return row[0] if row else None


def column_is_unique(*, table: str, column: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("""SELECT EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a
                                         ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                                         WHERE i.indrelid = to_regclass(%s) AND i.indisunique AND i.indnatts = 1
                                           AND i.indpred IS NULL AND i.indexprs IS NULL AND a.attname = %s)""",
                       [table, column])
        return cursor.fetchone()[0]


def columns_required(*, table: str) -> list[str]:
    """Columns an INSERT must give: NOT NULL, without a default or identity."""
    with connection.cursor() as cursor:
        cursor.execute("""SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attnum > 0
                          AND NOT attisdropped AND attnotnull AND NOT atthasdef AND attidentity = ''
                          AND attgenerated = ''""", [table])
        return [row[0] for row in cursor.fetchall()]


def extracted_rows(*, plan: "MappingPlan", after_id: int, limit: int, lookup: KeyLookup | None = None) -> list[tuple]:
    """(id, raw key, *source values) after an id, in id order; only rows of some keys with a
    kernel.KeyLookup."""
    values: list[sql.Composable] = []
    params: dict[str, object] = {"after": after_id, "limit": limit}
    for index, source in enumerate(plan.targets.values()):
        column = sql.Identifier(source.column)
        if source.field:
            params[f"field{index}"] = source.field
            values.append(sql.SQL("{} ->> {}").format(column, sql.Placeholder(f"field{index}")))
        else:
            values.append(sql.SQL("{}::text").format(column))
    condition: sql.Composable = sql.SQL("id > %(after)s")
    if lookup is not None:
        condition = sql.SQL("{} AND {}").format(condition, lookup.condition)
        params["lookup_values"] = lookup.values
    query = sql.SQL("SELECT id, {key}, {values} FROM {table} WHERE {condition} ORDER BY id LIMIT %(limit)s").format(
        key=sql.Identifier(plan.key_column), values=sql.SQL(", ").join(values), table=_table(plan.extracted_table),
        condition=condition)
    return server_bound_fetch(query.as_string(), params)


def core_write(*, plan: "MappingPlan", rows: list[dict], by_id: bool = False) -> int:
    """Fill (or with create_missing, upsert) core rows keyed by the normalised key, or with
    by_id the rows whose `id` was resolved already (core stores the key under another
    spelling); a source that is empty keeps core's value. Returns the rows inserted or changed."""
    if not rows:
        return 0
    key = sql.Identifier(plan.core_key_column)
    targets = [sql.Identifier(column) for column in plan.targets]
    source = "EXCLUDED" if plan.create_missing and not by_id else "r"
    merged = [sql.SQL("coalesce({0}.{1}, t.{1})").format(sql.SQL(source), target) for target in targets]
    assignments = sql.SQL(", ").join(sql.SQL("{} = {}").format(t, m) for t, m in zip(targets, merged, strict=True))
    changed = sql.SQL("ROW({}) IS DISTINCT FROM ROW({})").format(
        sql.SQL(", ").join(sql.SQL("t.{}").format(t) for t in targets), sql.SQL(", ").join(merged))
    parts = {"table": _table(plan.core_table), "key": key, "columns": sql.SQL(", ").join(targets),
             "assignments": assignments, "changed": changed}
    if by_id:
        statement = sql.SQL(
            "UPDATE {table} AS t SET {assignments} FROM jsonb_populate_recordset(NULL::{table}, %(rows)s) r"
            " WHERE t.id = r.id AND {changed} RETURNING 1").format(**parts)
    elif plan.create_missing:
        statement = sql.SQL(
            "INSERT INTO {table} AS t ({key}, {columns}) SELECT {key}, {columns}"
            " FROM jsonb_populate_recordset(NULL::{table}, %(rows)s) r"
            " ON CONFLICT ({key}) DO UPDATE SET {assignments} WHERE {changed} RETURNING 1").format(**parts)
    else:
        statement = sql.SQL(
            "UPDATE {table} AS t SET {assignments} FROM jsonb_populate_recordset(NULL::{table}, %(rows)s) r"
            " WHERE t.{key} = r.{key} AND {changed} RETURNING 1").format(**parts)
    return len(server_bound_fetch(statement.as_string(), {"rows": json.dumps(rows)}))


def extracted_max_id(*, plan: "MappingPlan") -> int:
    query = sql.SQL("SELECT coalesce(max(id), 0) FROM {}").format(_table(plan.extracted_table))
    return server_bound_fetch(query.as_string(), {})[0][0]


def extracted_count_after(*, plan: "MappingPlan", after_id: int) -> int:
    query = sql.SQL("SELECT count(*) FROM {} WHERE id > %(after)s").format(_table(plan.extracted_table))
    return server_bound_fetch(query.as_string(), {"after": after_id})[0][0]
