"""The README's walkthrough in a browser on a fresh demo (`manage.py demo` with its own q2 cluster
and web server): every seed task finished from the admin — the delete, tenure, funding, both
reference drops, both coalescings — and after each, every figure on the dashboard equal to an
oracle that reads the tables itself (tests/oracles.py). Screenshots land in test-artifacts/."""

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django_q.models import OrmQ
from playwright.sync_api import expect

from cleanup.jobs.models import BatchJob
from cleanup.jobs.services import ACTIVE
from dashboard.services import dashboard_refresh_pending
from tests.browser.conftest import screenshot
from tests.conftest import database_url
from tests.enrichhub.test_demo_command import _wait_for_health
from tests.fixtures.warehouse import demo_warehouse_empty
from tests.oracles import (
    dashboard_oracle,
    gap_oracle,
    review_list_waiting_oracle,
    scalar,
    unreferenced_without_location,
)
from tests.own_server import free_port
from tests.processes import process_tree

pytestmark = pytest.mark.system  # starts processes: left out of `make test-fast`

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ADMIN_LINE = re.compile(r"admin user created: username (\S+)\s+password (\S+)")
# How long the figures may take to catch up with a finished job: its refresh, queued on the q2
# cluster, measures the gaps it changed and computes the figures again.
AGREE_WITHIN_S = 150
JOB_WITHIN_S = 240


@dataclass(frozen=True)
class Demo:
    base: str
    username: str
    password: str


@pytest.fixture
def fresh_demo(transactional_db, settings, tmp_path):
    env = {**os.environ, "DATABASE_URL": database_url(settings.DATABASES["default"]),
           "ENRICHHUB_ALLOW_WAREHOUSE_DDL": "1", "ENRICHHUB_VAR_DIR": str(tmp_path / "var"),
           "ENRICHHUB_Q_WORKERS": "1", "PYTHONUNBUFFERED": "1"}
    base = f"http://127.0.0.1:{free_port()}"
    log_path = tmp_path / "demo.log"
    try:
        with log_path.open("w") as log, process_tree(
                [sys.executable, "manage.py", "demo", "--scale", "0.01", "--addr", base.removeprefix("http://")],
                cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT) as demo:
            _wait_for_health(base, demo)
            username, password = ADMIN_LINE.search(log_path.read_text()).groups()
            yield Demo(base, username, password)
            demo.send_signal(signal.SIGINT)  # the demo stops its web server and q2 cluster itself
            with contextlib.suppress(subprocess.TimeoutExpired):
                demo.wait(timeout=60)
    finally:
        demo_warehouse_empty()


def _settled() -> bool:
    """No job running or queued, nothing waiting on the q2 broker, no dashboard refresh to come."""
    return (not BatchJob.objects.filter(status__in=ACTIVE).exists() and not OrmQ.objects.exists()
            and dashboard_refresh_pending() is None)


_PAGE_FIGURES = """() => {
  const text = element => element.textContent.replace(/\\s+/g, ' ').trim();
  const workflows = {};
  for (const row of document.querySelectorAll('#coverage tbody tr[data-workflow]')) {
    workflows[row.dataset.workflow] = [...row.cells].map(text);
  }
  const hidden = {};
  for (const line of document.querySelectorAll('p[id^="hidden-"]')) hidden[line.id.slice(7)] = text(line);
  const combos = [...document.querySelectorAll('tr.hidden-combo')].map(
    row => [row.dataset.entity, row.dataset.missing, text(row.cells[1])]);
  const spend = [...document.querySelectorAll('#spend tr[data-workflow]')].map(
    row => [row.dataset.workflow, text(row.cells[2]), text(row.cells[3])]);
  const vendors = [...document.querySelectorAll('#spend-by-vendor tr[data-vendor]')].map(
    row => [row.dataset.vendor, text(row.cells[1])]);
  const age = document.querySelector('#figures-age');
  return {workflows, hidden, combos, spend, vendors, age: age ? text(age) : ''};
}"""


def _count(text: str) -> int | None:
    return None if text in ("—", "") else int(text.replace(",", ""))


def _workflow_figures(cells: list[str]) -> dict:
    coverage = re.search(r"([\d.]+)% of ([\d,]+)", cells[3])
    figures = {"enriched": _count(cells[2]), "in_flight": _count(cells[4]), "failed": _count(cells[5]),
               "entities": _count(coverage[2]), "coverage_percent": float(coverage[1])}
    if cells[6] != "does not coalesce":
        figures.update(gap=_count(cells[6]), rows_waiting=_count(cells[7]))
    return figures


def _hidden_figures(lines: dict, combos: list) -> dict:
    hidden = {}
    for entity, line in lines.items():
        shown, total = re.search(r"([\d,]+) of ([\d,]+) \w+ rows are hidden", line).groups()
        rows = {missing: _count(count) for kind, missing, count in combos if kind == entity and _count(count)}
        hidden[entity] = {"total": _count(total), "hidden": _count(shown), "combinations": rows}
    return hidden


def _page_figures(raw: dict) -> dict:
    return {"workflows": {name: _workflow_figures(cells) for name, cells in raw["workflows"].items()},
            "hidden": _hidden_figures(raw["hidden"], raw["combos"]),
            "spend": {name: (Decimal(credits.replace(",", "")), Decimal(wasted.replace(",", "")))
                      for name, credits, wasted in raw["spend"]},
            "vendors": {vendor: Decimal(credits.replace(",", "")) for vendor, credits in raw["vendors"]}}


def _differences(shown: dict, oracle: dict) -> list[str]:
    differences = []
    for name in sorted(set(shown["workflows"]) | set(oracle["workflows"])):
        page, truth = shown["workflows"].get(name), oracle["workflows"].get(name)
        if page is None or truth is None:
            differences.append(f"{name}: on the page {page is not None}, in the registry {truth is not None}")
            continue
        for figure, value in truth.items():
            seen = page.get(figure)
            close = abs(seen - value) <= 0.05 if figure == "coverage_percent" and seen is not None else seen == value
            if not close:
                differences.append(f"{name} {figure}: page {seen}, oracle {value}")
    if shown["hidden"] != oracle["hidden"]:
        differences.append(f"hidden leads: page {shown['hidden']}, oracle {oracle['hidden']}")
    quantum = Decimal("0.0001")
    spend = {name: (credits.quantize(quantum), wasted.quantize(quantum))
             for name, (credits, wasted) in oracle["spend"].items()}
    if shown["spend"] != spend:
        differences.append(f"spend: page {shown['spend']}, oracle {spend}")
    vendors = {vendor: credits.quantize(quantum) for vendor, credits in oracle["vendors"].items()}
    if shown["vendors"] != vendors:
        differences.append(f"spend by vendor: page {shown['vendors']}, oracle {vendors}")
    return differences


def _dashboard_agrees(page, demo: Demo, step: str) -> None:
    """Once nothing runs or waits, every figure on the dashboard equals its oracle, and the page
    says how old it is. Polled: a job's refresh reaches the page a few seconds after the job."""
    deadline = time.monotonic() + AGREE_WITHIN_S
    differences = ["never settled: a job, a q2 task or a dashboard refresh stayed pending"]
    while time.monotonic() < deadline:
        if not _settled():
            time.sleep(1)
            continue
        page.goto(f"{demo.base}/admin/dashboard/")
        raw = page.evaluate(_PAGE_FIGURES)
        differences = _differences(_page_figures(raw), dashboard_oracle())
        if not differences:
            assert re.match(r"Figures of \d{4}-\d\d-\d\d \d\d:\d\d", raw["age"]), raw["age"]
            screenshot(page, f"walkthrough-{step}")
            return
        time.sleep(3)
    screenshot(page, f"walkthrough-{step}-disagrees")
    pytest.fail(f"after {step}, the dashboard disagrees with its oracle:\n" + "\n".join(differences[:20]))


def _log_in(page, demo: Demo) -> None:
    page.goto(f"{demo.base}/admin/login/?next=/admin/")
    page.fill("#id_username", demo.username)
    page.fill("#id_password", demo.password)
    page.click("input[type=submit]")
    expect(page.locator("#dashboard-link")).to_be_visible()


def _start_from_the_list(page, demo: Demo, kind: str) -> BatchJob:
    page.goto(f"{demo.base}/admin/cleanup/batchjob/start/")
    page.click(f'tr[data-kind="{kind}"] a')
    page.click("input[name=preview]")
    return _confirm(page)


def _dry_run_shown(page) -> None:
    expect(page.locator("#dry-run")).not_to_contain_text("Counting in the q2 cluster", timeout=60_000)


def _confirm(page) -> BatchJob:
    """Confirm the draft on screen once its dry run is in; wait until the job has finished."""
    _dry_run_shown(page)
    page.click("input[name=confirm]")
    job_id = int(re.search(r"/batchjob/(\d+)/change/", page.url)[1])
    deadline = time.monotonic() + JOB_WITHIN_S
    job = BatchJob.objects.get(pk=job_id)
    while job.status not in (BatchJob.Status.COMPLETED, BatchJob.Status.FAILED, BatchJob.Status.CANCELLED):
        assert time.monotonic() < deadline, f"job #{job_id} {job.kind} still {job.status}"
        time.sleep(1)
        job.refresh_from_db()
    assert job.status == BatchJob.Status.COMPLETED, job.last_error
    return job


def _retire(page, demo: Demo, table: str, step: str) -> None:
    """Dry-run retiring the table. While its rows wait, the refusal links to the job that fills
    them: run that job from the link, then dry-run again. (The demo's schedules may have
    coalesced what the list waited for already: then the first dry run offers the start.)"""
    retire = f'input[value="Dry-run retiring reference.{table}"]'
    page.goto(f"{demo.base}/admin/cleanup/batchjob/start/")
    page.click(retire)
    _dry_run_shown(page)
    if page.locator("#dry-run .errornote").count():
        expect(page.locator("#dry-run .errornote")).to_contain_text("Cannot run now")
        screenshot(page, f"walkthrough-{step}-refused")
        page.click("#next-steps a:text-matches('^fill them')")
        page.click("input[name=preview]")
        _confirm(page)
        page.goto(f"{demo.base}/admin/cleanup/batchjob/start/")
        page.click(retire)
    assert review_list_waiting_oracle(table) == set()  # the start button is offered only now
    retired = _confirm(page)
    assert scalar("SELECT to_regclass(%s)", [f"reference.{table}"]) is None
    assert scalar("SELECT to_regclass(%s)", [f"archive.{table}__retired_job{retired.pk}"]) is not None


def test_every_seed_task_from_the_admin_leaves_the_dashboard_equal_to_its_oracle(browser_page, fresh_demo):
    page, demo = browser_page, fresh_demo
    _log_in(page, demo)
    _dashboard_agrees(page, demo, "0-start")

    _start_from_the_list(page, demo, "delete_companies_missing_location")
    assert unreferenced_without_location() == set()
    _dashboard_agrees(page, demo, "1-delete")

    _start_from_the_list(page, demo, "tenure_backfill")
    assert scalar("SELECT count(*) FROM core.person_job_start_dates s WHERE NOT EXISTS"
                  " (SELECT 1 FROM core.person_tenure t WHERE t.person_id = s.person_id)") == 0
    _dashboard_agrees(page, demo, "2-tenure")

    _start_from_the_list(page, demo, "funding_backfill")
    assert gap_oracle("company_funding").gap == 0
    _dashboard_agrees(page, demo, "3-funding")

    _retire(page, demo, "companies_missing_cleaned_name", "4-cleaned-name")
    _dashboard_agrees(page, demo, "4-cleaned-name")
    _retire(page, demo, "people_missing_country", "5-country")  # its fill job is the profile coalescing
    _dashboard_agrees(page, demo, "5-country")

    _start_from_the_list(page, demo, "coalesce_person_experience")
    assert gap_oracle("person_experience").gap == gap_oracle("person_profile").gap == 0
    _dashboard_agrees(page, demo, "6-coalescing")
