"""Catalog queries and DDL for the indexes entity lookups need: a plain index on a key
column, or one on a key function of kernel.keys."""

from django.db import connection
from psycopg import sql

from kernel import key_function_call

_KEY_INDEX_PRESENT = """
SELECT t.tbl, t.col, EXISTS (
    SELECT 1 FROM pg_index i
    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
    WHERE i.indrelid = to_regclass(t.tbl) AND a.attname = t.col AND i.indisvalid)
FROM unnest(%(tables)s::text[], %(columns)s::text[]) AS t(tbl, col)"""
_INVALID_INDEX = """SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                    JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = %(schema)s AND c.relname = %(name)s AND NOT i.indisvalid"""


def key_indexes_present(*, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], bool]:
    """For (schema.table, column) pairs the caller checked against the catalog: does a valid
    index lead with that column?"""
    with connection.cursor() as cursor:
        cursor.execute(_KEY_INDEX_PRESENT, {"tables": [t for t, _ in pairs], "columns": [c for _, c in pairs]})
        return {(table, column): present for table, column, present in cursor.fetchall()}


def key_index_create(*, table: str, column: str, index_name: str, function: str | None = None) -> None:
    """CREATE INDEX CONCURRENTLY on the column, or on `function`(column) with a key function
    of kernel.keys: writers are not blocked. Must run outside a transaction. A leftover invalid
    index of the same name (an interrupted earlier build) is dropped first."""
    schema, name = table.split(".")
    with connection.cursor() as cursor:
        cursor.execute(_INVALID_INDEX, {"schema": schema, "name": index_name})
        if cursor.fetchone():
            cursor.execute(sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}").format(sql.Identifier(schema, index_name)))
        key: sql.Composable = sql.Identifier(column)
        if function:
            key = key_function_call(function=function, argument=key)
        cursor.execute(sql.SQL("CREATE INDEX CONCURRENTLY IF NOT EXISTS {index} ON {table} ({key})").format(
            index=sql.Identifier(index_name), table=sql.Identifier(schema, name), key=key))
        if function:
            # An expression index has its own statistics; until ANALYZE the planner guesses.
            cursor.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(schema, name)))
