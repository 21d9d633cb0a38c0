"""Coalescing extracted.person_profile into core.people, core.person_locations and
core.person_job_titles."""

import json

from psycopg import sql

from kernel import KeyLookup, server_bound_fetch

SOURCE = "extracted.person_profile"
# core.people.id has no default in the warehouse: new people take ids from enrichhub's own
# sequence, reference.enrichhub_people_id_seq (cleanup migration 0005), kept past the largest id.

_BATCH = ("SELECT id, linkedin_url, full_name, job_title, company_domain, location_city, location_country"
          " FROM extracted.person_profile WHERE id > %(after)s {keys} ORDER BY id LIMIT %(limit)s")
_PEOPLE_FIELDS = ["full_name", "first_name", "last_name", "job_title", "company_domain", "person_country",
                  "matched_job_function", "matched_seniority"]
# Keyed by id (found beforehand under any stored spelling, or reserved for a new person); a
# field the profile lacks keeps core's value; unchanged people are not touched.
_PEOPLE_UPSERT = sql.SQL("""
INSERT INTO core.people AS p (id, linkedin_url, {fields})
SELECT id, linkedin_url, {fields} FROM jsonb_populate_recordset(NULL::core.people, %(rows)s)
ON CONFLICT (id) DO UPDATE SET {assignments}, updated_at = now()
WHERE ROW({current}) IS DISTINCT FROM ROW({merged})
RETURNING (xmax = 0)""").format(
    fields=sql.SQL(", ").join(map(sql.Identifier, _PEOPLE_FIELDS)),
    assignments=sql.SQL(", ").join(sql.SQL("{0} = coalesce(EXCLUDED.{0}, p.{0})").format(sql.Identifier(f))
                                   for f in _PEOPLE_FIELDS),
    current=sql.SQL(", ").join(sql.SQL("p.{}").format(sql.Identifier(f)) for f in _PEOPLE_FIELDS),
    merged=sql.SQL(", ").join(sql.SQL("coalesce(EXCLUDED.{0}, p.{0})").format(sql.Identifier(f))
                              for f in _PEOPLE_FIELDS)).as_string()
# Rows in these tables have no natural key: one per person, source and value, added once.
_LOCATIONS_ADD = """
INSERT INTO core.person_locations (person_id, linkedin_url, city, country, source)
SELECT r.person_id, r.linkedin_url, r.city, r.country, %(source)s
FROM jsonb_to_recordset(%(rows)s) AS r(person_id bigint, linkedin_url text, city text, country text)
WHERE (r.city IS NOT NULL OR r.country IS NOT NULL) AND NOT EXISTS (
    SELECT 1 FROM core.person_locations l WHERE l.person_id = r.person_id AND l.source = %(source)s
      AND l.city IS NOT DISTINCT FROM r.city AND l.country IS NOT DISTINCT FROM r.country)"""
_TITLES_ADD = """
INSERT INTO core.person_job_titles (person_id, linkedin_url, raw_title, matched_job_function, matched_seniority,
                                    source)
SELECT r.person_id, r.linkedin_url, r.raw_title, r.job_function, r.seniority, %(source)s
FROM jsonb_to_recordset(%(rows)s) AS r(person_id bigint, linkedin_url text, raw_title text, job_function text,
                                       seniority text)
WHERE r.raw_title IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM core.person_job_titles t WHERE t.person_id = r.person_id AND t.source = %(source)s
      AND t.raw_title = r.raw_title)"""


def profile_rows(*, after_id: int, limit: int, lookup: KeyLookup | None = None) -> list[tuple]:
    params: dict[str, object] = {"after": after_id, "limit": limit}
    keys: sql.Composable = sql.SQL("")
    if lookup is not None:
        keys = sql.SQL("AND {}").format(lookup.condition)
        params["lookup_values"] = lookup.values
    query = sql.SQL(_BATCH).format(keys=keys)
    return server_bound_fetch(query.as_string(), params)


def people_id_sequence_align() -> None:
    """Put the sequence past every id core.people holds (other writers may add people too)."""
    server_bound_fetch("SELECT setval('reference.enrichhub_people_id_seq', greatest("
                       "(SELECT coalesce(max(id), 1) FROM core.people),"
                       " (SELECT last_value FROM reference.enrichhub_people_id_seq)))", {})


def people_ids_reserve(count: int) -> list[int]:
    rows = server_bound_fetch("SELECT nextval('reference.enrichhub_people_id_seq') FROM generate_series(1, %(n)s)",
                              {"n": count})
    return [row[0] for row in rows]


def people_upsert(*, rows: list[dict]) -> tuple[int, int]:
    """(inserted, updated) people."""
    flags = [row[0] for row in server_bound_fetch(_PEOPLE_UPSERT, {"rows": json.dumps(rows)})]
    return sum(flags), len(flags) - sum(flags)


def locations_add(*, rows: list[dict]) -> int:
    return len(server_bound_fetch(_LOCATIONS_ADD + " RETURNING 1", {"rows": json.dumps(rows), "source": SOURCE}))


def titles_add(*, rows: list[dict]) -> int:
    return len(server_bound_fetch(_TITLES_ADD + " RETURNING 1", {"rows": json.dumps(rows), "source": SOURCE}))


def profile_max_id() -> int:
    return server_bound_fetch("SELECT coalesce(max(id), 0) FROM extracted.person_profile", {})[0][0]


def profile_count_after(*, after_id: int) -> int:
    return server_bound_fetch("SELECT count(*) FROM extracted.person_profile WHERE id > %(after)s",
                              {"after": after_id})[0][0]
