"""The admin in a real browser: log in, read the dashboard's figures, dry-run a job, and
watch a running job's progress move. Screenshots land in test-artifacts/."""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from playwright.sync_api import expect

from cleanup.gaps.checks import gaps_check
from cleanup.jobs.models import BatchJob
from dashboard.services import dashboard_refresh
from registry.demo import demo_registry_complete
from runs.services import run_events_record
from tests.browser.conftest import screenshot
from tests.conftest import database_url
from tests.processes import process_tree

pytestmark = pytest.mark.system  # starts processes: left out of `make test-fast`

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "browser-test-only"


@pytest.fixture
def seeded_admin(committed_demo):
    get_user_model().objects.create_superuser(username="ops", email="", password=PASSWORD)
    demo_registry_complete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT domain FROM core.companies ORDER BY id LIMIT 25")
        domains = [domain for (domain,) in cursor.fetchall()]
    run_events_record(items=[{"workflow_name": "company_discovery", "entity_key": domain, "entity_type": "company",
                              "status": "completed", "credits_spent": "2"} for domain in domains])
    dashboard_refresh()


def _log_in(page, live_server) -> None:
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "ops")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#dashboard-link")).to_be_visible()


def test_the_dashboard_shows_the_seeded_figures(browser_page, live_server, seeded_admin):
    page = browser_page
    _log_in(page, live_server)
    page.click("#dashboard-link a")
    row = page.locator('tr[data-workflow="company_discovery"]')
    expect(row.locator("td.enriched")).to_have_text("25")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM core.people")
        people = cursor.fetchone()[0]
    expect(page.locator("#hidden-person")).to_contain_text(f"of {people:,} person rows are hidden")
    expect(page.locator("svg.weekly-bars")).to_be_visible()
    screenshot(page, "dashboard")


def test_a_dry_run_from_the_admin_then_a_running_job_moves(browser_page, live_server, seeded_admin, q2_cluster,
                                                           settings):
    page = browser_page
    _log_in(page, live_server)
    page.goto(f"{live_server.url}/admin/cleanup/batchjob/start/")
    page.click('tr[data-kind="tenure_backfill"] a')
    page.click("input[name=preview]")
    expect(page.locator("#dry-run")).to_contain_text("Counting in the q2 cluster")
    # The draft page refreshes itself until the q2 worker has counted.
    expect(page.locator("#dry-run")).to_contain_text("would add", timeout=60_000)
    screenshot(page, "dry-run")
    page.click("input[name=discard]")
    assert BatchJob.objects.get().status == BatchJob.Status.CANCELLED

    env = {**os.environ, "DATABASE_URL": database_url(settings.DATABASES["default"])}
    with process_tree([sys.executable, "manage.py", "run_job", "coalesce_person_experience", "--param",
                       "mode=refresh", "--batch-size", "100", "--sleep-ms", "2000"], cwd=PROJECT_ROOT, env=env,
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as job:
        deadline = time.monotonic() + 30
        while not BatchJob.objects.filter(status=BatchJob.Status.RUNNING, rows_done__gt=0).exists():
            assert time.monotonic() < deadline and job.poll() is None, "the job did not start"
            time.sleep(0.2)
        page.goto(f"{live_server.url}/admin/cleanup/batchjob/")
        progress = page.locator("td.field-progress").first
        expect(progress).not_to_have_text("0 / ?", timeout=20_000)
        first = progress.inner_text()
        screenshot(page, "job-running")
        # The list refreshes itself every 5 s while a job runs: the figure moves without a click.
        expect(progress).not_to_have_text(first, timeout=20_000)
        screenshot(page, "job-moved")


def _contrast(foreground: str, background: str) -> float:
    """WCAG contrast ratio of two CSS rgb()/rgba() colours."""
    def luminance(colour: str) -> float:
        channels = [int(part) / 255 for part in colour[colour.index("(") + 1:].rstrip(")").split(",")[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_dashboard_entry_on_the_home_page_is_readable(browser_page, live_server, seeded_admin):
    page = browser_page
    _log_in(page, live_server)
    link = page.locator("#dashboard-link h2 a")
    colour = link.evaluate("element => getComputedStyle(element).color")
    bar = page.locator("#dashboard-link h2").evaluate("element => getComputedStyle(element).backgroundColor")
    assert _contrast(colour, bar) >= 4.5, (colour, bar)
    screenshot(page, "home")


def test_the_api_docs_work_without_a_network(browser_page, live_server, db):
    page = browser_page
    outside: list[str] = []

    def only_this_server(route) -> None:
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_server)
    page.goto(f"{live_server.url}/api/docs")
    page.locator(".opblock-summary").first.click()
    expect(page.get_by_role("button", name="Try it out")).to_be_visible()
    assert outside == []
    screenshot(page, "api-docs")


WIDE_PAGES = {"registry": "/admin/registry/workflow/", "runs": "/admin/runs/run/", "dashboard": "/admin/dashboard/",
              "jobs": "/admin/cleanup/batchjob/"}


@pytest.mark.parametrize("width", [1440, 1280])
def test_the_lists_and_the_dashboard_fit_the_screen_with_the_sidebar_open(browser_page, live_server, seeded_admin,
                                                                          width):
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    for workflow in ("company_cleaned_name", "company_salesnav_location", "company_discovery"):  # the widest rows
        BatchJob.objects.create(kind="coalesce_mapped", status="completed", rows_done=236_002,
                                params={"workflow": workflow, "mode": "keys", "keys": ["acme.io", "globex.com"]},
                                dry_run_report={"would_change": 236_002})
    _log_in(page, live_server)
    for name, url in WIDE_PAGES.items():
        page.goto(f"{live_server.url}{url}")
        expect(page.locator("#nav-sidebar")).to_be_visible()
        overflowing = page.evaluate("""() => [document.documentElement, ...document.querySelectorAll(
                '#changelist .results, #content-main, .module')]
            .filter(box => box.scrollWidth > box.clientWidth + 1)
            .map(box => `${box.id || box.className || box.tagName}: ${box.scrollWidth} > ${box.clientWidth}`)""")
        screenshot(page, f"{name}-{width}")
        assert overflowing == [], f"{name} at {width} px: {overflowing}"
        assert page.evaluate(_BREAKS_INSIDE_A_NAME) == [], f"{name} at {width} px breaks names inside a word"


# Where a workflow name on the dashboard wraps to a new line other than after an underscore.
_BREAKS_INSIDE_A_NAME = """() => [...document.querySelectorAll('#dashboard tr[data-workflow] td:first-child')]
  .flatMap(cell => {
    const found = [], walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    let lastTop = null, previous = '';
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (let i = 0; i < node.length; i++) {
        const range = document.createRange();
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        const top = range.getBoundingClientRect().top;
        if (lastTop !== null && top > lastTop + 2 && previous !== '_') found.push(`${cell.textContent} at ${i}`);
        lastTop = top;
        previous = node.data[i];
      }
    }
    return found;
  })"""


KEY_PAGES = {"home": "/admin/", "dashboard": "/admin/dashboard/", "registry": "/admin/registry/workflow/",
             "runs": "/admin/runs/run/", "job start": "/admin/cleanup/batchjob/start/",
             "gap snapshots": "/admin/cleanup/gapsnapshot/"}
WCAG_A_AND_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}, "resultTypes": ["violations"]}


def test_the_key_pages_pass_axe_wcag_a_and_aa(browser_page, live_server, seeded_admin):
    from axe_playwright_python.sync_playwright import Axe

    page = browser_page
    _log_in(page, live_server)
    gaps_check()
    found = {}
    for name, url in KEY_PAGES.items():
        page.goto(f"{live_server.url}{url}")
        results = Axe().run(page, options=WCAG_A_AND_AA).response["violations"]
        found[name] = [f"{v['id']}: {v['nodes'][0]['target']} {v['nodes'][0]['failureSummary'][:160]}" for v in results]
    failing = {name: problems for name, problems in found.items() if problems}
    assert failing == {}, "\n".join(f"{name}: {problem}" for name, problems in failing.items() for problem in problems)


def test_every_repair_button_on_the_demo_starts_its_job(browser_page, live_server, seeded_admin):
    page = browser_page
    _log_in(page, live_server)
    gaps = [gap.workflow for gap in gaps_check() if gap.gap and gap.error is None]
    pressed = []
    for workflow in gaps:
        page.goto(f"{live_server.url}/admin/cleanup/gapsnapshot/missing/{workflow}/")
        button = page.locator("#repair input[type=submit]")
        if button.count():
            button.click()
            # The admin's style capitalises a message's first letter.
            expect(page.locator("ul.messagelist")).to_contain_text(re.compile(f"{workflow}: job #", re.I))
            pressed.append(workflow)
        else:
            expect(page.locator("#no-repair")).to_contain_text(workflow)
    assert BatchJob.objects.count() == len(pressed) > 0
    screenshot(page, "gap-repair")


def test_the_registry_form_fits_on_a_screen_and_a_half(browser_page, live_server, seeded_admin):
    page = browser_page
    page.set_viewport_size({"width": 1440, "height": 900})
    _log_in(page, live_server)
    page.goto(f"{live_server.url}/admin/registry/workflow/company_discovery/change/")
    assert page.locator("#id_vendor").get_attribute("type") == "text"
    assert page.evaluate("document.documentElement.scrollHeight") <= 1400
    screenshot(page, "registry-form")


def test_the_dashboard_rows_sort_and_filter(browser_page, live_server, seeded_admin):
    page = browser_page
    _log_in(page, live_server)
    page.goto(f"{live_server.url}/admin/dashboard/")
    rows = page.locator("#coverage tbody tr")
    names = rows.locator("td:first-child")
    page.get_by_role("button", name="failed").click()  # ascending
    page.get_by_role("button", name="workflow").click()
    ascending = names.all_inner_texts()
    assert ascending == sorted(ascending) and len(ascending) > 5
    page.get_by_role("button", name="workflow").click()
    assert names.all_inner_texts() == sorted(ascending, reverse=True)
    page.fill("#coverage-search", "person_")
    visible = [name for name in names.all_inner_texts() if name]
    shown = page.locator("#coverage tbody tr:not([hidden]) td:first-child").all_inner_texts()
    assert shown and all("person_" in name for name in shown) and len(shown) < len(visible)
    screenshot(page, "dashboard-sorted")
