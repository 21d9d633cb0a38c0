"""The loop closed on the demo: a plan is exported, its runs are played as the ingest side would
report them, the real coalescing brings them to core, and the dashboard's visible leads rise by
what the plan expected, within the uncertainty it stated."""

import io
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F
from django.utils import timezone

from cleanup.coalescing.demo import demo_mappings_ensure
from cleanup.coalescing.reported_runs import SETTLE, reported_runs_coalesce
from cleanup.jobs.engine import job_run
from cleanup.jobs.models import BatchJob
from dashboard.services import dashboard_refresh
from planning.demo import plan_play, played_source
from planning.figures import workflow_figures
from planning.leads import hidden_leads_count
from planning.models import EnrichmentPlan
from planning.services import PlanRefused, PlanRequest, plan_build, plan_outcomes, plan_send_file
from registry.demo import demo_registry_complete
from runs.models import Run
from tests.oracles import core_fields_filled_by_key
from warehouse.hidden import REQUIRED_FIELDS


@pytest.fixture
def demo_with_mappings(demo, settings, tmp_path):
    demo_registry_complete()
    demo_mappings_ensure()
    settings.PLAN_EXPORT_DIR = tmp_path


def _visible_on_the_dashboard(kind: str) -> int:
    figures = dashboard_refresh().figures["hidden_leads"][kind]
    return figures["total"] - figures["hidden"]


def _exported(kind: str, budget: str, **filters):
    request = PlanRequest(budget_credits=Decimal(budget), entity_type=kind, **filters)
    return plan_send_file(request=request, result=plan_build(request))


def _coalesce_reported_runs(django_capture_on_commit_callbacks) -> list[str]:
    """What the every-minute tick and a q2 worker do, here in the test's own transaction."""
    with django_capture_on_commit_callbacks(execute=False):
        reported_runs_coalesce(now=timezone.now() + SETTLE + timedelta(seconds=1))
    return [job_run(job_id=job.pk) for job in BatchJob.objects.order_by("pk")]


def test_a_played_plan_raises_the_visible_leads_by_what_it_expected(demo_with_mappings,
                                                                    django_capture_on_commit_callbacks):
    before = _visible_on_the_dashboard("company")
    plan = _exported("company", "80")
    assert plan.leads == 80 and plan.expected_visible_sd > 0
    played = plan_play(plan=plan, seed=11)
    assert played.runs_reported == plan.runs.count() and played.credits == plan.expected_credits
    assert _coalesce_reported_runs(django_capture_on_commit_callbacks) == ["completed"]
    risen = _visible_on_the_dashboard("company") - before
    assert abs(risen - plan.expected_visible) <= 2 * plan.expected_visible_sd, (risen, plan.expected_visible)
    # Exactly the planned leads whose fields landed became visible, each as the oracle reads core.
    fields = set(REQUIRED_FIELDS["company"])
    filled = core_fields_filled_by_key("company")
    keys = set(plan.runs.values_list("entity_key", flat=True))
    assert risen == sum(filled.get(key, set()) == fields for key in keys) == played.fields_landed["company_country"]
    [outcome] = plan_outcomes([plan])
    assert (outcome["visible_now"], outcome["runs_completed"], outcome["credits_spent"]) == \
        (risen, plan.runs.count(), plan.expected_credits)


def test_a_played_plans_runs_become_the_fill_rate_they_measure(demo_with_mappings, settings,
                                                              django_capture_on_commit_callbacks):
    settings.PLAN_MIN_RUNS, settings.PLAN_SETTLE_HOURS = 3, 1
    plan = _exported("company", "40")
    played = plan_play(plan=plan, seed=5)
    _coalesce_reported_runs(django_capture_on_commit_callbacks)
    rate = workflow_figures()["company_salesnav_location"].fill_rates["company_country"]
    assert not rate.planned  # not settled yet
    # As if it had all happened two hours ago.
    EnrichmentPlan.objects.filter(pk=plan.pk).update(created_at=F("created_at") - timedelta(hours=2))
    Run.objects.filter(source=played_source(plan)).update(completed_at=F("completed_at") - timedelta(hours=2))
    rate = workflow_figures()["company_salesnav_location"].fill_rates["company_country"]
    assert not rate.planned  # settled, but reported after the count the rates are measured on
    hidden_leads_count(entity_type="company")  # what the coalescing job's completion asks for
    rate = workflow_figures()["company_salesnav_location"].fill_rates["company_country"]
    filled = core_fields_filled_by_key("company")
    keys = list(plan.runs.values_list("entity_key", flat=True))
    became_filled = sum("company_country" in filled.get(key, set()) for key in keys)
    assert (rate.rate, rate.runs, rate.planned) == (became_filled / len(keys), len(keys), True)
    assert became_filled == played.fields_landed["company_country"]


def test_the_dashboard_shows_the_plans_expectation_with_its_uncertainty(demo_with_mappings, admin_client):
    plan = _exported("company", "10")
    plan_play(plan=plan, seed=3)
    dashboard_refresh()
    page = admin_client.get("/admin/dashboard/").content.decode()
    assert f"{plan.expected_visible:.1f} ± {plan.expected_visible_sd:.1f}" in page
    assert f"{plan.runs.count()} of {plan.runs.count()}" in page  # its runs reported completed
    # A plan exported since the last refresh is listed; its outcome waits for the next one.
    later = _exported("company", "3")
    page = admin_client.get("/admin/dashboard/").content.decode()
    assert f"plan #{later.pk}" in page and "measured at the next refresh" in page


def test_playing_is_refused_twice_on_a_real_warehouse_and_for_code_coalescers(demo_with_mappings, settings):
    plan = _exported("company", "5")
    plan_play(plan=plan, seed=1)
    with pytest.raises(PlanRefused, match=f"plan #{plan.pk} was played already"):
        plan_play(plan=plan)
    profile = _exported("person", "20", workflow_name="person_profile")
    with pytest.raises(PlanRefused, match="person_profile: the demo lands rows only through a coalesce mapping"):
        plan_play(plan=profile)
    settings.WAREHOUSE_DDL_ALLOWED = False
    with pytest.raises(PlanRefused, match="demo warehouse only"):
        plan_play(plan=_exported("company", "5"))


def test_the_commands_export_a_plan_and_play_the_latest(demo_with_mappings):
    with pytest.raises(CommandError, match="no plan has been exported yet"):
        call_command("play_plan", "--latest")
    err = io.StringIO()
    call_command("plan_enrichment", "--budget", "6", "--entity-type", "company", "--export", "file",
                 stdout=io.StringIO(), stderr=err)
    assert "saved as plan #" in err.getvalue()
    out = io.StringIO()
    call_command("play_plan", "--latest", "--seed", "2", stdout=out)
    assert "6 runs reported completed" in out.getvalue() and "expected to become visible" in out.getvalue()
    with pytest.raises(CommandError, match="there is no plan #999999"):
        call_command("play_plan", "999999")


def test_two_plays_of_one_plan_at_once_land_its_rows_once(committed_demo, settings, tmp_path):
    demo_registry_complete()
    demo_mappings_ensure()
    settings.PLAN_EXPORT_DIR = tmp_path
    plan = _exported("company", "12")
    before = _extracted_count()
    outcomes: list[str] = []

    def play() -> None:
        try:
            plan_play(plan=plan, seed=4)
            outcomes.append("played")
        except PlanRefused as exc:
            outcomes.append(str(exc))
        finally:
            connection.close()

    players = [threading.Thread(target=play) for _ in range(2)]
    for player in players:
        player.start()
    for player in players:
        player.join(timeout=60)
    assert sorted(outcomes) == sorted(["played", f"plan #{plan.pk} was played already: its runs are reported"])
    assert _extracted_count() - before == plan.runs.count()


def _extracted_count() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM extracted.company_salesnav_location")
        return cursor.fetchone()[0]
