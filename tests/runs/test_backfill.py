from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from kernel import normalise_domain
from registry.demo import demo_registry_complete
from runs.backfill import runs_backfill
from runs.models import Run
from runs.services import run_events_record
from runs.sql import events as sql
from runs.tasks import runs_backfill_task
from warehouse.demo.seed import demo_seed


@pytest.fixture
def demo(db):
    demo_seed(scale=0.01, seed=3)
    demo_registry_complete()


def _distinct_discovery_domains() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT domain FROM extracted.company_discovery")
        return len({normalise_domain(domain) for (domain,) in cursor.fetchall()})


def _discovery_runs() -> dict:
    return {r.entity_key: (r.completed_at, r.records_processed)
            for r in Run.objects.filter(workflow_id="company_discovery")}


def test_it_creates_one_completed_run_per_entity_with_its_latest_row_and_count(demo):
    (result,) = runs_backfill(workflow_names=["company_discovery"], batch_rows=500)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM extracted.company_discovery")
        assert result.rows_read == cursor.fetchone()[0] > 500
    assert result.invalid_keys == 0
    assert result.entities == result.created == _distinct_discovery_domains() == Run.objects.count()
    expected: dict[str, tuple] = {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT domain, created_at FROM extracted.company_discovery")
        for domain, created_at in cursor.fetchall():
            latest, rows = expected.get(normalise_domain(domain), (created_at, 0))
            expected[normalise_domain(domain)] = (max(latest, created_at), rows + 1)
    assert _discovery_runs() == expected
    assert set(Run.objects.values_list("status", "source")) == {("completed", "backfill")}


def test_running_it_again_adds_nothing(demo):
    first = runs_backfill()
    before = _discovery_runs()
    second = runs_backfill()
    assert sum(r.created + r.updated for r in second) == 0
    assert sum(r.created for r in first) == Run.objects.count()
    assert _discovery_runs() == before


def test_it_never_downgrades_a_run_the_ingest_reported(demo):
    run_events_record(items=[{"workflow_name": "company_discovery", "entity_key": "ironclad.com",
                              "entity_type": "company", "status": "running", "source": "clay",
                              "at": "2026-11-26T08:00:00Z"}])
    runs_backfill(workflow_names=["company_discovery"])
    reported = Run.objects.get(workflow_id="company_discovery", entity_key="ironclad.com")
    assert (reported.status, reported.source) == ("running", "clay")


def test_a_batch_that_fails_loses_nothing_and_the_rerun_matches_a_clean_run(demo, monkeypatch):
    real_add = sql.backfill_staging_add
    calls = {"n": 0}

    def flaky_add(**kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise ConnectionError("worker lost its connection")
        real_add(**kwargs)

    monkeypatch.setattr(sql, "backfill_staging_add", flaky_add)
    with pytest.raises(ConnectionError):
        runs_backfill(workflow_names=["company_discovery"], batch_rows=500)
    assert Run.objects.count() == 0  # nothing merged from a half-read workflow
    monkeypatch.setattr(sql, "backfill_staging_add", real_add)
    runs_backfill(workflow_names=["company_discovery"], batch_rows=500)
    assert len(_discovery_runs()) == _distinct_discovery_domains()


def test_workflows_it_cannot_backfill_are_skipped_with_the_reason(demo):
    from registry.models import Workflow

    Workflow.objects.create(workflow_name="company_draft", is_active=False)
    results = {r.workflow: r for r in runs_backfill(workflow_names=["company_draft", "company_news"])}
    assert results["company_draft"].skipped == "no extracted table, key column or key type registered"
    assert results["company_news"].skipped is None and results["company_news"].created > 0


def test_the_q2_task_and_the_command_run_the_same_backfill(demo):
    summary = runs_backfill_task(["company_news"])
    assert summary[0]["workflow"] == "company_news" and summary[0]["created"] > 0
    out = StringIO()
    call_command("backfill_runs", "--workflow", "company_news", stdout=out)
    assert "company_news:" in out.getvalue() and "0 runs created, 0 updated" in out.getvalue()
