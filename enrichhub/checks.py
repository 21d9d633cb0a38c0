"""System checks of the PostgreSQL server enrichhub is connected to (`manage.py check --database default`,
and every `migrate`)."""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.db import connections

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
