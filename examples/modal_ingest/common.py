"""Shared plumbing of the sample ingest functions: where rows land."""

import os

import psycopg

WAREHOUSE_URL = os.environ.get("WAREHOUSE_URL", "")


def write_rows(table: str, rows: list[dict]) -> int:
    """Append rows to a schema-qualified warehouse table; returns how many were written."""
    if not rows:
        return 0
    schema, name = table.split(".")
    columns = list(rows[0])
    statement = psycopg.sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        psycopg.sql.Identifier(schema, name),
        psycopg.sql.SQL(", ").join(map(psycopg.sql.Identifier, columns)),
        psycopg.sql.SQL(", ").join(psycopg.sql.Placeholder() * len(columns)),
    )
    with psycopg.connect(WAREHOUSE_URL) as conn:
        conn.cursor().executemany(statement, [[row[c] for c in columns] for row in rows])
    return len(rows)
