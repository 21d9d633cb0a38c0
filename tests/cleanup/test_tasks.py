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
