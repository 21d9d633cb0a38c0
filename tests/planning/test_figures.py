"""What each workflow fills and costs: curated in the registry, validated, and measured from its
runs and core, checked against an oracle that normalises every core key in Python."""

from datetime import timedelta
from decimal import Decimal
from statistics import median

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from planning.figures import figures_latest, figures_refresh, workflow_figures
from planning.leads import hidden_leads_count
from registry.catalog import Catalog, workflow_problems
from registry.demo import demo_registry_complete
from registry.models import Workflow
from runs.backfill import runs_backfill
from runs.models import Run
from runs.services import run_events_record
from tests.oracles import core_fields_filled_by_key
from warehouse.hidden import REQUIRED_FIELDS


def _problems(**fields) -> dict[str, list[str]]:
    workflow = Workflow(workflow_name="w", is_active=False, **fields)
    return workflow_problems(workflow=workflow, catalog=Catalog())


@pytest.mark.parametrize("fields, message", [
    ({"key_type": "company", "fills_fields": ["person_country"]}, "'person_country' is not a required company field"),
    ({"key_type": "person", "fills_fields": ["person_country", "person_country"]}, "named twice"),
    ({"fills_fields": ["company_name"]}, "need its key type"),
])
def test_a_workflow_fills_only_required_fields_of_its_own_entity(fields, message):
    problems = _problems(**fields)
    assert any(message in problem for problem in problems.get("fills_fields", [])), problems


def test_a_curated_workflow_passes_and_a_negative_cost_is_refused_by_the_database(db):
    assert "fills_fields" not in _problems(key_type="person", fills_fields=["matched_seniority"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Workflow.objects.create(workflow_name="negative", default_credit_cost=Decimal("-1"))


def _oracle(settled_before, min_runs: int, default_rate: float) -> dict[str, dict[str, tuple[float, int]]]:
    """field rates per workflow, from every core row's key normalised in Python."""
    filled = {kind: core_fields_filled_by_key(kind) for kind in REQUIRED_FIELDS}
    expected = {}
    for workflow in Workflow.objects.filter(is_active=True).exclude(fills_fields=None).exclude(fills_fields=[]):
        runs = Run.objects.filter(workflow=workflow, status="completed", completed_at__lte=settled_before)
        entities = [filled[workflow.key_type].get(key, set()) for key in runs.values_list("entity_key", flat=True)]
        enough = len(entities) >= min_runs
        expected[workflow.workflow_name] = {
            field: ((sum(field in e for e in entities) / len(entities), len(entities)) if enough else (default_rate, 0))
            for field in workflow.fills_fields}
    return expected


def test_measured_fill_rates_equal_the_oracle_and_young_runs_wait(demo, settings):
    demo_registry_complete()
    runs_backfill(workflow_names=["company_discovery", "person_profile", "company_cleaned_name"])
    # Runs of a moment ago have not been coalesced yet: they must not count.
    young = Run.objects.filter(workflow_id="person_profile").order_by("entity_key")[:5]
    Run.objects.filter(pk__in=[run.pk for run in young]).update(completed_at=timezone.now())
    settings.PLAN_MIN_RUNS, settings.PLAN_SETTLE_HOURS = 3, 1
    measured = workflow_figures()
    expected = _oracle(timezone.now() - timedelta(hours=1), 3, settings.PLAN_DEFAULT_FILL_RATE)
    assert {name: {f: (round(r.rate, 9), r.runs) for f, r in figures.fill_rates.items()}
            for name, figures in measured.items()} == \
        {name: {f: (round(rate, 9), runs) for f, (rate, runs) in rates.items()} for name, rates in expected.items()}
    assert measured["person_profile"].fill_rates["person_country"].measured
    assert measured["person_profile"].fill_rates["person_country"].runs == \
        Run.objects.filter(workflow_id="person_profile", status="completed").count() - 5
    assert not measured["person_experience"].fill_rates["matched_seniority"].measured  # no runs: the default


def _rates(kind: str) -> dict[str, dict[str, tuple[float, int]]]:
    return {name: {f: (round(r.rate, 9), r.runs) for f, r in figures.fill_rates.items()}
            for name, figures in workflow_figures(entity_type=kind).items()}


def _oracle_rates(names: dict, default_rate: float) -> dict[str, dict[str, tuple[float, int]]]:
    return {name: {f: (round(rate, 9), runs) for f, (rate, runs) in rates.items()}
            for name, rates in _oracle(timezone.now(), 3, default_rate).items() if name in names}


def test_rates_are_measured_as_of_the_count_and_follow_core_after_the_next_one(demo, settings):
    demo_registry_complete()
    runs_backfill(workflow_names=["person_profile"])
    settings.PLAN_MIN_RUNS, settings.PLAN_SETTLE_HOURS = 3, 0
    hidden_leads_count(entity_type="person")
    before = _rates("person")
    assert before == _oracle_rates(before, settings.PLAN_DEFAULT_FILL_RATE)
    # Core gains a country for some measured entities; a run arrives for a key core has never held.
    runs = Run.objects.filter(workflow_id="person_profile", status="completed").order_by("entity_key")
    filled = core_fields_filled_by_key("person")
    unfilled = [key for key in runs.values_list("entity_key", flat=True)
                if "person_country" not in filled.get(key, set())][:4]
    assert unfilled, "the demo has measured people without a country"
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core.people SET person_country = 'Norway' WHERE lower(linkedin_url) LIKE ANY(%s)",
                       [[f"%{key.removeprefix('linkedin.com/in/')}%" for key in unfilled]])
    run_events_record(items=[{"workflow_name": "person_profile", "entity_type": "person", "status": "completed",
                              "entity_key": "linkedin.com/in/never-in-core", "source": "test"}])
    Run.objects.filter(entity_key="linkedin.com/in/never-in-core").update(
        completed_at=timezone.now() - timedelta(days=2))
    assert _rates("person") == before  # measured on the count: neither change is seen yet
    hidden_leads_count(entity_type="person")
    after = _rates("person")
    assert after == _oracle_rates(after, settings.PLAN_DEFAULT_FILL_RATE)
    rate_before, runs_before = before["person_profile"]["person_country"]
    rate_after, runs_after = after["person_profile"]["person_country"]
    assert runs_after == runs_before + 1 and rate_after != rate_before


def test_the_cost_is_the_median_of_the_runs_or_the_curated_default(demo, settings):
    demo_registry_complete()
    settings.PLAN_MIN_RUNS = 4
    paid = [Decimal(c) for c in ("1.0", "3.0", "2.5", "7.0", "2.0")]
    run_events_record(items=[{"workflow_name": "company_salesnav_location", "entity_type": "company",
                              "status": "completed", "entity_key": f"paid{n}.example.com", "credits_spent": str(c),
                              "source": "test"}
                             for n, c in enumerate(paid)])
    run_events_record(items=[{"workflow_name": "company_discovery", "entity_type": "company",
                              "status": "completed", "entity_key": "one.example.com", "credits_spent": "9",
                              "source": "test"}])
    figures = workflow_figures(entity_type="company")
    located = figures["company_salesnav_location"]
    assert (located.credits, located.credit_runs, located.cost_measured) == (median(paid), 5, True)
    discovered = figures["company_discovery"]
    assert (discovered.credits, discovered.cost_measured) == (Decimal("2.0"), False)  # one run is too few
    assert set(figures) == {name for name, w in _declaring("company")}


def _declaring(kind: str):
    return [(w.workflow_name, w) for w in Workflow.objects.filter(key_type=kind, is_active=True)
            if w.fills_fields]


def test_the_registry_list_shows_each_figure_with_the_runs_behind_it(demo, settings, admin_client):
    demo_registry_complete()
    runs_backfill(workflow_names=["person_profile"])
    settings.PLAN_MIN_RUNS, settings.PLAN_SETTLE_HOURS = 3, 0
    assert "matched_seniority 50% (default)" not in admin_client.get("/admin/registry/workflow/").content.decode()
    snapshot = figures_refresh()  # what the hourly schedule does
    rate = workflow_figures(entity_type="person")["person_profile"].fill_rates["person_country"]
    assert figures_latest()["person_profile"] == workflow_figures()["person_profile"] and snapshot.seconds > 0
    page = admin_client.get("/admin/registry/workflow/?q=person_").content.decode()
    assert f"person_country {rate.rate:.0%} ({rate.runs:,})" in page
    assert "matched_seniority 50% (default)" in page  # person_experience: no runs yet
    assert "1.5 credits (curated)" in page  # its curated cost
