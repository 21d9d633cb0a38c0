"""Raw SQL of the registry app."""

from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

# Compares a registry column's value with names read from pg_class; the value is never
# spliced into SQL. `column` is one of our own field names, never input.
_TABLE_EXISTS = (
    "EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname || '.' || c.relname = {column})"
)
TABLE_COLUMNS = ("raw_table", "extracted_table", "core_table")


def table_exists_expression(*, column: str) -> RawSQL:
    if column not in TABLE_COLUMNS:
        raise ValueError(f"{column} is not a registry table column")
    return RawSQL(_TABLE_EXISTS.format(column=column), [], output_field=BooleanField())


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
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(_KEY_INDEX_PRESENT, {"tables": [t for t, _ in pairs], "columns": [c for _, c in pairs]})
        return {(table, column): present for table, column, present in cursor.fetchall()}


def key_index_create(*, table: str, column: str, index_name: str) -> None:
    """CREATE INDEX CONCURRENTLY: writers are not blocked. Must run outside a transaction.
    A leftover invalid index of the same name (an interrupted earlier build) is dropped first."""
    from django.db import connection
    from psycopg import sql

    schema, name = table.split(".")
    with connection.cursor() as cursor:
        cursor.execute(_INVALID_INDEX, {"schema": schema, "name": index_name})
        if cursor.fetchone():
            cursor.execute(sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}").format(sql.Identifier(schema, index_name)))
        cursor.execute(sql.SQL("CREATE INDEX CONCURRENTLY IF NOT EXISTS {index} ON {table} ({column})").format(
            index=sql.Identifier(index_name), table=sql.Identifier(schema, name), column=sql.Identifier(column)))
