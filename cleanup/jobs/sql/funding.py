"""Backfilling core.company_funding through the intermediate table the seed describes."""

import itertools
from dataclasses import dataclass

from django.db import connection, transaction
from psycopg import sql

from kernel import KEY_FUNCTION_SCHEMA

SOURCE = "extracted.company_discovery"

# The staging table is range-partitioned by domain on boundaries sampled from the source: a
# window only appends (a primary key would cost an index insert at a random place per row, about
# 5 µs, two thirds of staging at ten times the seed), and the insert phase takes one partition a
# batch, picks the latest range per domain in memory and adds it to core in domain order, where
# the core index's inserts stay on neighbouring pages.
_STAGING_CREATE = sql.SQL(
    """CREATE TABLE {staging} (
           domain text NOT NULL, raw_funding_range text NOT NULL, funding_min_usd bigint,
           funding_max_usd bigint, seen_at timestamptz NOT NULL, source_id bigint NOT NULL)
       PARTITION BY RANGE (domain)""")
_PARTITION_CREATE = sql.SQL("CREATE TABLE {partition} PARTITION OF {staging} FOR VALUES FROM ({low}) TO ({high})")
_STAGING_ADD = sql.SQL(
    """INSERT INTO {staging}
       SELECT * FROM unnest(%(domains)s::text[], %(ranges)s::text[], %(mins)s::bigint[], %(maxes)s::bigint[],
                            %(seen)s::timestamptz[], %(ids)s::bigint[])""")
# A sample of the keys with a range, by whole pages: its size tells how many partitions the
# staged rows need, its quantiles where they split.
_KEY_SAMPLE = sql.SQL(
    """SELECT coalesce(percentile_disc(%(fractions)s::float8[]) WITHIN GROUP (ORDER BY key), '{{}}')
       FROM (SELECT {key_function}(domain) AS key FROM extracted.company_discovery TABLESAMPLE SYSTEM (%(percent)s)
             WHERE total_funding_amount_range_usd IS NOT NULL) sampled
       WHERE key IS NOT NULL AND (%(wanted)s::text[] IS NULL OR key = ANY(%(wanted)s::text[]))""")
_WINDOW_END = """
SELECT max(id) FROM (SELECT id FROM extracted.company_discovery
                     WHERE id > %(after)s AND total_funding_amount_range_usd IS NOT NULL
                     ORDER BY id LIMIT %(limit)s) window_rows"""
_WINDOW_RANGES = """
SELECT DISTINCT total_funding_amount_range_usd FROM extracted.company_discovery
WHERE id > %(after)s AND id <= %(upto)s AND total_funding_amount_range_usd IS NOT NULL"""
# One pass over a window, each domain normalised once by reference.company_key_v2, which returns
# exactly what kernel.normalise_domain returns or NULL where only Python can tell (IDNA and
# other hosts beyond ASCII, keys it would refuse): rows with a key are staged here, and the NULL
# ones are returned for the Python normaliser.
_STAGE_WINDOW = sql.SQL(
    """WITH window_rows AS MATERIALIZED (
           SELECT e.id, e.domain, e.total_funding_amount_range_usd AS funding_range, e.created_at,
                  {key_function}(e.domain) AS key
           FROM extracted.company_discovery e
           WHERE e.id > %(after)s AND e.id <= %(upto)s AND e.total_funding_amount_range_usd IS NOT NULL),
       staged AS (
           INSERT INTO {staging}
           SELECT w.key, w.funding_range, b.low, b.high, w.created_at, w.id
           FROM window_rows w
           JOIN unnest(%(ranges)s::text[], %(lows)s::bigint[], %(highs)s::bigint[]) AS b(range, low, high)
             ON b.range = w.funding_range
           WHERE w.key IS NOT NULL AND (%(wanted)s::text[] IS NULL OR w.key = ANY(%(wanted)s::text[])))
       SELECT id, domain, funding_range, created_at FROM window_rows WHERE key IS NULL ORDER BY id""")
_COMPANY_KEY_EXACT = sql.Identifier(KEY_FUNCTION_SCHEMA, "company_key_v2")
# The dry run's count in one pass: each spelling normalised once, keys counted in SQL; only the
# spellings the key function leaves NULL travel to Python. OFFSET 0 keeps the key a column of
# the scan, so the parallel workers compute it once per row; inlined, the planner would call
# the function again in the join and the grouping.
_DOMAINS_WITH_RANGE = sql.SQL(
    """WITH spellings AS MATERIALIZED (
           SELECT domain, {key_function}(domain) AS key FROM extracted.company_discovery
           WHERE total_funding_amount_range_usd IS NOT NULL OFFSET 0),
       keys AS MATERIALIZED (
           SELECT s.key, bool_and(f.domain IS NULL) AS missing
           FROM spellings s LEFT JOIN core.company_funding f ON f.domain = s.key
           WHERE s.key IS NOT NULL AND (%(wanted)s::text[] IS NULL OR s.key = ANY(%(wanted)s::text[]))
           GROUP BY s.key)
       SELECT (SELECT count(*) FROM keys), (SELECT count(*) FILTER (WHERE missing) FROM keys),
              (SELECT coalesce(array_agg(DISTINCT domain), '{{}}') FROM spellings WHERE key IS NULL)""")
FEW_UNDECIDED_KEYS = 100
_KEYS_FROM_SQL_FEW = sql.SQL(
    """SELECT DISTINCT k.key FROM (
           SELECT {key_function}(domain) AS key FROM extracted.company_discovery
           WHERE total_funding_amount_range_usd IS NOT NULL AND lower(domain) LIKE ANY(%(patterns)s::text[])) k
       WHERE k.key = ANY(%(keys)s::text[])""")
_KEYS_FROM_SQL_MANY = sql.SQL(
    """SELECT DISTINCT k.key FROM (
           SELECT {key_function}(domain) AS key FROM extracted.company_discovery
           WHERE total_funding_amount_range_usd IS NOT NULL) k
       WHERE k.key = ANY(%(keys)s::text[])""")
# Latest wins among a domain's staged rows: a later created_at, then a higher id.
_INSERT_PARTITION = sql.SQL(
    """WITH added AS (
           INSERT INTO core.company_funding (domain, raw_funding_range, funding_min_usd, funding_max_usd, source)
           SELECT DISTINCT ON (domain) domain, raw_funding_range, funding_min_usd, funding_max_usd, %(source)s
           FROM {partition} ORDER BY domain, seen_at DESC, source_id DESC
           ON CONFLICT (domain) DO NOTHING RETURNING 1)
       SELECT count(*) FROM added""")


def _staging_name(job_id: int) -> str:
    return f"funding_backfill_job{int(job_id)}"


def staging_table(job_id: int) -> sql.Identifier:
    """The seed's public.funding_backfill, one per job so two jobs never share one."""
    return sql.Identifier("public", _staging_name(job_id))


def staging_partitioned(*, job_id: int) -> bool | None:
    """Whether the job's staging table is partitioned; None when it has none."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind = 'p' FROM pg_class WHERE oid = to_regclass(%s)",
                       [staging_table(job_id).as_string(connection.connection)])
        row = cursor.fetchone()
        return row[0] if row else None


def key_sample(*, percent: float, parts: int, wanted: list[str] | None) -> list[str]:
    """The keys that split a sample of `percent` of the source's pages into `parts` equal parts,
    in the database's order."""
    fractions = [part / parts for part in range(1, parts)]
    with connection.cursor() as cursor:
        cursor.execute(_KEY_SAMPLE.format(key_function=_COMPANY_KEY_EXACT),
                       {"fractions": fractions, "percent": percent, "wanted": wanted})
        return cursor.fetchone()[0]


def source_rows_estimate() -> int:
    """The planner's count of the source's rows (an exact count for a table never analysed, whose
    estimate is -1): it sizes the partitions and the key sample."""
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("""SELECT CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint
                                              ELSE (SELECT count(*) FROM {source}) END
                                  FROM pg_class c WHERE c.oid = %s::regclass""").format(
            source=sql.Identifier(*SOURCE.split("."))), [SOURCE])
        return cursor.fetchone()[0]


def staging_create(*, job_id: int, boundaries: list[str]) -> None:
    """The staging table, one partition per range between consecutive boundaries (sorted,
    distinct), all in one transaction so a resumed job finds all of it or none."""
    staging = staging_table(job_id)
    edges = [sql.SQL("MINVALUE"), *map(sql.Literal, boundaries), sql.SQL("MAXVALUE")]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_STAGING_CREATE.format(staging=staging))
        for number, (low, high) in enumerate(itertools.pairwise(edges)):
            cursor.execute(_PARTITION_CREATE.format(partition=staging_partition(job_id, number), staging=staging,
                                                    low=low, high=high))


def staging_partition(job_id: int, number: int) -> sql.Identifier:
    return sql.Identifier("public", f"{_staging_name(job_id)}_part{int(number)}")


def staging_drop(*, job_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(staging_table(job_id)))


def window_end(*, after_id: int, limit: int) -> int | None:
    """The id that closes the next window of `limit` rows with a funding range; None at the end."""
    with connection.cursor() as cursor:
        cursor.execute(_WINDOW_END, {"after": after_id, "limit": limit})
        return cursor.fetchone()[0]


def window_ranges(*, after_id: int, upto_id: int) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(_WINDOW_RANGES, {"after": after_id, "upto": upto_id})
        return [row[0] for row in cursor.fetchall()]


def stage_window(*, job_id: int, after_id: int, upto_id: int, bounds: dict[str, tuple],
                 wanted: list[str] | None) -> list[tuple]:
    """Stage the window's rows whose domain SQL can normalise; returns
    (id, domain, range, created_at) of the rows whose domain needs the Python normaliser.
    `bounds`: each funding range text of the window -> (min, max) USD."""
    ranges = list(bounds)
    with connection.cursor() as cursor:
        statement = _STAGE_WINDOW.format(staging=staging_table(job_id), key_function=_COMPANY_KEY_EXACT)
        cursor.execute(statement, {
            "after": after_id, "upto": upto_id, "wanted": wanted, "ranges": ranges,
            "lows": [bounds[r][0] for r in ranges], "highs": [bounds[r][1] for r in ranges]})
        return cursor.fetchall()


def staging_add(*, job_id: int, rows: list[tuple]) -> None:
    """rows, at least one: (domain, range, min, max, seen_at, source id)."""
    columns = list(zip(*rows, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(_STAGING_ADD.format(staging=staging_table(job_id)), dict(zip(
            ("domains", "ranges", "mins", "maxes", "seen", "ids"), map(list, columns), strict=True)))


def insert_partition(*, job_id: int, number: int) -> int | None:
    """Add the latest range of each domain staged in partition `number` that core lacks; returns
    how many were added, None when the staging table has no such partition."""
    partition = staging_partition(job_id, number)
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [partition.as_string(connection.connection)])
        if cursor.fetchone()[0] is None:
            return None
        cursor.execute(_INSERT_PARTITION.format(partition=partition), {"source": SOURCE})
        return cursor.fetchone()[0]


@dataclass(frozen=True)
class DomainsWithRange:
    """What the dry run counts in one pass: the normalised domains with a funding range, those of
    them core lacks, and the distinct spellings SQL leaves to the Python normaliser."""
    domains: int
    missing: int
    undecided: list[str]


def domains_with_range(*, wanted: list[str] | None) -> DomainsWithRange:
    with connection.cursor() as cursor:
        cursor.execute(_DOMAINS_WITH_RANGE.format(key_function=_COMPANY_KEY_EXACT), {"wanted": wanted})
        return DomainsWithRange(*cursor.fetchone())


def keys_counted(*, keys: list[str]) -> tuple[set[str], set[str]]:
    """Of keys the Python normaliser produced: (those some spelling SQL normalises also yields,
    those core already has). A key SQL yields is a substring of its spelling in lower case, so
    few keys are checked against the rows holding them; many are checked in one full pass."""
    if not keys:
        return set(), set()
    if len(keys) <= FEW_UNDECIDED_KEYS:
        statement = _KEYS_FROM_SQL_FEW
        params = {"keys": keys, "patterns": ["%" + _like_escaped(key) + "%" for key in keys]}
    else:
        statement, params = _KEYS_FROM_SQL_MANY, {"keys": keys}
    with connection.cursor() as cursor:
        cursor.execute(statement.format(key_function=_COMPANY_KEY_EXACT), params)
        from_sql = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT domain FROM core.company_funding WHERE domain = ANY(%s)", [keys])
        return from_sql, {row[0] for row in cursor.fetchall()}


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
