from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry.demo import demo_registry_complete
from registry.models import Workflow
from warehouse.services import WarehouseDdlRefused, warehouse_ddl_guard


class Command(BaseCommand):
    help = "Register all 53 demo workflows with their tables and keys (the demo's Phase 1)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="allow it on a DATABASE_URL server")

    def handle(self, *args: Any, force: bool, **options: Any) -> None:
        try:
            warehouse_ddl_guard(force=force)
        except WarehouseDdlRefused as exc:
            raise CommandError(str(exc)) from exc
        created, updated = demo_registry_complete()
        self.stdout.write(f"demo registry: {created} workflows added and {updated} existing rows given their "
                          f"tables and keys; all {Workflow.objects.count()} are registered")
