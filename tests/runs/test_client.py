"""The ingest client against a real HTTP server (pytest-django's live_server), and against
servers that are down or never answer."""

import logging
import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from runs.client import Reporter, track_enrichment
from runs.models import Run
from runs.services import api_key_create
from tests.factories import WorkflowFactory
from tests.processes import process_tree

pytestmark = pytest.mark.django_db(transaction=True)
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def api_key(live_server) -> str:
    WorkflowFactory(workflow_name="company_news")
    WorkflowFactory(workflow_name="person_email", key_type="person", key_column="linkedin_url",
                    raw_table="raw.person_email", extracted_table="extracted.person_email")
    return api_key_create(name="ingest")[1]


@pytest.fixture
def reporter(live_server, api_key) -> Iterator[Reporter]:
    reporter = Reporter(live_server.url, api_key, backoff=0.01, flush_interval=0.05)
    yield reporter
    reporter.close()


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers: the worst case for a caller without a timeout."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_block_reports_running_then_completed(reporter):
    with track_enrichment("company_news", "https://www.Ironclad.com/", source="clay", reporter=reporter) as run:
        assert reporter.flush()
        assert Run.objects.get().status == "running"
        run.records_processed = 7
    assert reporter.flush()
    done = Run.objects.get()
    assert (done.entity_key, done.status, done.records_processed, done.source) == ("ironclad.com", "completed", 7,
                                                                                    "clay")


def test_a_failing_ingest_is_reported_failed_and_its_exception_propagates(reporter):
    with pytest.raises(TimeoutError, match="vendor took too long"):
        with track_enrichment("company_news", "ironclad.com", reporter=reporter):
            raise TimeoutError("vendor took too long")
    assert reporter.flush()
    run = Run.objects.get()
    assert run.status == "failed" and run.error == "TimeoutError: vendor took too long"


def test_the_decorator_takes_the_key_from_the_arguments_and_records_from_the_result(reporter):
    @track_enrichment("person_email", lambda payload: payload["linkedin_url"], source="apollo", reporter=reporter)
    def ingest_person_email(payload: dict) -> dict:
        return {"records_processed": 2}

    assert ingest_person_email({"linkedin_url": "linkedin.com/in/JohnDoe"}) == {"records_processed": 2}
    assert reporter.flush()
    run = Run.objects.get()
    assert (run.entity_key, run.entity_type, run.records_processed) == ("linkedin.com/in/johndoe", "person", 2)


def test_events_of_one_process_travel_in_batches(live_server, api_key):
    batched = Reporter(live_server.url, api_key, batch_size=200, flush_interval=5.0)
    for n in range(450):
        batched.report_run("company_news", f"company-{n}.com", "completed", records_processed=n)
    assert batched.close(timeout=30)
    assert (batched.sent, batched.requests) == (450, 3)  # 200 + 200 + the flushed 50
    assert Run.objects.filter(status="completed").count() == 450


def test_refused_items_of_a_batch_are_counted_and_the_valid_ones_recorded(reporter, caplog):
    reporter.report_run("company_news", "a.com", "completed")
    reporter.report_run("no_such_workflow", "b.com", "completed")
    with caplog.at_level(logging.WARNING, logger="enrichhub.client"):
        assert reporter.flush()
    assert (reporter.sent, reporter.refused) == (1, 1)
    assert list(Run.objects.values_list("entity_key", flat=True)) == ["a.com"]
    assert any("refused 1 of 2 run events (422)" in record.message for record in caplog.records)


def _ingest_process(url: str, api_key: str, *, events: int, timeout: float) -> list[str]:
    script = textwrap.dedent(f"""
        from runs.client import Reporter, report_run
        import runs.client
        runs.client._default_reporter = Reporter({url!r}, {api_key!r}, timeout={timeout}, flush_interval=60)
        for n in range({events}):
            report_run("company_news", f"exit-{{n}}.com", "completed")
        print("ingest done", flush=True)
    """)
    return [sys.executable, "-c", script]


@pytest.mark.system
def test_events_left_in_the_queue_are_flushed_when_the_process_exits(live_server, api_key):
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    with process_tree(_ingest_process(live_server.url, api_key, events=30, timeout=10), env=env,
                      stdout=subprocess.PIPE, text=True) as ingest:
        out, _ = ingest.communicate(timeout=60)
    assert ingest.returncode == 0 and "ingest done" in out
    assert Run.objects.filter(entity_key__startswith="exit-").count() == 30


@pytest.mark.system
def test_a_server_that_never_answers_holds_the_exit_no_longer_than_the_timeout(silent_server):
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    began = time.monotonic()
    with process_tree(_ingest_process(silent_server, "ehk_x_y", events=500, timeout=1.0), env=env,
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as ingest:
        out, err = ingest.communicate(timeout=60)
    elapsed = time.monotonic() - began
    assert ingest.returncode == 0 and "ingest done" in out
    assert "exiting with" in err and "not delivered" in err
    assert elapsed < 1.0 + 5.0  # the flush's one-second bound, plus interpreter start-up on a busy machine


def test_queuing_never_blocks_while_the_server_is_down(caplog):
    down = Reporter(f"http://127.0.0.1:{_closed_port()}", "ehk_x_y", timeout=1.0, attempts=3, backoff=0.05,
                    flush_interval=0.01, max_pending=100)
    with caplog.at_level(logging.WARNING, logger="enrichhub.client"):
        began = time.monotonic()
        for n in range(1_000):
            with track_enrichment("company_news", f"down-{n}.com", reporter=down) as run:
                run.records_processed = 1
        queued_in = time.monotonic() - began
        assert down.close(timeout=0.5) is False
    assert queued_in < 1.0  # 2,000 events queued without waiting for the network
    assert down.dropped >= 2_000 - 100  # the oldest went once 100 were waiting; each one counted
    assert any("after 3 attempts" in record.message for record in caplog.records)
    assert any("dropped" in record.message for record in caplog.records)


def test_a_refused_report_is_not_retried(live_server, caplog):
    WorkflowFactory(workflow_name="company_news")
    wrong_key = Reporter(live_server.url, "ehk_00000000_wrong", attempts=5, backoff=1.0)
    began = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="enrichhub.client"):
        assert wrong_key.send({"workflow_name": "company_news", "entity_key": "a.com", "entity_type": "company",
                               "status": "running"}) is False
    assert time.monotonic() - began < 1.0
    assert any("refused 1 of 1 run events (401)" in record.message for record in caplog.records)
    assert not Run.objects.exists()
