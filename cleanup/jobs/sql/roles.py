"""The role that writes registry-steered rows: privileges on the warehouse schemas only.

A coalesce mapping writes to whatever core table its registry row names. The registry refuses
tables outside the warehouse schemas (registry/scope.py), and as a second wall those writes
run under `SET LOCAL ROLE enrichhub_jobs`, a role that may read and write the warehouse
schemas and nothing else: even a row that slipped past every check could not touch Django's
users. Where the connecting user may not create the role or grant on the warehouse tables,
enrichhub says so once and writes with the connecting user's rights (docs/operations.md, "Running
against production", lists the GRANTs).
"""

import logging

import psycopg
from django.db import DatabaseError, connection, transaction
from django.db.backends.utils import CursorWrapper
from psycopg import sql

logger = logging.getLogger("enrichhub.jobs")
JOBS_ROLE = "enrichhub_jobs"
_said_unavailable = False


def jobs_role_prepare(*, schemas: tuple[str, ...]) -> bool:
    """Create the role if it is missing and (re)grant it the warehouse schemas' tables; True
    when this connection can switch to it. Idempotent, so each job start refreshes the grants
    for tables created since."""
    try:
        # A transaction, or a savepoint inside the caller's: a refused grant undoes only itself.
        with transaction.atomic(), connection.cursor() as cursor:
            _role_create(cursor)
            for schema in schemas:
                _schema_grant(cursor, schema)
            cursor.execute("SELECT pg_has_role(current_user, %s, 'MEMBER')", [JOBS_ROLE])
            return cursor.fetchone()[0]
    except DatabaseError as exc:  # Django's wrapper; the reason is psycopg's class underneath
        if not isinstance(exc.__cause__, psycopg.errors.InsufficientPrivilege):
            raise
        _say_unavailable_once(exc.__cause__)
    return False


def jobs_role_set() -> None:
    """For the rest of the current transaction, or until jobs_role_reset()."""
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(JOBS_ROLE)).as_string())


def jobs_role_reset() -> None:
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")


def _role_create(cursor: CursorWrapper) -> None:
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [JOBS_ROLE])
    if cursor.fetchone() is None:
        cursor.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(JOBS_ROLE)).as_string())
    cursor.execute("SELECT pg_has_role(current_user, %s, 'MEMBER')", [JOBS_ROLE])
    if not cursor.fetchone()[0]:
        cursor.execute(sql.SQL("GRANT {} TO CURRENT_USER").format(sql.Identifier(JOBS_ROLE)).as_string())


def _schema_grant(cursor: CursorWrapper, schema: str) -> None:
    cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema])
    if cursor.fetchone() is None:
        return
    parts = {"schema": sql.Identifier(schema), "role": sql.Identifier(JOBS_ROLE)}
    for statement in ("GRANT USAGE ON SCHEMA {schema} TO {role}",
                      "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
                      "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}"):
        cursor.execute(sql.SQL(statement).format(**parts).as_string())


def _say_unavailable_once(exc: Exception) -> None:
    global _said_unavailable
    if not _said_unavailable:
        _said_unavailable = True
        logger.warning("cannot set up the %s role (%s); registry-steered writes run with the connecting user's "
                       "rights. docs/operations.md, 'Running against production', lists the GRANTs to make instead.",
                       JOBS_ROLE, str(exc).strip().splitlines()[0])
