from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from warehouse.services import WarehouseDdlRefused, warehouse_shape_create


class Command(BaseCommand):
    help = "Create the demo warehouse schemas and tables that are missing (never drops anything)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="allow it on a DATABASE_URL server")

    def handle(self, *args: Any, force: bool, **options: Any) -> None:
        try:
            warehouse_shape_create(force=force)
        except WarehouseDdlRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("warehouse shape is in place")
