"""Time-ordered row ids, in Python and in SQL: version 7, the RFC variant, the clock in the
first 48 bits, so ids made later sort later."""

import time
import uuid

import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from kernel import time_ordered_uuid
from runs.models import Run
from tests.factories import WorkflowFactory


def _milliseconds(value: uuid.UUID) -> int:
    return value.int >> 80


def _assert_version_seven_at(value: uuid.UUID, before_ms: int, after_ms: int) -> None:
    assert value.version == 7
    assert value.variant == uuid.RFC_4122
    assert before_ms <= _milliseconds(value) <= after_ms


@given(st.integers(min_value=1, max_value=50))
def test_python_ids_carry_the_clock_and_sort_by_it(count):
    before = time.time_ns() // 1_000_000
    ids = [time_ordered_uuid() for _ in range(count)]
    after = time.time_ns() // 1_000_000
    for value in ids:
        _assert_version_seven_at(value, before, after)
    assert [_milliseconds(v) for v in ids] == sorted(_milliseconds(v) for v in ids)
    assert len(set(ids)) == count


def _sql_ids(count: int) -> list[uuid.UUID]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reference.time_ordered_uuid() FROM generate_series(1, %s)", [count])
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
def test_sql_ids_are_version_seven_and_grow_with_the_clock():
    before = time.time_ns() // 1_000_000
    first = _sql_ids(500)
    time.sleep(0.005)
    second = _sql_ids(500)
    after = time.time_ns() // 1_000_000
    for value in first + second:
        _assert_version_seven_at(value, before - 1000, after + 1000)  # the server's clock: a second of skew allowed
    assert len(set(first + second)) == 1000
    assert max(first) < min(second)


@pytest.mark.django_db
def test_runs_written_by_plain_sql_get_time_ordered_ids():
    WorkflowFactory(workflow_name="company_news")
    with connection.cursor() as cursor:
        cursor.execute("""INSERT INTO reference.enrichment_runs (workflow_name, entity_key, entity_type)
                          VALUES ('company_news', 'plain.com', 'company') RETURNING id""")
        (made,) = cursor.fetchone()
    assert made.version == 7
    assert Run.objects.get(pk=made).entity_key == "plain.com"
