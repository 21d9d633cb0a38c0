"""The one statement that counts an entity's rows in every workflow's tables.

Built from the registry with psycopg.sql: table and column names go in only as
Identifier, and only after registry.catalog confirmed them in the live catalog; keys are
bound parameters. The composed statement is cached per registry
fingerprint, so it is rebuilt exactly when the registry (or the catalog it was checked
against) changes, and psycopg can prepare it on the server after a few executions.
"""

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import psycopg
from django.db import DEFAULT_DB_ALIAS, transaction
from psycopg import sql

from kernel import KEY_FUNCTIONS, ProcessCache, connection_pooled, key_function_call, server_bound_fetch
from registry.catalog import Catalog

logger = logging.getLogger("enrichhub.status")

STATUS_FUNCTIONS_SCHEMA = "enrichhub_status"
# statement -> (the function that runs it behind a pooler, or None where it could not be created).
_status_functions: ProcessCache[str, sql.Identifier | None] = ProcessCache()

# Each entity's lookup values are rows of these CTEs, tagged with which entity they are for:
# probes are compared with an expression index on the SQL key function (one per entity),
# spellings with a plain index on the raw column (a few dozen per entity).
_LOOKUPS = sql.SQL("probes(probe, owner) AS MATERIALIZED "
                   "(SELECT * FROM unnest(%(probes)s::text[], %(probe_owners)s::integer[])), "
                   "spellings(spelling, owner) AS MATERIALIZED "
                   "(SELECT * FROM unnest(%(spellings)s::text[], %(spelling_owners)s::integer[]))")
# A branch's number is a literal the plan itself counted, never a value from a request: as
# parameters, 200 of them made psycopg re-parse the whole statement's text on every request.
# Branches only find rows; one aggregate over all of them counts. An aggregate per branch cost
# a sort and a group node per table, which was most of the statement's time at 200 workflows.
_PROBE_BRANCH = sql.SQL("SELECT {branch}::integer, p.owner FROM {table} t JOIN probes p ON {row_key} = p.probe")
_SPELLING_BRANCH = sql.SQL("SELECT {branch}::integer, s.owner FROM {table} t "
                           "JOIN spellings s ON {row_key} = s.spelling")
# Which registry a statement saw: migration registry/0005 bumps this number with every committed
# write to the registry, so a process notices a change without an extra query per request.
_VERSION_NOW = sql.SQL("(SELECT version::text FROM reference.registry_version)")
_SPEC_COLUMNS = sql.SQL("workflow_name, key_type, extracted_table, key_column, core_table, core_key_column, "
                        "coalesces_to_core, refresh_after_days")
_SPECS = sql.SQL("SELECT {version}, coalesce(json_agg(json_build_array({columns}) ORDER BY workflow_name), '[]')"
                 " FROM reference.enrichment_workflow_registry WHERE is_active").format(
    version=_VERSION_NOW, columns=_SPEC_COLUMNS).as_string()
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
                    branch=sql.Literal(branch), table=sql.Identifier(*table.split(".")),
                    row_key=row_key))
            users.setdefault(branch_of[table, column], []).append((spec.name, side))
    found = (sql.SQL("SELECT branch, owner, count(*), NULL::text FROM ({branches}) found(branch, owner) "
                     "GROUP BY branch, owner").format(branches=sql.SQL(" UNION ALL ").join(branches))
             if branches else sql.SQL("SELECT -1, -1, 0::bigint, NULL::text WHERE false"))
    statement = sql.SQL("WITH {lookups} SELECT -1, -1, 0::bigint, {version} UNION ALL {found}").format(
        lookups=_LOOKUPS, version=_VERSION_NOW, found=found)
    return StatusPlan(statement.as_string(), users, errors, uses_spellings)


def specs_fetch() -> tuple[str, list[WorkflowSpec]]:
    """The registry version and every active workflow's spec, in one query."""
    (version, rows), = _prepared_fetch(_SPECS, {})
    return version, [WorkflowSpec(name=name, key_type=kind, extracted_table=extracted, key_column=key,
                                 core_table=core, core_column=core_key or key, coalesces_to_core=coalesces,
                                 refresh_after_days=refresh)
                     for name, kind, extracted, key, core, core_key, coalesces, refresh in rows]


def counts_fetch(
    *, plan: StatusPlan, probes: list[tuple[str, int]], spellings: list[tuple[str, int]],
    using: str = DEFAULT_DB_ALIAS,
) -> tuple[str, dict[tuple[str, int], tuple[int, int]]]:
    """The registry version the database holds, and (workflow, entity index) -> (rows in
    extracted, in core). `probes` and `spellings` are (value, entity index) pairs."""
    params = {"probes": [p for p, _ in probes], "probe_owners": [o for _, o in probes],
              "spellings": [s for s, _ in spellings], "spelling_owners": [o for _, o in spellings]}
    rows = (_pooled_fetch(plan.statement, params) if connection_pooled(using)
            else _prepared_fetch(plan.statement, params, using=using))
    counts: dict[tuple[str, int], list[int]] = {}
    version = ""
    for branch, owner, found, branch_version in rows:
        if branch == -1:
            version = branch_version
            continue
        for workflow, side in plan.branch_users[branch]:
            pair = counts.setdefault((workflow, owner), [0, 0])
            pair[side == "core"] += found
    return version, {key: (extracted, core) for key, (extracted, core) in counts.items()}


class RunRow(NamedTuple):
    status: str
    completed_at: datetime | None
    attempts: int
    error: str


def runs_fetch(*, entity_type: str, keys: list[str]) -> dict[tuple[str, str], RunRow]:
    """(workflow, key) -> that entity's run of the workflow."""
    rows = _prepared_fetch(_RUNS, {"entity_type": entity_type, "keys": keys})
    return {(workflow, key): RunRow(*rest) for workflow, key, *rest in rows}


class StalePlan(Exception):
    """A table the statement names no longer exists: rebuild the plan from the catalog."""


def _pooled_fetch(statement: str, params: dict) -> list[tuple]:
    """Behind a transaction-mode pooler nothing stays prepared; the count statement runs as a
    PL/pgSQL function instead, whose plan each server connection caches. Where the function
    cannot be created (no CREATE on its schema), the statement is planned on every request."""
    if statement not in _status_functions:
        _status_functions.put(statement, _status_function(statement))
    function = _status_functions.get(statement)
    if function is None:
        return _prepared_fetch(statement, params, prepare=False)
    call = sql.SQL("SELECT * FROM {}(%(probes)s::text[], %(probe_owners)s::integer[], %(spellings)s::text[], "
                   "%(spelling_owners)s::integer[])").format(function)
    try:
        return server_bound_fetch(call, params)
    except psycopg.errors.UndefinedFunction as exc:  # dropped meanwhile: made again with the plan
        _status_functions.clear()
        raise StalePlan(str(exc)) from exc
    except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedColumn) as exc:
        raise StalePlan(str(exc)) from exc


def _status_function(statement: str) -> sql.Identifier | None:
    """The function running `statement`, created if the server lacks it; None if it cannot be."""
    name = sql.Identifier(STATUS_FUNCTIONS_SCHEMA, "counts_" + hashlib.sha256(statement.encode()).hexdigest()[:32])
    return name if _function_ensure(name, statement) else None


def _function_ensure(name: sql.Identifier, statement: str) -> bool:
    signature = sql.SQL("{}(text[], integer[], text[], integer[])").format(name)
    if server_bound_fetch(sql.SQL("SELECT to_regprocedure({})").format(sql.Literal(signature.as_string())))[0][0]:
        return True
    body = "#variable_conflict use_column\nBEGIN RETURN QUERY " + _positional(statement) + ";\nEND"
    quote = f"$status_{secrets.token_hex(8)}$"
    assert quote not in body
    create = sql.SQL("CREATE FUNCTION {name} (probes text[], probe_owners integer[], spellings text[], "
                     "spelling_owners integer[]) RETURNS TABLE (branch integer, owner integer, found bigint, "
                     "version text) LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan "
                     "AS {quote}{body}{quote}")
    try:
        with transaction.atomic():  # a savepoint: a failure must not end a surrounding transaction
            # No parameters: the body's own "%" must reach the server as they are.
            server_bound_fetch(create.format(name=name, quote=sql.SQL(quote), body=sql.SQL(_escaped(body))))
    except psycopg.errors.DuplicateFunction:
        return True  # another web process made it first
    except psycopg.errors.InsufficientPrivilege:
        logger.warning("cannot create status functions in schema %s: the status statement is planned per request "
                       "behind the pooler (grant CREATE on the schema to the web role)", STATUS_FUNCTIONS_SCHEMA)
        return False
    return True


def _escaped(text: str) -> str:
    """Text as itself in sql.SQL.format()."""
    return text.replace("{", "{{").replace("}", "}}")


def _positional(statement: str) -> str:
    """The statement's named parameters as the function's positional ones."""
    for position, name in enumerate(("probes", "probe_owners", "spellings", "spelling_owners"), start=1):
        statement = statement.replace(f"%({name})s", f"${position}")
    return statement.replace("%%", "%")


def _prepared_fetch(statement: str, params: dict, *, prepare: bool = True,
                    using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
    """Prepared on the server: planning the count statement, a UNION ALL with a branch per
    table, costs as much as running it."""
    try:
        return server_bound_fetch(statement, params, prepare=prepare, using=using)
    except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedColumn) as exc:
        raise StalePlan(str(exc)) from exc
