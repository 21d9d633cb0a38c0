"""Finding 1: a staff user holding django-q2's "add schedule" made the cluster run `os.system`;
one without the batch-job permission scheduled a delete that ran with no starter recorded; and
"Resubmit selected tasks", open to whoever may view tasks, re-ran the `os.system` task."""

import html
import time

import pytest
from django.contrib.auth.models import Permission
from django_q.models import Failure, Schedule, Success, Task
from django_q.tasks import async_task

from cleanup.jobs.models import BatchJob
from enrichhub.entry_points import project_entry_points
from enrichhub.models import OwnedSchedule
from enrichhub.owned_schedules import owned_schedule_run, owned_schedule_save
from enrichhub.schedules import SCHEDULES
from kernel.entry_points import EntryPointRefused
from tests.factories import staff_user

OWNED = "/admin/enrichhub/ownedschedule/"
Q2_SCHEDULES = "/admin/django_q/schedule/"
DELETE_KIND = "delete_companies_missing_location"




def _schedule_form(entry_point: str, arguments: str = "{}", **overrides) -> dict:
    return {"name": "nightly", "entry_point": entry_point, "arguments": arguments, "schedule_type": Schedule.DAILY,
            "minutes": "", "cron": "", "next_run": "", "repeats": "-1", **overrides}


def test_django_q2s_schedule_and_task_screens_are_read_only_for_staff(client, db):
    client.force_login(staff_user("mallory", "django_q.add_schedule", "django_q.change_schedule",
                              "django_q.view_schedule", "django_q.view_failure", "django_q.view_success"))
    refused = client.post(Q2_SCHEDULES + "add/", {"name": "x", "func": "os.system", "args": "'id'",
                                                  "schedule_type": Schedule.ONCE, "repeats": "-1"})
    assert refused.status_code == 403 and not Schedule.objects.exists()
    page = client.get("/admin/django_q/failure/").content.decode()
    assert "resubmit" not in page.lower()  # the action is not offered


def test_the_cluster_refuses_a_function_that_is_no_entry_point(db, tmp_path):
    marker = tmp_path / "ran"
    with pytest.raises(EntryPointRefused, match="'os.system' is not one of enrichhub's entry points"):
        async_task("os.system", f"touch {marker}", sync=True)
    assert not marker.exists()


def test_the_cluster_refuses_an_entry_point_called_with_arguments_it_does_not_take(db):
    with pytest.raises(EntryPointRefused, match="argument full='yes'"):
        async_task("cleanup.tasks.gaps_check_task", "yes", sync=True)


def test_every_installed_schedule_names_an_entry_point_with_arguments_it_takes():
    import ast

    by_path = {path: entry for entry in project_entry_points() for path in entry.paths}
    for name, func, args, _kind, _minutes in SCHEDULES:
        assert func in by_path, name
        parsed = ast.literal_eval(f"({args},)") if args else ()
        by_path[func].arguments_check(parsed, {})


def test_every_entry_points_path_and_alias_finds_that_very_function():
    """Stored schedules and queued tasks name functions by these paths: a renamed module or a
    dropped alias would leave them failing in the cluster."""
    import pydoc

    for entry in project_entry_points():
        assert {path: pydoc.locate(path) for path in entry.paths} == dict.fromkeys(entry.paths, entry.func)


def test_a_staff_user_cannot_schedule_a_delete_without_the_job_permissions(client, db):
    client.force_login(staff_user("mallory", "enrichhub.add_ownedschedule", "enrichhub.view_ownedschedule"))
    page = client.post(OWNED + "add/", _schedule_form("cleanup.tasks.job_start_if_idle_task",
                                                      f'{{"kind": "{DELETE_KIND}"}}'))
    assert page.status_code == 200 and "lacks the permission 'cleanup.add_batchjob'" in _text(page)
    client.force_login(staff_user("eve", "enrichhub.add_ownedschedule", "cleanup.add_batchjob"))
    page = client.post(OWNED + "add/", _schedule_form("cleanup.tasks.job_start_if_idle_task",
                                                      f'{{"kind": "{DELETE_KIND}"}}'))
    assert "run destructive jobs" in _text(page)
    assert not Schedule.objects.exists() and not OwnedSchedule.objects.exists()


def test_the_schedule_screen_takes_entry_points_only_with_typed_arguments(client, ops):
    page = client.post(OWNED + "add/", _schedule_form("os.system", '{"command": "id"}'))
    assert "Select a valid choice" in _text(page)
    page = client.post(OWNED + "add/", _schedule_form("cleanup.tasks.gaps_check_task", '{"full": "yes"}'))
    assert "argument full='yes'" in _text(page)
    page = client.post(OWNED + "add/", _schedule_form("cleanup.tasks.job_start_task",
                                                      '{"kind": "tenure_backfill", "user_id": 1}'))
    assert "user_id is set by enrichhub" in _text(page)
    assert not Schedule.objects.exists()


def test_a_schedule_runs_as_its_owner_who_is_recorded_and_rechecked(client, demo):
    owner = staff_user("olga", "enrichhub.add_ownedschedule", "enrichhub.view_ownedschedule", "cleanup.add_batchjob")
    client.force_login(owner)
    saved = client.post(OWNED + "add/", _schedule_form("cleanup.tasks.job_start_task", '{"kind": "tenure_backfill"}'))
    assert saved.status_code == 302, _text(saved)[-2000:]
    owned = OwnedSchedule.objects.get()
    schedule = Schedule.objects.get()
    assert (owned.owner, schedule.func, schedule.args) == (owner, "enrichhub.tasks.owned_schedule_run_task",
                                                           repr(owned.pk))
    job_id = owned_schedule_run(schedule_id=owned.pk)
    assert BatchJob.objects.get(pk=job_id).started_by == owner
    owner.user_permissions.remove(Permission.objects.get(codename="add_batchjob"))
    with pytest.raises(EntryPointRefused, match="lacks the permission"):
        owned_schedule_run(schedule_id=owned.pk)
    assert BatchJob.objects.count() == 1


def test_an_edit_makes_the_editor_the_owner(db):
    first = staff_user("first", "cleanup.add_batchjob", "cleanup.run_destructive_job")
    owned = owned_schedule_save(owned=None, entry_point="cleanup.tasks.job_start_if_idle_task",
                                arguments={"kind": "tenure_backfill"}, user=first, name="n",
                                schedule_type=Schedule.DAILY)
    second = staff_user("second", "cleanup.add_batchjob")
    with pytest.raises(EntryPointRefused, match="run destructive jobs"):
        owned_schedule_save(owned=owned, entry_point="cleanup.tasks.job_start_if_idle_task",
                            arguments={"kind": DELETE_KIND}, user=second, name="n", schedule_type=Schedule.DAILY)
    owned = owned_schedule_save(owned=owned, entry_point="cleanup.tasks.job_start_if_idle_task",
                                arguments={"kind": "tenure_backfill"}, user=second, name="n",
                                schedule_type=Schedule.DAILY)
    assert OwnedSchedule.objects.get().owner == second


def test_resubmitting_is_for_superusers_and_entry_points_only(client, ops):
    bad = Failure.objects.create(id="a" * 32, name="bad", func="os.system", args=("id",), kwargs={},
                                 started="2026-12-01T00:00Z", stopped="2026-12-01T00:00Z", success=False,
                                 result="")
    good = Success.objects.create(id="b" * 32, name="good", func="enrichhub.tasks.cluster_ping_task", args=(),
                                  kwargs={}, started="2026-12-01T00:00Z", stopped="2026-12-01T00:00Z",
                                  success=True, result="pong")
    queued_before = _queued()
    page = client.post("/admin/django_q/failure/", {"action": "entry_point_tasks_resubmit",
                                                    "_selected_action": [bad.pk]}, follow=True)
    assert "Not resubmitted" in _text(page) and _queued() == queued_before
    client.post("/admin/django_q/success/", {"action": "entry_point_tasks_resubmit", "_selected_action": [good.pk]})
    assert _queued() == queued_before + 1
    viewer = staff_user("viewer", "django_q.view_success")
    client.force_login(viewer)
    client.post("/admin/django_q/success/", {"action": "entry_point_tasks_resubmit", "_selected_action": [good.pk]})
    assert _queued() == queued_before + 1


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _queued() -> int:
    from django_q.models import OrmQ

    return OrmQ.objects.count()


@pytest.mark.django_db(transaction=True)
def test_a_schedule_row_naming_os_system_fails_in_a_real_cluster_and_nothing_runs(q2_cluster, tmp_path):
    marker = tmp_path / "ran"
    Schedule.objects.create(name="written straight into the table", func="os.system", args=repr(f"touch {marker}"),
                            hook="os.system", schedule_type=Schedule.ONCE, repeats=-1,
                            next_run=Schedule._meta.get_field("next_run").default())
    deadline = time.monotonic() + 90
    while not Task.objects.filter(func="os.system").exists():
        assert time.monotonic() < deadline, q2_cluster.log.read_text()[-3000:]
        time.sleep(0.3)
    failed = Task.objects.get(func="os.system")
    assert failed.success is False and "not one of enrichhub's entry points" in failed.result
    assert failed.hook is None  # dropped before it was queued: q2's monitor would have called it
    assert not marker.exists()
