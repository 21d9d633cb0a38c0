"""What the warehouse should hold, asked in plain SQL that shares nothing with enrichhub's own:
the figures tests compare enrichhub's results with."""

from collections import defaultdict
from dataclasses import dataclass

from django.db import connection
from psycopg import sql

from kernel import InvalidEntityKey, entity_key_or_none, normalise_entity_key
from registry.models import Workflow
from warehouse.hidden import REQUIRED_FIELDS

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


@dataclass(frozen=True)
class GapFigures:
    keys_in_extracted: int
    keys_in_core: int | None
    gap: int
    invalid_keys: int
    rows_waiting: int


def _rows(query: sql.Composable) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query)
        return cursor.fetchall()


def _ident(table: str) -> sql.Identifier:
    return sql.Identifier(*table.split("."))


def gap_oracle(workflow_name: str) -> GapFigures:
    """A workflow's gap with every row read and normalised in Python, nothing remembered between
    checks: how the gap check worked before it kept ledgers."""
    w = Workflow.objects.get(pk=workflow_name)
    filled = sql.SQL("")
    if w.coalesce_when_filled:
        filled = sql.SQL(" AND nullif(btrim({}::text), '') IS NOT NULL").format(sql.Identifier(w.coalesce_when_filled))
    extracted = _rows(sql.SQL("SELECT id, {k} FROM {t} WHERE {k} IS NOT NULL{f}").format(
        k=sql.Identifier(w.key_column), t=_ident(w.extracted_table), f=filled))
    keyed = [(row_id, entity_key_or_none(entity_type=w.key_type, raw=raw)) for row_id, raw in extracted]
    valid = {key for _, key in keyed if key is not None}
    invalid = {raw for (_, raw), (_, key) in zip(extracted, keyed, strict=True) if key is None}
    if not w.core_table:
        return GapFigures(len(valid), None, len(valid), len(invalid), len(extracted))
    core_rows = _rows(sql.SQL("SELECT {k} FROM {t} WHERE {k} IS NOT NULL").format(
        k=sql.Identifier(w.core_lookup_column), t=_ident(w.core_table)))
    core = {key for (raw,) in core_rows if (key := entity_key_or_none(entity_type=w.key_type, raw=raw)) is not None}
    if w.core_source_column:
        sources = {source for (source,) in _rows(sql.SQL("SELECT {} FROM {}").format(
            sql.Identifier(w.core_source_column), _ident(w.core_table)))}
        waiting = sum(1 for row_id, _ in keyed if row_id not in sources)
    else:
        waiting = sum(1 for _, key in keyed if key is None or key not in core)
    return GapFigures(len(valid), len(core), len(valid - core), len(invalid), waiting)




def core_fields_filled_by_key(entity_type: str) -> dict[str, set[str]]:
    """Per key, normalised in Python, the required fields at least one of its core rows fills."""
    schema, table, column = {"company": ("core", "companies", "domain"),
                             "person": ("core", "people", "linkedin_url")}[entity_type]
    fields = REQUIRED_FIELDS[entity_type]
    filled: dict[str, set[str]] = defaultdict(set)
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("SELECT {}, {} FROM {}").format(
            sql.Identifier(column), sql.SQL(", ").join(map(sql.Identifier, fields)), sql.Identifier(schema, table)))
        for raw, *values in cursor.fetchall():
            try:
                key = normalise_entity_key(entity_type=entity_type, raw=raw)
            except InvalidEntityKey:
                continue
            filled[key] |= {f for f, v in zip(fields, values, strict=True) if v is not None and v.strip()}
    return filled


_REVIEW_LISTS = {  # list -> (core table, its key column, field, extracted table, key column, its value)
    "companies_missing_cleaned_name": ("companies", "domain", "cleaned_name", "extracted.company_cleaned_name",
                                       "domain", "payload->>'company'"),
    "people_missing_country": ("people", "linkedin_url", "person_country", "extracted.person_profile",
                               "linkedin_url", "location_country"),
}


def review_list_waiting_oracle(name: str) -> set[int]:
    """Listed core ids still missing the field whose work is not done, as sets in Python: a
    company Clay never answered for or answered with a name; a person some extracted profile
    gives a country. Keys are compared as the SQL key functions give them (which, unlike the
    Python normaliser, leave percent-escapes as they are: docs/jobs.md says so)."""
    table, key_column, field, extracted, extracted_key, value = _REVIEW_LISTS[name]
    function = "company_key_v1" if table == "companies" else "person_key_v1"
    key = sql.SQL("reference." + function + "({})")
    listed = _rows(sql.SQL("SELECT c.id, {key}, c.{f} FROM core.{t} c JOIN reference.{r} r ON r.id = c.id").format(
        key=key.format(sql.Identifier("c", key_column)), f=sql.Identifier(field), t=sql.Identifier(table),
        r=sql.Identifier(name)))
    answers: dict[str, list[str | None]] = defaultdict(list)
    for answered_key, answer in _rows(sql.SQL("SELECT {key}, {v} FROM {e}").format(
            key=key.format(sql.Identifier(extracted_key)), v=sql.SQL(value), e=_ident(extracted))):
        answers[answered_key].append((answer or "").strip() or None)
    waiting = set()
    for row_id, row_key, filled in listed:
        if (filled or "").strip():
            continue
        found = answers.get(row_key, [])
        if any(found) or (table == "companies" and not found):
            waiting.add(row_id)
    return waiting


def dashboard_oracle() -> dict:
    """Every figure the dashboard shows, from the tables themselves: runs counted per status,
    hidden rows classified in Python, gaps re-read row by row, credits summed per run."""
    from decimal import Decimal

    active = list(Workflow.objects.filter(is_active=True).order_by("workflow_name"))
    runs: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    spent: dict[str, tuple[Decimal, Decimal]] = {}
    for name, status, count in _rows(sql.SQL(
            "SELECT workflow_name, status, count(*) FROM reference.enrichment_runs GROUP BY 1, 2")):
        runs[name][status] = count
    for name, credits, wasted in _rows(sql.SQL(
            "SELECT workflow_name, coalesce(sum(credits_spent), 0), coalesce(sum(credits_wasted), 0)"
            " FROM reference.enrichment_runs GROUP BY 1")):
        spent[name] = (credits, wasted)
    hidden = {entity: _hidden_rows(entity) for entity in REQUIRED_FIELDS}
    workflows = {}
    for w in active:
        counts = runs[w.workflow_name]
        entities = hidden[w.key_type]["total"] if w.key_type in hidden else 0
        figures = {"enriched": counts["completed"], "in_flight": counts["pending"] + counts["running"],
                   "failed": counts["failed"], "entities": entities,
                   "coverage_percent": round(100.0 * counts["completed"] / entities, 1) if entities else 0.0}
        if w.coalesces_to_core:
            gap = gap_oracle(w.workflow_name)
            figures.update(gap=gap.gap, rows_waiting=gap.rows_waiting)
        workflows[w.workflow_name] = figures
    spend = {w.workflow_name: spent[w.workflow_name] for w in active
             if spent.get(w.workflow_name, (0, 0))[0]}
    vendors: dict[str, Decimal] = defaultdict(Decimal)
    for w in active:
        if w.workflow_name in spend:
            vendors[w.vendor or ""] += spend[w.workflow_name][0]
    return {"workflows": workflows, "hidden": hidden, "spend": spend, "vendors": dict(vendors)}


def _hidden_rows(entity: str) -> dict:
    """Rows of the entity's core table, how many miss some required field, and per exact set of
    missing fields how many."""
    table = {"company": "companies", "person": "people"}[entity]
    fields = REQUIRED_FIELDS[entity]
    combos: dict[str, int] = defaultdict(int)
    total = 0
    for values in _rows(sql.SQL("SELECT {} FROM {}").format(
            sql.SQL(", ").join(map(sql.Identifier, fields)), sql.Identifier("core", table))):
        total += 1
        # "Missing": NULL, empty or only spaces (warehouse/hidden.py says so in words).
        missing = [field for field, value in zip(fields, values, strict=True) if not (value or "").strip(" ")]
        if missing:
            combos[",".join(missing)] += 1
    return {"total": total, "hidden": sum(combos.values()), "combinations": dict(combos)}
