"""The ingest client against a real HTTP server (pytest-django's live_server)."""

import logging
import socket
import time

import pytest

from runs.client import Reporter, track_enrichment
from runs.models import Run
from runs.services import api_key_create
from tests.factories import WorkflowFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def reporter(live_server) -> Reporter:
    WorkflowFactory(workflow_name="company_news")
    WorkflowFactory(workflow_name="person_email", key_type="person", key_column="linkedin_url",
                    raw_table="raw.person_email", extracted_table="extracted.person_email")
    return Reporter(live_server.url, api_key_create(name="ingest")[1], backoff=0.01)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_block_reports_running_then_completed(reporter):
    with track_enrichment("company_news", "https://www.Ironclad.com/", source="clay", reporter=reporter) as run:
        assert Run.objects.get().status == "running"
        run.records_processed = 7
    done = Run.objects.get()
    assert (done.entity_key, done.status, done.records_processed, done.source) == ("ironclad.com", "completed", 7,
                                                                                    "clay")


def test_a_failing_ingest_is_reported_failed_and_its_exception_propagates(reporter):
    with pytest.raises(TimeoutError, match="vendor took too long"):
        with track_enrichment("company_news", "ironclad.com", reporter=reporter):
            raise TimeoutError("vendor took too long")
    run = Run.objects.get()
    assert run.status == "failed" and run.error == "TimeoutError: vendor took too long"


def test_the_decorator_takes_the_key_from_the_arguments_and_records_from_the_result(reporter):
    @track_enrichment("person_email", lambda payload: payload["linkedin_url"], source="apollo", reporter=reporter)
    def ingest_person_email(payload: dict) -> dict:
        return {"records_processed": 2}

    assert ingest_person_email({"linkedin_url": "linkedin.com/in/JohnDoe"}) == {"records_processed": 2}
    run = Run.objects.get()
    assert (run.entity_key, run.entity_type, run.records_processed) == ("linkedin.com/in/johndoe", "person", 2)


def test_a_server_that_is_down_never_breaks_the_ingest(caplog):
    down = Reporter(f"http://127.0.0.1:{_closed_port()}", "ehk_x_y", attempts=3, backoff=0.05)
    began = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="enrichhub.client"):
        with track_enrichment("company_news", "ironclad.com", reporter=down) as run:
            run.records_processed = 1
    assert time.monotonic() - began >= 2 * (0.05 + 0.1)  # backed off between the three tries, twice
    assert any("after 3 attempts" in record.message for record in caplog.records)


def test_a_refused_report_is_not_retried(live_server, caplog):
    WorkflowFactory(workflow_name="company_news")
    wrong_key = Reporter(live_server.url, "ehk_00000000_wrong", attempts=5, backoff=1.0)
    began = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="enrichhub.client"):
        assert wrong_key.send({"workflow_name": "company_news", "entity_key": "a.com", "entity_type": "company",
                               "status": "running"}) is False
    assert time.monotonic() - began < 1.0
    assert any("refused run event (401)" in record.message for record in caplog.records)
    assert not Run.objects.exists()
