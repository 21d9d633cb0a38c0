"""Coalescing extracted.person_experience against an oracle computed in Python."""

import pytest
from django.db import connection

from cleanup.coalescing.titles import title_match
from cleanup.jobs.engine import job_run
from cleanup.jobs.kinds.base import JobParamsError
from cleanup.jobs.models import BatchJob
from cleanup.jobs.services import JobRefused
from kernel import InvalidEntityKey, domain_or_none, normalise_domain, normalise_linkedin_url
from tests.factories import queued_job
from tests.oracles import scalar


def _run(mode: str = "sweep") -> BatchJob:
    job = queued_job(kind="coalesce_person_experience", params={"mode": mode}, batch_size=200, sleep_ms=0)
    assert job_run(job_id=job.pk) == "completed", BatchJob.objects.get(pk=job.pk).last_error
    job.refresh_from_db()
    return job


def _rows(query: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query)
        return cursor.fetchall()


def _oracle() -> dict[int, tuple]:
    mapping = {t: (f, s) for t, f, s in _rows("SELECT * FROM reference.job_title_mapping")}
    people = {normalise_linkedin_url(url): pid for url, pid in _rows("SELECT linkedin_url, id FROM core.people")}
    expected = {}
    for row_id, url, name, domain, title, start, end, current in _rows(
            "SELECT id, linkedin_url, company_name, company_domain, title, start_date, end_date, is_current"
            " FROM extracted.person_experience"):
        try:
            key = normalise_linkedin_url(url)
        except InvalidEntityKey:
            continue  # counted as invalid by the job, never written
        match = title_match(title, mapping=mapping)
        expected[row_id] = (people.get(key), key, domain_or_none(domain), name, title, match.job_function,
                            match.seniority, start, end, current)
    return expected


def _coalesced() -> dict[int, tuple]:
    return {row[0]: row[1:] for row in _rows(
        "SELECT source_record_id, person_id, linkedin_url, company_domain, company_name, title,"
        " matched_job_function, matched_seniority, start_date, end_date, is_current"
        " FROM core.person_work_history WHERE source_record_id IS NOT NULL")}


@pytest.fixture(params=["spellings", "key functions"])
def core_lookup(request, demo):
    """Core people and companies found by the usual spellings in Python, or in the upsert by
    the key functions' indexes."""
    if request.param == "key functions":
        with connection.cursor() as cursor:
            cursor.execute("CREATE INDEX ON core.people (reference.person_key_v1(linkedin_url))")
            cursor.execute("CREATE INDEX ON core.companies (reference.company_key_v1(domain))")
            # Some of core's keys stored as they came: found only by the key function.
            cursor.execute("UPDATE core.people SET linkedin_url = 'https://www.' || linkedin_url || '/'"
                           " WHERE id % 7 = 0 AND linkedin_url LIKE 'linkedin.com/in/%'")
            cursor.execute("UPDATE core.companies SET domain = 'WWW.' || upper(domain)"
                           " WHERE id % 5 = 0 AND domain ~ '^[a-z0-9.-]+$'")
    return request.param


def test_every_extracted_experience_reaches_work_history_with_mapped_titles(core_lookup):
    never = scalar("SELECT count(*) FROM extracted.person_experience e WHERE NOT EXISTS"
                   " (SELECT 1 FROM core.person_work_history w WHERE w.source_record_id = e.id)")
    before = scalar("SELECT count(*) FROM core.person_work_history")
    synced = {row_id for (row_id,) in _rows("SELECT source_record_id FROM core.person_work_history")}
    job = _run()
    companies = {normalise_domain(domain): cid for domain, cid in _rows("SELECT domain, id FROM core.companies")}
    linked = {row_id: (normalise_domain(domain) if domain else None, cid) for row_id, domain, cid in _rows(
        "SELECT w.source_record_id, e.company_domain, w.company_id FROM core.person_work_history w"
        " JOIN extracted.person_experience e ON e.id = w.source_record_id")}
    assert {row_id: cid for row_id, (_, cid) in linked.items() if row_id not in synced} == {
        row_id: companies.get(domain) for row_id, (domain, _) in linked.items() if row_id not in synced}
    assert job.checkpoint["inserted"] == never == 600
    assert scalar("SELECT count(*) FROM core.person_work_history") == before + never
    assert _coalesced() == _oracle()
    assert job.checkpoint["by_rule"] > 0  # the demo has titles the mapping table lacks


def test_running_again_changes_nothing_and_a_sweep_reads_only_new_rows(demo):
    _run()
    snapshot = _coalesced()
    for mode in ("reconcile", "refresh"):
        assert _run(mode).rows_done == 0 and _coalesced() == snapshot
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO extracted.person_experience (linkedin_url, company_name, company_domain, title,"
                       " start_date, is_current) VALUES ('https://www.linkedin.com/in/JohnDoe/', 'Ironclad',"
                       " 'https://Ironclad.com', 'Head of Growth', '2026-10-01', true) RETURNING id")
        new_id = cursor.fetchone()[0]
    sweep = _run()
    assert sweep.total == 1 and sweep.checkpoint["inserted"] == 1
    added = _coalesced()[new_id]
    assert added[1:3] == ("linkedin.com/in/johndoe", "ironclad.com") and added[5:7] == ("Marketing", "Director")


def test_a_reconciliation_writes_only_what_never_reached_core(demo):
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM extracted.person_experience ORDER BY id OFFSET 10 LIMIT 2")
        lost = [row[0] for row in cursor.fetchall()]
    _run()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core.person_work_history WHERE source_record_id = ANY(%s)", [lost])
    assert _run().rows_done == 0  # the sweep's mark is past them
    job = _run("reconcile")
    assert (job.rows_done, job.checkpoint["inserted"]) == (2, 2)
    assert _coalesced() == _oracle()


def test_rows_only_python_can_resolve_match_the_oracle(demo):
    # The batch statement resolves keys, core ids and mapped titles in SQL; what it leaves NULL
    # (escaped or non-ASCII keys, a title with surrounding whitespace, a person stored under
    # another spelling) is resolved in Python, and both must agree with the oracle.
    mapped_title = scalar("SELECT raw_title FROM reference.job_title_mapping ORDER BY raw_title LIMIT 1")
    person = scalar("SELECT linkedin_url FROM core.people WHERE linkedin_url ~ '^linkedin\\.com/in/[a-z0-9-]+$'"
                    " ORDER BY id LIMIT 1")
    with connection.cursor() as cursor:
        # Python strips a title before looking it up, so these two rows must never match it.
        cursor.execute("INSERT INTO reference.job_title_mapping VALUES ('Chief Dry Officer ', 'Sales', 'CXO'),"
                       " ('', 'Sales', 'CXO')")
        cursor.execute("UPDATE core.people SET linkedin_url = 'https://www.' || linkedin_url || '/'"
                       " WHERE linkedin_url = %s", [person])
        for url, domain, title in [
                ("https://www.linkedin.com/in/garc%C3%ADa-dry/", "bücher-dry.de", f" {mapped_title}\t"),
                (person, "xn--bcher-dry-q9a.de", "Head of Growth Hacking"),
                ("linkedin.com/in/Ünïcode-Dry", "HTTP://Dirty-Dry.COM/x", "\u00a0" + mapped_title),
                ("not a profile", "dirty-dry.com", mapped_title),
                (f"https://{person}/", None, "  "),
                (person, "dirty-dry.com", "Chief Dry Officer "), (person, "dirty-dry.com", "")]:
            cursor.execute("""INSERT INTO extracted.person_experience (id, linkedin_url, company_domain, title)
                              SELECT max(id) + 1, %s, %s, %s FROM extracted.person_experience""", [url, domain, title])
    synced = set(_coalesced())
    job = _run("reconcile")
    expected = {row_id: row for row_id, row in _oracle().items() if row_id not in synced}
    assert {row_id: row for row_id, row in _coalesced().items() if row_id not in synced} == expected
    assert len(expected) == job.checkpoint["inserted"] and job.checkpoint["invalid"] == 1
    assert scalar("SELECT count(DISTINCT person_id) FROM core.person_work_history WHERE linkedin_url = %s",
                  [person]) == 1


def test_a_changed_extracted_row_is_updated_by_a_refresh(demo):
    _run()
    row_id = scalar("SELECT min(id) FROM extracted.person_experience")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE extracted.person_experience SET title = 'VP Sales' WHERE id = %s", [row_id])
    assert _run().rows_done == 0  # a sweep only looks past its mark
    assert _run("reconcile").rows_done == 0  # the row is in core, just stale
    job = _run("refresh")
    assert job.checkpoint["updated"] == 1
    assert _coalesced()[row_id][4:7] == ("VP Sales", "Sales", "VP")


def test_a_keys_job_coalesces_the_experience_of_exactly_those_people(demo):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core.person_work_history WHERE source_record_id IS NOT NULL")
    urls = [url for (url,) in _rows("SELECT DISTINCT linkedin_url FROM extracted.person_experience ORDER BY 1 LIMIT 2")]
    wanted = {normalise_linkedin_url(url) for url in urls}
    job = queued_job(kind="coalesce_person_experience", params={"keys": [url.upper() for url in urls]},
                     batch_size=50, sleep_ms=0)
    assert job.params["keys"] == sorted(wanted)
    assert job_run(job_id=job.pk) == "completed"
    expected = {row_id: row for row_id, row in _oracle().items() if row[1] in wanted}
    assert expected and _coalesced() == expected


def test_a_sweep_starts_where_a_reconciliation_ended_but_not_where_a_keys_job_did(demo):
    url = _rows("SELECT linkedin_url FROM extracted.person_experience ORDER BY id DESC LIMIT 1")[0][0]
    keys_job = queued_job(kind="coalesce_person_experience", params={"keys": [url]}, sleep_ms=0)
    assert job_run(job_id=keys_job.pk) == "completed"
    first_sweep = _run()
    assert first_sweep.dry_run_report["details"]["start_after_id"] == 0
    assert 0 < first_sweep.rows_done <= first_sweep.total == scalar("SELECT count(*) FROM extracted.person_experience")
    _run("reconcile")
    assert _run().total == 0


def test_a_reconciliation_in_two_parts_side_by_side_writes_each_row_once(demo):
    synced = {row_id for (row_id,) in _rows("SELECT source_record_id FROM core.person_work_history")}
    first = queued_job(kind="coalesce_person_experience", params={"mode": "reconcile", "part": "1/2"}, sleep_ms=0)
    second = queued_job(kind="coalesce_person_experience", params={"mode": "reconcile", "part": "2/2"}, sleep_ms=0)
    assert "part 1/2" in first.dry_run_report["summary"]
    with pytest.raises(JobRefused, match="for part 1/2 is queued"):
        queued_job(kind="coalesce_person_experience", params={"mode": "reconcile", "part": "1/2"})
    with pytest.raises(JobParamsError, match="part splits a reconciliation only"):
        queued_job(kind="coalesce_person_experience", params={"mode": "refresh", "part": "1/2"})
    with pytest.raises(JobParamsError, match="need 1 <= k <= n"):
        queued_job(kind="coalesce_person_experience", params={"mode": "reconcile", "part": "3/2"})
    assert job_run(job_id=first.pk) == job_run(job_id=second.pk) == "completed"
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.checkpoint["inserted"] + second.checkpoint["inserted"] == 600
    assert first.checkpoint["inserted"] > 0 and second.checkpoint["inserted"] > 0
    new = {row_id: row for row_id, row in _coalesced().items() if row_id not in synced}
    assert new == {row_id: row for row_id, row in _oracle().items() if row_id not in synced}


def test_a_coalescing_job_counts_its_work_once_and_walks_what_it_counted(demo, monkeypatch):
    from cleanup.coalescing.sql import experience

    counted = {"calls": 0}
    real_count = experience.pending_count

    def pending_count(**kwargs):
        counted["calls"] += 1
        return real_count(**kwargs)

    monkeypatch.setattr(experience, "pending_count", pending_count)
    job = queued_job(kind="coalesce_person_experience", params={"mode": "reconcile"}, batch_size=200, sleep_ms=0)
    assert counted["calls"] == 1  # the dry run
    assert job_run(job_id=job.pk) == "completed"
    job.refresh_from_db()
    assert counted["calls"] == 1 and job.total == job.rows_done == job.checkpoint["inserted"] > 0
    sweep = queued_job(kind="coalesce_person_experience", params={"mode": "sweep"}, batch_size=200, sleep_ms=0)
    assert sweep.dry_run_report["details"]["start_after_id"] == job.checkpoint["after_id"]
    # Had the dry run counted from the first id, the sweep walks from there: what it counted.
    sweep.dry_run_report["details"]["start_after_id"] = 0
    sweep.save(update_fields=["dry_run_report"])
    assert job_run(job_id=sweep.pk) == "completed"
    sweep.refresh_from_db()
    assert counted["calls"] == 2
    assert sweep.batches > scalar("SELECT count(*) FROM extracted.person_experience") // 1000
