"""Raw SQL of the registry app: whether a registered table exists, and the catalog of the
schemas enrichhub may touch."""

from django.db import connection
from django.db.models import BooleanField, F, Func

from registry.models import TABLE_COLUMNS

_TABLE_COLUMNS = """
SELECT n.nspname || '.' || c.relname, array_agg(a.attname::text ORDER BY a.attnum)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname = ANY(%(schemas)s) AND c.relname <> ALL(%(excluded)s)
GROUP BY 1"""


def table_columns(*, schemas: list[str], excluded_names: list[str]) -> dict[str, frozenset[str]]:
    """Qualified name -> columns of every table and view in the schemas, but for the excluded names."""
    with connection.cursor() as cursor:
        cursor.execute(_TABLE_COLUMNS, {"schemas": schemas, "excluded": excluded_names})
        return {name: frozenset(columns) for name, columns in cursor.fetchall()}


class _TableExists(Func):
    """Whether a registry column's value names a table, view or foreign table; the value is
    compared with names read from pg_class, never spliced into SQL."""

    template = ("EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname || '.' || c.relname = %(expressions)s)")
    output_field = BooleanField()


def table_exists_expression(*, column: str) -> Func:
    if column not in TABLE_COLUMNS:
        raise ValueError(f"{column} is not a registry table column")
    return _TableExists(F(column))
