"""Each seed job against an independent SQL (or Python) oracle, in-process."""

import pytest
from django.db import connection
from psycopg import sql

from cleanup.jobs.engine import job_run
from cleanup.jobs.models import ArchivedCompany, BatchJob
from cleanup.jobs.services import JobRefused, job_preview
from enrichhub.db_roles import JOBS
from kernel import InvalidEntityKey, normalise_domain
from tests.factories import queued_job
from tests.oracles import WITHOUT_LOCATION, column, scalar, table_digest, unreferenced_without_location
from tests.roles import run_as


@pytest.fixture(autouse=True)
def _jobs_role(request):
    """After the warehouse is seeded, every job here runs with the jobs role's privileges."""
    if "demo" in request.fixturenames and not request.node.get_closest_marker("table_owner"):
        request.getfixturevalue("demo")
        run_as(JOBS)


def _run(kind: str, params: dict | None = None, batch_size: int = 100) -> BatchJob:
    job = queued_job(kind=kind, params=params or {}, batch_size=batch_size, sleep_ms=0)
    assert job_run(job_id=job.pk) == BatchJob.Status.COMPLETED, BatchJob.objects.get(pk=job.pk).last_error
    job.refresh_from_db()
    return job


def test_deleting_companies_without_location_removes_exactly_the_unreferenced_ones(demo):
    doomed = unreferenced_without_location()
    referenced = len(column(WITHOUT_LOCATION)) - len(doomed)
    job = _run("delete_companies_missing_location")
    assert job.rows_done == len(doomed) and job.batches > 2
    assert len(column(WITHOUT_LOCATION)) == referenced
    assert set(column("SELECT id FROM archive.core_companies WHERE archive_job_id = %s", [job.pk])) == doomed
    assert scalar("SELECT count(*) FROM core.companies_missing_location m WHERE m.id = ANY(%s)", [list(doomed)]) == 0
    assert scalar("SELECT count(*) FROM archive.core_companies_missing_location WHERE archive_job_id = %s",
                  [job.pk]) == len(doomed)


def test_restoring_brings_back_exactly_what_was_deleted(demo):
    before = table_digest("core.companies"), table_digest("core.companies_missing_location")
    deleted = _run("delete_companies_missing_location")
    assert table_digest("core.companies") != before[0]
    restored = _run("restore_companies_missing_location", {"job_id": deleted.pk})
    assert restored.rows_done == deleted.rows_done
    assert (table_digest("core.companies"), table_digest("core.companies_missing_location")) == before
    assert scalar("SELECT count(*) FROM archive.core_companies") == 0


def test_a_company_deleted_restored_and_deleted_again_is_archived_once_per_job(demo):
    first = _run("delete_companies_missing_location")
    _run("restore_companies_missing_location", {"job_id": first.pk})
    again = _run("delete_companies_missing_location")
    assert again.rows_done == first.rows_done > 0
    assert ArchivedCompany.objects.filter(archive_job_id=again.pk).count() == again.rows_done
    assert not ArchivedCompany.objects.filter(archive_job_id=first.pk).exists()  # given back by the restore


@pytest.mark.table_owner
def test_a_delete_is_refused_while_the_warehouse_has_a_column_its_archive_lacks(demo):
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE core.companies ADD COLUMN headquarters text")
    before = scalar("SELECT count(*) FROM core.companies")
    with pytest.raises(JobRefused, match=r"no column for core\.companies\.headquarters"):
        queued_job(kind="delete_companies_missing_location")
    assert scalar("SELECT count(*) FROM core.companies") == before and not BatchJob.objects.exists()


def _funding_oracle() -> dict[str, str]:
    funded = set(column("SELECT domain FROM core.company_funding"))
    latest: dict[str, tuple] = {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, domain, total_funding_amount_range_usd, created_at FROM extracted.company_discovery"
                       " WHERE total_funding_amount_range_usd IS NOT NULL")
        for row_id, domain, funding, created in cursor.fetchall():
            try:
                key = normalise_domain(domain)
            except InvalidEntityKey:
                continue
            if key not in latest or (created, row_id) > latest[key][:2]:
                latest[key] = (created, row_id, funding)
    return {domain: value[2] for domain, value in latest.items() if domain not in funded}


def test_the_funding_backfill_adds_the_latest_range_of_each_missing_domain(demo):
    expected = _funding_oracle()
    assert len(expected) == 960  # the seed's 96,000 at scale 0.01
    before = set(column("SELECT domain FROM core.company_funding"))
    job = _run("funding_backfill", batch_size=300)
    assert {d: r for d, r in _funding().items() if d not in before} == expected and job.rows_done == len(expected)
    assert job.total == job.rows_done  # the job's own dry run counted it
    assert scalar("SELECT to_regclass(%s)", [f"public.funding_backfill_job{job.pk}"]) is None
    assert scalar("SELECT count(*) FROM core.company_funding WHERE domain = 'ironclad.com' AND "
                  "funding_min_usd IS NULL AND raw_funding_range NOT LIKE '%%+'") == 0


def _funding_job_interrupted(monkeypatch, *, fail_when) -> BatchJob:
    """A funding backfill over partitions of about 40 staged rows whose run fails after the
    first batch `fail_when(checkpoint)` is true for, that batch rolled back."""
    from cleanup.jobs.kinds import KINDS, funding

    monkeypatch.setattr(funding, "STAGED_ROWS_PER_PARTITION", 40)
    # Partitions are sized by the planner's count of the source, which a vacuum running beside
    # this test's uncommitted restore may have set to anything: here, the exact count.
    monkeypatch.setattr(funding.sql, "source_rows_estimate",
                        lambda: scalar("SELECT count(*) FROM extracted.company_discovery"))
    kind = KINDS["funding_backfill"]
    real_batch = kind.run_batch

    def flaky(job, *, limit):
        batch = real_batch(job, limit=limit)
        if fail_when(batch.checkpoint):
            raise RuntimeError("worker lost mid-batch")
        return batch

    monkeypatch.setattr(kind, "run_batch", flaky)
    job = queued_job(kind="funding_backfill", batch_size=300, sleep_ms=0)
    assert job_run(job_id=job.pk) == "failed"
    monkeypatch.setattr(kind, "run_batch", real_batch)
    job.refresh_from_db()
    return job


def test_the_funding_backfill_inserts_partition_by_partition_and_resumes_after_a_lost_batch(demo, monkeypatch):
    from cleanup.jobs.services import job_resume

    expected = _funding_oracle()
    before = set(column("SELECT domain FROM core.company_funding"))
    job = _funding_job_interrupted(monkeypatch, fail_when=lambda checkpoint: checkpoint.get("partition") == 4)
    assert job.checkpoint == {"phase": "insert", "partition": 3}
    partitions = scalar("SELECT count(*) FROM pg_inherits WHERE inhparent = %s::regclass",
                        [f"public.funding_backfill_job{job.pk}"])
    assert partitions > 10
    job_resume(job=job)
    assert job_run(job_id=job.pk) == "completed"
    job.refresh_from_db()
    assert {d: r for d, r in _funding().items() if d not in before} == expected and job.rows_done == len(expected)
    assert job.checkpoint["partition"] == partitions


def test_a_funding_backfill_whose_staging_table_was_dropped_stages_again(demo, monkeypatch):
    from cleanup.jobs.services import job_resume

    expected = _funding_oracle()
    before = set(column("SELECT domain FROM core.company_funding"))
    job = _funding_job_interrupted(monkeypatch, fail_when=lambda checkpoint: checkpoint.get("partition") == 2)
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier("public", f"funding_backfill_job{job.pk}")))
    job_resume(job=job)
    assert job_run(job_id=job.pk) == "completed"
    job.refresh_from_db()
    assert {d: r for d, r in _funding().items() if d not in before} == expected and job.rows_done == len(expected)


@pytest.mark.table_owner
def test_the_funding_partitions_are_sized_by_a_count_when_the_source_was_never_analysed(demo):
    from cleanup.jobs.sql import funding as funding_sql

    rows = scalar("SELECT count(*) FROM extracted.company_discovery")
    with connection.cursor() as cursor:  # as a table looks before its first ANALYZE
        cursor.execute("UPDATE pg_class SET reltuples = -1 WHERE oid = 'extracted.company_discovery'::regclass")
    assert rows > 0 and funding_sql.source_rows_estimate() == rows


def test_the_funding_backfill_stages_spellings_sql_cannot_normalise_through_python(demo):
    # Hosts beyond ASCII and IDNA are left to Python by the SQL key function; an invalid host
    # is skipped; dirty ASCII spellings are normalised in SQL. All must match the oracle.
    spellings = ["bücher-funding.de", "xn--bcher-funding-2ob.de", "HTTPS://WWW.Dirty-Funding.COM/about",
                 "dirty-funding.com", "not a domain", "ünïcode-only.example"]
    with connection.cursor() as cursor:
        for offset, domain in enumerate(spellings):
            cursor.execute("""INSERT INTO extracted.company_discovery (id, domain, total_funding_amount_range_usd,
                                  created_at)
                              SELECT max(id) + 1, %s, %s, now() + make_interval(secs => %s)
                              FROM extracted.company_discovery""", [domain, f"${offset + 1}M - ${offset + 2}M", offset])
    expected = _funding_oracle()
    assert {normalise_domain(d) for d in ("bücher-funding.de", "dirty-funding.com", "ünïcode-only.example")} <= set(
        expected)
    before = set(column("SELECT domain FROM core.company_funding"))
    _run("funding_backfill", batch_size=300)
    assert {d: r for d, r in _funding().items() if d not in before} == expected


@pytest.mark.parametrize("few_keys", [100, 0], ids=["few-python-keys", "many-python-keys"])
def test_the_funding_dry_run_counts_what_the_backfill_adds(demo, monkeypatch, few_keys):
    # Each spelling SQL cannot normalise reaches Python once; a key both normalise to is counted
    # once, and one core already has is not missing.
    from cleanup.jobs.kinds.funding import FundingBackfill
    from cleanup.jobs.sql import funding as funding_sql

    monkeypatch.setattr(funding_sql, "FEW_UNDECIDED_KEYS", few_keys)
    spellings = ["bücher-dry.de", "xn--bcher-dry-q9a.de", "HTTP://Dirty-Dry.COM:443/x", "dirty-dry.com",
                 "no domain here", "ünïcode-dry.example", "ｆｕｌｌｗｉｄｔｈ-dry.com", "fullwidth-dry.com"]
    with connection.cursor() as cursor:
        for domain in spellings:
            cursor.execute("""INSERT INTO extracted.company_discovery (id, domain, total_funding_amount_range_usd)
                              SELECT max(id) + 1, %s, '$1M - $5M' FROM extracted.company_discovery""", [domain])
        cursor.execute("INSERT INTO core.company_funding (domain, raw_funding_range, source) VALUES (%s, 'x', 'test')",
                       [normalise_domain("ünïcode-dry.example")])
    with_range = {normalise_domain(d) for d in column("SELECT domain FROM extracted.company_discovery"
                                                      " WHERE total_funding_amount_range_usd IS NOT NULL")
                  if d != "no domain here"}
    dry_run = FundingBackfill().dry_run(BatchJob(kind="funding_backfill", params={}))
    assert dry_run.would_change == len(_funding_oracle()) == len(with_range - set(column(
        "SELECT domain FROM core.company_funding")))
    assert dry_run.details == {"domains_with_range": len(with_range), "invalid_domains": 1}
    assert FundingBackfill().dry_run(BatchJob(kind="funding_backfill", params={
        "keys": sorted({"bucher-none.de", normalise_domain("bücher-dry.de"), "fullwidth-dry.com"})})).would_change == 2


def test_the_funding_backfill_for_some_keys_adds_exactly_those(demo):
    expected = _funding_oracle()
    chosen = sorted(expected)[:7]
    before = _funding()
    job = _run("funding_backfill", {"keys": [f"https://www.{domain}/" for domain in chosen]}, batch_size=300)
    added = {d: r for d, r in _funding().items() if d not in before}
    assert added == {domain: expected[domain] for domain in chosen} and job.rows_done == 7


def _funding() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT domain, raw_funding_range FROM core.company_funding")
        return dict(cursor.fetchall())


def test_the_tenure_backfill_adds_each_missing_person_once_with_the_latest_start_date(demo):
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT ON (person_id) person_id, job_start_date FROM core.person_job_start_dates s"
                       " WHERE NOT EXISTS (SELECT 1 FROM core.person_tenure t WHERE t.person_id = s.person_id)"
                       " ORDER BY person_id, job_start_date DESC, source")
        expected = dict(cursor.fetchall())
    assert len(expected) == 49
    job = _run("tenure_backfill", batch_size=10)
    with connection.cursor() as cursor:
        cursor.execute("SELECT person_id, job_start_date FROM core.person_tenure WHERE person_id = ANY(%s)",
                       [list(expected)])
        assert dict(cursor.fetchall()) == expected
    assert job.rows_done == 49 and _run("tenure_backfill").rows_done == 0


@pytest.mark.table_owner
def test_a_reference_table_is_retired_only_when_its_purpose_is_served_and_can_come_back(demo):
    table = "reference.people_missing_country"
    with pytest.raises(JobRefused, match="still without person_country"):
        queued_job(kind="drop_reference_tables", params={"table": table})
    rows = scalar("SELECT count(*) FROM reference.people_missing_country")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core.people SET person_country = 'Germany' WHERE id IN "
                       "(SELECT id FROM reference.people_missing_country)")
    dropped = _run("drop_reference_tables", {"table": table})
    assert scalar("SELECT to_regclass('reference.people_missing_country')") is None
    archived = sql.Identifier("archive", f"people_missing_country__retired_job{dropped.pk}")
    assert scalar(sql.SQL("SELECT count(*) FROM {}").format(archived)) == rows
    _run("restore_reference_tables", {"job_id": dropped.pk})
    assert scalar("SELECT count(*) FROM reference.people_missing_country") == rows


def test_dry_runs_change_nothing(demo):
    tables = ["core.companies", "core.company_funding", "core.person_tenure", "core.companies_missing_location"]
    before = [table_digest(t) for t in tables]
    retire = ("drop_reference_tables", {"table": "reference.people_missing_country"})
    for kind, params in [("delete_companies_missing_location", {}), ("funding_backfill", {}),
                         ("tenure_backfill", {}), retire]:
        assert job_preview(kind=kind, params=params)["summary"]
    assert [table_digest(t) for t in tables] == before
    assert not BatchJob.objects.exists()


def test_a_second_job_of_a_kind_is_refused_while_one_is_active(demo):
    first = queued_job(kind="tenure_backfill")
    with pytest.raises(JobRefused, match=f"tenure_backfill job #{first.pk} is queued"):
        queued_job(kind="tenure_backfill")


def test_a_paused_job_does_nothing_and_a_cancel_stops_between_batches(demo):
    from cleanup.jobs.services import job_cancel, job_pause

    paused = queued_job(kind="delete_companies_missing_location", batch_size=100, sleep_ms=0)
    job_pause(job=paused)
    assert job_run(job_id=paused.pk) == "paused" and paused.rows_done == 0
    BatchJob.objects.filter(pk=paused.pk).update(status="cancelled")
    job = queued_job(kind="delete_companies_missing_location", batch_size=100, sleep_ms=0)
    status = job_run(job_id=job.pk, progress=lambda current: job_cancel(job=current))
    job.refresh_from_db()
    assert status == "cancelled" and job.batches == 1 and job.finished_at is not None
    assert scalar("SELECT count(*) FROM archive.core_companies WHERE archive_job_id = %s", [job.pk]) == job.rows_done


def test_a_failing_batch_rolls_back_and_the_resumed_job_ends_like_a_clean_run(demo, monkeypatch):
    from cleanup.jobs.kinds import KINDS
    from cleanup.jobs.services import job_resume

    kind = KINDS["delete_companies_missing_location"]
    real_batch, calls = kind.run_batch, {"n": 0}

    def flaky(job, *, limit):
        calls["n"] += 1
        batch = real_batch(job, limit=limit)
        if calls["n"] == 3:
            raise RuntimeError("worker lost mid-batch")
        return batch

    monkeypatch.setattr(kind, "run_batch", flaky)
    job = queued_job(kind="delete_companies_missing_location", batch_size=100, sleep_ms=0)
    assert job_run(job_id=job.pk) == "failed"
    job.refresh_from_db()
    archived = scalar("SELECT count(*) FROM archive.core_companies WHERE archive_job_id = %s", [job.pk])
    assert job.batches == 2 and archived == job.rows_done  # batch 3's delete and archive rolled back together
    assert "worker lost mid-batch" in job.last_error
    monkeypatch.setattr(kind, "run_batch", real_batch)
    job_resume(job=job)
    assert job_run(job_id=job.pk) == "completed"
    assert unreferenced_without_location() == set()


def test_unknown_kinds_and_bad_parameters_are_refused_by_name(demo):
    from cleanup.jobs.kinds.base import JobParamsError

    with pytest.raises(JobParamsError, match="unknown job kind 'vacuum'"):
        queued_job(kind="vacuum")
    with pytest.raises(JobParamsError, match="table must be one of"):
        queued_job(kind="drop_reference_tables", params={"table": "core.companies"})
    with pytest.raises(JobParamsError, match="job_id must be a positive job id"):
        queued_job(kind="restore_companies_missing_location", params={"job_id": "x"})
    with pytest.raises(JobParamsError, match="takes no parameters"):
        queued_job(kind="tenure_backfill", params={"limit": 5})


def test_per_batch_lines_go_to_the_batch_log_not_the_console(demo, settings):
    import logging
    from pathlib import Path

    log = Path(settings.JOB_BATCH_LOG)
    before = log.stat().st_size if log.exists() else 0
    job = _run("tenure_backfill", batch_size=10)
    assert job.batches > 1
    with log.open() as written:
        written.seek(before)
        assert f"job {job.pk} batch {job.batches}:" in written.read()
    batches = logging.getLogger("enrichhub.jobs.batches")
    # Not up to the root's console handler, and none of its own (pytest adds its capture handlers).
    assert batches.propagate is False
    configured = [type(handler) for handler in batches.handlers if type(handler).__module__.startswith("logging")]
    assert configured == [logging.handlers.WatchedFileHandler]
