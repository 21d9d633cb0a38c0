"""Filling core.people's title fields from their job titles, against an oracle computed in
Python with the same mapping table and classifier."""

from django.db import connection
from django.test import Client

from cleanup.coalescing.sql.experience import title_mapping
from cleanup.coalescing.titles import title_match
from cleanup.jobs.engine import job_run
from cleanup.jobs.models import BatchJob
from tests.factories import queued_job


def _people() -> dict[int, tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, job_title, matched_job_function, matched_seniority FROM core.people")
        return {person_id: tuple(rest) for person_id, *rest in cursor.fetchall()}


def _hidden_for_title(people: dict[int, tuple]) -> int:
    return sum(not function or not seniority for _, function, seniority in people.values())


def _run() -> BatchJob:
    job = queued_job(kind="classify_people_titles", batch_size=200, sleep_ms=0)
    assert job_run(job_id=job.pk) == "completed", BatchJob.objects.get(pk=job.pk).last_error
    job.refresh_from_db()
    return job


def test_missing_title_fields_are_filled_and_filled_ones_never_change(demo):
    before = _people()
    mapping = title_mapping()
    job = _run()
    after = _people()
    for person_id, (title, function, seniority) in before.items():
        guess = title_match(title, mapping=mapping)
        expected_function = function or (guess.job_function if title and title.strip() else None)
        expected_seniority = seniority or (guess.seniority if title and title.strip() else None)
        assert after[person_id] == (title, expected_function, expected_seniority), title
    checkpoint = job.checkpoint
    assert checkpoint["hidden_before"] == _hidden_for_title(before) > checkpoint["hidden_after"]
    assert checkpoint["hidden_after"] == _hidden_for_title(after)
    assert checkpoint["filled"] == sum(before[i] != after[i] for i in before)


def test_the_new_classifier_makes_more_people_visible_than_the_mapping_alone(demo):
    before = _people()
    visible_by_mapping_alone = _hidden_for_title(before)
    job = _run()
    assert job.checkpoint["hidden_after"] < visible_by_mapping_alone
    # "Visionary" names no function: those people stay hidden, and nothing is invented for them.
    still_hidden = {title for title, function, seniority in _people().values() if not function or not seniority}
    assert "Visionary" in still_hidden and "Vertriebsleiter" not in still_hidden


def test_a_second_run_finds_nothing_left_to_fill(demo):
    _run()
    again = _run()
    assert again.checkpoint["filled"] == 0
    assert again.checkpoint["hidden_before"] == again.checkpoint["hidden_after"]


def test_the_dashboard_shows_the_figure_before_and_after(demo, admin_user):
    from django.core.management import call_command

    job = _run()
    call_command("refresh_dashboard", verbosity=0)
    client = Client()
    client.force_login(admin_user)
    page = client.get("/admin/dashboard/").content.decode()
    before, after = job.checkpoint["hidden_before"], job.checkpoint["hidden_after"]
    assert f"<strong>{before:,}</strong> people were hidden" in page
    assert f"<strong>{after:,}</strong> after it" in page and f"job #{job.pk}" in page
