"""The funding backfill stages normal-form domains in SQL: its pattern must accept exactly the
strings the Python normaliser returns unchanged, or SQL and Python would stage different keys."""

from django.db import connection
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from psycopg import sql

from cleanup.jobs.sql.funding import normal_domain
from kernel import InvalidEntityKey, normalise_domain

labels = st.text(alphabet="abz09-", min_size=0, max_size=66)
domain_like = st.builds(".".join, st.lists(labels, min_size=1, max_size=4))
anything = st.text(alphabet="abcXYZ019-._ é/:\n@w", max_size=40)


def _sql_accepts(values: list[str]) -> list[bool]:
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("SELECT coalesce({}, false) FROM unnest(%s::text[]) WITH ORDINALITY AS t(v, n)"
                               " ORDER BY n").format(normal_domain(sql.Identifier("v"))), [values])
        return [row[0] for row in cursor.fetchall()]


def _unchanged_by_normaliser(value: str) -> bool:
    try:
        return normalise_domain(value) == value
    except InvalidEntityKey:
        return False


@given(st.lists(st.one_of(domain_like, anything), min_size=1, max_size=50))
@example(["www.a.co", "a.co", "a-.co", "-a.co", "a.123", "a.1b", "A.co", "a." + "b" * 63, "a." + "b" * 64,
          ("a" * 60 + ".") * 4 + "co", "a..co", "a.co\n", "é.co"])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_sql_pattern_accepts_exactly_what_the_normaliser_keeps(db, values):
    expected = [_unchanged_by_normaliser(value) for value in values]
    assert _sql_accepts(values) == expected
