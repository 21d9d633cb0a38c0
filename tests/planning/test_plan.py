"""The plan on the demo, checked by oracles that read core and the runs themselves: every planned
lead is hidden, every planned workflow fills a field it misses and is neither fresh nor failing
for it, and the credits add up within the budget. Then the API around it."""

import json
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from enrichhub.db_roles import WEB
from planning.figures import figures_refresh
from planning.services import PlanRefused, PlanRequest, plan_build
from registry.demo import demo_registry_complete
from registry.models import Workflow
from runs.backfill import runs_backfill
from runs.models import Run
from tests.oracles import core_fields_filled_by_key
from tests.roles import run_as
from warehouse.hidden import REQUIRED_FIELDS

URL = "/api/enrichment/plan"


@pytest.fixture
def measured(demo, settings):
    demo_registry_complete()
    runs_backfill(workflow_names=["person_profile", "company_discovery"])
    settings.PLAN_MIN_RUNS, settings.PLAN_SETTLE_HOURS = 3, 0
    figures_refresh()


def _missing_by_key(kind: str) -> dict[str, set[str]]:
    """Per hidden key, the required fields none of its core rows fills."""
    fields = set(REQUIRED_FIELDS[kind])
    return {key: fields - filled for key, filled in core_fields_filled_by_key(kind).items() if fields - filled}


def _unbuyable(kind: str) -> set[tuple[str, str]]:
    now = timezone.now()
    pairs = set()
    for run in Run.objects.filter(entity_type=kind).select_related("workflow"):
        fresh = run.status == "completed" and run.completed_at and \
            run.completed_at > now - timedelta(days=run.workflow.refresh_after_days)
        if run.status in ("pending", "running") or fresh or (run.status == "failed" and run.attempts >= 3):
            pairs.add((run.entity_key, run.workflow_id))
    return pairs


@pytest.mark.parametrize("kind, budget", [("person", Decimal("150")), ("company", Decimal("40"))])
def test_the_plan_buys_only_what_hidden_leads_miss_and_is_not_fresh_within_the_budget(measured, kind, budget):
    key = next(iter(sorted(_missing_by_key(kind))))
    Run.objects.update_or_create(workflow_id=_a_filler(kind), entity_key=key, defaults={
        "entity_type": kind, "status": "completed", "completed_at": timezone.now()})  # bought yesterday
    result = plan_build(PlanRequest(budget_credits=budget, entity_type=kind, limit=None))
    pairs = result.pairs()
    hidden, unbuyable = _missing_by_key(kind), _unbuyable(kind)
    declared = {w.workflow_name: set(w.fills_fields or []) for w in Workflow.objects.all()}
    assert pairs and (key, _a_filler(kind)) in unbuyable
    for pair in pairs:
        assert pair["entity_key"] in hidden, pair
        assert declared[pair["workflow_name"]] & hidden[pair["entity_key"]], pair
        assert set(pair["fills"]) <= hidden[pair["entity_key"]]
        assert (pair["entity_key"], pair["workflow_name"]) not in unbuyable, pair
    assert sum(pair["expected_credits"] for pair in pairs) == result.totals()["credits"] <= budget
    # A lead missing several fields is planned with workflows that fill all of them, or not at all.
    by_lead: dict[str, set[str]] = defaultdict(set)
    for pair in pairs:
        by_lead[pair["entity_key"]] |= set(pair["fills"])
    assert all(filled == hidden[lead] for lead, filled in by_lead.items())
    assert result.totals()["expected_newly_visible"] > 0


def _a_filler(kind: str) -> str:
    return "person_experience" if kind == "person" else "company_salesnav_location"


def test_limit_keys_and_filters_narrow_the_plan(measured):
    hidden = sorted(_missing_by_key("person"))[:3]
    only = plan_build(PlanRequest(budget_credits=Decimal("1000"), entity_type="person",
                                  entity_keys=tuple("https://www." + key + "/" for key in hidden)))
    assert {pair["entity_key"] for pair in only.pairs()} <= set(hidden) and only.hidden_leads == 3
    limited = plan_build(PlanRequest(budget_credits=Decimal("1000"), entity_type="person", limit=2))
    assert limited.totals()["leads"] == 2
    one = plan_build(PlanRequest(budget_credits=Decimal("1000"), entity_type="person",
                                 workflow_name="person_experience"))
    assert {pair["workflow_name"] for pair in one.pairs()} == {"person_experience"}
    with pytest.raises(PlanRefused, match="no workflow named 'nope'"):
        plan_build(PlanRequest(budget_credits=Decimal("1"), entity_type="person", workflow_name="nope"))
    with pytest.raises(PlanRefused, match=r"entity_keys\[1\] 'not a profile'"):
        plan_build(PlanRequest(budget_credits=Decimal("1"), entity_type="person",
                               entity_keys=(hidden[0], "not a profile")))


def test_the_api_answers_the_plan_and_json_errors(measured, client, api_key):
    run_as(WEB)

    def post(body: dict | str, key: str | None = api_key):
        data = body if isinstance(body, str) else json.dumps(body)
        return client.post(URL, data=data, content_type="application/json",
                           headers={"X-API-Key": key} if key else {})

    answer = post({"budget_credits": 20, "entity_type": "company", "limit": 1000})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["pairs"] and set(body["pairs"][0]) == {"entity_key", "workflow_name", "expected_credits", "fills",
                                                       "visible_probability"}
    assert Decimal(str(body["totals"]["credits"])) <= 20 and body["totals"]["expected_newly_visible"] > 0
    assert 0 < body["totals"]["expected_newly_visible_sd"] <= body["totals"]["expected_newly_visible"] ** 0.5 + 1e-9
    for bad, fragment in [({"budget_credits": -1, "entity_type": "company"}, "budget_credits"),
                          ({"budget_credits": 5, "entity_type": "planet"}, "entity_type"),
                          ({"budget_credits": 5, "entity_type": "company", "workflow_name": "nope"}, "nope"),
                          ({"budget_credits": 5, "entity_type": "company", "limit": True}, "limit"),
                          ("{not json", "JSON")]:
        refused = post(bad)
        assert refused.status_code in (400, 422) and refused["Content-Type"].startswith("application/json")
        assert fragment in refused.content.decode() and "Traceback" not in refused.content.decode()
    assert post({"budget_credits": 5, "entity_type": "company"}, key=None).status_code == 401


def test_the_command_writes_the_plan_as_csv_and_refuses_bad_input(measured, tmp_path):
    import csv
    import io

    from django.core.management import CommandError, call_command

    out, err = io.StringIO(), io.StringIO()
    call_command("plan_enrichment", "--budget", "12.5", "--entity-type", "company", "--format", "csv",
                 stdout=out, stderr=err)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    expected = plan_build(PlanRequest(budget_credits=Decimal("12.5"), entity_type="company")).pairs()
    assert [(row["entity_key"], row["workflow_name"]) for row in rows] == \
        [(pair["entity_key"], pair["workflow_name"]) for pair in expected] != []
    assert "leads expected to become visible" in err.getvalue()
    with pytest.raises(CommandError, match="is not a number of credits"):
        call_command("plan_enrichment", "--budget", "lots", "--entity-type", "company")
    with pytest.raises(CommandError, match="cannot read --keys-file"):
        call_command("plan_enrichment", "--budget", "1", "--entity-type", "company",
                     "--keys-file", str(tmp_path / "missing.txt"))


def test_before_the_first_measurement_a_plan_uses_the_curated_figures_and_says_so(demo, settings,
                                                                                  django_assert_max_num_queries):
    from planning.leads import hidden_leads_count
    from planning.models import FiguresSnapshot
    from planning.services import PlanRequest, plan_build
    from registry.demo import demo_registry_complete

    demo_registry_complete()
    hidden_leads_count(entity_type="company")  # the five-minute schedule's work
    assert not FiguresSnapshot.objects.exists()
    with django_assert_max_num_queries(14):  # the registry, the counted leads, the blocked ones: no measuring
        result = plan_build(PlanRequest(budget_credits=Decimal(50), entity_type="company"))
    assert result.totals()["figures"].startswith("curated defaults")
    fills = {rate for pair in result.pairs() for rate in pair["fills"].values()}
    assert result.plan.choices and fills == {settings.PLAN_DEFAULT_FILL_RATE}


def test_a_plan_chooses_from_the_counted_leads_and_a_job_that_writes_core_has_them_counted_again(
        measured, django_capture_on_commit_callbacks):
    from django.db import connection
    from django_q.models import OrmQ

    from cleanup.jobs.models import BatchJob
    from cleanup.jobs.signals import job_completed
    from planning.tasks import hidden_leads_count_task

    hidden = _missing_by_key("person")
    first = plan_build(PlanRequest(budget_credits=Decimal(10), entity_type="person")).totals()
    assert first["hidden_leads_considered"] == len(hidden) and first["hidden_leads_counted_at"]
    shown = sorted(hidden)[0]
    with connection.cursor() as cursor:  # an ingest writing core directly: the count does not see it yet
        cursor.execute("UPDATE core.people SET person_country = 'Germany', matched_job_function = 'Sales',"
                       " matched_seniority = 'Manager' WHERE reference.person_key_v1(linkedin_url) = %s", [shown])
    stale = plan_build(PlanRequest(budget_credits=Decimal(10), entity_type="person")).totals()
    assert stale["hidden_leads_considered"] == len(hidden)
    assert stale["hidden_leads_counted_at"] == first["hidden_leads_counted_at"]  # and the plan says how old
    job = BatchJob.objects.create(kind="coalesce_person_profile", status="completed", rows_done=1)
    with django_capture_on_commit_callbacks(execute=True):
        job_completed.send(sender=BatchJob, job=job, tables=("core.people", "core.person_locations"))
    queued = [task for task in OrmQ.objects.all() if task.func() == "planning.tasks.hidden_leads_count_task"]
    assert [task.args() for task in queued] == [(["person"],)]
    hidden_leads_count_task(["person"])
    fresh = plan_build(PlanRequest(budget_credits=Decimal(10), entity_type="person")).totals()
    assert fresh["hidden_leads_considered"] == len(_missing_by_key("person")) == len(hidden) - 1


def test_a_run_reported_after_the_count_is_not_bought_again(measured):
    from planning.leads import hidden_leads_count

    hidden_leads_count(entity_type="company")
    before = plan_build(PlanRequest(budget_credits=Decimal(40), entity_type="company")).pairs()
    first = before[0]
    Run.objects.update_or_create(workflow_id=first["workflow_name"], entity_key=first["entity_key"], defaults={
        "entity_type": "company", "status": "pending"})  # the ingest side took it up a second ago
    after = plan_build(PlanRequest(budget_credits=Decimal(40), entity_type="company")).pairs()
    assert (first["entity_key"], first["workflow_name"]) not in {(p["entity_key"], p["workflow_name"]) for p in after}
    assert (first["entity_key"], first["workflow_name"]) in _unbuyable("company")
    unbuyable = _unbuyable("company")
    assert all((p["entity_key"], p["workflow_name"]) not in unbuyable for p in after)


def test_two_counts_at_once_both_finish_and_leave_one_row_per_lead(committed_demo):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from planning.leads import hidden_leads_count, hidden_leads_total
    from planning.models import HiddenLead

    def count(_: int) -> int:
        try:
            return hidden_leads_total(hidden_leads_count(entity_type="person"))
        finally:
            connection.close()  # each thread's own connection

    with ThreadPoolExecutor(2) as pool:
        totals = list(pool.map(count, range(2)))
    assert totals[0] == totals[1] == len(_missing_by_key("person"))
    assert HiddenLead.objects.filter(entity_type="person").count() == totals[0]
