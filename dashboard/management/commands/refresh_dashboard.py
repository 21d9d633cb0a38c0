from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dashboard.services import dashboard_refresh
from runs.services import run_tallies_recount


class Command(BaseCommand):
    help = "Compute the coverage dashboard's figures now (the schedule does it every 5 minutes)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--recount-runs", action="store_true",
                            help="first rebuild the per-workflow run tallies from every run (after runs were "
                                 "deleted, the only change that can leave a latest-event time behind)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["recount_runs"]:
            run_tallies_recount()
            self.stdout.write("run tallies recounted from the runs")
        snapshot = dashboard_refresh()
        self.stdout.write(f"dashboard figures computed in {snapshot.seconds:.2f}s")
