"""Set-based SQL that fills the demo warehouse.

Every pseudo-random choice is a hash of (row number, salt, --seed), never random(), so a
given seed yields the same rows whatever the plan or parallelism. Subsets of an exact size
come from a multiplicative permutation: for a multiplier coprime with n, id * p mod n visits
every residue once, so `rank < k` selects exactly k ids, spread across the range.
Statements that take parameters write the modulo operator as %%, as psycopg requires.
"""

from psycopg import sql

# Helpers live in pg_temp so they vanish with the session and touch no warehouse schema.
HELPERS = [
    """CREATE OR REPLACE FUNCTION pg_temp.h(i bigint, salt int) RETURNS bigint
       LANGUAGE sql STABLE AS
       $$ SELECT hashint8extended(i, current_setting('enrichhub.demo_seed')::bigint * 1000 + salt)
                 & 9223372036854775807 $$""",
    """CREATE OR REPLACE FUNCTION pg_temp.pick(words text[], i bigint, salt int) RETURNS text
       LANGUAGE sql STABLE AS $$ SELECT words[1 + pg_temp.h(i, salt) % cardinality(words)] $$""",
    """CREATE OR REPLACE FUNCTION pg_temp.ts(newest timestamptz, i bigint, salt int, span_days int)
       RETURNS timestamptz LANGUAGE sql STABLE AS
       $$ SELECT newest - make_interval(secs => pg_temp.h(i, salt) % (span_days * 86400)) $$""",
    # The spellings ingest functions really deliver: scheme, www., capitals, trailing slash.
    """CREATE OR REPLACE FUNCTION pg_temp.dirty_domain(domain text, i bigint, salt int) RETURNS text
       LANGUAGE sql STABLE AS
       $$ SELECT CASE pg_temp.h(i, salt) % 10
                 WHEN 7 THEN initcap(domain)
                 WHEN 8 THEN 'https://www.' || domain
                 WHEN 9 THEN 'www.' || upper(left(domain, 1)) || substr(domain, 2) || '/'
                 ELSE domain END $$""",
    """CREATE OR REPLACE FUNCTION pg_temp.dirty_linkedin(slug text, encoded text, i bigint, salt int)
       RETURNS text LANGUAGE sql STABLE AS
       $$ SELECT CASE pg_temp.h(i, salt) % 10
                 WHEN 6 THEN 'https://www.linkedin.com/in/' || slug || '/'
                 WHEN 7 THEN 'http://linkedin.com/in/' || slug || '?trk=public_profile'
                 WHEN 8 THEN 'https://LinkedIn.com/in/' || encoded
                 WHEN 9 THEN 'www.linkedin.com/in/' || slug
                 ELSE 'linkedin.com/in/' || slug END $$""",
]

PREPARE = [
    "DROP TABLE IF EXISTS pg_temp.demo_company",
    """CREATE TEMP TABLE demo_company AS
       SELECT id,
              CASE WHEN id = 1 THEN 'ironclad.com' ELSE stem || tail || id || '.' || tld END AS domain,
              CASE WHEN id = 1 THEN 'Ironclad' ELSE initcap(stem || tail) END AS base_name,
              CASE WHEN id = 1 THEN 'Ironclad, Inc.' ELSE prefix || initcap(stem || tail) || suffix END
                  AS company_name,
              pg_temp.pick(%(countries)s, id, 5) AS country,
              pg_temp.pick(%(cities)s, id, 6) AS city,
              pg_temp.pick(%(industries)s, id, 8) AS industry,
              1 + (pg_temp.h(id, 9) %% 8) AS funding_index,
              mod(id * %(p_location)s, %(companies)s) AS r_location,
              mod(id * %(p_discovery)s, %(companies)s) AS r_discovery,
              mod(id * %(p_cleaned)s, %(companies)s) AS r_cleaned
       FROM (SELECT id, pg_temp.pick(%(stems)s, id, 1) AS stem, pg_temp.pick(%(tails)s, id, 2) AS tail,
                    pg_temp.pick(%(tlds)s, id, 3) AS tld, pg_temp.pick(%(name_prefixes)s, id, 4) AS prefix,
                    pg_temp.pick(%(legal_suffixes)s, id, 7) AS suffix
             FROM generate_series(1::bigint, %(companies)s) AS id) AS words""",
    "ALTER TABLE demo_company ADD PRIMARY KEY (id)",
    "DROP TABLE IF EXISTS pg_temp.demo_person",
    """CREATE TEMP TABLE demo_person AS
       SELECT id, first_name, last_name,
              CASE WHEN id = 1 THEN 'johndoe' ELSE lower(first_name) || '-' || lower(last_name) || '-' || tag END
                  AS slug,
              CASE WHEN id = 1 THEN 'johndoe' ELSE first_encoded || '-' || last_encoded || '-' || tag END
                  AS slug_encoded,
              pg_temp.pick(%(countries)s, id, 14) AS country,
              pg_temp.pick(%(cities)s, id, 15) AS city,
              pg_temp.pick(%(titles)s, id, 16) AS title,
              1 + pg_temp.h(id, 17) %% %(companies)s AS company_id,
              mod(id * %(p_country)s, %(people)s) AS r_country,
              mod(id * %(p_dates)s, %(people)s) AS r_dates,
              mod(id * %(p_profile)s, %(people)s) AS r_profile
       FROM (SELECT id,
                    CASE WHEN id = 1 THEN 'John' ELSE (%(first_names)s::text[])[fi] END AS first_name,
                    CASE WHEN id = 1 THEN 'Doe' ELSE (%(last_names)s::text[])[li] END AS last_name,
                    (%(first_encoded)s::text[])[fi] AS first_encoded,
                    (%(last_encoded)s::text[])[li] AS last_encoded,
                    to_hex(id + 1048576) AS tag
             FROM (SELECT id, 1 + pg_temp.h(id, 11) %% cardinality(%(first_names)s::text[]) AS fi,
                          1 + pg_temp.h(id, 12) %% cardinality(%(last_names)s::text[]) AS li
                   FROM generate_series(1::bigint, %(people)s + %(people_only_in_extracted)s) AS id) AS picks
            ) AS names""",
    "ALTER TABLE demo_person ADD PRIMARY KEY (id)",
]

COMPANIES = [
    ("reference.job_title_mapping",
     """INSERT INTO reference.job_title_mapping (raw_title, matched_job_function, matched_seniority)
        SELECT * FROM unnest(%(map_titles)s::text[], %(map_functions)s::text[], %(map_seniorities)s::text[])"""),
    ("core.companies",
     """INSERT INTO core.companies (id, domain, company_name, cleaned_name, company_country, discovery_location,
                                   salesnav_location, industry, employee_count, linkedin_url, created_at, updated_at)
        SELECT id,
               CASE WHEN pg_temp.h(id, 31) %% 100 < 2 THEN initcap(domain) ELSE domain END,
               company_name,
               CASE WHEN r_cleaned < %(missing_cleaned_name)s THEN NULL ELSE base_name END,
               CASE WHEN r_location < %(missing_location)s THEN NULL ELSE country END,
               CASE WHEN r_location < %(missing_location)s OR pg_temp.h(id, 30) %% 3 = 0 THEN NULL
                    ELSE city || ', ' || country END,
               CASE WHEN r_location < %(missing_location)s OR pg_temp.h(id, 30) %% 3 = 1 THEN NULL
                    ELSE country END,
               industry,
               (10 + pg_temp.h(id, 32) %% 5000)::int,
               'linkedin.com/company/' || lower(base_name) || '-' || id,
               pg_temp.ts('2025-01-01', id, 33, 1500),
               pg_temp.ts('2025-06-01', id, 34, 150)
        FROM demo_company"""),
    ("core.companies_missing_location",
     """INSERT INTO core.companies_missing_location (id, domain, company_name, discovery_location,
                                                    salesnav_location, flagged_at)
        SELECT c.id, c.domain, c.company_name, c.discovery_location, c.salesnav_location,
               pg_temp.ts('2025-03-01', c.id, 35, 30)
        FROM core.companies c JOIN demo_company d USING (id)
        WHERE d.r_location < %(missing_location)s + %(filled_since_snapshot)s"""),
    ("core.company_funding",
     """INSERT INTO core.company_funding (domain, raw_funding_range, funding_min_usd, funding_max_usd,
                                         source, created_at)
        SELECT domain, (%(funding_ranges)s::text[])[funding_index], (%(funding_mins)s::bigint[])[funding_index],
               (%(funding_maxes)s::bigint[])[funding_index],
               CASE WHEN r_discovery < %(with_funding_range)s THEN 'extracted.company_discovery'
                    ELSE 'crunchbase' END,
               pg_temp.ts('2025-02-01', id, 36, 400)
        FROM demo_company
        WHERE (r_discovery >= %(funding_delta)s AND r_discovery < %(with_funding_range)s)
           OR (r_discovery >= %(discovered)s AND pg_temp.h(id, 37) %% 10 = 0)"""),
    # One row per discovered company, a second, older one for every seventh: the seed's
    # duplicate domains. The older row carries a stale funding range.
    ("extracted.company_discovery",
     """INSERT INTO extracted.company_discovery (domain, company_name, discovery_location, industry,
                                                employee_range, total_funding_amount_range_usd, created_at)
        SELECT pg_temp.dirty_domain(d.domain, d.id * 2 + dup, 42), d.company_name,
               d.city || ', ' || d.country, d.industry, pg_temp.pick(%(employee_ranges)s, d.id, 44),
               CASE WHEN d.r_discovery < %(with_funding_range)s
                    THEN (%(funding_ranges)s::text[])[1 + (d.funding_index - 1 + dup * 3) %% 8] END,
               pg_temp.ts('2025-05-01', d.id, 45, 500) - make_interval(days => dup * 200)
        FROM demo_company d CROSS JOIN generate_series(0, 1) AS dup
        WHERE d.r_discovery < %(discovered)s AND (dup = 0 OR pg_temp.h(d.id, 43) %% 7 = 0)
        ORDER BY 7"""),
    ("raw.company_discovery",
     """INSERT INTO raw.company_discovery (domain, payload, received_at)
        SELECT e.domain, to_jsonb(e) - 'id' - 'created_at', e.created_at - interval '4 minutes'
        FROM extracted.company_discovery e ORDER BY e.id"""),
    ("reference.companies_missing_cleaned_name",
     """INSERT INTO reference.companies_missing_cleaned_name (id, domain, company_name, flagged_at)
        SELECT id, domain, company_name, pg_temp.ts('2025-04-01', id, 46, 20)
        FROM demo_company WHERE r_cleaned < %(listed_missing_cleaned_name)s"""),
]

# A job (one work-history or experience row) derived from its row number g. Synced
# experience rows and their work-history copies share g and salt, hence the same fields.
_JOB_FIELDS = """
    SELECT g, synced, mod(g - 1, %(people)s) + 1 AS person_id,
           1 + pg_temp.h(g, salt + 1) %% %(companies)s AS company_id,
           pg_temp.pick(%(titles)s, g, salt + 2) AS title,
           date '2010-01-01' + (pg_temp.h(g, salt + 3) %% 5000)::int AS start_date,
           (g - 1) / %(people)s = 0 AS is_current,
           CASE WHEN (g - 1) / %(people)s = 0 THEN NULL
                ELSE date '2010-01-01' + (pg_temp.h(g, salt + 3) %% 5000 + 180 + pg_temp.h(g, salt + 4) %% 1500)::int
           END AS end_date
    FROM (SELECT g, g <= %(experience_synced)s AS synced,
                 CASE WHEN g <= %(experience_synced)s THEN 0 ELSE {unsynced_salt} END AS salt
          FROM generate_series(1::bigint, {rows}) AS g) AS numbered
"""


def _with_job_fields(statement: str, *, rows: str, unsynced_salt: str) -> sql.Composed:
    """Embed the job generator, counting up to the named row-count parameter; unsynced rows
    are salted by the named parameter (0: the same jobs as synced rows would be)."""
    fields = sql.SQL(_JOB_FIELDS).format(rows=sql.Placeholder(rows), unsynced_salt=sql.Placeholder(unsynced_salt))
    return sql.SQL(statement).format(job_fields=fields)


PEOPLE: list[tuple[str, str | sql.Composable]] = [
    ("core.people",
     """INSERT INTO core.people (id, linkedin_url, full_name, first_name, last_name, job_title, company_domain,
                                person_country, matched_job_function, matched_seniority, created_at, updated_at)
        SELECT p.id,
               CASE WHEN pg_temp.h(p.id, 20) %% 100 < 3 THEN pg_temp.dirty_linkedin(p.slug, p.slug_encoded, p.id, 21)
                    ELSE 'linkedin.com/in/' || p.slug END,
               p.first_name || ' ' || p.last_name, p.first_name, p.last_name, p.title, c.domain,
               CASE WHEN p.r_country < %(missing_country)s THEN NULL ELSE p.country END,
               CASE WHEN p.id %% 20 = 0 THEN NULL ELSE m.matched_job_function END,
               CASE WHEN p.id %% 20 = 0 THEN NULL ELSE m.matched_seniority END,
               pg_temp.ts('2025-01-01', p.id, 22, 1500), pg_temp.ts('2025-06-01', p.id, 23, 150)
        FROM demo_person p
        JOIN demo_company c ON c.id = p.company_id
        LEFT JOIN reference.job_title_mapping m ON m.raw_title = p.title
        WHERE p.id <= %(people)s"""),
    ("core.person_locations",
     """INSERT INTO core.person_locations (person_id, linkedin_url, city, region, country, source, created_at)
        SELECT cp.id, cp.linkedin_url, p.city, NULL, cp.person_country, 'person_profile',
               pg_temp.ts('2025-05-01', p.id, 24, 300)
        FROM core.people cp JOIN demo_person p USING (id)
        WHERE cp.person_country IS NOT NULL AND pg_temp.h(p.id, 25) %% 10 < 6 ORDER BY cp.id"""),
    ("core.person_job_titles",
     """INSERT INTO core.person_job_titles (person_id, linkedin_url, raw_title, matched_job_function,
                                           matched_seniority, source, created_at)
        SELECT cp.id, cp.linkedin_url, cp.job_title, m.matched_job_function, m.matched_seniority,
               'person_profile', pg_temp.ts('2025-05-01', cp.id, 26, 300)
        FROM core.people cp LEFT JOIN reference.job_title_mapping m ON m.raw_title = cp.job_title
        WHERE cp.id %% 2 = 0 ORDER BY cp.id"""),
    ("extracted.person_experience", _with_job_fields(
     """INSERT INTO extracted.person_experience (id, linkedin_url, company_name, company_domain, title,
                                                start_date, end_date, is_current, created_at)
        SELECT j.g, pg_temp.dirty_linkedin(p.slug, p.slug_encoded, j.g, 60), c.company_name,
               pg_temp.dirty_domain(c.domain, j.g, 61), j.title, j.start_date, j.end_date, j.is_current,
               CASE WHEN j.synced THEN pg_temp.ts('2025-06-01', j.g, 62, 500)
                    ELSE pg_temp.ts('2026-11-01', j.g, 62, 60) END
        FROM ({job_fields}) AS j
        JOIN demo_person p ON p.id = j.person_id
        JOIN demo_company c ON c.id = j.company_id
        ORDER BY j.g""", rows="experience_rows", unsynced_salt="experience_unsynced_salt")),
    ("core.person_work_history", _with_job_fields(
     """INSERT INTO core.person_work_history (person_id, linkedin_url, company_id, company_domain, company_name,
                                             title, matched_job_function, matched_seniority, start_date,
                                             end_date, is_current, source, source_record_id, created_at)
        SELECT j.person_id, cp.linkedin_url,
               CASE WHEN pg_temp.h(j.g, 50) %% 100 < %(work_history_company_link_percent)s THEN c.id END,
               c.domain, c.company_name, j.title, m.matched_job_function, m.matched_seniority,
               j.start_date, j.end_date, j.is_current,
               CASE WHEN j.synced THEN 'extracted.person_experience' ELSE 'legacy_import' END,
               CASE WHEN j.synced THEN j.g END,
               pg_temp.ts('2025-06-01', j.g, 51, 900)
        FROM ({job_fields}) AS j
        JOIN core.people cp ON cp.id = j.person_id
        JOIN demo_company c ON c.id = j.company_id
        LEFT JOIN reference.job_title_mapping m ON m.raw_title = j.title
        ORDER BY j.g""", rows="work_history_rows", unsynced_salt="history_unsynced_salt")),
    # Up to two sources per person; every fifth person has both.
    ("core.person_job_start_dates",
     """INSERT INTO core.person_job_start_dates (person_id, linkedin_url, job_start_date, source, created_at)
        SELECT p.id, cp.linkedin_url, date '2015-01-01' + (pg_temp.h(p.id * 2 + k, 71) %% 4000)::int,
               (%(start_date_sources)s::text[])[1 + (pg_temp.h(p.id, 70) + k) %% 3],
               pg_temp.ts('2025-06-01', p.id * 2 + k, 72, 200)
        FROM demo_person p JOIN core.people cp USING (id) CROSS JOIN generate_series(0, 1) AS k
        WHERE p.r_dates < %(people_with_start_dates)s AND (k = 0 OR p.r_dates %% 5 = 0)
        ORDER BY p.id, k"""),
    ("core.person_tenure",
     """INSERT INTO core.person_tenure (person_id, linkedin_url, job_start_date, source, updated_at)
        SELECT p.id, cp.linkedin_url, date '2015-01-01' + (pg_temp.h(p.id, 73) %% 4000)::int,
               'person_profile', pg_temp.ts('2025-04-01', p.id, 74, 300)
        FROM demo_person p JOIN core.people cp USING (id)
        WHERE p.r_dates >= %(tenure_gap)s AND p.r_dates < %(people_with_tenure)s"""),
    ("extracted.person_profile",
     """INSERT INTO extracted.person_profile (linkedin_url, full_name, headline, job_title, company_domain,
                                             location_city, location_country, job_start_date, created_at)
        SELECT pg_temp.dirty_linkedin(p.slug, p.slug_encoded, p.id, 80), p.first_name || ' ' || p.last_name,
               p.title || ' at ' || c.company_name, p.title, c.domain, p.city, p.country,
               date '2015-01-01' + (pg_temp.h(p.id, 81) %% 4000)::int,
               CASE WHEN p.id > %(people)s THEN pg_temp.ts('2026-11-01', p.id, 82, 45)
                    ELSE pg_temp.ts('2025-06-01', p.id, 82, 400) END
        FROM demo_person p JOIN demo_company c ON c.id = p.company_id
        WHERE p.id > %(people)s OR p.r_profile < %(profiles_of_known_people)s
        ORDER BY p.id"""),
    ("raw.person_profile",
     """INSERT INTO raw.person_profile (linkedin_url, payload, received_at)
        SELECT e.linkedin_url, to_jsonb(e) - 'id' - 'created_at', e.created_at - interval '3 minutes'
        FROM extracted.person_profile e ORDER BY e.id"""),
    ("raw.person_experience",
     """INSERT INTO raw.person_experience (linkedin_url, payload, received_at)
        SELECT e.linkedin_url, to_jsonb(e) - 'id' - 'created_at', e.created_at - interval '3 minutes'
        FROM extracted.person_experience e ORDER BY e.id"""),
    ("reference.people_missing_country",
     """INSERT INTO reference.people_missing_country (id, linkedin_url, flagged_at)
        SELECT cp.id, cp.linkedin_url, pg_temp.ts('2025-04-01', cp.id, 83, 20)
        FROM demo_person p JOIN core.people cp USING (id)
        WHERE p.r_country < %(listed_missing_country)s"""),
]

REGISTRY = (
    "reference.enrichment_workflow_registry",
    """INSERT INTO reference.enrichment_workflow_registry (workflow_name, description, provider, created_at)
       SELECT * FROM unnest(%(registered_names)s::text[], %(registered_descriptions)s::text[],
                            %(registered_providers)s::text[], %(registered_created)s::timestamptz[])
       ON CONFLICT (workflow_name) DO NOTHING""",
)

_GENERIC_COMPANY_ROWS = sql.SQL(
    """INSERT INTO {extracted} ({key}, payload, created_at)
       (SELECT pg_temp.dirty_domain(d.domain, g, %(salt)s),
              jsonb_build_object('workflow', %(workflow)s::text, 'seq', g, 'company', d.company_name),
              pg_temp.ts('2025-06-01', g, %(salt)s + 1, 700)
       FROM generate_series(1::bigint, %(rows)s) AS g
       JOIN demo_company d ON d.id = 1 + pg_temp.h(g, %(salt)s + 2) %% %(companies)s
       ORDER BY g){listed}"""
)
# The Clay enrichment the seed's companies_missing_cleaned_name was made for has run: an
# answer for every listed company, one in eight without a name (Clay found none). Core has
# not been given the names yet: that is the coalescing the walkthrough runs before retiring.
CLAY_ANSWERED_WORKFLOW = "company_cleaned_name"
_CLAY_ANSWERS_FOR_LISTED = sql.SQL(
    """ UNION ALL
       (SELECT d.domain,
               jsonb_build_object('workflow', %(workflow)s::text, 'seq', 0)
               || CASE WHEN pg_temp.h(d.id, %(salt)s + 3) %% 8 = 0 THEN '{}'::jsonb
                       ELSE jsonb_build_object('company', d.company_name) END,
               pg_temp.ts('2025-06-01', d.id, %(salt)s + 4, 700)
        FROM demo_company d WHERE d.r_cleaned < %(listed_missing_cleaned_name)s ORDER BY d.id)"""
)
_GENERIC_PERSON_ROWS = sql.SQL(
    """INSERT INTO {extracted} ({key}, payload, created_at)
       SELECT pg_temp.dirty_linkedin(p.slug, p.slug_encoded, g, %(salt)s),
              jsonb_build_object('workflow', %(workflow)s::text, 'seq', g, 'name', p.first_name || ' ' || p.last_name),
              pg_temp.ts('2025-06-01', g, %(salt)s + 1, 700)
       FROM generate_series(1::bigint, %(rows)s) AS g
       JOIN demo_person p ON p.id = 1 + pg_temp.h(g, %(salt)s + 2) %% (%(people)s + %(people_only_in_extracted)s)
       ORDER BY g"""
)
_GENERIC_RAW_ROWS = sql.SQL(
    """INSERT INTO {raw} ({key}, payload, received_at)
       SELECT {key}, payload, created_at - interval '2 minutes' FROM {extracted} ORDER BY id"""
)


def generic_rows_statements(*, extracted: sql.Identifier, raw: sql.Identifier, key: sql.Identifier,
                            key_type: str, workflow: str) -> list[sql.Composed]:
    """Fill one generic workflow's extracted table, then mirror it into its raw table."""
    if key_type == "company":
        listed = _CLAY_ANSWERS_FOR_LISTED if workflow == CLAY_ANSWERED_WORKFLOW else sql.SQL("")
        fill = _GENERIC_COMPANY_ROWS.format(extracted=extracted, key=key, listed=listed)
    else:
        fill = _GENERIC_PERSON_ROWS.format(extracted=extracted, key=key)
    return [fill,
            _GENERIC_RAW_ROWS.format(raw=raw, extracted=extracted, key=key)]
