"""The database roles of a production deployment, as SQL that `manage.py db_roles` prints or applies.

- enrichhub_owner runs migrations: it creates and alters enrichhub's own tables.
- enrichhub_web serves the API and the admin. It reads and writes enrichhub's own tables (the
  registry, runs, API keys, jobs to start, Django's sessions and users) and only reads the
  warehouse.
- enrichhub_jobs runs the q2 cluster and `run_job`. It writes the warehouse schemas and
  archive, and enrichhub's bookkeeping (jobs, gaps, runs, q2's queue). It only reads the
  registry, people's schedules and their permissions; it cannot read passwords, sessions or
  API keys, nor change users.

The roles are NOLOGIN: grant each to the login user of the processes that need it. All names
reach SQL as Identifier; the tables are the ones the live catalog holds.
"""

from dataclasses import dataclass

from django.db import connection
from psycopg import sql

OWNER, WEB, JOBS = "enrichhub_owner", "enrichhub_web", "enrichhub_jobs"
ROLES = (OWNER, WEB, JOBS)
OWN_SCHEMAS = ("public", "reference")
ARCHIVE = "archive"
STATUS_FUNCTIONS = "enrichhub_status"  # made by migration runs/0008
# enrichhub's models whose tables jobs may only read, and those whose tables they may not see at
# all, by "app_label.Model": the table names come from the models, so a renamed table keeps its
# rights. A schedule a person made runs as that person (enrichhub.owned_schedules): the cluster
# reads their permissions, and who they are, but never a password.
READ_ONLY_FOR_JOBS = ("registry.Workflow", "cleanup.CoalesceMapping", "contenttypes.ContentType",
                      "enrichhub.OwnedSchedule", "auth.Group", "auth.Permission", "auth.User.groups",
                      "auth.User.user_permissions", "auth.Group.permissions")
HIDDEN_FROM_JOBS = ("auth.User", "sessions.Session", "admin.LogEntry", "runs.ApiKey", "axes.AccessAttempt",
                    "axes.AccessLog", "axes.AccessFailureLog", "axes.AccessAttemptExpiration")


def model_tables(labels: tuple[str, ...]) -> frozenset[str]:
    """The tables of these models ("app.Model") and many-to-many links ("app.Model.field")."""
    from django.apps import apps

    tables = set()
    for label in labels:
        app_label, model_name, *link = label.split(".")
        model = apps.get_model(app_label, model_name)
        if link:
            model = model._meta.get_field(link[0]).remote_field.through
        tables.add(model._meta.db_table)
    return frozenset(tables)


@dataclass(frozen=True)
class OwnTable:
    schema: str
    name: str

    @property
    def identifier(self) -> sql.Identifier:
        return sql.Identifier(self.schema, self.name)


def own_tables(*, names: frozenset[str]) -> list[OwnTable]:
    """enrichhub's and Django's tables as the catalog has them (some live in reference)."""
    with connection.cursor() as cursor:
        cursor.execute("""SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                          WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY(%s) AND c.relname = ANY(%s)
                          ORDER BY 1, 2""", [list(OWN_SCHEMAS), sorted(names)])
        return [OwnTable(schema, name) for schema, name in cursor.fetchall()]


def existing_schemas(*, wanted: tuple[str, ...]) -> tuple[str, ...]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s)", [list(wanted)])
        found = {name for (name,) in cursor.fetchall()}
    return tuple(schema for schema in wanted if schema in found)


def missing_roles() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)", [list(ROLES)])
        found = {name for (name,) in cursor.fetchall()}
    return [role for role in ROLES if role not in found]


def role_statements(*, create: list[str], warehouse: tuple[str, ...], tables: list[OwnTable]) -> list[sql.Composed]:
    """Every statement, in order: roles to create, then grants (all idempotent)."""
    statements = [_statement("CREATE ROLE {} NOLOGIN", sql.Identifier(role)) for role in create]
    statements.append(_statement("CREATE SCHEMA IF NOT EXISTS {}", sql.Identifier(ARCHIVE)))
    statements += _owner_grants(tables)
    statements += _web_grants(warehouse, tables)
    statements += _jobs_grants(warehouse, tables)
    return statements


def statements_apply(statements: list[sql.Composed]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement.as_string(connection.connection))


def _owner_grants(tables: list[OwnTable]) -> list[sql.Composed]:
    owner = sql.Identifier(OWNER)
    return [_statement("GRANT USAGE, CREATE ON SCHEMA {} TO {}", _schemas((*OWN_SCHEMAS, ARCHIVE)), owner),
            *[_statement("GRANT ALL ON TABLE {} TO {}", table.identifier, owner) for table in tables],
            _statement("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {} TO {}", _schemas(OWN_SCHEMAS), owner)]


def _web_grants(warehouse: tuple[str, ...], tables: list[OwnTable]) -> list[sql.Composed]:
    web = sql.Identifier(WEB)
    statements = [_statement("GRANT USAGE ON SCHEMA {} TO {}", _schemas((*OWN_SCHEMAS, *warehouse)), web)]
    statements += [_statement("GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE {} TO {}", table.identifier, web)
                   for table in tables]
    statements.append(_statement("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}",
                                 _schemas(OWN_SCHEMAS), web))
    # Reads only: the status API's counts, the admin's read-only warehouse lists, the dashboard.
    statements.append(_statement("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}", _schemas(("reference", *warehouse)),
                                 web))
    # Behind a transaction-mode pooler the web tier keeps its status statement as a function
    # there (runs/sql/status.py); the schema holds nothing else, and the functions run with the
    # caller's rights.
    statements.append(_statement("GRANT USAGE, CREATE ON SCHEMA {} TO {}", sql.Identifier(STATUS_FUNCTIONS), web))
    return statements


def _jobs_grants(warehouse: tuple[str, ...], tables: list[OwnTable]) -> list[sql.Composed]:
    jobs = sql.Identifier(JOBS)
    written = (*warehouse, ARCHIVE)
    statements = [
        _statement("GRANT USAGE ON SCHEMA {} TO {}", _schemas((*OWN_SCHEMAS, *written)), jobs),
        # Retiring a reference table moves it into archive (the deleted companies' archive tables
        # are migrated); the funding backfill keeps the seed's intermediate table in public.
        _statement("GRANT CREATE ON SCHEMA {} TO {}", _schemas((ARCHIVE, "public")), jobs),
        _statement("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {} TO {}", _schemas(written), jobs),
        _statement("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {} TO {}",
                   _schemas((*OWN_SCHEMAS, *written)), jobs),
        _statement("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}", _schemas(("reference",)), jobs),
    ]
    hidden, read_only = model_tables(HIDDEN_FROM_JOBS), model_tables(READ_ONLY_FOR_JOBS)
    users = _users_table()
    for table in tables:
        if table.name == users:
            statements.append(_statement("GRANT SELECT ({}) ON TABLE {} TO {}", _user_columns_but_password(),
                                         table.identifier, jobs))
        if table.name in hidden:
            continue
        rights = "SELECT" if table.name in read_only else "SELECT, INSERT, UPDATE, DELETE"
        statements.append(_statement(f"GRANT {rights} ON TABLE {{}} TO {{}}", table.identifier, jobs))
    return statements


def _users_table() -> str:
    from django.contrib.auth import get_user_model

    return get_user_model()._meta.db_table


def _user_columns_but_password() -> sql.Composed:
    from django.contrib.auth import get_user_model

    columns = [field.column for field in get_user_model()._meta.concrete_fields if field.name != "password"]
    return sql.SQL(", ").join(sql.Identifier(column) for column in columns)


def _schemas(names: tuple[str, ...]) -> sql.Composed:
    return sql.SQL(", ").join(sql.Identifier(name) for name in dict.fromkeys(names))


def _statement(template: str, *parts: sql.Composable) -> sql.Composed:
    return sql.SQL(template).format(*parts)
