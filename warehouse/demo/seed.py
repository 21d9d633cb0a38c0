"""Fill the demo warehouse with deterministic data at the seed TODO's scale."""

import math
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from psycopg import sql

from warehouse import sql as warehouse_sql
from warehouse.demo import statements, vocabulary
from warehouse.demo.figures import WORK_HISTORY_COMPANY_LINK_PERCENT, DemoSize
from warehouse.workflows import DEMO_WORKFLOWS, generic_landing_workflows

# Tables the generator fills, children before parents so TRUNCATE needs no CASCADE
# (a CASCADE would reach enrichhub's own tables through foreign keys).
DEMO_TABLES = [
    "core.person_work_history", "core.person_tenure", "core.person_job_start_dates",
    "core.person_job_titles", "core.person_locations", "core.people",
    "core.companies_missing_location", "core.company_funding", "core.companies",
    "extracted.company_discovery", "extracted.person_profile", "extracted.person_experience",
    "raw.company_discovery", "raw.person_profile", "raw.person_experience",
    "reference.companies_missing_cleaned_name", "reference.people_missing_country",
    "reference.job_title_mapping",
]
_PRIMES = [7919, 104729, 1299709, 15485863, 32452843, 49979687, 67867967, 86028121, 104395301]
START_DATE_SOURCES = ["apollo_instantdata_new_in_role", "salesnav", "person_profile"]
FUNDING_BOUNDS = [(1_000_000, 5_000_000), (5_000_000, 10_000_000), (10_000_000, 25_000_000),
                  (25_000_000, 50_000_000), (50_000_000, 100_000_000), (100_000_000, 250_000_000),
                  (250_000_000, None), (0, 1_000_000)]

Progress = Callable[[str, int, float], None]


class DemoDataExists(Exception):
    """The demo warehouse already holds data and no reset was asked for."""


@dataclass(frozen=True)
class SeedReport:
    rows_by_table: dict[str, int]
    seconds: float


def demo_table_count() -> int:
    """How many tables demo_seed fills, one progress call each."""
    return len(statements.COMPANIES) + len(statements.PEOPLE) + 1 + 2 * len(generic_landing_workflows())


def demo_seed(*, scale: float, seed: int = 42, reset: bool = False, progress: Progress | None = None) -> SeedReport:
    """Create the shape if needed and fill it in one transaction.

    Refuses with DemoDataExists when any demo table already has rows, unless reset is set,
    in which case the demo tables are emptied first (same transaction: a failure keeps the old data).
    """
    size = DemoSize(scale)  # validates the scale before anything is written
    started = time.monotonic()
    warehouse_sql.shape_apply()
    rows: dict[str, int] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        _refuse_or_reset(cursor, reset=reset)
        cursor.execute("SELECT set_config('enrichhub.demo_seed', %s, true)", [str(seed)])
        params = _parameters(size)
        for helper in statements.HELPERS + statements.PREPARE:
            cursor.execute(helper, params if "%(" in helper else None)
        generated: list[tuple[str, str | sql.Composable]] = [*statements.COMPANIES, *statements.PEOPLE,
                                                            statements.REGISTRY]
        for table, statement in generated:
            rows[table] = _timed(cursor, table, statement, params, progress)
        for table, rowcount in _fill_generic_tables(cursor, size, progress):
            rows[table] = rowcount
        identity_sequences_advance(cursor)
    tables_analyze(list(rows))
    return SeedReport(rows_by_table=rows, seconds=time.monotonic() - started)


def _timed(cursor: CursorWrapper, label: str, statement: sql.Composable | str, params: dict,
           progress: Progress | None) -> int:
    began = time.monotonic()
    cursor.execute(statement, params)
    if progress:
        progress(label, cursor.rowcount, time.monotonic() - began)
    return cursor.rowcount


def _refuse_or_reset(cursor: CursorWrapper, *, reset: bool) -> None:
    tables = DEMO_TABLES + [t for w in generic_landing_workflows() for t in (w.raw_table, w.extracted_table)]
    identifiers = [sql.Identifier(*warehouse_sql.split_table_name(t)) for t in tables]
    if not reset:
        occupied = [t for t, ident in zip(tables, identifiers, strict=True) if _has_rows(cursor, ident)]
        if occupied:
            raise DemoDataExists(
                f"the demo warehouse already holds data (in {', '.join(occupied[:3])}"
                f"{' and more' if len(occupied) > 3 else ''}); run seed_demo --reset to replace it"
            )
    # Also on empty tables: restarting the identities is what makes ids, and so the data,
    # the same for the same seed whatever ran against these tables before.
    cursor.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY").format(sql.SQL(", ").join(identifiers)))


def _has_rows(cursor: CursorWrapper, table: sql.Identifier) -> bool:
    cursor.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(table))
    return cursor.fetchone()[0]


def _fill_generic_tables(cursor: CursorWrapper, size: DemoSize,
                         progress: Progress | None) -> Iterator[tuple[str, int]]:
    for workflow in generic_landing_workflows():
        extracted_schema, extracted_name = warehouse_sql.split_table_name(workflow.extracted_table)
        fill, mirror = statements.generic_rows_statements(
            extracted=sql.Identifier(extracted_schema, extracted_name),
            raw=sql.Identifier(*warehouse_sql.split_table_name(workflow.raw_table)),
            key=sql.Identifier(workflow.key_column),
            key_type=workflow.key_type,
            workflow=workflow.name,
        )
        params = {**size.figures(), "workflow": workflow.name, "rows": size.generic_rows(workflow.name),
                  "salt": 1000 + zlib.crc32(workflow.name.encode()) % 100_000}
        yield workflow.extracted_table, _timed(cursor, workflow.extracted_table, fill, params, progress)
        yield workflow.raw_table, _timed(cursor, workflow.raw_table, mirror, {}, progress)


def identity_sequences_advance(cursor: CursorWrapper) -> None:
    """Rows were inserted with explicit ids; move each identity sequence past them."""
    cursor.execute(
        """SELECT n.nspname, c.relname, a.attname FROM pg_attribute a
           JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE a.attidentity <> '' AND n.nspname IN ('core', 'extracted', 'raw', 'reference')"""
    )
    for schema, table, column in cursor.fetchall():
        cursor.execute(
            sql.SQL("SELECT setval(pg_get_serial_sequence(%s, %s), coalesce(max({col}), 0) + 1, false) FROM {tbl}")
            .format(col=sql.Identifier(column), tbl=sql.Identifier(schema, table)),
            [f"{schema}.{table}", column],
        )


def tables_analyze(tables: list[str]) -> None:
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(*warehouse_sql.split_table_name(table))))


def _coprime_multiplier(n: int, skip: int) -> int:
    candidates = [p for p in _PRIMES if math.gcd(p, n) == 1]
    return candidates[skip % len(candidates)]


def _parameters(size: DemoSize) -> dict:
    figures = size.figures()
    registered = [w for w in DEMO_WORKFLOWS if w.registered]
    experience_synced = figures["experience_rows"] - figures["experience_not_synced"]
    return {
        **figures,
        "experience_synced": experience_synced,
        # Unsynced experience rows are the jobs synced ones would be; legacy history rows differ.
        "experience_unsynced_salt": 0, "history_unsynced_salt": 100,
        "work_history_company_link_percent": WORK_HISTORY_COMPANY_LINK_PERCENT,
        "p_location": _coprime_multiplier(figures["companies"], 0),
        "p_discovery": _coprime_multiplier(figures["companies"], 1),
        "p_cleaned": _coprime_multiplier(figures["companies"], 2),
        "p_country": _coprime_multiplier(figures["people"], 3),
        "p_dates": _coprime_multiplier(figures["people"], 4),
        "p_profile": _coprime_multiplier(figures["people"], 5),
        "stems": vocabulary.COMPANY_STEMS, "tails": vocabulary.COMPANY_TAILS,
        "tlds": vocabulary.TOP_LEVEL_DOMAINS, "name_prefixes": vocabulary.NAME_PREFIXES,
        "legal_suffixes": vocabulary.LEGAL_SUFFIXES, "industries": vocabulary.INDUSTRIES,
        "employee_ranges": vocabulary.EMPLOYEE_RANGES, "funding_ranges": vocabulary.FUNDING_RANGES,
        "funding_mins": [low for low, _ in FUNDING_BOUNDS], "funding_maxes": [high for _, high in FUNDING_BOUNDS],
        "countries": vocabulary.COUNTRIES, "cities": vocabulary.CITIES, "titles": vocabulary.RAW_TITLES,
        "first_names": vocabulary.FIRST_NAMES, "last_names": vocabulary.LAST_NAMES,
        "first_encoded": [vocabulary.percent_encoded(n) for n in vocabulary.FIRST_NAMES],
        "last_encoded": [vocabulary.percent_encoded(n) for n in vocabulary.LAST_NAMES],
        "map_titles": [t for t, _, _ in vocabulary.JOB_TITLE_MAPPING],
        "map_functions": [f for _, f, _ in vocabulary.JOB_TITLE_MAPPING],
        "map_seniorities": [s for _, _, s in vocabulary.JOB_TITLE_MAPPING],
        "start_date_sources": START_DATE_SOURCES,
        "registered_names": [w.name for w in registered],
        "registered_descriptions": [f"{w.key_type.title()} enrichment: {w.name.replace('_', ' ')}" for w in registered],
        "registered_providers": [w.vendor for w in registered],
        "registered_created": [f"2024-{1 + i % 12:02d}-15T09:00:00+00:00" for i, _ in enumerate(registered)],
    }
