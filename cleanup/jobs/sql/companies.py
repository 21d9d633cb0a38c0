"""Deleting companies with no location, archived in the same statement, and restoring them."""

from django.db import connection
from psycopg import sql

from cleanup.jobs.models import ArchivedCompany, ArchivedCompanyMissingLocation
from cleanup.jobs.sql import column_list, planner_rows, scalar, table_columns

COMPANIES = ("core", "companies")
SNAPSHOT = ("core", "companies_missing_location")
# Migrated tables (cleanup.jobs.models), named by their models.
ARCHIVED_COMPANIES = tuple(ArchivedCompany._meta.db_table.split('"."'))
ARCHIVED_SNAPSHOT = tuple(ArchivedCompanyMissingLocation._meta.db_table.split('"."'))
_TABLES = {"companies": sql.Identifier(*COMPANIES), "snapshot": sql.Identifier(*SNAPSHOT),
           "archived_companies": sql.Identifier(*ARCHIVED_COMPANIES),
           "archived_snapshot": sql.Identifier(*ARCHIVED_SNAPSHOT)}

# The live predicate, never the snapshot list: the snapshot keeps ids whose location was
# filled since, and deleting from it does not shrink what the seed's loop selects.
_NO_LOCATION = "c.discovery_location IS NULL AND c.salesnav_location IS NULL"
# Work history points at companies by id; deleting those would fail on the foreign key or
# orphan the history, so they are skipped and counted (the dry run lists how many).
_REFERENCED = "EXISTS (SELECT 1 FROM core.person_work_history w WHERE w.company_id = c.id)"
# In a batch: the same, bounded to the batch's window. Redundant, but without it the planner's
# merge anti-join scans work history's company_id index from its first entry on every batch,
# and the job grows with the square of the linked history.
_REFERENCED_AFTER = ("EXISTS (SELECT 1 FROM core.person_work_history w WHERE w.company_id = c.id"
                     " AND w.company_id > %(after)s)")
# The companies a batch deletes: the next `limit` ids after `after` with no location and no history.
DOOMED = sql.SQL("""SELECT c.id FROM {companies} c
            WHERE c.id > %(after)s AND {no_location} AND NOT {referenced}
            ORDER BY c.id LIMIT %(limit)s""").format(no_location=sql.SQL(_NO_LOCATION),
                                                      referenced=sql.SQL(_REFERENCED_AFTER),
                                                      companies=_TABLES["companies"])


def archive_gaps() -> list[str]:
    """Columns the warehouse has and its archive lacks ("core.companies.x"): a delete would have
    nowhere to keep their values, so it must not start until a migration adds them."""
    gaps = []
    for archive, source in ((ARCHIVED_COMPANIES, COMPANIES), (ARCHIVED_SNAPSHOT, SNAPSHOT)):
        kept = set(table_columns(schema=archive[0], table=archive[1]))
        gaps += [f"{'.'.join(source)}.{column}" for column in table_columns(schema=source[0], table=source[1])
                 if column not in kept]
    return gaps


def candidates_count() -> tuple[int, int]:
    """(companies with no location, of which referenced by work history)."""
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("SELECT count(*), count(*) FILTER (WHERE {referenced}) FROM {companies} c"
                               " WHERE {no_location}").format(referenced=sql.SQL(_REFERENCED),
                                                              no_location=sql.SQL(_NO_LOCATION), **_TABLES))
        return cursor.fetchone()


def candidates_estimate() -> int:
    """The planner's figure for the companies a delete job would remove."""
    return planner_rows(sql.SQL("SELECT c.id FROM {companies} c WHERE {no_location} AND NOT {referenced}").format(
        referenced=sql.SQL(_REFERENCED), no_location=sql.SQL(_NO_LOCATION), **_TABLES))


def delete_batch(*, job_id: int, after_id: int, limit: int) -> tuple[int, int | None]:
    """Delete and archive the next batch by id. Returns (rows deleted, last id, None when done)."""
    companies = table_columns(schema=COMPANIES[0], table=COMPANIES[1])
    snapshot = table_columns(schema=SNAPSHOT[0], table=SNAPSHOT[1])
    statement = sql.SQL("""
        WITH doomed AS ({doomed}),
        gone AS (
            -- the predicate again: a row whose location was filled meanwhile is re-checked and kept
            DELETE FROM {companies} c USING doomed WHERE c.id = doomed.id AND {no_location}
            RETURNING c.*),
        kept AS (
            INSERT INTO {archived_companies} ({cols}, archive_job_id)
            SELECT {gone_cols}, %(job)s FROM gone RETURNING id),
        snap AS (
            DELETE FROM {snapshot} m USING gone WHERE m.id = gone.id RETURNING m.*),
        snap_kept AS (
            INSERT INTO {archived_snapshot} ({snap_cols}, archive_job_id)
            SELECT {snap_from}, %(job)s FROM snap)
        SELECT (SELECT count(*) FROM kept), (SELECT max(id) FROM doomed)""").format(
        doomed=DOOMED, no_location=sql.SQL(_NO_LOCATION), **_TABLES,
        cols=column_list(companies), gone_cols=column_list(companies, prefix="gone"),
        snap_cols=column_list(snapshot), snap_from=column_list(snapshot, prefix="snap"))
    with connection.cursor() as cursor:
        cursor.execute(statement, {"after": after_id, "limit": limit, "job": job_id})
        return cursor.fetchone()


def archived_count(*, job_id: int) -> int:
    return scalar(sql.SQL("SELECT count(*) FROM {} WHERE archive_job_id = %s").format(_TABLES["archived_companies"]),
                  [job_id]) or 0


def restore_batch(*, source_job_id: int, after_id: int, limit: int) -> tuple[int, int | None]:
    """Put the next batch of a job's archived companies back. (restored, last id or None)."""
    companies = table_columns(schema=COMPANIES[0], table=COMPANIES[1])
    snapshot = table_columns(schema=SNAPSHOT[0], table=SNAPSHOT[1])
    statement = sql.SQL("""
        WITH batch AS (
            SELECT {cols} FROM {archived_companies}
            WHERE archive_job_id = %(source)s AND id > %(after)s ORDER BY id LIMIT %(limit)s),
        back AS (
            -- a row whose id or domain was taken again meanwhile stays in the archive, reported
            INSERT INTO {companies} ({cols}) SELECT {cols} FROM batch ON CONFLICT DO NOTHING RETURNING id),
        unarchived AS (
            DELETE FROM {archived_companies} a USING back
            WHERE a.archive_job_id = %(source)s AND a.id = back.id RETURNING a.id),
        snap_back AS (
            INSERT INTO {snapshot} ({snap_cols})
            SELECT {snap_from} FROM {archived_snapshot} s JOIN back ON s.id = back.id
            WHERE s.archive_job_id = %(source)s ON CONFLICT DO NOTHING RETURNING id),
        snap_unarchived AS (
            DELETE FROM {archived_snapshot} s USING snap_back
            WHERE s.archive_job_id = %(source)s AND s.id = snap_back.id)
        SELECT (SELECT count(*) FROM unarchived), (SELECT max(id) FROM batch)""").format(
        cols=column_list(companies), snap_cols=column_list(snapshot), snap_from=column_list(snapshot, prefix="s"),
        **_TABLES)
    with connection.cursor() as cursor:
        cursor.execute(statement, {"source": source_job_id, "after": after_id, "limit": limit})
        return cursor.fetchone()
