"""Key columns that enrichhub looks entities up by, and whether indexes serve them.

Each registered key column wants two indexes: a plain one (jobs and exact lookups) and
one on the SQL key function of its key type (runs.keys), which lets the status API find
an entity under any stored spelling with a single probe.
"""

import hashlib
import time
from dataclasses import dataclass

from registry.catalog import catalog_load
from registry.models import Workflow
from runs import index_sql as sql
from runs.keys import KEY_FUNCTION_SCHEMA, KEY_FUNCTIONS, index_probes, stored_variants

MAX_IDENTIFIER = 63  # PostgreSQL truncates longer names, which would make them collide


@dataclass(frozen=True)
class KeyIndexNeed:
    table: str
    column: str
    workflows: tuple[str, ...]
    function: str | None = None  # None: a plain index on the column

    @property
    def index_name(self) -> str:
        suffix = f"{self.function}_idx" if self.function else "key_idx"
        name = f"{self.table.split('.')[1]}_{self.column}_{suffix}"
        if len(name) <= MAX_IDENTIFIER:
            return name
        # Shortened names stay distinct and readable from the front.
        digest = hashlib.md5(name.encode(), usedforsecurity=False).hexdigest()[:8]
        return f"{name[:MAX_IDENTIFIER - 9]}_{digest}"

    @property
    def indexed(self) -> str:
        return f"{KEY_FUNCTION_SCHEMA}.{self.function}({self.column})" if self.function else self.column


# Read at most this often per process: batch jobs ask before every batch. An index built
# meanwhile is used a little later; one dropped meanwhile fails a statement, which the
# status API rebuilds its plan for and a job retries from its checkpoint.
KEY_FUNCTION_INDEXES_MAX_AGE_S = 30.0
_key_function_indexes_cache: dict[str, tuple[float, frozenset]] = {}


def key_function_indexes(*, max_age_s: float = 0.0) -> frozenset[tuple[str, str, str]]:
    """(table, column, function) of the valid indexes on a key function; with max_age_s, a
    copy read that recently may answer."""
    cached = _key_function_indexes_cache.get("indexes")
    if cached and max_age_s and time.monotonic() - cached[0] < max_age_s:
        return cached[1]
    found = sql.key_function_indexes(schema=KEY_FUNCTION_SCHEMA, functions=list(KEY_FUNCTIONS.values()))
    _key_function_indexes_cache["indexes"] = (time.monotonic(), found)
    return found


def key_indexes_missing() -> list[KeyIndexNeed]:
    """Indexes that registered extracted and core key columns lack: a plain index leading
    with the column, and an index on the key function of the workflow's key type."""
    catalog = catalog_load()
    users: dict[tuple[str, str, str | None], list[str]] = {}
    for workflow in Workflow.objects.order_by("workflow_name"):
        function = KEY_FUNCTIONS.get(workflow.key_type)
        for table, column in ((workflow.extracted_table, workflow.key_column),
                              (workflow.core_table, workflow.core_lookup_column)):
            if table and column and catalog.has_column(table, column):
                users.setdefault((table, column, None), []).append(workflow.workflow_name)
                if function:
                    users.setdefault((table, column, function), []).append(workflow.workflow_name)
    plain = [(table, column) for table, column, function in users if function is None]
    present = sql.key_indexes_present(pairs=plain) if plain else {}
    present.update({(table, column, function): True for table, column, function in key_function_indexes()})
    needs = [KeyIndexNeed(table, column, tuple(names), function)
             for (table, column, function), names in users.items()
             if not present.get((table, column) if function is None else (table, column, function))]
    return sorted(needs, key=lambda need: (need.table, need.column, need.function or ""))


def key_index_create(*, need: KeyIndexNeed) -> None:
    sql.key_index_create(table=need.table, column=need.column, index_name=need.index_name, function=need.function)


@dataclass(frozen=True)
class KeyLookup:
    """A condition finding a table's rows stored under any spelling of some normalised keys:
    `condition` (a psycopg.sql Composable) refers to the values as %(lookup_values)s."""

    condition: object
    values: list[str]


def key_lookup(*, table: str, column: str, entity_type: str, keys: list[str]) -> KeyLookup:
    """One probe per key on the key function's index where the table has one; otherwise the
    usual spellings on the column's plain index. `table` and `column` were checked against
    the catalog by the caller."""
    function = KEY_FUNCTIONS[entity_type]
    if (table, column, function) in key_function_indexes(max_age_s=KEY_FUNCTION_INDEXES_MAX_AGE_S):
        return KeyLookup(sql.lookup_condition(column=column, function=function),
                         [p for key in keys for p in index_probes(entity_type=entity_type, key=key)])
    return KeyLookup(sql.lookup_condition(column=column),
                     [v for key in keys for v in stored_variants(entity_type=entity_type, key=key)])
