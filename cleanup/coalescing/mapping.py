"""Declarative coalescing: a CoalesceMapping read and checked against the live catalog.

A source is an extracted column (`company_name`) or a field of a jsonb column
(`payload.company`). Column names only ever reach SQL as Identifier after this module found
them in the catalog; a jsonb field name is a bound parameter.
"""

import re
from dataclasses import dataclass
from typing import NamedTuple

from cleanup.coalescing.models import CoalesceMapping
from cleanup.coalescing.sql import mapped as sql
from kernel import ProcessCache
from registry.catalog import Catalog, catalog_load
from registry.scope import table_scope_problem

_SOURCE = re.compile(r"^(?P<column>[a-z_][a-z0-9_]*)(?:\.(?P<field>[A-Za-z0-9_ -]{1,100}))?$")


class MappingInvalid(ValueError):
    """The mapping cannot be applied; the message names the workflow and the problem."""


@dataclass(frozen=True)
class Source:
    column: str
    field: str | None = None

    def __str__(self) -> str:
        return f"{self.column}.{self.field}" if self.field else self.column


@dataclass(frozen=True)
class MappingPlan:
    """A mapping whose every name was found in the catalog."""

    workflow: str
    key_type: str
    extracted_table: str
    key_column: str
    core_table: str
    core_key_column: str
    targets: dict[str, Source]  # core column -> where its value comes from
    create_missing: bool


def source_parse(text: object) -> Source:
    match = _SOURCE.match(text) if isinstance(text, str) else None
    if not match:
        raise MappingInvalid(f"{text!r} is not a column name or column.field")
    return Source(match["column"], match["field"])


def mapping_problems(mapping: CoalesceMapping, catalog: Catalog | None = None) -> dict[str, list[str]]:
    """Field name -> what is wrong, judged against the live catalog. Empty when valid."""
    try:
        mapping_plan(mapping, catalog or catalog_load())
    except MappingInvalid as exc:
        return {exc.args[1] if len(exc.args) > 1 else "columns": [str(exc.args[0])]}
    return {}


def mapping_plan(mapping: CoalesceMapping, catalog: Catalog) -> MappingPlan:
    workflow = mapping.workflow
    name = workflow.workflow_name
    if not (workflow.extracted_table and workflow.key_column and workflow.key_type):
        raise MappingInvalid(f"{name} has no extracted table, key column and key type in the registry", "workflow")
    if not workflow.core_table or not workflow.core_lookup_column:
        raise MappingInvalid(f"{name} has no core table in the registry", "workflow")
    for table in (workflow.extracted_table, workflow.core_table):
        if problem := table_scope_problem(table):  # again here: the registry row may predate the rule
            raise MappingInvalid(f"{name}: {problem}", "workflow")
    if not catalog.has_column(workflow.extracted_table, workflow.key_column):
        raise MappingInvalid(f"{workflow.extracted_table}.{workflow.key_column} does not exist", "workflow")
    if not catalog.has_column(workflow.core_table, workflow.core_lookup_column):
        raise MappingInvalid(f"{workflow.core_table}.{workflow.core_lookup_column} does not exist", "workflow")
    if not isinstance(mapping.columns, dict) or not mapping.columns:
        raise MappingInvalid('columns must map core columns to sources, e.g. {"cleaned_name": "payload.company"}')
    tables = _MappedTables(workflow.extracted_table, workflow.core_table, workflow.core_lookup_column)
    targets = {target: _target_source(tables, catalog, target, text, workflow=name)
               for target, text in mapping.columns.items()}
    if mapping.create_missing:
        _check_insertable(tables, targets)
    return MappingPlan(name, workflow.key_type, workflow.extracted_table, workflow.key_column, workflow.core_table,
                       workflow.core_lookup_column, targets, mapping.create_missing)


class _MappedTables(NamedTuple):
    extracted: str
    core: str
    core_key: str


# Columns enrichhub and the database keep: a row's identity and its bookkeeping times.
BOOKKEEPING_COLUMNS = frozenset({"id", "created_at", "updated_at"})
# The delete of companies without a location reads these: only the workflow each comes from may
# write it, or a mapping of any other workflow would decide which companies are deleted.
LOCATION_SOURCES = {"discovery_location": "company_discovery", "salesnav_location": "company_salesnav_location"}


def _target_source(tables: _MappedTables, catalog: Catalog, target: str, text: object, *,
                   workflow: str) -> Source:
    if target == tables.core_key:
        raise MappingInvalid(f"{target} is the core key: it is set from the normalised key, not mapped")
    if target in BOOKKEEPING_COLUMNS:
        raise MappingInvalid(f"{tables.core}.{target} is kept by the database and enrichhub, not mapped")
    if target in LOCATION_SOURCES and LOCATION_SOURCES[target] != workflow:
        raise MappingInvalid(f"{tables.core}.{target} decides which companies the location clean-up deletes: "
                             f"only {LOCATION_SOURCES[target]} may write it")
    if not catalog.has_column(tables.core, target):
        raise MappingInvalid(f"core column {tables.core}.{target} does not exist")
    source = source_parse(text)
    if not catalog.has_column(tables.extracted, source.column):
        raise MappingInvalid(f"source column {tables.extracted}.{source.column} does not exist")
    if source.field and sql.column_type(table=tables.extracted, column=source.column) not in ("json", "jsonb"):
        raise MappingInvalid(f"{source}: {source.column} is not a json column, so it has no fields")
    return source


def _check_insertable(tables: _MappedTables, targets: dict[str, Source]) -> None:
    key = tables.core_key
    if not sql.column_is_unique(table=tables.core, column=key):
        raise MappingInvalid(f"creating rows needs a unique index on {tables.core}.{key}", "create_missing")
    lacking = set(sql.columns_required(table=tables.core)) - set(targets) - {key}
    if lacking:
        raise MappingInvalid(f"creating rows needs a value for {', '.join(sorted(lacking))} (NOT NULL, no default)",
                             "create_missing")


_recent_plans: ProcessCache[str, MappingPlan] = ProcessCache()


def mapped_workflow_names() -> list[str]:
    """The workflows an active mapping brings to core."""
    return sorted(CoalesceMapping.objects.filter(is_active=True).values_list("workflow_id", flat=True))


def active_mapping_plan(workflow_name: str, *, max_age_s: float = 0.0) -> MappingPlan:
    """The workflow's active mapping checked against the catalog; with max_age_s, a plan this
    process checked that recently may answer (a mapping edited meanwhile applies a little later)."""
    cached = _recent_plans.get(workflow_name, max_age_s=max_age_s)
    if cached is not None:
        return cached
    mapping = (CoalesceMapping.objects.select_related("workflow")
               .filter(workflow_id=workflow_name, is_active=True).first())
    if mapping is None:
        raise MappingInvalid(f"{workflow_name!r} has no active coalesce mapping", "workflow")
    plan = mapping_plan(mapping, catalog_load())
    return _recent_plans.put(workflow_name, plan)
