"""The coverage dashboard at scale 1: the scheduled refresh that computes its figures, and a
page view, which reads them (goal: under 300 ms server time). Also redraws the README's
screenshot of the page (docs/dashboard.png) in headless chromium."""

import json
import re
import subprocess
import sys

import psycopg

from bench.environment import PROJECT_ROOT, bench_database_uri, bench_env, ensure_demo_data, manage
from bench.runs import _free_port, _wait_until_serving
from bench.status import MIN_RUNS

SCREENSHOT = PROJECT_ROOT / "docs" / "dashboard.png"
PASSWORD = "bench-only-password"


def _prepare() -> tuple[int, int]:
    ensure_demo_data()
    with psycopg.connect(bench_database_uri()) as conn:
        runs = conn.execute("SELECT count(*) FROM reference.enrichment_runs").fetchone()[0]
        credits = conn.execute("SELECT count(*) FROM reference.enrichment_runs WHERE credits_spent > 0").fetchone()[0]
    if runs < MIN_RUNS:
        manage("backfill_runs")
    if not credits:
        manage("shell", "-c", "from dashboard.demo import demo_spend_record; demo_spend_record()")
    manage("check_gaps")
    manage("shell", "-c", "from django.contrib.auth import get_user_model; U = get_user_model(); "
                          "u, _ = U.objects.get_or_create(username='bench-dashboard', defaults={'is_staff': True, "
                          f"'is_superuser': True}}); u.set_password('{PASSWORD}'); u.save()")
    with psycopg.connect(bench_database_uri()) as conn:
        return (conn.execute("SELECT count(*) FROM reference.enrichment_runs").fetchone()[0],
                conn.execute("SELECT count(*) FROM reference.enrichment_workflow_registry").fetchone()[0])


def _refresh_seconds() -> list[float]:
    out = [manage("refresh_dashboard").stdout for _ in range(3)]
    return [float(re.search(r"computed in ([\d.]+)s", text)[1]) for text in out]


def _screenshot() -> None:
    from playwright.sync_api import sync_playwright

    port = _free_port()
    # runserver --insecure serves the admin's CSS without a collectstatic step.
    server = subprocess.Popen([sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload",
                               "--insecure"], cwd=PROJECT_ROOT, env={**bench_env(), "ALLOWED_HOSTS": "127.0.0.1"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_until_serving(port)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1500, "height": 900})
            page.goto(f"http://127.0.0.1:{port}/admin/login/?next=/admin/dashboard/%3Fentity_type%3Dperson")
            page.fill("#id_username", "bench-dashboard")
            page.fill("#id_password", PASSWORD)
            page.click("input[type=submit]")
            page.wait_for_selector("#coverage")
            SCREENSHOT.parent.mkdir(exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


def run() -> str:
    runs, workflows = _prepare()
    refresh = _refresh_seconds()
    probe = subprocess.run([sys.executable, "-m", "bench.dashboard_probe"], cwd=PROJECT_ROOT, env=bench_env(),
                           capture_output=True, text=True, check=True)
    views = json.loads(probe.stdout.strip().splitlines()[-1])
    _screenshot()
    lines = [
        f"- command: `make bench BENCH=dashboard` on the scale-1 demo: {workflows} workflows, {runs:,} runs, "
        "core.companies and core.people as seeded; page views timed in-process with Django's test client "
        "(the server's own time, 30 views after one warm-up); the figures come from the latest refresh",
        "",
        "| | p50 ms | p95 ms | page size |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| `GET /admin/dashboard/` {label} | {v['p50_ms']:.1f} | {v['p95_ms']:.1f} | "
              f"{v['bytes'] / 1024:,.0f} kB |" for label, v in views.items()]
    lines += ["", f"- the scheduled refresh (`manage.py refresh_dashboard`: every run aggregated, core.companies and "
                  f"core.people scanned once): {min(refresh):.2f} s best of 3; goal for a page view: under 300 ms",
              "- screenshot: docs/dashboard.png (people, redrawn by this benchmark)"]
    return "\n".join(lines)
