"""The aggregates behind the dashboard; read by the scheduled refresh, never per page view."""

from django.db import connection
from psycopg import sql

from warehouse.hidden import REQUIRED_FIELDS

_RUNS_BY_STATUS = """
SELECT workflow_name, status, count(*), max(last_event_at), coalesce(sum(credits_spent), 0),
       coalesce(sum(credits_wasted), 0)
FROM reference.enrichment_runs GROUP BY workflow_name, status"""
# Spend is attributed to the week of the run's latest event.
_SPEND_BY_WEEK = """
SELECT workflow_name, date_trunc('week', last_event_at)::date, sum(credits_spent), sum(credits_wasted)
FROM reference.enrichment_runs WHERE credits_spent IS NOT NULL
GROUP BY 1, 2 ORDER BY 2, 1"""
_TABLES = {"company": ("core", "companies"), "person": ("core", "people")}


def _rows(query, params=None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def runs_by_status() -> list[tuple]:
    """(workflow, status, runs, last event, credits, wasted credits)."""
    return _rows(_RUNS_BY_STATUS)


def spend_by_week() -> list[tuple]:
    """(workflow, week, credits, wasted credits)."""
    return _rows(_SPEND_BY_WEEK)


def hidden_counts(entity: str) -> tuple[int, list[tuple[tuple[str, ...], int]]]:
    """(all rows, [(required fields missing, rows)]) of core.companies / core.people, in one scan."""
    fields = REQUIRED_FIELDS[entity]
    flags = sql.SQL(", ").join(
        sql.SQL("({0} IS NULL OR btrim({0}) = '')").format(sql.Identifier(field)) for field in fields)
    query = sql.SQL("SELECT {flags}, count(*) FROM {table} GROUP BY {positions}").format(
        flags=flags, table=sql.Identifier(*_TABLES[entity]),
        positions=sql.SQL(", ".join(str(position) for position in range(1, len(fields) + 1))))
    total, combos = 0, []
    for *missing_flags, rows in _rows(query):
        total += rows
        missing = tuple(field for field, flag in zip(fields, missing_flags, strict=True) if flag)
        if missing:
            combos.append((missing, rows))
    return total, sorted(combos, key=lambda combo: -combo[1])


_SAMPLE_KEYS = {"company": "SELECT domain FROM core.companies ORDER BY md5(id::text) LIMIT %s",
                "person": "SELECT linkedin_url FROM core.people ORDER BY md5(id::text) LIMIT %s"}


def sample_keys(*, entity_type: str, count: int) -> list[str]:
    """A fixed pseudo-random sample of core keys (the demo's paid runs)."""
    return [key for (key,) in _rows(_SAMPLE_KEYS[entity_type], [count])]
