import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cleanup.gaps.alerts import alerts_evaluate
from cleanup.gaps.checks import checked_workflow_names, gaps_check


class Command(BaseCommand):
    help = "Count, per active workflow, the entities in extracted that core lacks; store a snapshot, alert."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workflow", action="append", dest="workflows", help="only these (repeatable)")
        parser.add_argument("--format", choices=["text", "json"], default="text")
        parser.add_argument("--no-store", action="store_true", help="do not keep a snapshot")
        parser.add_argument("--budget", type=float, metavar="SECONDS",
                            help="stop counting after this long; the next check continues (default: no limit)")
        parser.add_argument("--full", action="store_true",
                            help="count from scratch instead of from the last marks, and report the drift corrected")

    def handle(self, *args: Any, workflows: list[str] | None, format: str, no_store: bool, full: bool,
               budget: float | None, **options: Any) -> None:
        if workflows:
            unknown = sorted(set(workflows) - set(checked_workflow_names()))
            if unknown:
                raise CommandError(f"not an active workflow with an extracted table: {', '.join(unknown)}; "
                                   "the registry lists them (manage.py registry_check, or the admin)")
        gaps = gaps_check(workflow_names=workflows, store=not no_store, full=full, budget_s=budget)
        changes = alerts_evaluate(gaps=gaps) if not no_store else None
        if format == "json":
            self.stdout.write(json.dumps([vars(g) for g in gaps], indent=2))
            return
        self.stdout.write(f"{'workflow':<40} {'extracted':>10} {'core':>10} {'gap':>10} {'rows waiting':>12}"
                          + (f" {'drift':>8}" if full else ""))
        for g in gaps:
            core = "-" if g.keys_in_core is None else f"{g.keys_in_core:,}"
            drift = f" {g.drift_keys:>+8,}" if full and g.drift_keys is not None else ""
            note = g.error or ("" if g.coalesces_to_core else "  (does not coalesce: stays in extracted)")
            self.stdout.write(f"{g.workflow:<40} {g.keys_in_extracted:>10,} {core:>10} {g.gap:>10,} "
                              f"{g.rows_waiting:>12,}{drift}{note}")
        if changes:
            for alert in changes.opened:
                self.stdout.write(f"alert opened: {alert}")
            for alert in changes.resolved:
                self.stdout.write(f"alert resolved: {alert}")
