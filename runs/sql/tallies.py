"""The runs summed per workflow, status and week: folding in the changes the triggers recorded
(migration runs/0005), recounting from the runs, and the dashboard's reads of the result."""

from django.db import connection
from django.db.backends.utils import CursorWrapper

# Concurrent folds would both move the same changes; the dashboard refresh is the only folder.
_FOLD_LOCK = "SELECT pg_advisory_xact_lock(hashtext('enrichhub: runs tally fold'))"
# Changes committed after this statement's snapshot stay for the next fold: none is lost.
_FOLD = """
WITH moved AS (DELETE FROM runs_tally_changes RETURNING *)
INSERT INTO runs_tallies AS t
    (workflow_name, status, week, runs, priced_runs, credits, wasted, priced_wasted, last_event_at)
SELECT workflow_name, status, week, sum(runs), sum(priced_runs), sum(credits), sum(wasted), sum(priced_wasted),
       max(last_event_at)
FROM moved GROUP BY 1, 2, 3
ON CONFLICT (workflow_name, status, week) DO UPDATE SET
    runs = t.runs + EXCLUDED.runs, priced_runs = t.priced_runs + EXCLUDED.priced_runs,
    credits = t.credits + EXCLUDED.credits, wasted = t.wasted + EXCLUDED.wasted,
    priced_wasted = t.priced_wasted + EXCLUDED.priced_wasted,
    last_event_at = greatest(t.last_event_at, EXCLUDED.last_event_at)"""
_EMPTY_GROUPS_FORGET = "DELETE FROM runs_tallies WHERE runs = 0"
# One statement, so one snapshot: the changes it forgets are exactly those already in the runs
# it sums. The sums go in as a change of their own, which the fold that follows moves in.
_RECOUNT = """
WITH forgotten AS (DELETE FROM runs_tally_changes RETURNING 1),
     cleared AS (DELETE FROM runs_tallies RETURNING 1)
INSERT INTO runs_tally_changes
    (workflow_name, status, week, runs, priced_runs, credits, wasted, priced_wasted, last_event_at)
SELECT workflow_name, status, date_trunc('week', last_event_at AT TIME ZONE 'UTC')::date, count(*),
       count(credits_spent), coalesce(sum(credits_spent), 0), sum(credits_wasted),
       coalesce(sum(credits_wasted) FILTER (WHERE credits_spent IS NOT NULL), 0), max(last_event_at)
FROM reference.enrichment_runs GROUP BY 1, 2, 3"""

# The tallies as of now: the folded sums plus the changes recorded since the last fold.
_CURRENT_COUNTS = """
SELECT status, sum(runs)::bigint FROM (
    SELECT workflow_name, status, runs FROM runs_tallies
    UNION ALL SELECT workflow_name, status, runs FROM runs_tally_changes) t
WHERE (%(workflow)s::text IS NULL OR workflow_name = %(workflow)s)
  AND (%(status)s::text IS NULL OR status = %(status)s)
GROUP BY status"""

_BY_STATUS = """
SELECT workflow_name, status, sum(runs)::bigint, max(last_event_at), sum(credits), sum(wasted)
FROM runs_tallies GROUP BY workflow_name, status"""
_SPEND_BY_WEEK = """
SELECT workflow_name, week, sum(credits), sum(priced_wasted)
FROM runs_tallies WHERE priced_runs > 0 GROUP BY 1, 2 ORDER BY 2, 1"""


def tally_fold() -> int:
    """Move the recorded changes into the tallies (inside the caller's transaction); returns how
    many groups changed."""
    with connection.cursor() as cursor:
        cursor.execute(_FOLD_LOCK)
        return _fold(cursor)


def tally_recount() -> None:
    with connection.cursor() as cursor:
        cursor.execute(_FOLD_LOCK)
        cursor.execute(_RECOUNT)
        _fold(cursor)


def _fold(cursor: CursorWrapper) -> int:
    cursor.execute(_FOLD)
    changed = cursor.rowcount
    cursor.execute(_EMPTY_GROUPS_FORGET)
    return changed


def runs_by_status() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(_BY_STATUS)
        return cursor.fetchall()


def spend_by_week() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(_SPEND_BY_WEEK)
        return cursor.fetchall()


def current_status_counts(*, workflow: str | None, status: str | None) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(_CURRENT_COUNTS, {"workflow": workflow, "status": status})
        return dict(cursor.fetchall())
