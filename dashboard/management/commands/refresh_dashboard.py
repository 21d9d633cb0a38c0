from typing import Any

from django.core.management.base import BaseCommand

from dashboard.services import dashboard_refresh


class Command(BaseCommand):
    help = "Compute the coverage dashboard's figures now (the schedule does it every 5 minutes)."

    def handle(self, *args: Any, **options: Any) -> None:
        snapshot = dashboard_refresh()
        self.stdout.write(f"dashboard figures computed in {snapshot.seconds:.2f}s")
