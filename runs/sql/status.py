"""The one statement that counts an entity's rows in every workflow's tables.

Built from the registry with psycopg.sql: table and column names go in only as
Identifier, and only after registry.catalog confirmed them in the live catalog; keys are
bound parameters. The composed statement is cached per registry
fingerprint, so it is rebuilt exactly when the registry (or the catalog it was checked
against) changes, and psycopg can prepare it on the server after a few executions.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import psycopg
from psycopg import sql

from kernel import KEY_FUNCTIONS, key_function_call, server_bound_fetch
from registry.catalog import Catalog

# Each entity's lookup values are rows of these CTEs, tagged with which entity they are for:
# probes are compared with an expression index on the SQL key function (one per entity),
# spellings with a plain index on the raw column (a few dozen per entity).
_LOOKUPS = sql.SQL("probes(probe, owner) AS MATERIALIZED "
                   "(SELECT * FROM unnest(%(probes)s::text[], %(probe_owners)s::integer[])), "
                   "spellings(spelling, owner) AS MATERIALIZED "
                   "(SELECT * FROM unnest(%(spellings)s::text[], %(spelling_owners)s::integer[]))")
# A branch's number is a parameter of the statement, so that no value is spliced into its text.
_PROBE_BRANCH = sql.SQL("SELECT {branch}::integer, p.owner, count(*), NULL::text FROM {table} t "
                        "JOIN probes p ON {row_key} = p.probe GROUP BY p.owner")
_SPELLING_BRANCH = sql.SQL("SELECT {branch}::integer, s.owner, count(*), NULL::text FROM {table} t "
                           "JOIN spellings s ON {row_key} = s.spelling GROUP BY s.owner")
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
    # branch number -> the (workflow, "extracted" | "core") counts that branch answers;
    # a table shared by several workflows is counted once.
    branch_users: dict[int, list[tuple[str, str]]]
    table_errors: dict[str, str]  # workflow -> why its rows cannot be counted
    uses_spellings: bool
    # The branch numbers the statement binds, built with it rather than on every request.
    branch_parameters: dict[str, int]


def plan_compile(*, workflows: list[WorkflowSpec], catalog: Catalog,
                 key_function_indexes: frozenset[tuple[str, str, str]] = frozenset()) -> StatusPlan:
    """`key_function_indexes` holds (table, column, function) of valid expression indexes on
    a key function of kernel.keys; tables without one are looked up by spellings."""
    branch_of: dict[tuple[str, str], int] = {}
    users: dict[int, list[tuple[str, str]]] = {}
    branches, errors, uses_spellings = [], {}, False
    for spec in workflows:
        function = KEY_FUNCTIONS[spec.key_type]
        for table, column, side in ((spec.extracted_table, spec.key_column, "extracted"),
                                    (spec.core_table, spec.core_column, "core")):
            if not table or not column:
                continue
            if not catalog.has_column(table, column):
                errors[spec.name] = f"table {table} or its column {column} does not exist"
                continue
            if (table, column) not in branch_of:
                branch = branch_of[table, column] = len(branch_of)
                by_probe = (table, column, function) in key_function_indexes
                uses_spellings |= not by_probe
                row_key: sql.Composable = sql.Identifier("t", column)
                if by_probe:
                    row_key = key_function_call(function=function, argument=row_key)
                branches.append((_PROBE_BRANCH if by_probe else _SPELLING_BRANCH).format(
                    branch=sql.Placeholder(_branch_parameter(branch)), table=sql.Identifier(*table.split(".")),
                    row_key=row_key))
            users.setdefault(branch_of[table, column], []).append((spec.name, side))
    branches.insert(0, sql.SQL("SELECT -1, -1, 0::bigint, {digest}").format(digest=_DIGEST_NOW))
    statement = sql.SQL("WITH {lookups} {branches}").format(
        lookups=_LOOKUPS, branches=sql.SQL(" UNION ALL ").join(branches))
    return StatusPlan(statement.as_string(), users, errors, uses_spellings,
                      {_branch_parameter(branch): branch for branch in users})


def specs_fetch() -> tuple[str, list[WorkflowSpec]]:
    """The registry digest and every active workflow's spec, in one query."""
    (digest, rows), = _prepared_fetch(_SPECS, {})
    return digest, [WorkflowSpec(name=name, key_type=kind, extracted_table=extracted, key_column=key,
                                 core_table=core, core_column=core_key or key, coalesces_to_core=coalesces,
                                 refresh_after_days=refresh)
                     for name, kind, extracted, key, core, core_key, coalesces, refresh in rows]


def counts_fetch(
    *, plan: StatusPlan, probes: list[tuple[str, int]], spellings: list[tuple[str, int]]
) -> tuple[str, dict[tuple[str, int], tuple[int, int]]]:
    """The registry digest now, and (workflow, entity index) -> (rows in extracted, in core).
    `probes` and `spellings` are (value, entity index) pairs."""
    rows = _prepared_fetch(plan.statement, {
        "probes": [p for p, _ in probes], "probe_owners": [o for _, o in probes],
        "spellings": [s for s, _ in spellings], "spelling_owners": [o for _, o in spellings],
        **plan.branch_parameters})
    counts: dict[tuple[str, int], list[int]] = {}
    digest = ""
    for branch, owner, found, branch_digest in rows:
        if branch == -1:
            digest = branch_digest
            continue
        for workflow, side in plan.branch_users[branch]:
            pair = counts.setdefault((workflow, owner), [0, 0])
            pair[side == "core"] += found
    return digest, {key: (extracted, core) for key, (extracted, core) in counts.items()}


class RunRow(NamedTuple):
    status: str
    completed_at: datetime | None
    attempts: int
    error: str


def runs_fetch(*, entity_type: str, keys: list[str]) -> dict[tuple[str, str], RunRow]:
    """(workflow, key) -> that entity's run of the workflow."""
    rows = _prepared_fetch(_RUNS, {"entity_type": entity_type, "keys": keys})
    return {(workflow, key): RunRow(*rest) for workflow, key, *rest in rows}


def _branch_parameter(branch: int) -> str:
    return f"branch_{branch}"


class StalePlan(Exception):
    """A table the statement names no longer exists: rebuild the plan from the catalog."""


def _prepared_fetch(statement: str, params: dict) -> list[tuple]:
    """Prepared on the server: planning the count statement, a UNION ALL with a branch per
    table, costs as much as running it."""
    try:
        return server_bound_fetch(statement, params, prepare=True)
    except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedColumn) as exc:
        raise StalePlan(str(exc)) from exc
