"""System checks of the PostgreSQL server enrichhub is connected to (`manage.py check --database default`,
and every `migrate`)."""

import os
from collections.abc import Sequence
from typing import Any

import psycopg
from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.db import connections

from enrichhub.database import SEARCH_PATH, connection_variable, pooler_apart
from kernel import REPLICA, replica_check, replica_configured

OLDEST_SUPPORTED = 150_000
# Merge Right Anti Join could return too few rows in 16.0-16.3 (fixed in 16.4); the delete
# job's NOT EXISTS over person_work_history.company_id can be planned as one.
WRONG_ANTI_JOINS = range(160_000, 160_004)


def server_version_messages(pg_version: int) -> list[checks.CheckMessage]:
    major, minor = divmod(pg_version, 10_000)
    if pg_version < OLDEST_SUPPORTED:
        return [checks.Error(f"PostgreSQL {major}.{minor} is older than enrichhub supports (15 or later)",
                             hint="upgrade the server", id="enrichhub.E001")]
    if pg_version in WRONG_ANTI_JOINS:
        return [checks.Error(
            f"PostgreSQL {major}.{minor} can return too few rows from a Merge Right Anti Join (fixed in 16.4); "
            "enrichhub's clean-ups count and delete through such joins",
            hint="upgrade to 16.4 or later", id="enrichhub.E002")]
    return []


@checks.register(checks.Tags.database)
def database_server_check(app_configs: Sequence[AppConfig] | None, databases: Sequence[str] | None = None,
                          **kwargs: Any) -> list[checks.CheckMessage]:
    messages = []
    for alias in databases or []:
        messages += server_version_messages(connections[alias].pg_version)  # type: ignore[attr-defined]  # postgresql
    return messages


@checks.register(checks.Tags.security, deploy=True)
def shared_secret_key_check(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[checks.CheckMessage]:
    """A real deployment (DATABASE_URL) runs several processes and machines that must sign alike."""
    if settings.EMBEDDED_DATABASE or settings.SECRET_KEY_FROM_ENVIRONMENT:
        return []
    return [checks.Warning("SECRET_KEY is the one generated into var/ of this machine",
                           hint="set SECRET_KEY to one value on every web server and q2 cluster", id="enrichhub.W001")]


def _listening_port(cursor: Any) -> int:
    cursor.execute("SELECT current_setting('port')::int")
    return cursor.fetchone()[0]


def route_messages(*, url_port: int, server_port: int, variable: str) -> list[checks.CheckMessage]:
    """A connection that reaches the server on another port than the server's own goes through
    something in between, most likely a pooler."""
    if url_port == server_port:
        return []
    return [checks.Error(
        f"{variable} connects to port {url_port}, but the server listens on {server_port}: a pooler or proxy "
        "stands in between. Jobs and the q2 cluster hold advisory locks and temporary tables across "
        "transactions, which a transaction-mode pooler hands to other clients",
        hint="set ENRICHHUB_DIRECT_DATABASE_URL to the server itself; DATABASE_URL may stay on the pooler for "
             "the web tier", id="enrichhub.E010")]


def search_path_messages(*, found: str, user: str, database: str) -> list[checks.CheckMessage]:
    """Behind a pooler the web tier sends no startup options: the role must bring the search_path."""
    wanted = [schema.strip() for schema in SEARCH_PATH.split(",")]
    if [schema.strip().strip('"') for schema in found.split(",")][:len(wanted)] == wanted:
        return []
    return [checks.Error(
        f"through the pooler (DATABASE_URL) the search_path is {found!r}; enrichhub's tables need {SEARCH_PATH!r} "
        "and a pooler does not pass it at connect time",
        hint=f'run: ALTER ROLE "{user}" IN DATABASE "{database}" SET search_path = {SEARCH_PATH}; then renew the '
             "pooler's server connections (PgBouncer: RECONNECT on its admin console), which keep the old setting",
        id="enrichhub.E011")]


@checks.register("enrichhub", deploy=True)
def replica_route_check(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[checks.CheckMessage]:
    """The replica must be a current standby reached directly; otherwise the primary answers
    every read, which works but is not what was configured."""
    if not replica_configured():
        return []
    state = replica_check()
    if not state.usable:
        return [checks.Warning(f"ENRICHHUB_REPLICA_DATABASE_URL is not used: the replica is {state.reason}",
                               hint="point it at a streaming standby of the primary; until then the primary "
                                    "answers every read", id="enrichhub.W013")]
    replica = connections[REPLICA]
    with replica.cursor() as cursor:
        server_port = _listening_port(cursor)
    if int(replica.settings_dict["PORT"] or 5432) != server_port:
        return [checks.Warning(
            f"ENRICHHUB_REPLICA_DATABASE_URL connects to port {replica.settings_dict['PORT']}, but the standby listens "
            f"on {server_port}: the status statement is prepared there, which a transaction-mode pooler breaks",
            hint="reach the standby directly, or through a session-mode pooler", id="enrichhub.W014")]
    return []


@checks.register("enrichhub", deploy=True)
def connection_route_check(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Jobs need the server itself; the web tier may go through a transaction-mode pooler."""
    if settings.EMBEDDED_DATABASE:
        return []
    jobs = connections["default"]
    with jobs.cursor() as cursor:
        messages = route_messages(url_port=int(jobs.settings_dict["PORT"] or 5432),
                                  server_port=_listening_port(cursor), variable=connection_variable(environ=os.environ))
    if pooler_apart(os.environ):
        messages += _pooled_web_messages(os.environ["DATABASE_URL"].strip())
    return messages


def _pooled_web_messages(url: str) -> list[checks.CheckMessage]:
    try:
        with psycopg.connect(url, connect_timeout=5, autocommit=True) as web:
            row = web.execute("SELECT current_setting('search_path'), current_user, current_database()").fetchone()
    except psycopg.Error as exc:
        return [checks.Error(f"DATABASE_URL, the web tier's pooled connection, fails: {str(exc).strip()}",
                             id="enrichhub.E012")]
    found, user, database = row or ("", "", "")
    return search_path_messages(found=found, user=user, database=database)
