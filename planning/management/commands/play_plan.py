from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from planning.demo import plan_play
from planning.models import EnrichmentPlan
from planning.services import PlanRefused


class Command(BaseCommand):
    help = ("Demo only: play the ingest side of an exported plan. Its runs land extracted rows, each field "
            "filled with the plan's probability, and are reported completed; the q2 cluster coalesces them.")

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("plan_id", nargs="?", type=int, help="the exported plan's number")
        which.add_argument("--latest", action="store_true", help="the plan exported last")
        parser.add_argument("--seed", type=int, default=None, help="draw the same fills again")

    def handle(self, *args: Any, plan_id: int | None, latest: bool, seed: int | None, **options: Any) -> None:
        plans = EnrichmentPlan.objects.all()
        plan = plans.first() if latest or plan_id is None else plans.filter(pk=plan_id).first()
        if plan is None:
            raise CommandError("no plan has been exported yet" if latest else f"there is no plan #{plan_id}")
        try:
            played = plan_play(plan=plan, seed=seed)
        except PlanRefused as exc:
            raise CommandError(str(exc)) from exc
        landed = ", ".join(f"{field} {rows:,}" for field, rows in sorted(played.fields_landed.items())) or "none"
        self.stdout.write(f"plan #{plan.pk}: {played.runs_reported:,} runs reported completed "
                          f"({played.credits:,.2f} credits); fields landed in extracted: {landed}")
        self.stdout.write(f"expected to become visible: {plan.expected_visible:,.1f} ± {plan.expected_visible_sd:,.1f}"
                          " leads. The q2 cluster's 'coalesce reported runs' tick brings the rows to core within a "
                          "minute; the dashboard's Exported plans panel then shows how many did.")
