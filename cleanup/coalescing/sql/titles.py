"""Filling core.people's matched_job_function and matched_seniority from its job titles."""

from psycopg import sql

from kernel import server_bound_fetch
from warehouse.hidden import missing_sql

# "Missing" as the dashboard counts it (warehouse.hidden): NULL, empty or only spaces.
_FUNCTION_MISSING, _SENIORITY_MISSING = missing_sql("matched_job_function"), missing_sql("matched_seniority")
_HIDDEN_FOR_TITLE = sql.SQL("SELECT count(*) FROM core.people WHERE {} OR {}").format(
    _FUNCTION_MISSING, _SENIORITY_MISSING)
_BATCH = sql.SQL("""
SELECT id, job_title FROM core.people
WHERE id > %(after)s AND NOT {title_missing} AND ({function_missing} OR {seniority_missing})
ORDER BY id LIMIT %(limit)s""").format(title_missing=missing_sql("job_title"), function_missing=_FUNCTION_MISSING,
                                       seniority_missing=_SENIORITY_MISSING)
# Fills only what is missing: a curated or mapped value is never overwritten.
_FILL = sql.SQL("""
UPDATE core.people AS people
SET matched_job_function = CASE WHEN {function_missing} THEN u.job_function ELSE people.matched_job_function END,
    matched_seniority = CASE WHEN {seniority_missing} THEN u.seniority ELSE people.matched_seniority END,
    updated_at = now()
FROM unnest(%(ids)b::bigint[], %(functions)b::text[], %(seniorities)b::text[]) AS u(id, job_function, seniority)
WHERE people.id = u.id
  AND (({function_missing} AND u.job_function IS NOT NULL) OR ({seniority_missing} AND u.seniority IS NOT NULL))
RETURNING people.id""").format(function_missing=_FUNCTION_MISSING, seniority_missing=_SENIORITY_MISSING)


def hidden_for_title() -> int:
    """People hidden because matched_job_function or matched_seniority is missing."""
    return server_bound_fetch(_HIDDEN_FOR_TITLE, {})[0][0]


def untitled_batch(*, after_id: int, limit: int) -> list[tuple[int, str]]:
    return server_bound_fetch(_BATCH, {"after": after_id, "limit": limit})


def title_fields_fill(*, rows: list[tuple[int, str | None, str | None]]) -> int:
    ids, functions, seniorities = (list(column) for column in zip(*rows, strict=True)) if rows else ([], [], [])
    return len(server_bound_fetch(_FILL, {"ids": ids, "functions": functions, "seniorities": seniorities}))
