"""Django's DATABASES entry: the server named by DATABASE_URL, or the embedded one."""

import hashlib
from collections.abc import Mapping
from typing import Any

import dj_database_url

from enrichhub.embedded_db import DatabaseSetupError, data_dir_from, embedded_server_start

# Managed enrichhub tables are created with bare names and then moved into their schema
# by migrations; Django's introspection only sees tables on the search_path.
SEARCH_PATH = "public,core,extracted,reference"
# Only statements enrichhub prepares on the server itself are affected (Django binds
# client-side): the status statement's custom plan was re-planned on every execution,
# about 0.8 ms of its 1.2 ms, while its generic plan fits every batch size.
SESSION_SETTINGS = f"-c search_path={SEARCH_PATH} -c plan_cache_mode=force_generic_plan"
POSTGRES_ENGINE = "django.db.backends.postgresql"
# Django's backend, reading timestamps outside Python's range without failing (enrichhub/postgresql).
TOLERANT_ENGINE = "enrichhub.postgresql"


# The web tier's processes (gunicorn through enrichhub.wsgi, runserver) say so here.
PROCESS_VARIABLE = "ENRICHHUB_PROCESS"
WEB_PROCESS = "web"


def database_settings(*, environ: Mapping[str, str]) -> tuple[dict[str, Any], bool]:
    """Return (the DATABASES['default'] dict, whether it is the embedded server).

    The web tier connects through DATABASE_URL. Every other process (the q2 cluster, run_job,
    migrate, the gap check) holds session state, advisory locks and temporary tables, and so
    connects through ENRICHHUB_DIRECT_DATABASE_URL when it is set: DATABASE_URL may then name a
    transaction-mode pooler, which gets no startup options and no prepared statements."""
    variable = connection_variable(environ=environ)
    url = environ.get(variable, "").strip()
    embedded = not url
    if embedded:
        url = embedded_server_start(data_dir=data_dir_from(environ))
    config = _parse_url(url, variable=variable)
    options = config.setdefault("OPTIONS", {})
    if connection_pooled(environ=environ):
        # A server-side cursor lives in a session, which a transaction-mode pooler does not keep.
        config["DISABLE_SERVER_SIDE_CURSORS"] = True
    else:
        # A pooler refuses the `options` startup parameter (PgBouncer does); behind one, the
        # role's own settings stand in, which `manage.py check --deploy` verifies.
        options.setdefault("options", SESSION_SETTINGS)
    options.setdefault("application_name", "enrichhub")
    options.setdefault("connect_timeout", 5)
    return config, embedded


def replica_database_settings(*, environ: Mapping[str, str]) -> dict[str, Any] | None:
    """DATABASES['replica'] from ENRICHHUB_REPLICA_DATABASE_URL, or None without one. A replica
    is reached directly (a session-mode pooler will do): its statements are prepared."""
    url = environ.get("ENRICHHUB_REPLICA_DATABASE_URL", "").strip()
    if not url:
        return None
    config = _parse_url(url, variable="ENRICHHUB_REPLICA_DATABASE_URL")
    options = config.setdefault("OPTIONS", {})
    options.setdefault("options", SESSION_SETTINGS)
    options.setdefault("application_name", "enrichhub")
    # A standby refuses the test database's creation; tests read the primary's test database.
    config["TEST"] = {"MIRROR": "default"}
    return config


def connection_variable(*, environ: Mapping[str, str]) -> str:
    """The variable naming this process's database: the direct URL for everything but the web
    tier, when one is set apart from DATABASE_URL."""
    if pooler_apart(environ) and environ.get(PROCESS_VARIABLE) != WEB_PROCESS:
        return "ENRICHHUB_DIRECT_DATABASE_URL"
    return "DATABASE_URL"


def connection_pooled(*, environ: Mapping[str, str]) -> bool:
    """Whether this process connects through a transaction-mode pooler: the web tier's, when
    jobs have a direct URL of their own. Such a connection keeps no session state: no startup
    options, nothing prepared on the server."""
    return pooler_apart(environ) and environ.get(PROCESS_VARIABLE) == WEB_PROCESS


def pooler_apart(environ: Mapping[str, str]) -> bool:
    """Whether DATABASE_URL and ENRICHHUB_DIRECT_DATABASE_URL name two routes to the server."""
    url = environ.get("DATABASE_URL", "").strip()
    direct_url = environ.get("ENRICHHUB_DIRECT_DATABASE_URL", "").strip()
    return bool(url and direct_url and direct_url != url)


def _parse_url(url: str, *, variable: str = "DATABASE_URL") -> dict[str, Any]:
    try:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except Exception as exc:  # dj-database-url raises several unrelated types
        raise DatabaseSetupError(
            f"{variable} is not a usable URL ({exc.__class__.__name__}); "
            "expected postgresql://user:password@host:5432/dbname, or unset it for the embedded server"
        ) from exc
    if config.get("ENGINE") != POSTGRES_ENGINE:
        raise DatabaseSetupError(
            f"{variable} names a {config.get('ENGINE')} database; enrichhub needs PostgreSQL (postgresql://…)"
        )
    if not config.get("NAME"):
        raise DatabaseSetupError(f"{variable} has no database name: add /dbname after the host")
    return {**config, "ENGINE": TOLERANT_ENGINE}


def secrets_suffix(*, environ: Mapping[str, str], database: Mapping[str, Any]) -> str:
    """What tells one database's demo secrets (admin password, API key) from another's in var/:
    nothing for the project's own embedded server, else a digest of the data folder or of the
    server and database name. A demo on another data folder then never overwrites them."""
    if environ.get("DATABASE_URL", "").strip():
        identity = f"{database.get('HOST')}:{database.get('PORT')}/{database.get('NAME')}"
    else:
        data_dir = data_dir_from(environ)
        if data_dir == data_dir_from({}):
            return ""
        identity = str(data_dir)
    return "-" + hashlib.sha256(identity.encode()).hexdigest()[:10]

