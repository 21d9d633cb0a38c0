"""What the live database holds, and whether a registry row agrees with it.

Table names in the registry are data typed by people and by the audit. They are only
ever compared with names read from pg_catalog here; nothing in this module builds SQL
from them. Callers that go on to query a table use `psycopg.sql.Identifier` with a name
this module confirmed.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from registry import sql
from registry.models import Workflow
from registry.scope import own_table_names, table_scope_problem, warehouse_schemas
from warehouse.hidden import REQUIRED_FIELDS

ProblemAdder = Callable[[str, str], None]  # (field name, what is wrong with it)
QUALIFIED_NAME = re.compile(r"^[a-z_][a-z0-9_$]*\.[a-z_][a-z0-9_$]*$")


@dataclass(frozen=True)
class Catalog:
    """Columns of every table and view a registry row may name (registry/scope.py), by qualified name.

    Tables outside that scope are simply not in it, so every check that asks the catalog
    (status API, gap check, key indexes, run backfill, coalescing) refuses them too."""

    columns: dict[str, frozenset[str]] = field(default_factory=dict)

    def has_table(self, qualified: str | None) -> bool:
        return qualified in self.columns

    def has_column(self, qualified: str | None, column: str | None) -> bool:
        return qualified is not None and column in self.columns.get(qualified, frozenset())


def catalog_load() -> Catalog:
    """Read the live catalog of the warehouse schemas in one query."""
    return Catalog(columns=sql.table_columns(schemas=list(warehouse_schemas()),
                                             excluded_names=sorted(own_table_names())))


def workflow_problems(*, workflow: Workflow, catalog: Catalog) -> dict[str, list[str]]:
    """Field name -> what is wrong with it, judged against the catalog. Empty when valid."""
    problems: dict[str, list[str]] = {}

    def add(field_name: str, message: str) -> None:
        problems.setdefault(field_name, []).append(message)

    for field_name, table in workflow.tables.items():
        if not QUALIFIED_NAME.match(table):
            add(field_name, f"{table!r} is not a lower-case schema.table name")
        elif scope_problem := table_scope_problem(table):
            add(field_name, scope_problem)
        elif not catalog.has_table(table):
            add(field_name, f"table {table} does not exist")
    if workflow.key_type not in (None, "", *Workflow.KeyType.values):
        add("key_type", f"{workflow.key_type!r} is not one of: {', '.join(Workflow.KeyType.values)}")
    if workflow.coalesces_to_core and not workflow.core_table:
        add("core_table", "a workflow that coalesces to core needs its core table")
    if workflow.core_key_column and not workflow.core_table:
        add("core_key_column", "a core key column needs a core table")
    if workflow.core_source_column and not workflow.core_table:
        add("core_source_column", "a core source column needs a core table")
    if workflow.is_active:
        _require_for_active(workflow, add)
    _check_key_columns(workflow, catalog, add)
    _check_fills(workflow, add)
    return problems


def _check_fills(workflow: Workflow, add: ProblemAdder) -> None:
    """A workflow fills only required fields of its own entity type, each named once."""
    fills = list(workflow.fills_fields or [])
    if not fills:
        return
    if workflow.key_type not in REQUIRED_FIELDS:
        add("fills_fields", "the fields a workflow fills need its key type")
        return
    allowed = REQUIRED_FIELDS[workflow.key_type]
    for name in fills:
        if name not in allowed:
            add("fills_fields", f"{name!r} is not a required {workflow.key_type} field ({', '.join(allowed)})")
    if len(set(fills)) != len(fills):
        add("fills_fields", "a field is named twice")


def _require_for_active(workflow: Workflow, add: ProblemAdder) -> None:
    """An active workflow is one the status API and the jobs rely on: it must be complete."""
    for field_name in ("extracted_table", "key_column", "key_type"):
        if not getattr(workflow, field_name):
            add(field_name, "required while the workflow is active")


def _check_key_columns(workflow: Workflow, catalog: Catalog, add: ProblemAdder) -> None:
    key_tables = [t for f, t in workflow.tables.items() if f != "core_table" and catalog.has_table(t)]
    if workflow.key_column:
        for table in key_tables:
            if not catalog.has_column(table, workflow.key_column):
                add("key_column", f"column {workflow.key_column} is not in {table}")
    filled = workflow.coalesce_when_filled
    if filled and workflow.extracted_table and catalog.has_table(workflow.extracted_table):
        if not catalog.has_column(workflow.extracted_table, filled):
            add("coalesce_when_filled", f"column {filled} is not in {workflow.extracted_table}")
    core = workflow.core_table
    if core and catalog.has_table(core) and workflow.core_lookup_column:
        if not catalog.has_column(core, workflow.core_lookup_column):
            target = "core_key_column" if workflow.core_key_column else "key_column"
            add(target, f"column {workflow.core_lookup_column} is not in {core}; set core_key_column")
    source = workflow.core_source_column
    if core and source and catalog.has_table(core) and not catalog.has_column(core, source):
        add("core_source_column", f"column {source} is not in {core}")
