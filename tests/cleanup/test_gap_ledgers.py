"""The incremental gap check against an oracle that counts from scratch in Python, the way the
check worked before it kept ledgers: after new rows, dirty spellings, invalid keys, deletions
the marks cannot see, and a check that dies between windows."""

import pytest
from django.db import connection
from psycopg import sql as pg

from cleanup.gaps import checks, sql
from cleanup.gaps.checks import gap_missing_keys, gaps_check
from cleanup.gaps.models import GapLedger, GapSnapshot
from registry.demo import demo_registry_complete
from registry.models import Workflow
from tests.oracles import GapFigures, gap_oracle


def _rows(query: pg.Composable) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query)
        return cursor.fetchall()


def measured(gap: checks.Gap) -> GapFigures:
    return GapFigures(gap.keys_in_extracted, gap.keys_in_core, gap.gap, gap.invalid_keys, gap.rows_waiting)


CHECKED = ["person_profile", "person_experience", "company_discovery", "company_funding", "company_customers",
           "person_salesnav_profile"]


@pytest.fixture
def registry(demo, settings):
    settings.GAP_WINDOW_ROWS = 700  # several windows per table at the test scale
    demo_registry_complete()


def _execute(statement: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _new_rows() -> None:
    """Rows past every mark: new people and companies in dirty spellings, invalid keys,
    non-ASCII and escaped keys only Python can normalise, and the core side catching up."""
    _execute("""INSERT INTO extracted.person_profile (linkedin_url, full_name) VALUES
                ('https://www.LinkedIn.com/in/Brand-New-1/', 'a'), ('linkedin.com/in/brand-new-1', 'a'),
                ('https://uk.linkedin.com/in/j%C3%BCrgen-neu', 'b'), ('not a profile', 'c'),
                ('linkedin.com/in/brand-new-2?trk=x', 'd')""")
    _execute("""INSERT INTO core.people (id, linkedin_url) VALUES
                ((SELECT max(id) + 1 FROM core.people), 'linkedin.com/in/brand-new-2'),
                ((SELECT max(id) + 2 FROM core.people), 'linkedin.com/in/jürgen-neu')""")
    _execute("""INSERT INTO extracted.company_discovery (domain, total_funding_amount_range_usd) VALUES
                ('HTTPS://WWW.Fresh-One.io/about', '$1M - $5M'), ('fresh-one.io', NULL), ('münchen-neu.de', '$5M+'),
                ('-bad-.com', '$1M+')""")
    # An experience row whose person is already in core: a gap of rows, not of keys.
    _execute("""INSERT INTO extracted.person_experience (linkedin_url, company_name)
                SELECT linkedin_url, 'Newco' FROM core.people ORDER BY id LIMIT 3""")


def test_the_first_check_counts_what_the_oracle_counts(registry):
    gaps = {g.workflow: g for g in gaps_check(workflow_names=CHECKED)}
    for name in CHECKED:
        assert measured(gaps[name]) == gap_oracle(name), name
    assert gaps["person_profile"].gap > 0 and gaps["company_customers"].keys_in_core is None


def test_the_hourly_check_reads_only_new_rows_and_stays_exact(registry):
    gaps_check(workflow_names=CHECKED)
    marks = {ledger.pk: ledger.counted_through_id for ledger in GapLedger.objects.all()}
    recounts = {ledger.pk: ledger.recounted_at for ledger in GapLedger.objects.all()}
    _new_rows()
    gaps = {g.workflow: g for g in gaps_check(workflow_names=CHECKED)}
    for name in CHECKED:
        assert measured(gaps[name]) == gap_oracle(name), name
    advanced = GapLedger.objects.filter(source_table__in=["extracted.person_profile", "core.people"])
    assert all(ledger.counted_through_id > marks[ledger.pk] for ledger in advanced)
    # Never started over: core.company_funding, which has no id to keep a mark on, did not change.
    assert {ledger.pk: ledger.recounted_at for ledger in GapLedger.objects.all()} == recounts
    assert "linkedin.com/in/brand-new-1" in gap_missing_keys(workflow_name="person_profile")
    assert "linkedin.com/in/brand-new-2" not in gap_missing_keys(workflow_name="person_profile")


def test_a_table_without_an_id_is_counted_again_when_it_changed(registry):
    (before,) = gaps_check(workflow_names=["company_funding"])
    _execute("""DELETE FROM core.company_funding WHERE domain IN (
                    SELECT domain FROM core.company_funding ORDER BY domain LIMIT 3)""")
    (after,) = gaps_check(workflow_names=["company_funding"])
    assert after.keys_in_core == before.keys_in_core - 3 and measured(after) == gap_oracle("company_funding")


def test_rows_that_never_reached_core_count_even_when_their_entity_did(registry):
    (before,) = gaps_check(workflow_names=["person_experience"])
    _execute("""INSERT INTO extracted.person_experience (linkedin_url, company_name)
                SELECT linkedin_url, 'Newco' FROM core.people ORDER BY id LIMIT 3""")
    (after,) = gaps_check(workflow_names=["person_experience"])
    assert after.gap == before.gap  # every key is in core already
    assert after.rows_waiting == before.rows_waiting + 3 == gap_oracle("person_experience").rows_waiting


def _ledger_keys_read(plan: dict) -> int:
    """Rows every scan of the ledger keys in the plan produced, over all its loops."""
    own = plan["Actual Rows"] * plan["Actual Loops"] if plan.get("Relation Name") == "cleanup_gap_ledger_keys" else 0
    return own + sum(_ledger_keys_read(child) for child in plan.get("Plans", []))


def test_the_tallies_read_the_other_ledger_only_for_the_window_s_own_keys(registry):
    """A window's tally statements run as EXPLAIN ANALYZE, which still performs them: each may
    read the ledgers for the window's keys, never a whole ledger (thousands of keys here)."""
    gaps_check(workflow_names=CHECKED)
    _new_rows()
    reads: list[tuple[int, int]] = []

    def explained(execute, statement, params, many, context):
        if not isinstance(statement, str) or not statement.lstrip().startswith("UPDATE cleanup_gap_tallies"):
            return execute(statement, params, many, context)
        result = execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, params, many, context)
        raw_cursor = context["cursor"].cursor
        ((plan,),) = raw_cursor.fetchone()
        raw_cursor.execute("SELECT count(*) FROM gap_window")
        reads.append((_ledger_keys_read(plan["Plan"]), raw_cursor.fetchone()[0]))
        return result

    with connection.execute_wrapper(explained):
        gaps = {g.workflow: g for g in gaps_check(workflow_names=CHECKED)}
    assert len(reads) >= 4 and any(read for read, _ in reads)
    assert all(read <= window_keys for read, window_keys in reads), reads
    assert min(GapLedger.objects.filter(role=GapLedger.Role.CORE).values_list("keys", flat=True)) > 100
    for name in CHECKED:
        assert measured(gaps[name]) == gap_oracle(name), name


def test_the_full_recount_corrects_what_the_marks_cannot_see_and_reports_the_drift(registry):
    gaps_check(workflow_names=["person_profile"])
    with connection.cursor() as cursor:  # re-keyed below the mark: invisible to the hourly check
        cursor.execute("""UPDATE core.people SET linkedin_url = linkedin_url || '-renamed' WHERE id IN (
                              SELECT p.id FROM core.people p
                              WHERE EXISTS (SELECT FROM extracted.person_profile e
                                            WHERE e.linkedin_url = p.linkedin_url)
                              ORDER BY p.id LIMIT 4)""")
        rekeyed = cursor.rowcount
    assert rekeyed > 0
    (hourly,) = gaps_check(workflow_names=["person_profile"])
    (full,) = gaps_check(workflow_names=["person_profile"], full=True)
    assert measured(full) == gap_oracle("person_profile")
    assert full.full_recount and full.drift_keys == full.gap - hourly.gap == rekeyed
    snapshot = GapSnapshot.objects.filter(workflow_id="person_profile").latest("checked_at")
    assert snapshot.full_recount and snapshot.drift_keys == rekeyed


def test_a_check_that_dies_between_windows_resumes_without_counting_twice(registry, monkeypatch):
    gaps_check(workflow_names=CHECKED)
    _new_rows()
    _execute("""INSERT INTO extracted.person_profile (linkedin_url)
                SELECT 'linkedin.com/in/later-' || g FROM generate_series(1, 2000) g""")
    folds = {"count": 0}
    real_fold = checks.sql.window_fold

    def fold_then_die() -> tuple[int, int]:
        folds["count"] += 1
        if folds["count"] == 3:
            raise RuntimeError("worker killed")
        return real_fold()

    monkeypatch.setattr(checks.sql, "window_fold", fold_then_die)
    with pytest.raises(RuntimeError):
        gaps_check(workflow_names=CHECKED)
    monkeypatch.setattr(checks.sql, "window_fold", real_fold)
    gaps = {g.workflow: g for g in gaps_check(workflow_names=CHECKED)}
    for name in CHECKED:
        assert measured(gaps[name]) == gap_oracle(name), name


def test_the_ledger_keys_are_analysed_once_after_a_first_count_and_not_for_a_few_new_rows(registry, monkeypatch):
    monkeypatch.setattr(checks, "REPLAN_AFTER_KEYS", 10)  # every ledger of the demo grows past it at first
    analysed: list[str] = []
    monkeypatch.setattr(sql, "ledger_keys_analyse", lambda: analysed.append("analyse"))
    gaps_check(workflow_names=CHECKED)
    assert analysed == ["analyse"]
    _new_rows()
    gaps_check(workflow_names=CHECKED)
    assert analysed == ["analyse"]


def test_keys_lost_in_a_server_crash_are_counted_again(registry, caplog):
    """Crash recovery empties an unlogged table; TRUNCATE leaves it in the same state."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpersistence FROM pg_class WHERE relname = 'cleanup_gap_ledger_keys'")
        assert cursor.fetchone()[0] == "u"
    gaps_check(workflow_names=CHECKED)
    recounts = dict(GapLedger.objects.values_list("pk", "recounted_at"))
    _execute("TRUNCATE cleanup_gap_ledger_keys")
    _new_rows()
    gaps = {g.workflow: g for g in gaps_check(workflow_names=CHECKED)}
    for name in CHECKED:
        assert measured(gaps[name]) == gap_oracle(name), name
    assert all(ledger.recounted_at != recounts[ledger.pk] for ledger in GapLedger.objects.all())
    assert "lost in a server crash" in caplog.text


def test_the_view_the_seed_sketched_shows_the_latest_check(registry):
    gaps_check(workflow_names=["person_profile", "company_discovery"])
    _new_rows()
    gaps = {g.workflow: g for g in gaps_check(workflow_names=["person_profile", "company_discovery"])}
    rows = _rows(pg.SQL("""SELECT workflow_name, extracted_table, core_table, in_extracted, in_core, gap, rows_waiting,
                                  measured_at FROM reference.coalescing_gaps ORDER BY workflow_name"""))
    assert [r[0] for r in rows] == ["company_discovery", "person_profile"]
    for name, extracted, core, in_extracted, in_core, gap, waiting, measured_at in rows:
        g = gaps[name]
        assert (in_extracted, in_core, gap, waiting) == (g.keys_in_extracted, g.keys_in_core, g.gap, g.rows_waiting)
        assert extracted == Workflow.objects.get(pk=name).extracted_table and core.startswith("core.")
        assert measured_at == GapSnapshot.objects.filter(workflow_id=name).latest("checked_at").checked_at


def test_a_check_out_of_time_reports_its_progress_and_the_next_one_finishes(registry, settings):
    settings.GAP_WINDOW_ROWS = 50
    settings.GAP_RECOUNT_WINDOW_ROWS = 50
    (partial,) = gaps_check(workflow_names=["person_profile"], budget_s=0)
    assert partial.error.startswith("still counting (extracted.person_profile counted through id 0 of")
    assert not GapSnapshot.objects.exists()  # no half-counted figure reaches the history or the alerts
    checks_needed = 1
    while (gap := gaps_check(workflow_names=["person_profile"], budget_s=0.3)[0]).error:
        checks_needed += 1
        assert "the next check continues" in gap.error
    assert checks_needed > 1 and measured(gap) == gap_oracle("person_profile")


def test_the_weekly_recount_counts_a_core_table_without_ids_again(registry):
    # core.company_funding has no id column: its ledger is counted whole. The recount used to
    # compare the table's changes with the count it held before resetting it, skip the count,
    # and report every extracted key missing from core.
    (hourly,) = gaps_check(workflow_names=["company_funding"])
    (full,) = gaps_check(workflow_names=["company_funding"], full=True)
    oracle = gap_oracle("company_funding")
    assert oracle.keys_in_core > 0
    assert measured(hourly) == measured(full) == oracle and full.drift_keys == 0
