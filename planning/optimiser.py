"""Which workflows to buy for which hidden leads, within a credit budget, for the most leads
expected to become visible. Pure computation: the figures come in, the choice goes out.

A lead becomes visible when every required field it misses is filled. Each workflow fills each
field it declares with its measured probability, independently of the others, so a set S of
workflows makes a lead that misses fields F visible with probability

    prod over f in F of (1 - prod over w in S filling f of (1 - p(w, f)))

A lead missing two fields is only worth a set that can fill both. Choosing one set per lead
within the budget is a multiple-choice knapsack. `plan_greedy` solves it the classic way:
keep each lead's sets that lie on the upper convex hull of (credits, probability), and buy the
hull's steps in order of probability gained per credit while they fit. The linear relaxation
buys the same steps up to the first that does not fit, and a fraction of that one, whose gain is
at most one lead: so the greedy plan is never more than one expected lead below the best plan.
`plan_exact` solves small instances exactly by dynamic programming over the budget, to show it.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from itertools import combinations
from math import prod, sqrt

# A lead is worth at most this many workflows at once: its missing fields are at most three.
MAX_WORKFLOWS_PER_LEAD = 3


@dataclass(frozen=True)
class Offer:
    """A workflow as the planner sees it for a lead: what a run costs and fills, how often."""

    workflow_name: str
    credits: Decimal
    fill_rates: dict[str, float]  # field -> probability that a run fills it

    def __hash__(self) -> int:
        return hash((self.workflow_name, self.credits, tuple(sorted(self.fill_rates.items()))))


@dataclass(frozen=True)
class Lead:
    entity_key: str
    missing: frozenset[str]
    offers: tuple[Offer, ...]  # the workflows allowed for it (not fresh, not failing)


@dataclass(frozen=True)
class Choice:
    """The set of workflows bought for one lead."""

    lead: Lead
    offers: tuple[Offer, ...]
    credits: Decimal
    probability: float  # that the lead becomes visible

    def fills(self, offer: Offer) -> dict[str, float]:
        """What this offer is expected to fill of what the lead misses."""
        return {field: rate for field, rate in offer.fill_rates.items() if field in self.lead.missing}


@dataclass(frozen=True)
class Plan:
    choices: list[Choice]

    @property
    def credits(self) -> Decimal:
        return sum((choice.credits for choice in self.choices), Decimal(0))

    @property
    def expected_visible(self) -> float:
        return sum(choice.probability for choice in self.choices)

    @property
    def visible_sd(self) -> float:
        """The spread of the leads that become visible: each lead does or does not, independently."""
        return sqrt(sum(choice.probability * (1 - choice.probability) for choice in self.choices))


def visible_probability(missing: Iterable[str], offers: Iterable[Offer]) -> float:
    offers = list(offers)
    return prod(1 - prod(1 - offer.fill_rates.get(field, 0.0) for offer in offers) for field in missing)


def lead_options(lead: Lead) -> list[Choice]:
    """The sets worth considering for a lead, cheapest first: each fills some missing field with
    every member, has a chance of making the lead visible, and no cheaper set does as well."""
    return [Choice(lead, offers, credits, probability) for offers, credits, probability in
            _options(lead.missing, lead.offers)]


def lead_hull(lead: Lead) -> list[Choice]:
    """The options the greedy buys in steps (see _hull)."""
    return [Choice(lead, offers, credits, probability) for offers, credits, probability in
            _hull_of(lead.missing, lead.offers)]


Option = tuple[tuple[Offer, ...], Decimal, float]  # (workflows, credits, visible probability)


# Leads of one plan share a handful of (missing fields, allowed workflows) shapes: each shape's
# options are worked out once.
@lru_cache(maxsize=4096)
def _options(missing: frozenset[str], offers: tuple[Offer, ...]) -> tuple[Option, ...]:
    useful = [offer for offer in offers if any(offer.fill_rates.get(f, 0) > 0 for f in missing)]
    options = []
    for size in range(1, min(MAX_WORKFLOWS_PER_LEAD, len(useful)) + 1):
        for chosen in combinations(useful, size):
            probability = visible_probability(missing, chosen)
            if probability > 0:
                options.append((chosen, sum((o.credits for o in chosen), Decimal(0)), probability))
    options.sort(key=lambda option: (option[1], -option[2]))
    undominated: list[Option] = []
    for option in options:
        if not undominated or option[2] > undominated[-1][2]:
            undominated.append(option)
    return tuple(undominated)


@lru_cache(maxsize=4096)
def _hull_of(missing: frozenset[str], offers: tuple[Offer, ...]) -> tuple[Option, ...]:
    placeholder = Lead("", missing, offers)
    return tuple((choice.offers, choice.credits, choice.probability) for choice in _hull(lead_options(placeholder)))


def _hull(options: list[Choice]) -> list[Choice]:
    """The options on the upper convex hull from (0, 0): each step gains less per credit than the
    one before, which is what lets the greedy take one lead's steps in order."""
    hull: list[Choice] = []
    for option in options:
        while hull:
            last = hull[-1]
            before = hull[-2] if len(hull) > 1 else None
            base_credits, base_probability = (before.credits, before.probability) if before else (Decimal(0), 0.0)
            if _gain_per_credit(base_credits, base_probability, last) <= _gain_per_credit(
                    base_credits, base_probability, option):
                hull.pop()
            else:
                break
        hull.append(option)
    return hull


def _gain_per_credit(credits: Decimal, probability: float, option: Choice) -> float:
    spent = option.credits - credits
    return float("inf") if spent <= 0 else (option.probability - probability) / float(spent)


def plan_greedy(leads: Sequence[Lead], budget: Decimal, *, max_leads: int | None = None) -> Plan:
    """The plan within budget, with at most max_leads leads when given."""
    hulls = [lead_hull(lead) for lead in leads]
    steps = []
    for index, hull in enumerate(hulls):
        for rank, option in enumerate(hull):
            before = hull[rank - 1] if rank else None
            gain = _gain_per_credit(before.credits if before else Decimal(0), before.probability if before else 0.0,
                                    option)
            steps.append((-gain, index, rank))
    # Along a hull the gain per credit falls, so one lead's steps come in their own order.
    steps.sort()
    taken = [0] * len(leads)
    blocked = [False] * len(leads)
    spent, planned = Decimal(0), 0
    for _, index, rank in steps:
        if blocked[index] or rank != taken[index] or (rank == 0 and max_leads is not None and planned >= max_leads):
            continue
        hull = hulls[index]
        extra = hull[rank].credits - (hull[rank - 1].credits if rank else Decimal(0))
        if spent + extra > budget:
            blocked[index] = True  # its later steps need this one; other leads' may still fit
            continue
        taken[index], spent, planned = rank + 1, spent + extra, planned + (rank == 0)
    return Plan([hulls[index][count - 1] for index, count in enumerate(taken) if count])


@dataclass(frozen=True)
class LeadClass:
    """Leads that miss the same fields and may be offered the same workflows: interchangeable, so
    the plan works on their number, not on each."""

    missing: frozenset[str]
    offers: tuple[Offer, ...]
    count: int


@dataclass(frozen=True)
class ClassPlan:
    """How many leads of each class reach each step of its hull: levels[c][k] leads of class c
    take step k or further (the first of them, in key order, go furthest)."""

    classes: Sequence[LeadClass]
    levels: list[list[int]]

    def choice(self, class_index: int, position: int) -> Option | None:
        """The option bought for the class's lead at `position` (0-based, in key order)."""
        reached = sum(1 for taken in self.levels[class_index] if position < taken)
        lead_class = self.classes[class_index]
        return _hull_of(lead_class.missing, lead_class.offers)[reached - 1] if reached else None

    def leads(self, class_index: int) -> int:
        levels = self.levels[class_index]
        return levels[0] if levels else 0


def plan_greedy_by_class(classes: Sequence[LeadClass], budget: Decimal, *, max_leads: int | None = None) -> ClassPlan:
    """plan_greedy over classes of interchangeable leads. The same steps in the same order: a
    class's leads take a step together, as many as the budget (and max_leads) allow, and those
    that do not fit are blocked, as plan_greedy blocks each. Its work grows with the classes,
    a few hundred, not with the leads, millions."""
    hulls = [_hull_of(lead_class.missing, lead_class.offers) for lead_class in classes]
    steps = []
    for index, hull in enumerate(hulls):
        for rank, (_, credits, probability) in enumerate(hull):
            before_credits, before_probability = (hull[rank - 1][1], hull[rank - 1][2]) if rank else (Decimal(0), 0.0)
            spent = credits - before_credits
            gain = float("inf") if spent <= 0 else (probability - before_probability) / float(spent)
            steps.append((-gain, index, rank))
    steps.sort()
    levels: list[list[int]] = [[] for _ in classes]
    eligible = [lead_class.count for lead_class in classes]
    spent, planned = Decimal(0), 0
    for _, index, rank in steps:
        if rank != len(levels[index]) or not eligible[index]:
            continue
        hull = hulls[index]
        extra = hull[rank][1] - (hull[rank - 1][1] if rank else Decimal(0))
        taking = eligible[index]
        if rank == 0 and max_leads is not None:
            taking = min(taking, max_leads - planned)
        if extra > 0:
            taking = min(taking, int((budget - spent) // extra))
        levels[index].append(taking)
        eligible[index] = taking  # the others of the class are blocked, or over max_leads
        spent, planned = spent + extra * taking, planned + (taking if rank == 0 else 0)
    return ClassPlan(classes, [[taken for taken in level if taken] for level in levels])


def plan_exact(leads: Sequence[Lead], budget: Decimal, *, credit_unit: Decimal = Decimal("0.01")) -> Plan:
    """The best plan, by dynamic programming over the budget in credit_unit steps: for small
    instances (tests, and the ratio docs/planning.md quotes)."""
    units = int(budget / credit_unit)
    # best[b] = (expected visible, choices) within b units, over the leads seen so far
    best: list[tuple[float, tuple[Choice, ...]]] = [(0.0, ())] * (units + 1)
    for lead in leads:
        options = [(int(option.credits / credit_unit), option) for option in lead_options(lead)]
        updated = list(best)
        for b in range(units + 1):
            for cost, option in options:
                if cost <= b:
                    value, picked = best[b - cost]
                    if value + option.probability > updated[b][0] + 1e-12:
                        updated[b] = (value + option.probability, (*picked, option))
        best = updated
    return Plan(list(best[units][1]))
