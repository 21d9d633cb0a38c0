"""The one statement that counts an entity's rows in every workflow's tables.

Built from the registry with psycopg.sql: table and column names go in only as
Identifier, and only after registry.catalog confirmed them in the live catalog; workflow
names and keys are bound parameters. The composed statement is cached per registry
fingerprint, so it is rebuilt exactly when the registry (or the catalog it was checked
against) changes, and psycopg can prepare it on the server after a few executions.
"""

from dataclasses import dataclass

import psycopg
from django.db import connection
from psycopg import sql

from registry.catalog import Catalog

# A raw key may hit several spellings; each is one row of this CTE (variant, which entity).
_VARIANTS = sql.SQL("variants(variant, owner) AS MATERIALIZED "
                    "(SELECT * FROM unnest(%(variants)s::text[], %(owners)s::integer[]))")
_BRANCH = sql.SQL("SELECT {workflow}::text, v.owner, {extracted}::bigint, {core}::bigint FROM {table} t "
                  "JOIN variants v ON t.{column} = v.variant GROUP BY v.owner")
# What the status depends on in the registry, reduced to one value: the count statement
# carries it, so a process notices a registry change without an extra query per request.
_SPEC_COLUMNS = sql.SQL("workflow_name, key_type, extracted_table, key_column, core_table, core_key_column, "
                        "coalesces_to_core, refresh_after_days")
_DIGEST = sql.SQL("md5(coalesce(string_agg(row({columns})::text, ';' ORDER BY workflow_name), ''))").format(
    columns=_SPEC_COLUMNS)
_DIGEST_NOW = sql.SQL("(SELECT {digest} FROM reference.enrichment_workflow_registry WHERE is_active)").format(
    digest=_DIGEST)
_SPECS = sql.SQL("SELECT {digest}, coalesce(json_agg(json_build_array({columns}) ORDER BY workflow_name), '[]')"
                 " FROM reference.enrichment_workflow_registry WHERE is_active").format(
    digest=_DIGEST, columns=_SPEC_COLUMNS).as_string()
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
    # Rendered once when the plan is built: composing ~70 identifiers into text on every
    # request cost more than the prepared statement's execution.
    statement: str
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
    branches.insert(0, sql.SQL("SELECT {digest}, -1, 0::bigint, 0::bigint").format(digest=_DIGEST_NOW))
    statement = sql.SQL("WITH {variants} SELECT w, owner, sum(e), sum(c) FROM ({branches}) AS counts(w, owner, e, c)"
                        " GROUP BY w, owner").format(variants=_VARIANTS,
                                                      branches=sql.SQL(" UNION ALL ").join(branches))
    return StatusPlan(statement.as_string(), params, errors)


def specs_fetch() -> tuple[str, list[WorkflowSpec]]:
    """The registry digest and every active workflow's spec, in one query."""
    (digest, rows), = _prepared_fetch(_SPECS, {})
    return digest, [WorkflowSpec(name=name, key_type=kind, extracted_table=extracted, key_column=key,
                                 core_table=core, core_column=core_key or key, coalesces_to_core=coalesces,
                                 refresh_after_days=refresh)
                     for name, kind, extracted, key, core, core_key, coalesces, refresh in rows]


def counts_fetch(
    *, plan: StatusPlan, variants: list[str], owners: list[int]
) -> tuple[str, dict[tuple[str, int], tuple[int, int]]]:
    """The registry digest now, and (workflow, entity index) -> (rows in extracted, in core)."""
    rows = _prepared_fetch(plan.statement, {**plan.workflow_params, "variants": variants, "owners": owners})
    digest = next(workflow for workflow, owner, _, _ in rows if owner == -1)
    return digest, {(w, owner): (int(e), int(c)) for w, owner, e, c in rows if owner != -1}


def runs_fetch(*, entity_type: str, keys: list[str]) -> dict[tuple[str, str], tuple]:
    """(workflow, key) -> (status, completed_at, attempts, error)."""
    rows = _prepared_fetch(_RUNS, {"entity_type": entity_type, "keys": keys})
    return {(row[0], row[1]): row[2:] for row in rows}


class StalePlan(Exception):
    """A table the statement names no longer exists: rebuild the plan from the catalog."""


def _prepared_fetch(statement: str, params: dict) -> list[tuple]:
    """Execute as a server-side prepared statement on Django's own connection.

    Django binds parameters client-side and disables preparation (prepare_threshold None),
    but planning the count statement, a UNION ALL with a branch per table, costs as much as
    running it. A plain psycopg cursor on the same connection, and so the same transaction,
    binds server-side; psycopg keeps each prepared statement per connection, keyed by its
    text. The threshold is only raised so that explicit prepare=True takes effect: Django's
    client-side cursors never prepare, whatever it is.
    """
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        raw.prepare_threshold = _ONLY_WHEN_ASKED
    try:
        with psycopg.Cursor(raw) as cursor:
            cursor.execute(statement, params, prepare=True)
            return cursor.fetchall()
    except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedColumn) as exc:
        raise StalePlan(str(exc)) from exc


_ONLY_WHEN_ASKED = 2**31 - 1
