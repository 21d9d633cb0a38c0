"""Running tests through the production roles (`manage.py db_roles`), to prove they are enough.

The roles are applied to the test database, then the test's connection switches to one of them
with SET ROLE, which the test's transaction undoes at its end.
"""

import io

from django.core.management import call_command
from django.db import connection
from psycopg import sql

from enrichhub.db_roles import ROLES


def run_as(role: str) -> None:
    """From here to the end of the test, every statement runs with `role`'s privileges.

    Call it after seeding: its GRANTs rewrite the tables' catalog rows in the test's transaction,
    and a later ANALYZE of those tables could deadlock with autovacuum."""
    assert role in ROLES
    call_command("db_roles", "--apply", stdout=io.StringIO())
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)).as_string(connection.connection))
