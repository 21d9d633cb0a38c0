"""The admin's plan page: the plan for a budget, its export (saved, as CSV, as a file, to a webhook)
only with the permission to add plans, and each saved plan's outcome on the dashboard."""

import csv
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone

from dashboard.services import dashboard_refresh
from planning.figures import figures_refresh
from planning.models import EnrichmentPlan
from planning.tasks import plan_webhook_deliver_task
from registry.demo import demo_registry_complete
from runs.backfill import runs_backfill
from runs.services import run_events_record

PAGE = "/admin/planning/plan/"
QUERY = {"budget_credits": "30", "entity_type": "company", "limit": "1000", "vendor": "", "workflow_name": ""}


@pytest.fixture
def measured(demo, settings, tmp_path):
    demo_registry_complete()
    runs_backfill(workflow_names=["company_discovery"])
    settings.PLAN_MIN_RUNS, settings.PLAN_SETTLE_HOURS = 3, 0
    settings.PLAN_EXPORT_DIR = str(tmp_path / "plans")
    figures_refresh()


def _staff(client, *codenames: str):
    user = get_user_model().objects.create_user(username="planner", password="x-test-only", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return user


def test_the_page_shows_the_plan_and_a_viewer_cannot_export_it(measured, client):
    _staff(client, "view_enrichmentplan")
    page = client.get(PAGE, QUERY)
    assert page.status_code == 200
    text = page.content.decode()
    assert "leads expected to become visible" in text and "Export CSV" not in text
    assert client.post(PAGE, {**QUERY, "send": "csv"}).status_code == 403
    assert not EnrichmentPlan.objects.exists()
    outsider = get_user_model().objects.create_user(username="outsider", password="x-test-only", is_staff=True)
    client.force_login(outsider)  # staff, without the permission to view plans
    assert client.get(PAGE, QUERY).status_code == 403


def test_exporting_saves_the_plan_as_csv_file_and_webhook(measured, client):
    _staff(client, "view_enrichmentplan", "add_enrichmentplan")
    download = client.post(PAGE, {**QUERY, "send": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode())))
    plan = EnrichmentPlan.objects.get()
    assert rows[0][:2] == ["entity_key", "workflow_name"] and len(rows) - 1 == plan.runs.count() > 0
    assert plan.expected_visible > 0 and plan.expected_credits <= 30
    client.post(PAGE, {**QUERY, "send": "file"})
    written = EnrichmentPlan.objects.filter(destination="file").get()
    with open(written.sent_to, encoding="utf-8") as file:
        assert sum(1 for _ in file) - 1 == written.runs.count()
    received = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.handle_request, daemon=True).start()
    from django.conf import settings
    settings.PLAN_WEBHOOK_URL = f"http://127.0.0.1:{server.server_port}/plans"
    settings.WEBHOOK_ALLOW_PRIVATE = True  # the receiver listens on loopback
    client.post(PAGE, {**QUERY, "send": "webhook"})
    hooked = EnrichmentPlan.objects.get(destination="webhook")
    assert hooked.delivery == "queued"
    assert plan_webhook_deliver_task(hooked.pk).endswith(f"delivered to the webhook at 127.0.0.1:{server.server_port}")
    server.server_close()
    hooked.refresh_from_db()
    assert received[0]["plan_id"] == hooked.pk and len(received[0]["runs"]) == hooked.runs.count()
    assert (hooked.delivery, hooked.delivered_at is not None) == ("delivered", True)
    settings.PLAN_WEBHOOK_URL = "http://127.0.0.1:9/nobody-listens"
    client.post(PAGE, {**QUERY, "send": "webhook"})
    failed = EnrichmentPlan.objects.filter(destination="webhook").latest("pk")
    plan_webhook_deliver_task(failed.pk)
    failed.refresh_from_db()
    assert failed.delivery == "failed" and "could not be reached" in failed.delivery_error


def test_the_dashboard_holds_each_plan_against_its_outcome(measured, admin_client):
    admin_client.post(PAGE, {**QUERY, "send": "file"})
    plan = EnrichmentPlan.objects.get()
    first = plan.runs.order_by("entity_key").first()
    run_events_record(items=[{"workflow_name": first.workflow_name, "entity_type": "company", "status": "completed",
                              "entity_key": first.entity_key, "credits_spent": "2.5", "source": "test",
                              "at": timezone.now().isoformat()}])
    dashboard_refresh()  # what the five-minute schedule does
    page = admin_client.get("/admin/dashboard/").content.decode()
    assert f"plan #{plan.pk}" in page
    assert "1 of " in page and "2.5" in page
