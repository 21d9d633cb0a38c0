"""The greedy plan against the exact optimum on small instances shaped like the warehouse's: a few
workflows with shared costs and fill rates, leads missing one to three person fields."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planning.optimiser import (
    Lead,
    LeadClass,
    Offer,
    lead_options,
    plan_exact,
    plan_greedy,
    plan_greedy_by_class,
    visible_probability,
)
from tests.examples import examples

FIELDS = ("person_country", "matched_job_function", "matched_seniority")
rates = st.floats(min_value=0.05, max_value=1.0)
credits = st.integers(min_value=1, max_value=10).map(lambda halves: Decimal(halves) / 2)


@st.composite
def offers(draw) -> tuple[Offer, ...]:
    count = draw(st.integers(min_value=1, max_value=4))
    made = []
    for n in range(count):
        fills = draw(st.sets(st.sampled_from(FIELDS), min_size=1, max_size=3))
        made.append(Offer(f"workflow_{n}", draw(credits), {field: draw(rates) for field in sorted(fills)}))
    return tuple(made)


@st.composite
def instances(draw) -> tuple[list[Lead], Decimal]:
    pool = draw(offers())
    leads = []
    for n in range(draw(st.integers(min_value=1, max_value=25))):
        missing = frozenset(draw(st.sets(st.sampled_from(FIELDS), min_size=1, max_size=3)))
        allowed = tuple(offer for offer in pool if draw(st.booleans()) or n % 2)  # some workflows fresh for some
        leads.append(Lead(f"linkedin.com/in/lead{n}", missing, allowed))
    budget = Decimal(draw(st.integers(min_value=0, max_value=60))) / 2
    return leads, budget


def _best_single_gain(leads: list[Lead]) -> float:
    return max((option.probability for lead in leads for option in lead_options(lead)), default=0.0)


@settings(max_examples=examples(300), deadline=None)
@given(instances())
def test_the_greedy_plan_stays_in_budget_and_within_one_lead_of_the_optimum(instance):
    leads, budget = instance
    greedy, exact = plan_greedy(leads, budget), plan_exact(leads, budget, credit_unit=Decimal("0.5"))
    assert greedy.credits <= budget and exact.credits <= budget
    assert len({choice.lead.entity_key for choice in greedy.choices}) == len(greedy.choices)  # one set per lead
    for choice in greedy.choices:
        assert set(choice.offers) <= set(choice.lead.offers)  # nothing fresh or failing for it
        assert choice.probability == pytest.approx(visible_probability(choice.lead.missing, choice.offers))
        assert all(choice.fills(offer) for offer in choice.offers)  # each member fills something it misses
    assert greedy.expected_visible <= exact.expected_visible + 1e-9
    assert greedy.expected_visible >= exact.expected_visible - _best_single_gain(leads) - 1e-9
    if exact.expected_visible >= 10:
        assert greedy.expected_visible >= 0.9 * exact.expected_visible


def test_a_lead_missing_two_fields_gets_both_or_nothing():
    country = Offer("person_location", Decimal("1"), {"person_country": 0.9})
    seniority = Offer("person_seniority_classification", Decimal("1"), {"matched_seniority": 0.8})
    lead = Lead("linkedin.com/in/ada", frozenset({"person_country", "matched_seniority"}), (country, seniority))
    assert plan_greedy([lead], Decimal("1")).choices == []  # one of the two fills nothing visible
    (choice,) = plan_greedy([lead], Decimal("2")).choices
    assert set(choice.offers) == {country, seniority} and choice.probability == pytest.approx(0.72)


def test_the_budget_goes_to_the_most_visible_leads_per_credit():
    cheap = Offer("person_location", Decimal("1"), {"person_country": 0.5})
    sure = Offer("person_clay_waterfall", Decimal("4"), {"person_country": 1.0})
    leads = [Lead(f"linkedin.com/in/p{n}", frozenset({"person_country"}), (cheap, sure)) for n in range(4)]
    plan = plan_greedy(leads, Decimal("4"))
    assert [choice.offers for choice in plan.choices] == [(cheap,)] * 4  # 2 expected leads, not 1
    assert plan.expected_visible == pytest.approx(2.0) == plan_exact(leads, Decimal("4")).expected_visible
    assert plan.visible_sd == pytest.approx((4 * 0.5 * 0.5) ** 0.5)  # four coin flips: 2 ± 1


def _classes(leads: list[Lead]) -> tuple[list[LeadClass], list[list[Lead]]]:
    """The leads grouped by (missing, offers), each group in lead order, as the planner's SQL groups them."""
    groups: dict[tuple, list[Lead]] = {}
    for lead in leads:
        groups.setdefault((lead.missing, lead.offers), []).append(lead)
    members = list(groups.values())
    return [LeadClass(group[0].missing, group[0].offers, len(group)) for group in members], members


@settings(max_examples=examples(300), deadline=None)
@given(instances(), st.one_of(st.none(), st.integers(min_value=1, max_value=10)))
def test_planning_by_class_buys_what_planning_lead_by_lead_buys(instance, max_leads):
    leads, budget = instance
    # Lead by lead, class after class: the order in which the planner's SQL hands the leads over.
    classes, members = _classes(leads)
    ordered = [lead for group in members for lead in group]
    by_lead = plan_greedy(ordered, budget, max_leads=max_leads)
    by_class = plan_greedy_by_class(classes, budget, max_leads=max_leads)
    bought = {}
    for index, group in enumerate(members):
        for position, lead in enumerate(group):
            option = by_class.choice(index, position)
            if option is not None:
                bought[lead.entity_key] = option
    assert {choice.lead.entity_key: (choice.offers, choice.credits) for choice in by_lead.choices} == \
        {key: (offers, credits) for key, (offers, credits, _) in bought.items()}
    assert sum(by_class.leads(index) for index in range(len(classes))) == len(by_lead.choices)
