"""The job and gap commands refuse bad input with a line that says what to do instead."""

import pytest
from django.core.management import CommandError, call_command

from cleanup.jobs.models import BatchJob
from tests.factories import WorkflowFactory


def test_check_gaps_names_an_unknown_workflow_and_fails(db):
    WorkflowFactory(workflow_name="company_news")
    with pytest.raises(CommandError, match="no_such_workflow") as refused:
        call_command("check_gaps", "--workflow", "company_news", "--workflow", "no_such_workflow", "--no-store")
    assert "company_news" not in str(refused.value)


def test_resuming_a_job_that_does_not_exist_lists_the_latest_jobs(db):
    job = BatchJob.objects.create(kind="tenure_backfill", params={})
    with pytest.raises(CommandError, match=r"there is no job #99999") as refused:
        call_command("run_job", "--resume", "99999")
    assert f"#{job.pk} tenure_backfill (queued)" in str(refused.value)


def test_resuming_with_no_jobs_at_all_says_so(db):
    with pytest.raises(CommandError, match="there are no jobs yet"):
        call_command("run_job", "--resume", "5")


def test_a_restore_without_its_job_names_the_flag(db):
    with pytest.raises(CommandError, match="--param job_id=N"):
        call_command("run_job", "restore_companies_missing_location")
