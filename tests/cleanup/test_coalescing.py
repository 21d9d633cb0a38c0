"""Reported runs reach core: the tick that hands completed runs to coalescing jobs, unit and
end to end through a real django-q2 cluster."""

import time
from datetime import timedelta
from pathlib import Path

from django.db import connection
from django.utils import timezone
from django_q.tasks import async_task

from cleanup.coalescing.models import CoalesceMapping
from cleanup.coalescing.reported_runs import SETTLE, coalescing_job_params, reported_runs_coalesce
from cleanup.jobs.engine import job_run
from cleanup.jobs.models import BatchJob
from cleanup.tasks import coalescing_sweeps_task
from kernel import normalise_linkedin_url
from registry.demo import demo_registry_complete
from runs.models import Run
from runs.services import run_events_record
from tests.oracles import scalar

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _completed(workflow: str, *keys: str) -> None:
    run_events_record(items=[{"workflow_name": workflow, "entity_key": key, "entity_type": "person",
                              "status": "completed"} for key in keys])


def _later() -> timezone.datetime:
    return timezone.now() + SETTLE + timedelta(seconds=1)


def test_completed_runs_become_one_job_per_workflow_for_exactly_their_entities(demo,
                                                                            django_capture_on_commit_callbacks):
    demo_registry_complete()
    reported_runs_coalesce()  # the first look starts the marks
    _completed("person_experience", "https://www.linkedin.com/in/Ada/", "linkedin.com/in/bob")
    _completed("person_experience", "linkedin.com/in/ada")  # the same person again: one key
    _completed("person_email", "linkedin.com/in/ada")  # does not coalesce
    with django_capture_on_commit_callbacks(execute=False):
        outcome = reported_runs_coalesce(now=_later())
    job = BatchJob.objects.get(kind="coalesce_person_experience")
    assert outcome["person_experience"] == f"job #{job.pk} for 2 entities"
    assert job.params == {"mode": "keys", "keys": ["linkedin.com/in/ada", "linkedin.com/in/bob"]}
    assert "person_email" not in outcome and outcome["person_profile"] == "nothing new"
    _completed("person_experience", "linkedin.com/in/carol")
    # A test is one transaction, so now() has not moved: date the new run as a later event would be.
    Run.objects.filter(entity_key="linkedin.com/in/carol").update(updated_at=timezone.now() + timedelta(seconds=2))
    later = reported_runs_coalesce(now=_later() + timedelta(seconds=5))
    assert later["person_experience"].startswith("waiting: coalesce_person_experience job #")  # the first is active
    BatchJob.objects.filter(pk=job.pk).update(status=BatchJob.Status.COMPLETED)
    reported_runs_coalesce(now=_later() + timedelta(seconds=10))
    assert BatchJob.objects.latest("pk").params["keys"] == ["linkedin.com/in/carol"]  # the mark had waited


def test_a_sweep_is_started_for_every_coalescing_workflow_and_mapped_ones_name_theirs(demo):
    demo_registry_complete()
    CoalesceMapping.objects.create(workflow_id="company_cleaned_name", columns={"cleaned_name": "payload.company"})
    outcome = coalescing_sweeps_task()
    assert set(outcome) == {"person_experience", "person_profile", "company_cleaned_name"}
    assert all(message.startswith("started job #") for message in outcome.values())
    for job in BatchJob.objects.all():
        assert job_run(job_id=job.pk) == "completed"
    assert set(coalescing_sweeps_task().values()) == {"nothing new"}  # and no new job recorded
    assert BatchJob.objects.count() == 3
    assert coalescing_job_params("company_cleaned_name", keys=["a.com"]) == (
        "coalesce_mapped", {"mode": "keys", "keys": ["a.com"], "workflow": "company_cleaned_name"})
    assert coalescing_job_params("person_profile", keys=["x"] * 10_001) == ("coalesce_person_profile",
                                                                            {"mode": "refresh"})
    assert coalescing_job_params("person_experience", keys=["x"] * 10_001)[1] == {"mode": "reconcile"}


def test_a_reported_completed_run_reaches_core_through_a_real_q2_worker(q2_cluster, client):
    demo_registry_complete()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core.person_work_history WHERE source_record_id IS NOT NULL")
        cursor.execute("SELECT linkedin_url FROM extracted.person_experience ORDER BY id LIMIT 1")
        url = cursor.fetchone()[0]
    reported_runs_coalesce()  # marks start now; the run below is news
    _completed("person_experience", url)
    time.sleep(SETTLE.total_seconds() + 1)
    async_task("cleanup.tasks.coalesce_reported_runs_task")
    deadline = time.monotonic() + 90
    finished = (BatchJob.Status.COMPLETED, BatchJob.Status.FAILED)
    while time.monotonic() < deadline and not BatchJob.objects.filter(kind="coalesce_person_experience",
                                                                      status__in=finished).exists():
        assert q2_cluster.poll() is None, q2_cluster.log.read_text()[-2000:]
        time.sleep(0.5)
    job = BatchJob.objects.get(kind="coalesce_person_experience")
    assert job.status == BatchJob.Status.COMPLETED, job.last_error
    with connection.cursor() as cursor:
        cursor.execute("SELECT linkedin_url FROM extracted.person_experience")
        expected = sum(normalise_linkedin_url(stored) == normalise_linkedin_url(url) for (stored,) in cursor.fetchall())
    assert _work_history_rows() == expected > 0


def _work_history_rows() -> int:
    return scalar("SELECT count(*) FROM core.person_work_history WHERE source_record_id IS NOT NULL")
