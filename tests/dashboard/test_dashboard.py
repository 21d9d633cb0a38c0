"""The dashboard's figures against independent SQL counts on the seeded demo."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from cleanup.gaps.checks import gaps_check
from cleanup.gaps.models import GapAlert
from cleanup.jobs.models import BatchJob
from dashboard.models import DashboardSnapshot
from dashboard.services import dashboard_refresh
from registry.demo import demo_registry_complete
from runs.services import run_events_record
from tests.oracles import gap_oracle, scalar

DASHBOARD = "/admin/dashboard/"


def _events(workflow: str, keys: list[str], status: str, *, days_ago: float, credits: str | None = None,
            kind: str = "company") -> None:
    at = (timezone.now() - timedelta(days=days_ago)).isoformat()
    run_events_record(items=[{"workflow_name": workflow, "entity_key": key, "entity_type": kind, "status": status,
                              "at": at, **({"credits_spent": credits} if credits else {})} for key in keys])


@pytest.fixture
def activity(demo):
    demo_registry_complete()
    domains = [d for (d,) in _rows("SELECT domain FROM core.companies ORDER BY id LIMIT 40")]
    _events("company_discovery", domains[:30], "completed", days_ago=20, credits="1.5")
    _events("company_discovery", domains[:5], "completed", days_ago=2, credits="1.5")  # fresh: paid twice
    _events("company_discovery", domains[30:35], "failed", days_ago=1)
    _events("company_funding", domains[:10], "pending", days_ago=1)
    _events("person_profile", ["linkedin.com/in/ada", "linkedin.com/in/bob"], "completed", days_ago=3,
            credits="0.25", kind="person")
    gaps_check(workflow_names=["person_profile", "company_discovery"])
    dashboard_refresh()


def _rows(query: str, params=None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def _cell(page: str, workflow: str, css: str) -> str:
    row = re.search(rf'<tr data-workflow="{workflow}">(.*?)</tr>', page, re.S)
    assert row, f"no row for {workflow}"
    return re.sub(r"<[^>]+>", "", re.search(rf'<td class="num {css}">(.*?)</td>', row[1], re.S)[1]).strip()


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def test_coverage_runs_and_gaps_equal_independent_counts(client, ops, activity):
    page = client.get(DASHBOARD).content.decode()
    for workflow in ("company_discovery", "company_funding", "person_profile"):
        completed = scalar("SELECT count(*) FROM reference.enrichment_runs WHERE workflow_name = %s"
                            " AND status = 'completed'", [workflow])
        assert _number(_cell(page, workflow, "enriched")) == completed
        failed = scalar("SELECT count(*) FROM reference.enrichment_runs WHERE workflow_name = %s"
                         " AND status = 'failed'", [workflow])
        assert _number(_cell(page, workflow, "failed")) == failed
    assert (_cell(page, "company_discovery", "enriched"), _cell(page, "company_discovery", "failed")) == ("30", "5")
    companies = scalar("SELECT count(*) FROM core.companies")
    assert f"{companies:,}" in page
    profile_gap = scalar("SELECT gap FROM cleanup_gap_snapshots WHERE workflow_name = 'person_profile'")
    assert _number(_cell(page, "person_profile", "gap")) == profile_gap == 100
    waiting = gap_oracle("person_profile").rows_waiting  # every row re-read and normalised in Python
    assert _number(_cell(page, "person_profile", "rows-waiting")) == waiting >= profile_gap


def test_hidden_leads_equal_an_independent_count_and_export_exactly_those_rows(client, ops, activity):
    page = client.get(DASHBOARD).content.decode()
    blank = {None, ""}
    people = _rows("SELECT id, person_country, matched_job_function, matched_seniority FROM core.people")
    hidden_people = [row for row in people if any((value or "").strip() == "" for value in row[1:])]
    assert f"{len(hidden_people):,} of {len(people):,} person rows are hidden" in page
    companies = _rows("SELECT id, company_name, company_country FROM core.companies")
    only_country = sorted(row[0] for row in companies if (row[2] or "").strip() == "" and row[1] not in blank
                          and row[1].strip())
    combo = re.search(r'data-entity="company" data-missing="company_country">.*?<td class="num">([\d,]+)</td>',
                      page, re.S)
    assert combo and _number(combo[1]) == len(only_country) > 0
    exported = list(csv.reader(io.StringIO(b"".join(
        client.get("/admin/dashboard/hidden/company.csv?missing=company_country").streaming_content).decode())))
    assert exported[0] == ["id", "domain", "company_name", "company_country"]
    assert sorted(int(row[0]) for row in exported[1:]) == only_country
    listed = client.get("/admin/warehouse/company/?missing=company_country").content.decode()
    assert f"{len(only_country)} companies" in listed or f"{len(only_country)} company" in listed
    assert client.get("/admin/dashboard/hidden/company.csv?missing=nope").status_code == 400


def test_spend_shows_credits_and_what_fresh_re_enrichments_wasted(client, ops, activity):
    page = client.get(DASHBOARD).content.decode()
    spent = scalar("SELECT sum(credits_spent) FROM reference.enrichment_runs WHERE workflow_name = "
                    "'company_discovery'")
    row = re.search(r'<tr data-workflow="company_discovery"><td>company_<wbr>discovery</td><td>clay</td>'
                    r'<td class="num">([\d.,]+)</td><td class="num wasted">([\d.,]+)</td>', page.replace("\n    ", ""))
    assert row and (_number(row[1]), _number(row[2])) == (float(spent), 7.5)  # 5 companies paid twice
    assert 'class="weekly-bars"' in page
    clay = scalar("SELECT sum(r.credits_spent) FROM reference.enrichment_runs r JOIN"
                   " reference.enrichment_workflow_registry w USING (workflow_name) WHERE w.provider = 'clay'")
    vendor = re.search(r'<tr data-vendor="clay"><td>clay</td><td class="num">([\d.,]+)</td>', page)
    assert vendor and _number(vendor[1]) == float(clay)


def test_filters_narrow_the_workflows_by_entity_type_and_vendor(client, ops, activity):
    people = client.get(DASHBOARD + "?entity_type=person").content.decode()
    assert 'data-workflow="person_profile"' in people and 'data-workflow="company_discovery"' not in people
    apollo = client.get(DASHBOARD + "?vendor=apollo").content.decode()
    assert 'data-workflow="person_apollo_new_in_role"' in apollo and 'data-workflow="person_profile"' not in apollo


def test_panels_show_running_jobs_and_open_alerts(client, ops, activity):
    job = BatchJob.objects.create(kind="tenure_backfill", status=BatchJob.Status.RUNNING, rows_done=25,
                                  dry_run_report={"would_change": 100})
    GapAlert.objects.create(workflow_id="person_profile", threshold=50, gap_at_open=100, last_gap=100,
                            opened_at=timezone.now())
    page = client.get(DASHBOARD).content.decode()
    jobs = page[page.index('id="jobs-panel"'):page.index('id="alerts-panel"')]
    assert f"#{job.pk} tenure_backfill" in jobs and 'value="25"' in jobs and "25 of 100 (25%)" in jobs
    assert "person_profile</a>: gap 100" in page


def test_without_figures_the_page_offers_to_compute_them_off_the_request(client, ops, demo,
                                                                        django_capture_on_commit_callbacks):
    from django_q.models import OrmQ

    from dashboard.tasks import dashboard_refresh_task

    page = client.get(DASHBOARD).content.decode()
    assert "No figures yet" in page
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/admin/dashboard/refresh/").status_code == 302
        assert client.post("/admin/dashboard/refresh/").status_code == 302  # a second ask queues nothing
    assert OrmQ.objects.count() == 1 and not DashboardSnapshot.objects.exists()
    assert "Refreshing…" in client.get(DASHBOARD).content.decode()
    dashboard_refresh_task()  # what the q2 cluster does with it
    assert DashboardSnapshot.objects.count() == 1
    page = client.get(DASHBOARD).content.decode()
    assert "Refreshing…" not in page and "Refresh now" in page


def test_a_job_that_changed_rows_has_the_figures_computed_again(client, ops, demo,
                                                                django_capture_on_commit_callbacks):
    from cleanup.jobs.engine import job_run
    from dashboard.models import RefreshRequest
    from tests.factories import queued_job

    job = queued_job(kind="tenure_backfill", sleep_ms=0)
    with django_capture_on_commit_callbacks(execute=True):
        assert job_run(job_id=job.pk) == "completed"
    request = RefreshRequest.objects.get()
    assert f"tenure_backfill #{job.pk} changed core.person_tenure" in request.reason
    assert "Refreshing…" in client.get(DASHBOARD).content.decode()
    assert "dashboard" in client.get("/admin/").content.decode()


def test_the_demo_spend_includes_waste_and_reaches_the_dashboard(client, ops, demo):
    from dashboard.demo import PAID, demo_spend_record

    demo_registry_complete()
    reported = demo_spend_record(per_workflow=50)
    assert reported > 50 * len(PAID)  # some were bought twice
    wasted = scalar("SELECT sum(credits_wasted) FROM reference.enrichment_runs")
    assert wasted > 0
    dashboard_refresh()
    page = client.get(DASHBOARD).content.decode()
    shown = sum(_number(value) for value in re.findall(r'<td class="num wasted">([\d.,]+)</td>', page))
    assert shown == float(wasted)


def test_exporting_rows_needs_the_permission_to_view_them(client, activity):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    staff = get_user_model().objects.create_user(username="analyst", password="x-test-only", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_dashboardsnapshot"))
    client.force_login(staff)
    assert client.get(DASHBOARD).status_code == 200  # aggregate figures: whoever may view the dashboard
    assert client.get("/admin/dashboard/hidden/person.csv?missing=person_country").status_code == 403


def _gap_on_screen(page: str, workflow: str) -> tuple[int, str]:
    row = re.search(rf'data-workflow="{workflow}".*?<td class="num gap"><a href="([^"]+)">([\d,]+)</a>', page, re.S)
    assert row, f"no gap shown for {workflow}"
    return int(row[2].replace(",", "")), row[1]


def _run_what_was_queued() -> list[str]:
    """What a q2 cluster would do with the queued tasks, done here."""
    import pydoc

    from django_q.models import OrmQ

    done = []
    for queued in OrmQ.objects.order_by("id"):
        task = queued.task
        pydoc.locate(task["func"])(*task["args"], **task["kwargs"])
        done.append(task["func"])
        queued.delete()
    return done


def test_after_a_backfill_the_gap_on_screen_equals_its_drill_down_and_the_oracle(client, ops, demo,
                                                                                 django_capture_on_commit_callbacks):
    from cleanup.jobs.engine import job_run
    from tests.factories import queued_job

    demo_registry_complete()
    gaps_check()  # the hourly check's first pass
    dashboard_refresh()
    before, _ = _gap_on_screen(client.get(DASHBOARD).content.decode(), "company_funding")
    assert before == gap_oracle("company_funding").gap > 0
    job = queued_job(kind="funding_backfill", sleep_ms=0)
    with django_capture_on_commit_callbacks(execute=True):
        assert job_run(job_id=job.pk) == "completed"
    assert _run_what_was_queued() == ["dashboard.tasks.dashboard_refresh_task"]
    shown, drill_down = _gap_on_screen(client.get(DASHBOARD).content.decode(), "company_funding")
    missing_page = client.get(drill_down).content.decode()
    assert shown == gap_oracle("company_funding").gap < before
    assert f"{shown:,} keys of company_funding are in extracted and missing from core" in missing_page


def test_refresh_now_measures_every_gap_on_screen_again(client, ops, demo, django_capture_on_commit_callbacks):
    demo_registry_complete()
    gaps_check()
    dashboard_refresh()
    with connection.cursor() as cursor:  # rows reach core behind the hourly check's back
        cursor.execute("INSERT INTO core.company_funding (domain, raw_funding_range, source)"
                       " SELECT domain, '$1M', 'test' FROM extracted.company_discovery"
                       " WHERE total_funding_amount_range_usd IS NOT NULL ON CONFLICT DO NOTHING")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/admin/dashboard/refresh/")
    _run_what_was_queued()
    shown, _ = _gap_on_screen(client.get(DASHBOARD).content.decode(), "company_funding")
    assert shown == gap_oracle("company_funding").gap


def test_workflows_that_never_coalesce_show_no_gap_to_core(client, ops, demo):
    demo_registry_complete()
    gaps_check()
    dashboard_refresh()
    page = client.get(DASHBOARD).content.decode()
    row = re.search(r'data-workflow="company_news">(.*?)</tr>', page, re.S)[1]
    assert "does not coalesce" in row and "gapsnapshot/missing" not in row
    coalescing = re.search(r'data-workflow="company_funding">(.*?)</tr>', page, re.S)[1]
    assert "does not coalesce" not in coalescing and "gapsnapshot/missing" in coalescing


def test_dates_read_one_way_on_the_dashboard_and_the_admin(client, ops, demo):
    snapshot = dashboard_refresh()
    job = BatchJob.objects.create(kind="tenure_backfill", status="completed")
    shown = timezone.localtime(snapshot.taken_at).strftime("%Y-%m-%d %H:%M")
    assert f"Figures of {shown} (" in client.get(DASHBOARD).content.decode()
    created = timezone.localtime(job.created_at).strftime("%Y-%m-%d %H:%M")
    assert created in client.get("/admin/cleanup/batchjob/").content.decode()
    page = client.get(f"/admin/cleanup/batchjob/{job.pk}/change/").content.decode()
    assert created in page and "a.m." not in page and "p.m." not in page
