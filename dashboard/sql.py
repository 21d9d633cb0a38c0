"""The aggregates behind the dashboard; read by the scheduled refresh, never per page view."""

from django.db import connection
from psycopg import sql

from warehouse.hidden import REQUIRED_FIELDS, missing_sql

_TABLES = {"company": ("core", "companies"), "person": ("core", "people")}


def _rows(query: str | sql.Composable, params: dict | list | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def hidden_counts(entity: str) -> tuple[int, list[tuple[tuple[str, ...], int]]]:
    """(all rows, [(required fields missing, rows)]) of core.companies / core.people, in one scan."""
    fields = REQUIRED_FIELDS[entity]
    flags = sql.SQL(", ").join(missing_sql(field) for field in fields)
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


# pg_stat_statements is only readable once its library is preloaded and the extension exists.
_STATEMENT_STATISTICS_READY = """
SELECT 'pg_stat_statements' = ANY(string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ','))
       AND EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements')"""
_TOP_STATEMENTS = """
SELECT s.query, s.calls, s.mean_exec_time, s.total_exec_time, s.rows
FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
WHERE d.datname = current_database()
ORDER BY s.total_exec_time DESC LIMIT %s"""
def statement_statistics_ready() -> bool:
    return _rows(_STATEMENT_STATISTICS_READY)[0][0]


def top_statements(*, limit: int) -> list[tuple]:
    """(query, calls, mean ms, total ms, rows) of this database, most total time first."""
    return _rows(_TOP_STATEMENTS, [limit])
