"""Distinct raw keys of a table, streamed: the gap check normalises them in Python."""

from collections.abc import Iterator

from django.db import connection
from psycopg import sql

FETCH_ROWS = 50_000


def distinct_keys(*, table: str, column: str, filled: str | None = None) -> Iterator[str]:
    """Every distinct non-null value of a column the caller checked against the catalog; only
    of rows whose `filled` column holds a value, if given."""
    schema, name = table.split(".")
    condition = sql.SQL("{} IS NOT NULL").format(sql.Identifier(column))
    if filled:
        condition = sql.SQL("{} AND nullif(btrim({}::text), '') IS NOT NULL").format(condition, sql.Identifier(filled))
    query = sql.SQL("SELECT DISTINCT {col} FROM {tbl} WHERE {condition}").format(
        col=sql.Identifier(column), tbl=sql.Identifier(schema, name), condition=condition)
    with connection.cursor() as cursor:
        cursor.execute(query)
        while rows := cursor.fetchmany(FETCH_ROWS):
            for (value,) in rows:
                yield value
