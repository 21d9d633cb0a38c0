"""Backfilling core.person_tenure from core.person_job_start_dates."""

from django.db import connection
from psycopg import sql

from cleanup.jobs.sql import planner_rows

_MISSING = sql.SQL("""FROM core.person_job_start_dates s
              WHERE NOT EXISTS (SELECT 1 FROM core.person_tenure t WHERE t.person_id = s.person_id)""")
# One row per person, chosen the same way every time: the most recent start date (the
# current role), ties broken by source name.
_BATCH = sql.SQL("""
WITH people AS (
    SELECT DISTINCT s.person_id {missing} AND s.person_id > %(after)s
    ORDER BY s.person_id LIMIT %(limit)s),
chosen AS (
    SELECT DISTINCT ON (s.person_id) s.person_id, s.linkedin_url, s.job_start_date, s.source
    FROM core.person_job_start_dates s JOIN people USING (person_id)
    ORDER BY s.person_id, s.job_start_date DESC, s.source),
added AS (
    INSERT INTO core.person_tenure (person_id, linkedin_url, job_start_date, source, updated_at)
    SELECT person_id, linkedin_url, job_start_date, source, now() FROM chosen
    ON CONFLICT (person_id) DO NOTHING RETURNING person_id)
SELECT (SELECT count(*) FROM added), (SELECT max(person_id) FROM people)""").format(missing=_MISSING)


def people_missing() -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("SELECT count(DISTINCT s.person_id) {}").format(_MISSING))
        return cursor.fetchone()[0]


def people_missing_estimate() -> int:
    return planner_rows(sql.SQL("SELECT DISTINCT s.person_id {}").format(_MISSING))


def backfill_batch(*, after_id: int, limit: int) -> tuple[int, int | None]:
    with connection.cursor() as cursor:
        cursor.execute(_BATCH, {"after": after_id, "limit": limit})
        return cursor.fetchone()
