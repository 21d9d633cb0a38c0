"""Distinct raw keys of a table, streamed: the gap check normalises them in Python."""

from collections.abc import Iterator

from django.db import connection
from psycopg import sql

FETCH_ROWS = 50_000


def distinct_keys(*, table: str, column: str) -> Iterator[str]:
    """Every distinct non-null value of a column the caller checked against the catalog."""
    schema, name = table.split(".")
    query = sql.SQL("SELECT DISTINCT {col} FROM {tbl} WHERE {col} IS NOT NULL").format(
        col=sql.Identifier(column), tbl=sql.Identifier(schema, name))
    with connection.cursor() as cursor:
        cursor.execute(query)
        while rows := cursor.fetchmany(FETCH_ROWS):
            for (value,) in rows:
                yield value
