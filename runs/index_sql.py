"""Catalog queries and DDL for the indexes entity lookups need: a plain index on a key
column, or one on a key function of runs.keys."""

from django.db import connection
from psycopg import sql

from runs.keys import KEY_FUNCTION_SCHEMA

_KEY_INDEX_PRESENT = """
SELECT t.tbl, t.col, EXISTS (
    SELECT 1 FROM pg_index i
    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
    WHERE i.indrelid = to_regclass(t.tbl) AND a.attname = t.col AND i.indisvalid)
FROM unnest(%(tables)s::text[], %(columns)s::text[]) AS t(tbl, col)"""
# Valid one-column expression indexes and the function and column they are built on, read
# from pg_depend so that quoting and casts in the index definition do not matter.
_KEY_FUNCTION_INDEXES = """
SELECT DISTINCT tn.nspname || '.' || t.relname, a.attname::text, p.proname::text
FROM pg_index i
JOIN pg_class t ON t.oid = i.indrelid
JOIN pg_namespace tn ON tn.oid = t.relnamespace
JOIN pg_depend df ON df.classid = 'pg_class'::regclass AND df.objid = i.indexrelid
                 AND df.refclassid = 'pg_proc'::regclass
JOIN pg_proc p ON p.oid = df.refobjid
JOIN pg_namespace pn ON pn.oid = p.pronamespace AND pn.nspname = %(schema)s
JOIN pg_depend dc ON dc.classid = 'pg_class'::regclass AND dc.objid = i.indexrelid
                 AND dc.refclassid = 'pg_class'::regclass AND dc.refobjid = i.indrelid AND dc.refobjsubid > 0
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = dc.refobjsubid
WHERE i.indisvalid AND i.indnatts = 1 AND i.indpred IS NULL AND p.proname = ANY(%(functions)s)"""
_INVALID_INDEX = """SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                    JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = %(schema)s AND c.relname = %(name)s AND NOT i.indisvalid"""


def key_indexes_present(*, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], bool]:
    """For (schema.table, column) pairs the caller checked against the catalog: does a valid
    index lead with that column?"""
    with connection.cursor() as cursor:
        cursor.execute(_KEY_INDEX_PRESENT, {"tables": [t for t, _ in pairs], "columns": [c for _, c in pairs]})
        return {(table, column): present for table, column, present in cursor.fetchall()}


def key_function_indexes(*, schema: str, functions: list[str]) -> frozenset[tuple[str, str, str]]:
    """(table, column, function) of every valid index on function(column)."""
    with connection.cursor() as cursor:
        cursor.execute(_KEY_FUNCTION_INDEXES, {"schema": schema, "functions": functions})
        return frozenset(cursor.fetchall())


def key_index_create(*, table: str, column: str, index_name: str, function: str | None = None) -> None:
    """CREATE INDEX CONCURRENTLY on the column, or on `function`(column) with a key function
    of runs.keys: writers are not blocked. Must run outside a transaction. A leftover invalid
    index of the same name (an interrupted earlier build) is dropped first."""
    schema, name = table.split(".")
    with connection.cursor() as cursor:
        cursor.execute(_INVALID_INDEX, {"schema": schema, "name": index_name})
        if cursor.fetchone():
            cursor.execute(sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}").format(sql.Identifier(schema, index_name)))
        key = sql.Identifier(column)
        if function:
            key = sql.SQL("{}({})").format(sql.Identifier(KEY_FUNCTION_SCHEMA, function), key)
        cursor.execute(sql.SQL("CREATE INDEX CONCURRENTLY IF NOT EXISTS {index} ON {table} ({key})").format(
            index=sql.Identifier(index_name), table=sql.Identifier(schema, name), key=key))
        if function:
            # An expression index has its own statistics; until ANALYZE the planner guesses.
            cursor.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(schema, name)))


def lookup_condition(*, column: str, function: str | None = None) -> sql.Composable:
    """`column = ANY(%(lookup_values)s)`, or with a key function of runs.keys applied to it."""
    looked_up = sql.Identifier(column)
    if function:
        looked_up = sql.SQL("{}({})").format(sql.Identifier(KEY_FUNCTION_SCHEMA, function), looked_up)
    return sql.SQL("{} = ANY(%(lookup_values)s)").format(looked_up)
