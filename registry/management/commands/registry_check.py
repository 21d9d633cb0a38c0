import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from registry import reports, selectors
from registry.models import Workflow

EXIT_DRIFTED = 1


class Command(BaseCommand):
    help = "Re-validate every registry row against today's catalog; exit 1 when any drifted."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args: Any, format: str, **options: Any) -> None:
        drifts = selectors.registry_drift()
        if format == "json":
            self.stdout.write(json.dumps({d.workflow_name: d.problems for d in drifts}, indent=2))
        else:
            self.stdout.write("\n".join(reports.drift_as_text(drifts, checked=Workflow.objects.count())))
        if drifts:
            raise SystemExit(EXIT_DRIFTED)
