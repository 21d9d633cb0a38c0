"""The one statement that counts an entity's rows in every workflow's tables.

Built from the registry with psycopg.sql: table and column names go in only as
Identifier, and only after registry.catalog confirmed them in the live catalog; workflow
names and keys are bound parameters. The composed statement is cached per registry
fingerprint, so it is rebuilt exactly when the registry (or the catalog it was checked
against) changes, and psycopg can prepare it on the server after a few executions.
"""

from dataclasses import dataclass

from django.db import connection
from psycopg import sql

from registry.catalog import Catalog

# A raw key may hit several spellings; each is one row of this CTE (variant, which entity).
_VARIANTS = sql.SQL("variants(variant, owner) AS MATERIALIZED "
                    "(SELECT * FROM unnest(%(variants)s::text[], %(owners)s::integer[]))")
_BRANCH = sql.SQL("SELECT {workflow}::text, v.owner, {extracted}::bigint, {core}::bigint FROM {table} t "
                  "JOIN variants v ON t.{column} = v.variant GROUP BY v.owner")
_RUNS = """SELECT workflow_name, entity_key, status, completed_at, attempts, error
           FROM reference.enrichment_runs WHERE entity_type = %(entity_type)s AND entity_key = ANY(%(keys)s)"""


@dataclass(frozen=True)
class WorkflowSpec:
    """What the status needs to know of one active workflow."""

    name: str
    key_type: str
    extracted_table: str | None
    key_column: str | None
    core_table: str | None
    core_column: str | None
    coalesces_to_core: bool
    refresh_after_days: int


@dataclass(frozen=True)
class StatusPlan:
    statement: sql.Composed | None  # None: no workflow has a countable table
    workflow_params: dict[str, str]
    table_errors: dict[str, str]  # workflow -> why its rows cannot be counted


def plan_compile(*, workflows: list[WorkflowSpec], catalog: Catalog) -> StatusPlan:
    branches, params, errors = [], {}, {}
    for index, spec in enumerate(workflows):
        placeholder = sql.Placeholder(f"w{index}")
        params[f"w{index}"] = spec.name
        for table, column, is_core in ((spec.extracted_table, spec.key_column, False),
                                       (spec.core_table, spec.core_column, True)):
            if not table or not column:
                continue
            if not catalog.has_column(table, column):
                errors[spec.name] = f"table {table} or its column {column} does not exist"
                continue
            branches.append(_BRANCH.format(
                workflow=placeholder, table=sql.Identifier(*table.split(".")), column=sql.Identifier(column),
                extracted=sql.SQL("0") if is_core else sql.SQL("count(*)"),
                core=sql.SQL("count(*)") if is_core else sql.SQL("0")))
    if not branches:
        return StatusPlan(None, params, errors)
    statement = sql.SQL("WITH {variants} SELECT w, owner, sum(e), sum(c) FROM ({branches}) AS counts(w, owner, e, c)"
                        " GROUP BY w, owner").format(variants=_VARIANTS,
                                                      branches=sql.SQL(" UNION ALL ").join(branches))
    return StatusPlan(statement, params, errors)


def counts_fetch(
    *, plan: StatusPlan, variants: list[str], owners: list[int]
) -> dict[tuple[str, int], tuple[int, int]]:
    """(workflow, entity index) -> (rows in extracted, rows in core); absent means none."""
    if plan.statement is None:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(plan.statement, {**plan.workflow_params, "variants": variants, "owners": owners})
        rows = cursor.fetchall()
    return {(workflow, owner): (int(extracted), int(core)) for workflow, owner, extracted, core in rows}


def runs_fetch(*, entity_type: str, keys: list[str]) -> dict[tuple[str, str], tuple]:
    """(workflow, key) -> (status, completed_at, attempts, error)."""
    with connection.cursor() as cursor:
        cursor.execute(_RUNS, {"entity_type": entity_type, "keys": keys})
        return {(row[0], row[1]): row[2:] for row in cursor.fetchall()}
