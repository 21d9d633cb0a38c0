"""Raw SQL of the cleanup app, one module per job kind plus what they share."""

from typing import Any

import psycopg
from django.db import connection
from psycopg import sql

# Namespace for pg_try_advisory_lock(int, int): (ours, job id). Any constant would do; it
# only has to differ from other users of two-key advisory locks on the same database.
ADVISORY_NAMESPACE = 7_401_115


def batch_limits_set(*, statement_timeout_ms: int, lock_timeout_ms: int) -> None:
    """SET LOCAL: the limits end with the batch's transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('statement_timeout', %s, true), set_config('lock_timeout', %s, true)",
                       [f"{statement_timeout_ms}ms", f"{lock_timeout_ms}ms"])


def planner_rows(query: sql.Composable, params: dict | None = None) -> int:
    """How many rows the planner expects the query to return: instant, whatever the table size."""
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("EXPLAIN (FORMAT JSON) {}").format(query), params)
        (plan,) = cursor.fetchone()
        return int(plan[0]["Plan"]["Plan Rows"])


def job_lock_try(*, job_id: int) -> bool:
    """Session-level: held until released or the connection ends (a killed worker frees it)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [ADVISORY_NAMESPACE, job_id])
        return cursor.fetchone()[0]


def job_kind_lock(*, scope: str) -> None:
    """Transaction-level: two starters of the same kind queue here, so the second sees the first's
    job. Row locks cannot do it: when no job is active there is no row to lock. The one-key form
    never meets the two-key job locks above (PostgreSQL keeps them apart)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"enrichhub.job-kind:{scope}"])


def connection_lost(exc: BaseException | None = None) -> bool:
    """Whether the session is gone, or `exc` says it went (the server restarted or shut it down,
    or a pooler dropped it): its advisory locks went with it. Django closes a connection whose
    rollback failed and opens a new one on the next query, so the error tells more than the
    connection object."""
    raw = connection.connection
    if raw is None or raw.closed or raw.broken:
        return True
    cause = exc.__cause__ if exc is not None else None
    if not isinstance(cause, psycopg.OperationalError):
        return False
    state = cause.sqlstate or ""
    # No state: the client lost the server. 08: connection exceptions. 57P01-57P03: shut down.
    return state == "" or state.startswith("08") or state in ("57P01", "57P02", "57P03")


def job_lock_release(*, job_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [ADVISORY_NAMESPACE, job_id])


def job_runners_alive(*, job_ids: list[int]) -> set[int]:
    """The jobs whose advisory lock a session holds: their runner is alive, whatever it is doing."""
    with connection.cursor() as cursor:
        cursor.execute("""SELECT objid::bigint FROM pg_locks
                          WHERE locktype = 'advisory' AND granted AND objsubid = 2
                            AND classid::bigint = %s AND objid::bigint = ANY(%s)""", [ADVISORY_NAMESPACE, job_ids])
        return {job_id for (job_id,) in cursor.fetchall()}


def application_name_set(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('application_name', %s, false)", [name[:63]])


def table_columns(*, schema: str, table: str) -> list[str]:
    """Columns of a table in their order, from the live catalog."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = %s AND c.relname = %s AND a.attnum > 0 AND NOT a.attisdropped
               ORDER BY a.attnum""", [schema, table])
        return [row[0] for row in cursor.fetchall()]


def column_list(columns: list[str], *, prefix: str | None = None) -> sql.Composable:
    if prefix:
        return sql.SQL(", ").join(sql.Identifier(prefix, c) for c in columns)
    return sql.SQL(", ").join(sql.Identifier(c) for c in columns)


def scalar(query: str | sql.Composable, params: dict | list | None = None) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        row = cursor.fetchone()
        return row[0] if row else None


def table_maintain(*, table: str, vacuum: bool) -> None:
    """VACUUM (ANALYZE), or ANALYZE alone inside a transaction (VACUUM cannot run in one).
    `table` is "schema.table" from a job kind's code or its checked mapping, never user input."""
    schema, name = table.split(".")
    command = sql.SQL("VACUUM (ANALYZE) {}" if vacuum else "ANALYZE {}").format(sql.Identifier(schema, name))
    with connection.cursor() as cursor:
        cursor.execute(command)
