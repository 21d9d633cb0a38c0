"""Gap alerts delivered to a real HTTP receiver on this machine, and by Django mail."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.db import connection

from cleanup.gaps import alerts
from cleanup.gaps.alerts import alerts_evaluate
from cleanup.gaps.checks import gaps_check
from cleanup.gaps.models import GapAlert
from registry.demo import demo_registry_complete
from registry.models import Workflow


class Receiver(BaseHTTPRequestHandler):
    received: list[dict] = []
    fail_next = 0

    def do_POST(self) -> None:  # noqa: N802 -- the http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if Receiver.fail_next:
            Receiver.fail_next -= 1
            self.send_response(500)
        else:
            Receiver.received.append(body)
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def receiver(settings):
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Receiver.received, Receiver.fail_next = [], 0
    settings.ALERT_WEBHOOK_URL = f"http://127.0.0.1:{server.server_port}/hook"
    settings.WEBHOOK_ALLOW_PRIVATE = True  # the receiver listens on loopback
    settings.ALERT_EMAILS = ["ops@example.com"]
    yield Receiver
    server.shutdown()


@pytest.fixture
def profile_gap(demo):
    demo_registry_complete()
    Workflow.objects.filter(pk="person_profile").update(gap_alert_threshold=50)  # the demo's gap is 100


def _check():
    return alerts_evaluate(gaps=gaps_check(workflow_names=["person_profile"]))


def test_an_alert_opens_is_sent_once_and_resolves_when_the_gap_closes(profile_gap, receiver):
    opened = _check().opened
    assert [a.workflow_id for a in opened] == ["person_profile"] and opened[0].gap_at_open == 100
    assert len(receiver.received) == 1 and "person_profile has 100 entities" in receiver.received[0]["text"]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ops@example.com"]
    assert _check().opened == []  # still over the threshold: no second alert, no second message
    assert len(receiver.received) == 1 and GapAlert.objects.count() == 1
    with connection.cursor() as cursor:  # the missing people reach core
        cursor.execute("""INSERT INTO core.people (id, linkedin_url)
                          SELECT 900000 + row_number() OVER (), linkedin_url FROM (
                              SELECT DISTINCT linkedin_url FROM extracted.person_profile) AS p
                          ON CONFLICT (linkedin_url) DO NOTHING""")
    resolved = _check().resolved
    assert [a.workflow_id for a in resolved] == ["person_profile"]
    assert GapAlert.objects.get().resolved_at is not None
    assert len(receiver.received) == 2 and receiver.received[1]["text"].startswith("Resolved")


def test_a_failing_webhook_is_retried_then_recorded_without_breaking_the_check(profile_gap, receiver,
                                                                                monkeypatch):
    monkeypatch.setattr(alerts, "WEBHOOK_BACKOFF_S", 0.01)
    receiver.fail_next = 1
    _check()
    assert len(receiver.received) == 1 and GapAlert.objects.get().notify_error == ""  # delivered on the retry
    GapAlert.objects.update(resolved_at="2026-01-01T00:00:00Z")
    receiver.fail_next = alerts.WEBHOOK_ATTEMPTS
    _check()
    latest = GapAlert.objects.get(resolved_at=None)
    assert "webhook" in latest.notify_error and "500" in latest.notify_error


def test_no_threshold_means_no_alert(demo, receiver):
    demo_registry_complete()
    assert _check().opened == [] and receiver.received == []


def test_a_gap_that_grows_at_each_check_opens_an_alert_without_a_threshold(demo, receiver, settings):
    settings.GAP_GROWTH_CHECKS = 3
    demo_registry_complete()
    for grown in range(4):
        if grown:
            with connection.cursor() as cursor:
                cursor.execute("INSERT INTO extracted.person_profile (linkedin_url) VALUES (%s)",
                               [f"linkedin.com/in/newcomer-{grown}"])
        changes = _check()
        assert (changes.opened != []) is (grown == 3)  # three growths in a row: the fourth check alarms
    alert = GapAlert.objects.get()
    assert (alert.reason, alert.threshold, alert.gap_at_open) == ("growing", None, 103)
    assert "grew at each of the last 3 checks" in receiver.received[0]["text"]
    assert _check().resolved == [alert]  # the same gap again: no longer growing


def test_rows_stuck_in_extracted_alarm_even_when_every_key_is_in_core(demo, receiver, settings):
    """person_experience rows of people core already knows: the key gap stays flat, the rows grow."""
    settings.GAP_GROWTH_CHECKS = 2
    demo_registry_complete()
    for grown in range(3):
        if grown:
            with connection.cursor() as cursor:
                cursor.execute("""INSERT INTO extracted.person_experience (linkedin_url, company_name)
                                  SELECT linkedin_url, 'Stuckco' FROM core.people ORDER BY id LIMIT 5""")
        gaps = gaps_check(workflow_names=["person_experience"])
        changes = alerts_evaluate(gaps=gaps)
        assert (changes.opened != []) is (grown == 2)
    alert = GapAlert.objects.get()
    assert alert.reason == "growing" and alert.last_gap == gaps[0].gap
    assert f"{gaps[0].rows_waiting:,} extracted rows that never reached core" in receiver.received[0]["text"]
