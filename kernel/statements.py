"""Statements bound on the server, on Django's own connection (and so in its transaction).

Django's psycopg cursors bind parameters client-side, quoting every array element into the
statement text in Python, and never prepare. For large array parameters (a batch's rows)
and for statements whose planning costs as much as running them, a plain psycopg cursor on
the same connection is cheaper.
"""

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from psycopg import sql

_ONLY_WHEN_ASKED = 2**31 - 1


def server_bound_fetch(statement: str | sql.SQL | sql.Composed, params: dict | None = None, *,
                       prepare: bool = False, using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
    """Rows of the statement (none for a statement without RETURNING).

    With prepare=True psycopg keeps the statement prepared on this connection, keyed by its
    text. Django sets prepare_threshold to None, which would ignore the request; raising it
    only makes explicit requests take effect, as Django's own cursors never ask. Behind a
    transaction-mode pooler nothing is prepared: the next transaction may run on another
    server connection, which never saw the statement. `using` names another database (the
    replica), which is always reached directly.
    """
    prepare = prepare and not connection_pooled(using)
    connection = connections[using]
    connection.ensure_connection()
    raw = connection.connection
    if prepare and raw.prepare_threshold is None:
        raw.prepare_threshold = _ONLY_WHEN_ASKED
    with psycopg.Cursor(raw) as cursor:
        cursor.execute(statement, params, prepare=prepare or None)
        return cursor.fetchall() if cursor.description else []


def connection_pooled(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether this database is reached through a transaction-mode pooler: only the web tier's
    primary can be (settings.DATABASE_POOLED); a replica's URL must be direct."""
    return using == DEFAULT_DB_ALIAS and settings.DATABASE_POOLED
