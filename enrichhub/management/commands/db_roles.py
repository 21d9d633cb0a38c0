from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection

from enrichhub import db_roles
from registry.scope import own_table_names, warehouse_schemas


class Command(BaseCommand):
    help = "Print (or with --apply, run) the roles and grants a production deployment needs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--apply", action="store_true", help="run the statements (needs CREATEROLE and "
                                                                 "ownership of the tables)")

    def handle(self, *args: Any, apply: bool, **options: Any) -> None:
        create = db_roles.missing_roles() if apply else list(db_roles.ROLES)
        statements = db_roles.role_statements(
            create=create, warehouse=db_roles.existing_schemas(wanted=warehouse_schemas()),
            tables=db_roles.own_tables(names=own_table_names()))
        for statement in statements:
            self.stdout.write(statement.as_string(connection.connection) + ";")
        if apply:
            db_roles.statements_apply(statements)
            self.stdout.write(self.style.SUCCESS(
                f"{len(statements)} statements applied; grant the roles to the login users, e.g. "
                f"GRANT {db_roles.WEB} TO <web user>; GRANT {db_roles.JOBS} TO <q2 user>;"))
