"""Filling core.people's matched_job_function and matched_seniority from its job titles."""

from kernel import server_bound_fetch

# Missing as the dashboard counts it (warehouse.hidden): NULL or blank.
_HIDDEN_FOR_TITLE = """
SELECT count(*) FROM core.people
WHERE coalesce(matched_job_function, '') = '' OR coalesce(matched_seniority, '') = ''"""
_BATCH = """
SELECT id, job_title FROM core.people
WHERE id > %(after)s AND coalesce(job_title, '') <> ''
  AND (coalesce(matched_job_function, '') = '' OR coalesce(matched_seniority, '') = '')
ORDER BY id LIMIT %(limit)s"""
# Fills only what is missing: a curated or mapped value is never overwritten.
_FILL = """
UPDATE core.people p
SET matched_job_function = coalesce(nullif(p.matched_job_function, ''), u.job_function),
    matched_seniority = coalesce(nullif(p.matched_seniority, ''), u.seniority),
    updated_at = now()
FROM unnest(%(ids)s::bigint[], %(functions)s::text[], %(seniorities)s::text[]) AS u(id, job_function, seniority)
WHERE p.id = u.id
  AND ((coalesce(p.matched_job_function, '') = '' AND u.job_function IS NOT NULL)
       OR (coalesce(p.matched_seniority, '') = '' AND u.seniority IS NOT NULL))
RETURNING p.id"""


def hidden_for_title() -> int:
    """People hidden because matched_job_function or matched_seniority is missing."""
    return server_bound_fetch(_HIDDEN_FOR_TITLE, {})[0][0]


def untitled_batch(*, after_id: int, limit: int) -> list[tuple[int, str]]:
    return server_bound_fetch(_BATCH, {"after": after_id, "limit": limit})


def title_fields_fill(*, rows: list[tuple[int, str | None, str | None]]) -> int:
    ids, functions, seniorities = (list(column) for column in zip(*rows, strict=True)) if rows else ([], [], [])
    return len(server_bound_fetch(_FILL, {"ids": ids, "functions": functions, "seniorities": seniorities}))
