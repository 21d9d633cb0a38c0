"""The enrichment plan: for a credit budget and an entity type, which hidden leads to enrich with
which workflows, for the most leads expected to become visible (planning/optimiser.py)."""

import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from kernel import (
    InvalidEntityKey,
    SafeCsvWriter,
    WebhookFailed,
    normalise_entity_key,
    webhook_address,
    webhook_label,
    webhook_post,
)
from planning import sql
from planning.figures import WorkflowFigures, curated_figures, figures_latest, figures_taken_at
from planning.leads import hidden_leads_latest, missing_fields
from planning.models import EnrichmentPlan, HiddenLeadsCount, PlannedRun
from planning.optimiser import Choice, ClassPlan, Lead, LeadClass, Offer, Plan, plan_greedy_by_class
from registry.models import Workflow
from warehouse.hidden import REQUIRED_FIELDS

# In all, from connecting to the last byte of the answer.
WEBHOOK_DEADLINE_S = 10
WEBHOOK_TASK = "planning.tasks.plan_webhook_deliver_task"
CHANGED_RUNS_MARGIN = timedelta(minutes=5)


class PlanRefused(ValueError):
    """The request cannot be planned; the message says why."""


@dataclass(frozen=True)
class PlanRequest:
    budget_credits: Decimal
    entity_type: str
    limit: int | None = None  # the most leads the plan may include
    vendor: str = ""
    workflow_name: str = ""
    entity_keys: tuple[str, ...] | None = None  # raw keys, as a client spells them


@dataclass
class PlanResult:
    plan: Plan
    hidden_leads: int  # considered, after the filters
    workflows: list[str]  # the workflows it could choose from
    left_out: dict[str, str] = field(default_factory=dict)  # workflow -> why it was not offered
    figures: str = ""  # where the fill rates and costs came from
    hidden_counted_at: datetime | None = None  # when the hidden leads it chose from were counted
    seconds: float = 0.0  # how long planning took, reading included

    def pairs(self) -> list[dict]:
        """One entry per lead and workflow, in the order the leads were chosen."""
        return [{"entity_key": choice.lead.entity_key, "workflow_name": offer.workflow_name,
                 "expected_credits": offer.credits, "fills": choice.fills(offer),
                 "visible_probability": round(choice.probability, 6)}
                for choice in self.plan.choices for offer in choice.offers]

    def totals(self) -> dict:
        return {"credits": self.plan.credits, "expected_newly_visible": round(self.plan.expected_visible, 3),
                "expected_newly_visible_sd": round(self.plan.visible_sd, 3),
                "leads": len(self.plan.choices), "pairs": sum(len(c.offers) for c in self.plan.choices),
                "hidden_leads_considered": self.hidden_leads, "figures": self.figures,
                "hidden_leads_counted_at": self.hidden_counted_at.isoformat() if self.hidden_counted_at else None,
                "seconds": round(self.seconds, 3)}


def plan_build(request: PlanRequest) -> PlanResult:
    """Raises PlanRefused for an unknown entity type, workflow or key, or a negative budget."""
    began = time.monotonic()
    _check(request)
    offers, left_out = _offers(request)
    query = _class_query(request, offers)
    counted = hidden_leads_latest(entity_type=request.entity_type)
    # Runs reported while the count read the tables may carry an earlier time: look a little further back.
    since = counted.counted_at - CHANGED_RUNS_MARGIN
    with sql.changed_leads(entity_type=request.entity_type, since=since, max_failures=query["max_failures"],
                           keys=query["keys"]):
        identities, classes = _lead_classes(query, offers, counted)
        by_class = plan_greedy_by_class(classes, request.budget_credits, max_leads=request.limit)
        plan = _plan_of(by_class, identities, query)
    return PlanResult(plan=plan, hidden_leads=sum(lead_class.count for lead_class in classes),
                      workflows=sorted(offers), left_out=left_out, figures=figures_source(),
                      hidden_counted_at=counted.counted_at, seconds=time.monotonic() - began)


def figures_source() -> str:
    """Where the plan's fill rates and costs come from, said with the plan."""
    taken_at = figures_taken_at()
    if taken_at is None:
        return ("curated defaults: the fill rates and costs have not been measured yet (the hourly "
                "'workflow fill rates and costs' schedule measures them)")
    return f"measured at {timezone.localtime(taken_at):%Y-%m-%d %H:%M}"


def _check(request: PlanRequest) -> None:
    if request.entity_type not in REQUIRED_FIELDS:
        raise PlanRefused(f"entity_type must be one of {', '.join(REQUIRED_FIELDS)}; got {request.entity_type!r}")
    if request.budget_credits < 0:
        raise PlanRefused("budget_credits must not be negative")
    if request.limit is not None and request.limit < 1:
        raise PlanRefused("limit must be at least 1")
    if request.workflow_name and not Workflow.objects.filter(pk=request.workflow_name).exists():
        raise PlanRefused(f"no workflow named {request.workflow_name!r} is registered")


def _offers(request: PlanRequest) -> tuple[dict[str, Offer], dict[str, str]]:
    """The workflows the plan may buy, and why each other declaring one may not."""
    candidates = Workflow.objects.filter(is_active=True, key_type=request.entity_type, fills_fields__len__gt=0)
    if request.vendor:
        candidates = candidates.filter(vendor=request.vendor)
    if request.workflow_name:
        candidates = candidates.filter(pk=request.workflow_name)
    names = set(candidates.values_list("workflow_name", flat=True))
    # Never measured inside a request: before the first scheduled measurement, the curated figures.
    figures = {name: item for name, item in (figures_latest() or curated_figures()).items() if name in names}
    offers, left_out = {}, {}
    for name in sorted(names):
        item = figures.get(name)
        if item is None:
            left_out[name] = "not measured yet: the hourly figures have not seen it"
        elif item.credits is None:
            left_out[name] = "no cost: set its default credit cost in the registry"
        else:
            offers[name] = _offer(item)
    return offers, left_out


def _offer(item: WorkflowFigures) -> Offer:
    return Offer(item.workflow_name, item.credits or Decimal(0),
                 {name: rate.rate for name, rate in item.fill_rates.items()})


def hidden_missing(*, entity_type: str, keys: list[str] | None = None) -> dict[str, frozenset[str]]:
    """Every hidden lead's normalised key and the required fields none of its core rows fills
    (only these keys, when given)."""
    fields = REQUIRED_FIELDS[entity_type]
    return {key: frozenset(name for name, is_filled in zip(fields, filled, strict=True) if not is_filled)
            for key, *filled in sql.hidden_leads(entity_type=entity_type, fields=fields, keys=keys)}


def _class_query(request: PlanRequest, offers: dict[str, Offer]) -> dict[str, Any]:
    """What both of the plan's statements filter on: the hidden leads of an entity type (maybe
    some keys only), and the workflows offered to them."""
    keys = None
    if request.entity_keys is not None:
        keys = sorted({_normalised(request.entity_type, index, raw) for index, raw in enumerate(request.entity_keys)})
    return {"entity_type": request.entity_type, "workflows": sorted(offers),
            "max_failures": settings.PLAN_MAX_FAILURES, "keys": keys}


# A class of interchangeable leads: the fields they miss (bits) and the workflows blocked for them.
ClassIdentity = tuple[int, tuple[str, ...]]


def _lead_classes(query: dict[str, Any], offers: dict[str, Offer],
                  counted: HiddenLeadsCount) -> tuple[list[ClassIdentity], list[LeadClass]]:
    """The classes of hidden leads, inside sql.changed_leads: as counted, with the leads whose
    runs changed since moved to the class they are in now. A class's blocked workflows are the
    offered ones among those blocked for its leads."""
    offered = set(offers)
    fields = REQUIRED_FIELDS[query["entity_type"]]
    counted_classes = (counted.classes if query["keys"] is None
                       else sql.counted_classes(entity_type=query["entity_type"], keys=query["keys"]))
    sizes: Counter[ClassIdentity] = Counter()
    for bits, blocked, leads in counted_classes:
        sizes[(bits, _offered_only(blocked, offered))] += leads
    for bits, blocked_then, blocked_now in sql.changed_classes():
        sizes[(bits, _offered_only(blocked_then, offered))] -= 1
        sizes[(bits, _offered_only(blocked_now, offered))] += 1
    identities = sorted(identity for identity, leads in sizes.items() if leads > 0)
    classes = []
    for bits, blocked in identities:
        missing = missing_fields(fields, bits)
        allowed = tuple(offer for name, offer in offers.items()
                        if name not in blocked and missing & set(offer.fill_rates))
        classes.append(LeadClass(missing, allowed, sizes[(bits, blocked)]))
    return identities, classes


def _offered_only(blocked: list[str], offered: set[str]) -> tuple[str, ...]:
    return tuple(sorted(set(blocked) & offered))


def _plan_of(by_class: ClassPlan, identities: list[ClassIdentity], query: dict[str, Any]) -> Plan:
    """The leads the class plan buys, picked in SQL: the first of each class in key order."""
    wanted = {identities[index]: by_class.leads(index) for index in range(len(identities)) if by_class.leads(index)}
    if not wanted:
        return Plan([])
    index_of = {identity: index for index, identity in enumerate(identities)}
    rows = sql.class_keys(entity_type=query["entity_type"], offered=query["workflows"], wanted=wanted,
                          keys=query["keys"])
    choices = []
    for bits, blocked, key, position in sorted(rows, key=lambda row: row[2]):
        index = index_of[(bits, tuple(blocked.split(",")) if blocked else ())]
        lead_class = by_class.classes[index]
        offers, credits, probability = by_class.choice(index, position - 1) or ((), Decimal(0), 0.0)
        choices.append(Choice(Lead(key, lead_class.missing, lead_class.offers), offers, credits, probability))
    return Plan(choices)


def _normalised(entity_type: str, index: int, raw: str) -> str:
    try:
        return normalise_entity_key(entity_type=entity_type, raw=raw)
    except InvalidEntityKey as exc:
        raise PlanRefused(f"entity_keys[{index}] {raw!r}: {exc}") from exc


CSV_COLUMNS = ("entity_key", "workflow_name", "expected_credits", "fills", "visible_probability")


def plan_csv_rows(pairs: list[dict]) -> Iterator[list[str]]:
    """The plan as CSV rows, header first: one row per lead and workflow."""
    yield list(CSV_COLUMNS)
    for pair in pairs:
        yield [pair["entity_key"], pair["workflow_name"], str(pair["expected_credits"]),
               ";".join(f"{name}={rate:.3f}" for name, rate in pair["fills"].items()), str(pair["visible_probability"])]


@transaction.atomic
def plan_save(*, request: PlanRequest, result: PlanResult, destination: str, sent_to: str = "",
              user: Any = None) -> EnrichmentPlan:
    """Keep an exported plan and its runs, to hold its outcome against what it expected."""
    totals = result.totals()
    plan = EnrichmentPlan.objects.create(
        created_by=user if user is not None and user.is_authenticated else None, entity_type=request.entity_type,
        budget_credits=request.budget_credits, hidden_leads_considered=totals["hidden_leads_considered"],
        filters={"limit": request.limit, "vendor": request.vendor, "workflow_name": request.workflow_name,
                 "entity_keys": list(request.entity_keys) if request.entity_keys is not None else None},
        leads=totals["leads"], expected_credits=totals["credits"], expected_visible=result.plan.expected_visible,
        expected_visible_sd=result.plan.visible_sd,
        destination=destination, sent_to=sent_to)
    PlannedRun.objects.bulk_create(
        [PlannedRun(plan=plan, entity_key=pair["entity_key"], workflow_name=pair["workflow_name"],
                    expected_credits=pair["expected_credits"], fills=pair["fills"],
                    visible_probability=pair["visible_probability"]) for pair in result.pairs()],
        batch_size=5000)
    return plan


def plan_send_file(*, request: PlanRequest, result: PlanResult, user: Any = None) -> EnrichmentPlan:
    """Write the plan where the ingest side picks its work up (ENRICHHUB_PLAN_EXPORT_DIR)."""
    folder = Path(settings.PLAN_EXPORT_DIR)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PlanRefused(f"cannot create {folder} for the plan ({exc.strerror})") from exc
    with transaction.atomic():
        plan = plan_save(request=request, result=result, destination=EnrichmentPlan.Destination.FILE, user=user)
        target = folder / f"plan-{plan.pk}-{request.entity_type}.csv"
        partial = target.with_suffix(".csv.partial")  # the ingest side never sees half a file
        with partial.open("w", newline="", encoding="utf-8") as out:
            SafeCsvWriter(out).writerows(plan_csv_rows(result.pairs()))
        partial.rename(target)
        plan.sent_to = str(target)
        plan.save(update_fields=["sent_to"])
    return plan


def plan_send_webhook(*, request: PlanRequest, result: PlanResult, user: Any = None,
                      deliver_now: bool = False) -> EnrichmentPlan:
    """Keep the plan, then POST its runs as JSON to ENRICHHUB_PLAN_WEBHOOK_URL: from the q2 cluster
    once saved, or at once with `deliver_now` (the command line). Never inside a transaction: a
    slow receiver would hold it open. The plan records whether it was delivered."""
    url = settings.PLAN_WEBHOOK_URL
    if not url:
        raise PlanRefused("no webhook is configured: set ENRICHHUB_PLAN_WEBHOOK_URL")
    target = urlsplit(url)
    try:
        webhook_address(target.hostname or "", target.port or 80, allow_private=settings.WEBHOOK_ALLOW_PRIVATE,
                        label=webhook_label(url))
    except WebhookFailed as exc:
        raise PlanRefused(str(exc)) from None
    with transaction.atomic():
        plan = plan_save(request=request, result=result, destination=EnrichmentPlan.Destination.WEBHOOK,
                         sent_to=webhook_label(url), user=user)
        EnrichmentPlan.objects.filter(pk=plan.pk).update(delivery=EnrichmentPlan.Delivery.QUEUED)
    if deliver_now:
        plan_webhook_deliver(plan_id=plan.pk)
    else:
        transaction.on_commit(lambda: async_task(WEBHOOK_TASK, plan.pk, task_name=f"plan-{plan.pk}-webhook"))
    plan.refresh_from_db()
    return plan


def plan_webhook_deliver(*, plan_id: int) -> str:
    """POST a saved plan to the webhook within WEBHOOK_DEADLINE_S in all; record the outcome on it."""
    plan = EnrichmentPlan.objects.get(pk=plan_id)
    runs = [{"entity_key": run.entity_key, "workflow_name": run.workflow_name,
             "expected_credits": run.expected_credits, "fills": run.fills,
             "visible_probability": run.visible_probability} for run in plan.runs.order_by("pk")]
    body = json.dumps({"plan_id": plan.pk, "entity_type": plan.entity_type, "runs": runs},
                      cls=DjangoJSONEncoder).encode()
    try:
        webhook_post(settings.PLAN_WEBHOOK_URL, body, deadline_s=WEBHOOK_DEADLINE_S,
                     allow_private=settings.WEBHOOK_ALLOW_PRIVATE)
    except WebhookFailed as exc:
        EnrichmentPlan.objects.filter(pk=plan_id).update(delivery=EnrichmentPlan.Delivery.FAILED,
                                                         delivery_error=str(exc))
        return f"plan #{plan_id} not delivered: {exc}"
    EnrichmentPlan.objects.filter(pk=plan_id).update(delivery=EnrichmentPlan.Delivery.DELIVERED, delivery_error="",
                                                     delivered_at=timezone.now())
    return f"plan #{plan_id} delivered to the {plan.sent_to}"


def plan_outcomes(plans: list[EnrichmentPlan]) -> list[dict]:
    """Per plan, what it expected against what happened since it was exported: runs completed,
    credits they spent, and planned leads that are no longer hidden."""
    outcomes = []
    for plan in plans:
        planned = list(plan.runs.values_list("workflow_name", "entity_key"))
        completed, spent = sql.planned_runs_completed(plan_id=plan.pk, since=plan.created_at)
        keys = sorted({key for _, key in planned})
        still_hidden = hidden_missing(entity_type=plan.entity_type, keys=keys) if keys else {}
        outcomes.append({"plan": plan, "runs_planned": len(planned), "runs_completed": completed,
                         "credits_spent": spent, "visible_now": len(keys) - len(still_hidden)})
    return outcomes
