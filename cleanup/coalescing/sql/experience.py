"""Coalescing extracted.person_experience into core.person_work_history."""

from django.db import connection
from psycopg import sql as psycopg_sql

from kernel import KEY_FUNCTION_SCHEMA, KeyLookup, server_bound_fetch

SOURCE = "extracted.person_experience"

# Only what Python normalises or maps; the upsert copies the other columns in SQL.
_BATCH = psycopg_sql.SQL("SELECT id, linkedin_url, company_domain, title FROM extracted.person_experience"
                         " WHERE id > %(after)s {keys} ORDER BY id LIMIT %(limit)s")
# What SQL decides for each picked row: the exact keys (NULL where only Python can tell), the
# core rows stored under them, and the title's row of the mapping table. Python sees only the
# rest: keys beyond the functions, core rows stored under another spelling, unmapped titles.
# A title is looked up only when it starts and ends with a visible ASCII character: Python
# strips more kinds of space before its lookup than SQL would.
# The keys are materialised so that each is computed once per row, not once per use.
_RESOLVED = psycopg_sql.SQL("""
WITH picked AS MATERIALIZED ({picked}),
keyed AS MATERIALIZED (
    SELECT picked.*, {person_key}(picked.linkedin_url) AS person_key,
           {company_key}(picked.company_domain) AS company_key
    FROM picked)
SELECT k.id, k.linkedin_url, k.company_domain, k.title, k.person_key, k.company_key,
       (SELECT x.id FROM core.people x WHERE x.linkedin_url = k.person_key),
       (SELECT c.id FROM core.companies c WHERE c.domain = k.company_key),
       m.matched_job_function, m.matched_seniority
FROM keyed k LEFT JOIN reference.job_title_mapping m
  ON m.raw_title = k.title AND left(k.title, 1) ~ '[!-~]' AND right(k.title, 1) ~ '[!-~]'
ORDER BY k.id""")
_PERSON_KEY_EXACT = psycopg_sql.Identifier(KEY_FUNCTION_SCHEMA, "person_key_v2")
_COMPANY_KEY_EXACT = psycopg_sql.Identifier(KEY_FUNCTION_SCHEMA, "company_key_v2")
# A window of ids, not a row count: with the anti-join, a stretch of rows that all reached
# core would otherwise be scanned to its end inside one batch.
_MISSING_IN_WINDOW = """
SELECT e.id, e.linkedin_url, e.company_domain, e.title
FROM extracted.person_experience e
WHERE e.id > %(after)s AND e.id <= %(upto)s AND e.id %% %(parts)s = %(remainder)s
  AND NOT EXISTS (SELECT 1 FROM core.person_work_history w WHERE w.source_record_id = e.id
                  -- Redundant, but it bounds the planner's merge anti-join to the window;
                  -- without it the scan of core's index starts at its first entry.
                  AND w.source_record_id > %(after)s AND w.source_record_id <= %(upto)s)
ORDER BY e.id LIMIT %(limit)s"""
# The arrays go in binary: as text, psycopg looks for characters to quote in every element, 6.5 s
# of a coalescing job's CPU at ten times the seed (2.5 s in binary).
# Keyed by source_record_id, the extracted row's id: replaying a batch changes nothing, and a
# row whose extracted fields changed is updated in place. A company link someone made stays.
_UPSERT = """
INSERT INTO core.person_work_history AS w
    (person_id, linkedin_url, company_id, company_domain, company_name, title, matched_job_function,
     matched_seniority, start_date, end_date, is_current, source, source_record_id)
SELECT u.person_id, u.url, u.company_id, u.domain, e.company_name, e.title, u.job_function, u.seniority,
       e.start_date, e.end_date, e.is_current, %(source)s, e.id
FROM unnest(%(ids)b::bigint[], %(people)b::bigint[], %(urls)b::text[], %(company_ids)b::bigint[],
            %(domains)b::text[], %(functions)b::text[], %(seniorities)b::text[])
     AS u(id, person_id, url, company_id, domain, job_function, seniority)
-- The columns copied as they are come straight from the extracted row, not through Python.
JOIN extracted.person_experience e ON e.id = u.id
ON CONFLICT (source_record_id) DO UPDATE SET
    person_id = coalesce(EXCLUDED.person_id, w.person_id), linkedin_url = EXCLUDED.linkedin_url,
    company_id = coalesce(w.company_id, EXCLUDED.company_id), company_domain = EXCLUDED.company_domain,
    company_name = EXCLUDED.company_name, title = EXCLUDED.title,
    matched_job_function = EXCLUDED.matched_job_function, matched_seniority = EXCLUDED.matched_seniority,
    start_date = EXCLUDED.start_date, end_date = EXCLUDED.end_date, is_current = EXCLUDED.is_current
WHERE (w.linkedin_url, w.company_domain, w.company_name, w.title, w.matched_job_function, w.matched_seniority,
       w.start_date, w.end_date, w.is_current)
      IS DISTINCT FROM
      (EXCLUDED.linkedin_url, EXCLUDED.company_domain, EXCLUDED.company_name, EXCLUDED.title,
       EXCLUDED.matched_job_function, EXCLUDED.matched_seniority, EXCLUDED.start_date, EXCLUDED.end_date,
       EXCLUDED.is_current)
   OR (w.person_id IS NULL AND EXCLUDED.person_id IS NOT NULL)
RETURNING (xmax = 0)"""
_PENDING = """SELECT count(*), count(*) FILTER (WHERE NOT EXISTS (
                  SELECT 1 FROM core.person_work_history w WHERE w.source_record_id = e.id))
              FROM extracted.person_experience e
              WHERE e.id > %(after)s AND e.id %% %(parts)s = %(remainder)s"""


def title_mapping() -> dict[str, tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT raw_title, matched_job_function, matched_seniority FROM reference.job_title_mapping")
        return {title: (function, seniority) for title, function, seniority in cursor.fetchall()}


def _resolved(picked: psycopg_sql.Composable, params: dict) -> list[tuple]:
    """(id, url, domain, title, person key, company key, person id, company id, mapped function,
    mapped seniority) of the picked rows, by id: keys and ids NULL where SQL cannot tell, the
    mapped fields NULL where the mapping table lacks the title as it is stored."""
    statement = _RESOLVED.format(picked=picked, person_key=_PERSON_KEY_EXACT, company_key=_COMPANY_KEY_EXACT)
    return server_bound_fetch(statement, params, prepare=True)


def experience_batch(*, after_id: int, limit: int, lookup: KeyLookup | None = None) -> list[tuple]:
    """The next rows by id, resolved (see _resolved); only those a kernel.KeyLookup finds, if given."""
    params: dict[str, object] = {"after": after_id, "limit": limit}
    keys: psycopg_sql.Composable = psycopg_sql.SQL("")
    if lookup is not None:
        keys = psycopg_sql.SQL("AND {}").format(lookup.condition)
        params["lookup_values"] = lookup.values
    return _resolved(_BATCH.format(keys=keys), params)


def experience_missing(*, after_id: int, upto_id: int, limit: int, parts: int = 1, remainder: int = 0
                       ) -> list[tuple]:
    """Up to `limit` rows with after_id < id <= upto_id that never reached core, resolved (see
    _resolved), by id; only those with id % parts == remainder."""
    return _resolved(psycopg_sql.SQL(_MISSING_IN_WINDOW), {
        "after": after_id, "upto": upto_id, "limit": limit, "parts": parts, "remainder": remainder})


def titles_mapped(titles: list[str]) -> dict[str, tuple[str, str]]:
    """The mapping table's rows for these titles."""
    if not titles:
        return {}
    rows = server_bound_fetch("SELECT raw_title, matched_job_function, matched_seniority"
                              " FROM reference.job_title_mapping WHERE raw_title = ANY(%(titles)s)", {"titles": titles})
    return {title: (function, seniority) for title, function, seniority in rows}


def experience_max_id() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM extracted.person_experience")
        return cursor.fetchone()[0]


def work_history_upsert(*, rows: list[dict]) -> tuple[int, int]:
    """(inserted, updated) of the given coalesced rows; unchanged rows are left alone."""
    if not rows:
        return 0, 0
    fields = {"ids": "id", "people": "person_id", "urls": "url", "company_ids": "company_id", "domains": "domain",
              "functions": "job_function", "seniorities": "seniority"}
    params = {name: [row[field] for row in rows] for name, field in fields.items()}
    flags = [row[0] for row in server_bound_fetch(_UPSERT, {**params, "source": SOURCE}, prepare=True)]
    return sum(flags), len(flags) - sum(flags)


def pending_count(*, after_id: int, parts: int = 1, remainder: int = 0) -> tuple[int, int]:
    """(extracted rows after the mark with id % parts == remainder, of which never coalesced)."""
    with connection.cursor() as cursor:
        cursor.execute(_PENDING, {"after": after_id, "parts": parts, "remainder": remainder})
        return cursor.fetchone()


_UNMAPPED = """
SELECT e.title, count(*) FROM extracted.person_experience e
WHERE e.title IS NOT NULL AND btrim(e.title) <> ''
  AND NOT EXISTS (SELECT 1 FROM reference.job_title_mapping m WHERE m.raw_title = btrim(e.title))
GROUP BY e.title ORDER BY count(*) DESC, e.title"""


def unmapped_titles() -> list[tuple[str, int]]:
    """(raw title, rows) of extracted titles the mapping table lacks, most frequent first."""
    with connection.cursor() as cursor:
        cursor.execute(_UNMAPPED)
        return cursor.fetchall()
