import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry import reports, selectors, services
from registry.audit import AuditPathError, tree_scan

EXIT_CHECK_FAILED = 1


class Command(BaseCommand):
    help = "Compare the ingest functions in source trees with the workflow registry."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, help="files or folders of ingest code")
        parser.add_argument("--check", action="store_true",
                            help="exit 1 when an ingest function is unregistered, or registered but not reporting")
        parser.add_argument("--apply", action="store_true", help="write the changes (default: dry run)")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args: Any, paths: list[Path], check: bool, apply: bool, format: str, **options: Any) -> None:
        try:
            scan = tree_scan(paths=paths, rules=selectors.audit_rules())
        except AuditPathError as exc:
            raise CommandError(str(exc)) from exc
        outcome = selectors.audit_outcome(scan=scan)
        changes = services.audit_apply(outcome=outcome, commit=apply)
        if format == "json":
            self.stdout.write(json.dumps(reports.audit_as_dict(outcome, changes, applied=apply)))
        else:
            self.stdout.write("\n".join(reports.audit_as_text(outcome, changes, applied=apply)))
        if check and not apply and (outcome.unregistered or outcome.not_reporting):
            raise SystemExit(EXIT_CHECK_FAILED)
