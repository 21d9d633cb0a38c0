import argparse
import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder

from kernel import SafeCsvWriter, credits_text
from planning.models import EnrichmentPlan
from planning.services import PlanRefused, PlanRequest, plan_build, plan_csv_rows, plan_send_file, plan_send_webhook

# The command line waits for the webhook's answer itself: no cluster needs to be running.
SENDERS: dict[str, Callable[..., EnrichmentPlan]] = {"file": plan_send_file,
                                                     "webhook": partial(plan_send_webhook, deliver_now=True)}


def _credits(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of credits") from None


class Command(BaseCommand):
    help = "Which hidden leads to enrich, with which workflow, for a credit budget (the API's plan)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--budget", type=_credits, required=True, help="credits to spend")
        parser.add_argument("--entity-type", choices=["company", "person"], required=True)
        parser.add_argument("--limit", type=int, default=None, help="the most leads in the plan")
        parser.add_argument("--vendor", default="", help="only this vendor's workflows")
        parser.add_argument("--workflow", default="", help="only this workflow")
        parser.add_argument("--keys-file", default=None, help="only the entities listed, one key per line")
        parser.add_argument("--format", choices=["table", "csv", "json"], default="table")
        parser.add_argument("--export", choices=sorted(SENDERS), default=None,
                            help="also save the plan and send it to the ingest side: a file in "
                                 "ENRICHHUB_PLAN_EXPORT_DIR, or ENRICHHUB_PLAN_WEBHOOK_URL")

    def handle(self, *args: Any, budget: Decimal, entity_type: str, limit: int | None, vendor: str, workflow: str,
               keys_file: str | None, format: str, export: str | None, **options: Any) -> None:
        keys = None
        if keys_file:
            try:
                with open(keys_file, encoding="utf-8") as lines:
                    keys = tuple(line.strip() for line in lines if line.strip())
            except OSError as exc:
                raise CommandError(f"cannot read --keys-file {keys_file}: {exc.strerror}") from exc
        request = PlanRequest(budget_credits=budget, entity_type=entity_type, limit=limit, vendor=vendor,
                              workflow_name=workflow, entity_keys=keys)
        try:
            result = plan_build(request)
            saved = SENDERS[export](request=request, result=result) if export else None
        except PlanRefused as exc:
            raise CommandError(str(exc)) from exc
        pairs, totals = result.pairs(), result.totals()
        if format == "json":
            self.stdout.write(json.dumps({"pairs": pairs, "totals": totals, "left_out": result.left_out},
                                         cls=DjangoJSONEncoder, indent=1))
        elif format == "csv":
            SafeCsvWriter(self.stdout).writerows(plan_csv_rows(pairs))
        else:
            for pair in pairs:
                fills = ", ".join(f"{field} {rate:.0%}" for field, rate in pair["fills"].items())
                self.stdout.write(f"{pair['entity_key']:<48} {pair['workflow_name']:<36} "
                                  f"{pair['expected_credits']:>8} credits  fills {fills}")
        # Totals go to stderr in the machine formats, so that the output stays one document.
        spent = f"{credits_text(totals['credits'])} credits of {credits_text(budget)}"
        summary = (f"{totals['leads']:,} leads, {totals['pairs']:,} runs, {spent}, "
                   f"{totals['expected_newly_visible']:,} ± {totals['expected_newly_visible_sd']:,} leads expected to "
                   "become visible "
                   f"(of {totals['hidden_leads_considered']:,} hidden considered)")
        (self.stderr if format != "table" else self.stdout).write(summary)
        self.stderr.write(f"fill rates and costs: {result.figures}")
        for name, why in result.left_out.items():
            self.stderr.write(f"not planned: {name}: {why}")
        if saved is not None:
            delivery = f" ({saved.get_delivery_display()}{': ' + saved.delivery_error if saved.delivery_error else ''})"
            self.stderr.write(f"saved as plan #{saved.pk}, sent to {saved.sent_to}"
                              f"{delivery if saved.delivery else ''}")
