"""Finding 6: the plan webhook's 10 s timeout was per read (a receiver answering a byte every 3 s
held it 111 s), the call ran inside a database transaction, any target was called, loopback and
cloud metadata addresses included, and its URL, secret and all, was shown to view-only users."""

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import psycopg
import pytest
from django.contrib.auth.models import Permission

from planning import services
from planning.models import EnrichmentPlan
from planning.tasks import plan_webhook_deliver_task
from tests.conftest import database_url
from tests.planning.test_plan_admin import PAGE, QUERY, _staff, measured  # noqa: F401 (a fixture)

SECRET = "s3cr3t-token"


class Trickle(BaseHTTPRequestHandler):
    """Answers one byte a second, for as long as the client waits."""

    def do_POST(self):  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers["Content-Length"]))
        try:
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(1)
        except OSError:
            pass

    def log_message(self, *args):
        pass


class Recorder(BaseHTTPRequestHandler):
    """Accepts, after noting which database sessions sat in an open transaction meanwhile."""

    idle_in_transaction: list[int] = []
    dsn = ""

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers["Content-Length"]))
        with psycopg.connect(self.dsn, autocommit=True) as probe:
            (count,) = probe.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                                     " AND state = 'idle in transaction'").fetchone()
        Recorder.idle_in_transaction.append(count)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def _serve(handler) -> HTTPServer:
    server = HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _export(client, settings, url: str) -> EnrichmentPlan:
    settings.PLAN_WEBHOOK_URL = url
    client.post(PAGE, {**QUERY, "send": "webhook"})
    return EnrichmentPlan.objects.filter(destination="webhook").latest("pk")


def test_a_trickling_receiver_is_cut_off_at_the_total_deadline(measured, client, settings, monkeypatch):  # noqa: F811
    settings.WEBHOOK_ALLOW_PRIVATE = True
    monkeypatch.setattr(services, "WEBHOOK_DEADLINE_S", 2)
    server = _serve(Trickle)
    _staff(client, "view_enrichmentplan", "add_enrichmentplan")
    plan = _export(client, settings, f"http://127.0.0.1:{server.server_port}/plans")
    began = time.monotonic()
    outcome = plan_webhook_deliver_task(plan.pk)
    waited = time.monotonic() - began
    server.shutdown()
    plan.refresh_from_db()
    assert plan.delivery == "failed" and "did not answer within 2 s" in plan.delivery_error, outcome
    assert waited < 6  # the per-read timeout would have waited for all 117 bytes


@pytest.mark.parametrize("host", ["127.0.0.1", "169.254.169.254", "10.1.2.3", "[::1]", "localhost"])
def test_inner_addresses_are_refused_unless_allowed(measured, client, settings, host):  # noqa: F811
    _staff(client, "view_enrichmentplan", "add_enrichmentplan")
    settings.PLAN_WEBHOOK_URL = f"http://{host}:8080/plans?token={SECRET}"
    page = client.post(PAGE, {**QUERY, "send": "webhook"}).content.decode()
    assert "webhooks go to public addresses" in page and SECRET not in page
    assert not EnrichmentPlan.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_webhook_is_called_outside_any_transaction(committed_demo, client, settings):
    from planning.figures import figures_refresh
    from registry.demo import demo_registry_complete
    from runs.backfill import runs_backfill

    demo_registry_complete()
    runs_backfill(workflow_names=["company_discovery"])
    settings.PLAN_MIN_RUNS, settings.PLAN_SETTLE_HOURS, settings.WEBHOOK_ALLOW_PRIVATE = 3, 0, True
    figures_refresh()
    Recorder.dsn, Recorder.idle_in_transaction = database_url(settings.DATABASES["default"]), []
    server = _serve(Recorder)
    _staff(client, "view_enrichmentplan", "add_enrichmentplan")
    plan = _export(client, settings, f"http://127.0.0.1:{server.server_port}/plans")
    plan_webhook_deliver_task(plan.pk)
    server.shutdown()
    assert Recorder.idle_in_transaction == [0]
    assert EnrichmentPlan.objects.get(pk=plan.pk).delivery == "delivered"


def test_the_url_and_its_secret_are_never_shown(measured, client, settings):  # noqa: F811
    settings.WEBHOOK_ALLOW_PRIVATE = True
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # nobody listens there once the socket is closed
    url = f"http://hook-user:{SECRET}@127.0.0.1:{port}/plans/{SECRET}?token={SECRET}"
    author = _staff(client, "view_enrichmentplan", "add_enrichmentplan")
    plan = _export(client, settings, url)
    plan_webhook_deliver_task(plan.pk)
    plan.refresh_from_db()
    assert plan.delivery == "failed"
    stored = " ".join(str(getattr(plan, field.name)) for field in EnrichmentPlan._meta.fields)
    assert SECRET not in stored and "hook-user" not in stored
    author.user_permissions.remove(Permission.objects.get(codename="add_enrichmentplan"))
    for page in (f"/admin/planning/enrichmentplan/{plan.pk}/change/", "/admin/planning/enrichmentplan/"):
        text = client.get(page).content.decode()
        assert "webhook at 127.0.0.1" in text or page.endswith("/enrichmentplan/")
        assert SECRET not in text and "hook-user" not in text
