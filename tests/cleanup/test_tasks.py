import pytest
from django_q.models import OrmQ

from cleanup.jobs.models import BatchJob
from cleanup.jobs.services import JobRefused
from cleanup.jobs.tasks import job_start_task


def test_a_schedule_creates_and_enqueues_a_job_and_is_refused_while_it_is_active(
        demo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job_id = job_start_task("tenure_backfill")
    job = BatchJob.objects.get(pk=job_id)
    assert (job.kind, job.status, job.dry_run_report["would_change"]) == ("tenure_backfill", "queued", 49)
    assert OrmQ.objects.count() == 1
    with pytest.raises(JobRefused, match="is queued"):
        job_start_task("tenure_backfill")


def test_a_job_whose_task_was_lost_is_queued_again_once_per_window(demo, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from cleanup.jobs.services import LOST_TASK_MARGIN, interrupted_jobs_resume

    lost = job_start_task("tenure_backfill")  # no task reaches the broker: as if a dying cluster took it
    waiting = job_start_task("funding_backfill")
    window = timedelta(seconds=settings.Q_RETRY_S) + LOST_TASK_MARGIN
    BatchJob.objects.filter(pk=lost).update(updated_at=timezone.now() - window - timedelta(seconds=5))
    BatchJob.objects.filter(pk=waiting).update(updated_at=timezone.now() - window + timedelta(seconds=30))
    with django_capture_on_commit_callbacks(execute=True):
        assert interrupted_jobs_resume() == [lost]
    assert OrmQ.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert interrupted_jobs_resume() == []  # touched: the next task waits a whole window
    assert OrmQ.objects.count() == 1
    assert BatchJob.objects.get(pk=lost).status == BatchJob.Status.QUEUED
