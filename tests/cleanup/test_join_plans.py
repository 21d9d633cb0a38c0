"""The delete job's count of unreferenced companies must not depend on the join the planner picks.

PostgreSQL 16.0-16.3 could return too few rows from a Merge Right Anti Join (fixed in 16.4): on
the demo data a NOT EXISTS count over person_work_history.company_id gave 2,528 instead of 2,534.
The same count is computed here under a forced merge join, with merge joins off, and as a set
difference that involves no join at all; all must agree.
"""

import pytest
from django.db import connection, transaction
from psycopg import sql

UNREFERENCED_WITHOUT_LOCATION = """
SELECT count(*) FROM core.companies c
WHERE c.discovery_location IS NULL AND c.salesnav_location IS NULL
  AND NOT EXISTS (SELECT 1 FROM core.person_work_history w WHERE w.company_id = c.id)"""
# EXCEPT is a set operation: no join node, so no join strategy can change its answer.
PLANNER_INDEPENDENT = """
SELECT count(*) FROM (
    SELECT id FROM core.companies WHERE discovery_location IS NULL AND salesnav_location IS NULL
    EXCEPT
    SELECT company_id FROM core.person_work_history WHERE company_id IS NOT NULL) unreferenced"""
ONLY_MERGE_JOINS = ("SET LOCAL enable_hashjoin = off", "SET LOCAL enable_nestloop = off",
                    "SET LOCAL enable_mergejoin = on")
NO_MERGE_JOINS = ("SET LOCAL enable_mergejoin = off",)


def _count_under(settings: tuple[str, ...], query: str = UNREFERENCED_WITHOUT_LOCATION) -> tuple[int, str]:
    with transaction.atomic(), connection.cursor() as cursor:
        for setting in settings:
            cursor.execute(setting)
        cursor.execute("EXPLAIN (COSTS OFF) " + query)
        plan = "\n".join(line for (line,) in cursor.fetchall())
        cursor.execute(query)
        return cursor.fetchone()[0], plan


def _link_work_history(every: int) -> None:
    """Point every n-th work-history row at a company, many rows at the same few companies, as
    the coalescer does: duplicate keys on the outer side are what the broken merge mishandled."""
    with connection.cursor() as cursor:
        cursor.execute("""
            WITH companies AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM core.companies),
                 total AS (SELECT count(*) AS k FROM core.companies)
            UPDATE core.person_work_history w SET company_id = c.id
            FROM companies c, total
            WHERE w.id %% %s = 0 AND c.n = (w.id * 7) %% greatest(total.k / 3, 1)""", [every])
        cursor.execute("ANALYZE core.companies")
        cursor.execute("ANALYZE core.person_work_history")


@pytest.mark.parametrize("every", [50, 10, 2])  # about 2%, 10% and 50% of work history linked
def test_the_unreferenced_count_is_the_same_under_every_join_plan(demo, every):
    _link_work_history(every)
    merge, merge_plan = _count_under(ONLY_MERGE_JOINS)
    assert "Merge" in merge_plan and "Anti Join" in merge_plan, merge_plan
    without_merge, other_plan = _count_under(NO_MERGE_JOINS)
    assert "Merge" not in other_plan
    expected, set_plan = _count_under((), PLANNER_INDEPENDENT)
    assert "Join" not in set_plan
    default, _ = _count_under(())
    assert merge == without_merge == default == expected
    assert 0 < expected  # the data leaves some companies unreferenced, so a short count shows


def _work_history_rows_read(plan: dict) -> int:
    """Rows every scan of core.person_work_history in the plan produced, over all its loops."""
    rows = 0
    if plan.get("Relation Name") == "person_work_history":
        rows += plan["Actual Rows"] * plan["Actual Loops"]
    return rows + sum(_work_history_rows_read(child) for child in plan.get("Plans", []))


@pytest.mark.parametrize("every", [10, 2])  # about 10% and 50% of work history linked
@pytest.mark.parametrize("settings", [ONLY_MERGE_JOINS, ()], ids=["merge anti-join", "planner's choice"])
def test_a_delete_batch_reads_work_history_only_within_its_window(demo, every, settings):
    from cleanup.jobs.sql.companies import DOOMED

    _link_work_history(every)  # links point at the first third of the companies
    batch = 100
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT percentile_disc(0.9) WITHIN GROUP (ORDER BY id) FROM core.companies")
        late = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM core.person_work_history WHERE company_id <= %s", [late])
        linked_before_window = cursor.fetchone()[0]
        for setting in settings:
            cursor.execute(setting)
        cursor.execute(sql.SQL("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {}").format(DOOMED),
                       {"after": late, "limit": batch})
        plan = cursor.fetchone()[0][0]["Plan"]
    assert linked_before_window > 10 * batch  # what an unbounded scan would read
    assert _work_history_rows_read(plan) <= 2 * batch, plan
