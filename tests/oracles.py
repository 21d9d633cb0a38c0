"""What the warehouse should hold, asked in plain SQL that shares nothing with enrichhub's own:
the figures tests compare enrichhub's results with."""

from django.db import connection
from psycopg import sql

WITHOUT_LOCATION = "SELECT id FROM core.companies WHERE discovery_location IS NULL AND salesnav_location IS NULL"


def scalar(query: str | sql.Composable, params=None):
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchone()[0]


def column(query: str, params=None) -> list:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return [row[0] for row in cursor.fetchall()]


def table_digest(qualified: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {} t")
                       .format(sql.Identifier(*qualified.split("."))))
        return cursor.fetchone()[0]


def unreferenced_without_location() -> set[int]:
    """Companies the delete job may remove, as a set difference in Python: no join the
    planner could get wrong, no SQL shared with the job."""
    referenced = set(column("SELECT company_id FROM core.person_work_history WHERE company_id IS NOT NULL"))
    return set(column(WITHOUT_LOCATION)) - referenced
