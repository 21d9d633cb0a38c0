"""The enrichment plan: for a credit budget and an entity type, which hidden leads to enrich with
which workflows, for the most leads expected to become visible (planning/optimiser.py)."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings

from kernel import InvalidEntityKey, normalise_entity_key
from planning import sql
from planning.figures import WorkflowFigures, figures_latest, workflow_figures
from planning.optimiser import Lead, Offer, Plan, plan_greedy
from registry.models import Workflow
from warehouse.hidden import REQUIRED_FIELDS


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

    def pairs(self) -> list[dict]:
        """One entry per lead and workflow, in the order the leads were chosen."""
        return [{"entity_key": choice.lead.entity_key, "workflow_name": offer.workflow_name,
                 "expected_credits": offer.credits, "fills": choice.fills(offer),
                 "visible_probability": round(choice.probability, 6)}
                for choice in self.plan.choices for offer in choice.offers]

    def totals(self) -> dict:
        return {"credits": self.plan.credits, "expected_newly_visible": round(self.plan.expected_visible, 3),
                "leads": len(self.plan.choices), "pairs": sum(len(c.offers) for c in self.plan.choices),
                "hidden_leads_considered": self.hidden_leads}


def plan_build(request: PlanRequest) -> PlanResult:
    """Raises PlanRefused for an unknown entity type, workflow or key, or a negative budget."""
    _check(request)
    offers, left_out = _offers(request)
    leads = _leads(request, offers)
    plan = plan_greedy(leads, request.budget_credits, max_leads=request.limit)
    return PlanResult(plan=plan, hidden_leads=len(leads), workflows=sorted(offers), left_out=left_out)


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
    figures = {name: item for name, item in (figures_latest() or workflow_figures()).items() if name in names}
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


def _leads(request: PlanRequest, offers: dict[str, Offer]) -> list[Lead]:
    fields = REQUIRED_FIELDS[request.entity_type]
    keys = None
    if request.entity_keys is not None:
        keys = sorted({_normalised(request.entity_type, index, raw) for index, raw in enumerate(request.entity_keys)})
    blocked: dict[str, set[str]] = {}
    for key, workflow in sql.blocked_pairs(entity_type=request.entity_type, workflows=list(offers),
                                           max_failures=settings.PLAN_MAX_FAILURES):
        blocked.setdefault(key, set()).add(workflow)
    shapes: dict[tuple, tuple[Offer, ...]] = {}  # one tuple per shape, so the optimiser's cache hits
    leads = []
    for key, *filled in sql.hidden_leads(entity_type=request.entity_type, fields=fields, keys=keys):
        missing = frozenset(name for name, is_filled in zip(fields, filled, strict=True) if not is_filled)
        refused = frozenset(blocked.get(key, ()))
        shape = (missing, refused)
        if shape not in shapes:
            shapes[shape] = tuple(offer for name, offer in offers.items()
                                  if name not in refused and missing & set(offer.fill_rates))
        leads.append(Lead(key, missing, shapes[shape]))
    return leads


def _normalised(entity_type: str, index: int, raw: str) -> str:
    try:
        return normalise_entity_key(entity_type=entity_type, raw=raw)
    except InvalidEntityKey as exc:
        raise PlanRefused(f"entity_keys[{index}] {raw!r}: {exc}") from exc
