from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from warehouse.demo.seed import DemoDataExists, demo_seed
from warehouse.services import WarehouseDdlRefused, warehouse_ddl_guard


class Command(BaseCommand):
    help = "Fill the demo warehouse with deterministic data at the seed TODO's scale."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=float, default=1.0, help="1 reproduces the seed's figures")
        parser.add_argument("--seed", type=int, default=42, help="same seed, same data")
        parser.add_argument("--reset", action="store_true", help="replace existing demo data")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when data exists")
        parser.add_argument("--force", action="store_true", help="allow it on a DATABASE_URL server")

    def handle(self, *args: Any, scale: float, seed: int, reset: bool, if_empty: bool, force: bool,
               **options: Any) -> None:
        try:
            warehouse_ddl_guard(force=force)
            report = demo_seed(scale=scale, seed=seed, reset=reset, progress=self._progress)
        except DemoDataExists as exc:
            if if_empty:
                self.stdout.write("demo data already present; left as it is")
                return
            raise CommandError(str(exc)) from exc
        except (WarehouseDdlRefused, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        total = sum(report.rows_by_table.values())
        self.stdout.write(self.style.SUCCESS(
            f"seeded {total:,} rows in {len(report.rows_by_table)} tables at scale {scale} in {report.seconds:.1f}s"
        ))

    def _progress(self, table: str, rows: int, seconds: float) -> None:
        self.stdout.write(f"  {table:<48} {rows:>10,} rows  {seconds:6.2f}s")
