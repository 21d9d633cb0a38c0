"""Backfilling core.company_funding through the intermediate table the seed describes."""

from django.db import connection
from psycopg import sql

SOURCE = "extracted.company_discovery"

_STAGING_CREATE = sql.SQL(
    """CREATE TABLE IF NOT EXISTS {staging} (
           domain text PRIMARY KEY, raw_funding_range text NOT NULL, funding_min_usd bigint,
           funding_max_usd bigint, seen_at timestamptz NOT NULL, source_id bigint NOT NULL)""")
# Latest wins among duplicates: a later created_at, then a higher id, replaces the staged row.
_STAGING_ADD = sql.SQL(
    """INSERT INTO {staging} AS s
       SELECT * FROM unnest(%(domains)s::text[], %(ranges)s::text[], %(mins)s::bigint[], %(maxes)s::bigint[],
                            %(seen)s::timestamptz[], %(ids)s::bigint[])
       ON CONFLICT (domain) DO UPDATE SET raw_funding_range = EXCLUDED.raw_funding_range,
           funding_min_usd = EXCLUDED.funding_min_usd, funding_max_usd = EXCLUDED.funding_max_usd,
           seen_at = EXCLUDED.seen_at, source_id = EXCLUDED.source_id
       WHERE (EXCLUDED.seen_at, EXCLUDED.source_id) > (s.seen_at, s.source_id)""")
_INSERT_BATCH = sql.SQL(
    """WITH batch AS (
           SELECT * FROM {staging} WHERE domain > %(after)s ORDER BY domain LIMIT %(limit)s),
       added AS (
           INSERT INTO core.company_funding (domain, raw_funding_range, funding_min_usd, funding_max_usd, source)
           SELECT domain, raw_funding_range, funding_min_usd, funding_max_usd, %(source)s FROM batch
           ON CONFLICT (domain) DO NOTHING RETURNING domain)
       SELECT (SELECT count(*) FROM added), (SELECT max(domain) FROM batch)""")


def staging_table(job_id: int) -> sql.Identifier:
    """The seed's public.funding_backfill, one per job so two jobs never share one."""
    return sql.Identifier("public", f"funding_backfill_job{int(job_id)}")


def staging_create(*, job_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_STAGING_CREATE.format(staging=staging_table(job_id)))


def staging_drop(*, job_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(staging_table(job_id)))


def discovery_batch(*, after_id: int, limit: int) -> list[tuple]:
    """(id, domain, range, created_at) of rows with a funding range, in id order."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT id, domain, total_funding_amount_range_usd, created_at FROM extracted.company_discovery
               WHERE id > %(after)s AND total_funding_amount_range_usd IS NOT NULL ORDER BY id LIMIT %(limit)s""",
            {"after": after_id, "limit": limit})
        return cursor.fetchall()


def staging_add(*, job_id: int, rows: list[tuple]) -> None:
    """rows: (domain, range, min, max, seen_at, source id)."""
    columns: list[tuple] = list(zip(*rows, strict=True)) if rows else [()] * 6
    with connection.cursor() as cursor:
        cursor.execute(_STAGING_ADD.format(staging=staging_table(job_id)), dict(zip(
            ("domains", "ranges", "mins", "maxes", "seen", "ids"), map(list, columns), strict=True)))


def insert_batch(*, job_id: int, after_domain: str, limit: int) -> tuple[int, str | None]:
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_BATCH.format(staging=staging_table(job_id)),
                       {"after": after_domain, "limit": limit, "source": SOURCE})
        return cursor.fetchone()


def staged_count(*, job_id: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("SELECT count(*) FROM {} s WHERE NOT EXISTS "
                               "(SELECT 1 FROM core.company_funding f WHERE f.domain = s.domain)").format(
                                   staging_table(job_id)))
        return cursor.fetchone()[0]


def funded_domains() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT domain FROM core.company_funding")
        return {row[0] for row in cursor.fetchall()}
