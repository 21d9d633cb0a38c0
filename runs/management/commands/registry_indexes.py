import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from runs.indexes import key_index_create, key_indexes_missing


class Command(BaseCommand):
    help = ("List key columns of registered tables without their plain or key-function index; "
            "--create builds them CONCURRENTLY.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--create", action="store_true", help="create the missing indexes")

    def handle(self, *args: Any, create: bool, **options: Any) -> None:
        missing = key_indexes_missing()
        if not missing:
            self.stdout.write("every registered key column has an index")
            return
        for need in missing:
            self.stdout.write(f"{need.table} has no index on {need.indexed}; used by {', '.join(need.workflows)}")
            if create:
                began = time.monotonic()
                key_index_create(need=need)
                self.stdout.write(f"  created {need.index_name} in {time.monotonic() - began:.1f}s")
        if not create:
            self.stdout.write(f"{len(missing)} missing; run with --create to build them without blocking writers")
