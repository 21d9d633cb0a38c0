"""The per-workflow run tallies, kept by triggers and folded by the dashboard refresh, against
a GROUP BY over the runs themselves."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg
import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runs.models import Run, RunTally
from runs.selectors import run_figures_by_status, run_spend_by_week
from runs.services import run_events_record, run_tallies_fold, run_tallies_recount
from tests.conftest import database_url
from tests.examples import examples
from tests.factories import WorkflowFactory

WORKFLOWS = ("tally_a", "tally_b")
MONDAY = datetime(2026, 11, 2, 12, tzinfo=UTC)


def _oracle_by_status() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("""SELECT workflow_name, status, count(*), max(last_event_at),
                                 coalesce(sum(credits_spent), 0), sum(credits_wasted)
                          FROM reference.enrichment_runs GROUP BY 1, 2 ORDER BY 1, 2""")
        return cursor.fetchall()


def _oracle_spend() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("""SELECT workflow_name, (date_trunc('week', last_event_at AT TIME ZONE 'UTC'))::date,
                                 sum(credits_spent), sum(credits_wasted)
                          FROM reference.enrichment_runs WHERE credits_spent IS NOT NULL
                          GROUP BY 1, 2 ORDER BY 2, 1""")
        return cursor.fetchall()


def _tallied_by_status() -> list[tuple]:
    return sorted(run_figures_by_status())


def _latest_by_workflow(rows: list[tuple]) -> dict[str, datetime]:
    latest: dict[str, datetime] = {}
    for workflow, _status, _runs, last, *_ in rows:
        latest[workflow] = max(latest.get(workflow, last), last)
    return latest


def _assert_tallies_equal_the_runs() -> None:
    run_tallies_fold()
    tallied, oracle = _tallied_by_status(), _oracle_by_status()
    assert [row[:3] + row[4:] for row in tallied] == [row[:3] + row[4:] for row in oracle]
    assert _latest_by_workflow(tallied) == _latest_by_workflow(oracle)
    assert run_spend_by_week() == _oracle_spend()


@pytest.fixture
def workflows(db):
    return [WorkflowFactory(workflow_name=name, refresh_after_days=30) for name in WORKFLOWS]


def _event(workflow: str, key: int, status: str, hours: int, credits: str | None) -> dict:
    return {"workflow_name": workflow, "entity_key": f"tally{key}.com", "entity_type": "company",
            "status": status, "at": (MONDAY + timedelta(hours=hours)).isoformat(),
            **({"credits_spent": credits} if credits else {})}


events = st.builds(_event, st.sampled_from(WORKFLOWS), st.integers(0, 6),
                   st.sampled_from(["pending", "running", "completed", "failed"]), st.integers(0, 24 * 20),
                   st.one_of(st.none(), st.sampled_from(["0", "0.5", "1.25", "3"])))
rounds = st.lists(st.lists(events, min_size=1, max_size=8), min_size=1, max_size=5)


class _Rollback(Exception):
    pass


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rounds=rounds, fold_between=st.booleans(), deleted=st.integers(0, 3))
def test_tallies_equal_a_group_by_over_the_runs_after_any_events(workflows, rounds, fold_between, deleted):
    try:
        with transaction.atomic():
            for events_of_round in rounds:
                run_events_record(items=events_of_round)
                if fold_between:
                    run_tallies_fold()
            Run.objects.filter(pk__in=Run.objects.order_by("entity_key", "workflow")
                               .values("pk")[:deleted]).delete()
            run_tallies_fold()
            tallied, oracle = _tallied_by_status(), _oracle_by_status()
            assert [row[:3] + row[4:] for row in tallied] == [row[:3] + row[4:] for row in oracle]
            # The latest event is exact per workflow; a run that changed status or was deleted may
            # stay its old group's latest, since a maximum is not undone.
            tallied_latest, oracle_latest = _latest_by_workflow(tallied), _latest_by_workflow(oracle)
            if deleted:
                assert all(tallied_latest[w] >= oracle_latest[w] for w in oracle_latest)
            else:
                assert tallied_latest == oracle_latest
            assert run_spend_by_week() == _oracle_spend()
            raise _Rollback
    except _Rollback:
        pass


def test_edits_through_the_orm_and_a_truncate_keep_the_tallies_exact(workflows):
    run_events_record(items=[_event("tally_a", key, "completed", key, "2") for key in range(5)])
    Run.objects.filter(entity_key="tally1.com").update(status="failed", credits_spent=None, credits_wasted=1)
    run = Run.objects.get(entity_key="tally2.com")
    run.last_event_at = MONDAY + timedelta(days=9)  # moves to the next week
    run.save()
    _assert_tallies_equal_the_runs()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's transaction holds deferred checks
        cursor.execute("TRUNCATE reference.enrichment_runs")
    run_tallies_fold()
    assert run_figures_by_status() == [] and not RunTally.objects.exists()


def test_a_recount_repairs_a_tally_that_drifted(workflows):
    run_events_record(items=[_event("tally_b", key, "running", 1, "1") for key in range(4)])
    run_tallies_fold()
    RunTally.objects.update(runs=99, credits=Decimal("7"))
    assert _tallied_by_status() != _oracle_by_status()
    run_tallies_recount()
    assert _tallied_by_status() == _oracle_by_status()
    assert run_spend_by_week() == _oracle_spend()


def test_the_week_is_the_utc_week_whatever_the_writers_time_zone(workflows):
    sunday_late = "2026-11-08 23:30:00+00"  # Monday already in Kiritimati (UTC+14)
    with connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'Pacific/Kiritimati'")
        try:
            cursor.execute("""INSERT INTO reference.enrichment_runs (workflow_name, entity_key, entity_type, status,
                                  credits_spent, last_event_at) VALUES ('tally_a', 'late.com', 'company', 'completed',
                                  1, %s)""", [sunday_late])
        finally:
            cursor.execute("SET TIME ZONE 'UTC'")
    run_tallies_fold()
    assert [(w, str(week)) for w, week, *_ in run_spend_by_week()] == [("tally_a", "2026-11-02")]


@pytest.mark.django_db(transaction=True)
def test_a_write_committed_during_a_fold_is_folded_by_the_next_and_a_rolled_back_one_never(workflows):
    url = database_url(connection.settings_dict)
    insert = """INSERT INTO reference.enrichment_runs (workflow_name, entity_key, entity_type, status, credits_spent)
                VALUES (%s, %s, 'company', 'completed', 2)"""
    with psycopg.connect(url) as writer, psycopg.connect(url) as abandoned:
        writer.execute(insert, ["tally_a", "during.com"])  # open: its change is not visible yet
        abandoned.execute(insert, ["tally_b", "abandoned.com"])
        run_tallies_fold()
        writer.commit()
        abandoned.rollback()
    assert Run.objects.count() == 1
    _assert_tallies_equal_the_runs()
    assert [row[:3] for row in run_figures_by_status()] == [("tally_a", "completed", 1)]
