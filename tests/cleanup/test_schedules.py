from io import StringIO

from django.core.management import call_command
from django_q.models import Schedule

from cleanup.jobs.models import BatchJob
from cleanup.tasks import gaps_check_task, job_start_if_idle_task
from enrichhub.schedules import SCHEDULES
from registry.demo import demo_registry_complete


def test_setup_schedules_is_idempotent(db):
    out = StringIO()
    call_command("setup_schedules", stdout=out)
    call_command("setup_schedules", stdout=out)
    assert Schedule.objects.count() == len(SCHEDULES)
    assert out.getvalue().count("created:") == len(SCHEDULES)
    assert out.getvalue().count("up to date:") == len(SCHEDULES)
    sweep = Schedule.objects.get(name="enrichhub: coalescing sweep")
    assert (sweep.func, sweep.minutes) == ("cleanup.tasks.coalescing_sweeps_task", 5)
    tick = Schedule.objects.get(name="enrichhub: coalesce reported runs")
    assert (tick.func, tick.minutes) == ("cleanup.tasks.coalesce_reported_runs_task", 1)


def test_the_scheduled_tasks_start_work_or_skip_while_a_job_is_active(demo, django_capture_on_commit_callbacks):
    demo_registry_complete()
    with django_capture_on_commit_callbacks(execute=True):
        assert job_start_if_idle_task("coalesce_person_experience").startswith("started job #")
        assert job_start_if_idle_task("coalesce_person_experience").startswith("skipped:")
    assert BatchJob.objects.filter(kind="coalesce_person_experience").count() == 1
    summary = gaps_check_task()
    assert summary["workflows"] == 53 and summary["opened"] == 0
