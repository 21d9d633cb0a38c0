"""Coalescing extracted.person_profile into core.people, person_locations and person_job_titles,
against an oracle computed in Python."""

from django.db import connection

from cleanup.coalescing.sql.experience import title_mapping
from cleanup.coalescing.titles import title_match
from cleanup.jobs.engine import job_run
from cleanup.jobs.models import BatchJob
from kernel import InvalidEntityKey, normalise_linkedin_url
from tests.factories import queued_job


def _rows(query: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query)
        return cursor.fetchall()


def _run(**params) -> BatchJob:
    job = queued_job(kind="coalesce_person_profile", params=params, batch_size=100, sleep_ms=0)
    assert job_run(job_id=job.pk) == "completed", BatchJob.objects.get(pk=job.pk).last_error
    job.refresh_from_db()
    return job


def _latest_profiles() -> dict[str, tuple]:
    latest = {}
    for url, name, title, country, city in _rows("SELECT linkedin_url, full_name, job_title, location_country,"
                                                 " location_city FROM extracted.person_profile ORDER BY id"):
        try:
            latest[normalise_linkedin_url(url)] = (name, title, country, city)
        except InvalidEntityKey:
            continue
    return latest


def _people() -> dict[str, tuple]:
    return {normalise_linkedin_url(url): tuple(rest) for url, *rest in _rows(
        "SELECT linkedin_url, id, full_name, job_title, person_country, matched_job_function, matched_seniority"
        " FROM core.people")}


def test_every_profile_reaches_core_people_with_its_location_and_mapped_title(demo):
    before = _people()
    profiles = _latest_profiles()
    job = _run()
    after = _people()
    new = set(profiles) - set(before)
    assert new and job.checkpoint["people_added"] == len(new)
    assert len(after) == len(before) + len(new)  # nobody added twice under another spelling
    assert all(after[key][0] == before[key][0] for key in before)  # ids kept
    mapping = title_mapping()
    for key, (name, title, country, _city) in profiles.items():
        old = before.get(key, (None,) * 6)
        match = title_match(title, mapping=mapping)
        assert after[key][1:] == (name or old[1], title or old[2], country or old[3],
                                  match.job_function or old[4], match.seniority or old[5]), key
    located = {(normalise_linkedin_url(url), city, country) for url, city, country in _rows(
        "SELECT linkedin_url, city, country FROM core.person_locations WHERE source = 'extracted.person_profile'")}
    assert located == {(key, city, country) for key, (_n, _t, country, city) in profiles.items()
                       if city or country}
    titled = _rows("SELECT count(*) FROM core.person_job_titles WHERE source = 'extracted.person_profile'")[0][0]
    assert titled == sum(1 for _n, title, _c, _ci in profiles.values() if title)


def test_running_again_changes_nothing_and_new_ids_stay_clear_of_existing_ones(demo):
    _run()
    snapshot = _people()
    assert _run(mode="refresh").rows_done == 0 and _people() == snapshot
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO core.people (id, linkedin_url) SELECT max(id) + 5, 'linkedin.com/in/manual'"
                       " FROM core.people")
        cursor.execute("INSERT INTO extracted.person_profile (linkedin_url, full_name, job_title)"
                       " VALUES ('https://www.linkedin.com/in/Brand-New/', 'Brand New', 'Intern')")
    job = _run()
    assert job.checkpoint["people_added"] == 1 and job.total == 1
    people = _people()
    assert people["linkedin.com/in/brand-new"][0] > people["linkedin.com/in/manual"][0]
    assert people["linkedin.com/in/brand-new"][1:3] == ("Brand New", "Intern")
