import pytest
from django.db import connection
from psycopg import sql

from warehouse.demo.seed import DEMO_TABLES, demo_seed
from warehouse.workflows import generic_landing_workflows

SCALE = 0.01


def table_digest(qualified: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {} t")
                       .format(sql.Identifier(*qualified.split("."))))
        return cursor.fetchone()[0]


def scalar(query: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchone()[0]


def column(query: str, params=None) -> list:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return [row[0] for row in cursor.fetchall()]


@pytest.fixture
def demo(db):
    demo_seed(scale=SCALE, seed=5)


@pytest.fixture
def committed_demo(transactional_db):
    """Demo data other connections can see. Django's flush does not reach the warehouse
    schemas, so the fixture empties them itself afterwards."""
    demo_seed(scale=SCALE, seed=5)
    yield
    tables = DEMO_TABLES + [t for w in generic_landing_workflows() for t in (w.raw_table, w.extracted_table)]
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(
            sql.Identifier(*t.split(".")) for t in tables)))
        cursor.execute("DROP TABLE IF EXISTS archive.core_companies, archive.core_companies_missing_location")
