"""Key columns that enrichhub looks entities up by, and whether indexes serve them.

Each registered key column wants two indexes: a plain one (jobs and exact lookups) and
one on the SQL key function of its key type (kernel.keys), which lets the status API find
an entity under any stored spelling with a single probe.
"""

import hashlib
from dataclasses import dataclass

from kernel import KEY_FUNCTION_SCHEMA, KEY_FUNCTIONS, key_function_indexes
from registry.catalog import catalog_load
from registry.models import Workflow
from runs.sql import indexes as sql

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


def key_indexes_missing() -> list[KeyIndexNeed]:
    """Indexes that registered extracted and core key columns lack: a plain index leading
    with the column, and an index on the key function of the workflow's key type."""
    catalog = catalog_load()
    users: dict[tuple[str, str, str | None], list[str]] = {}
    for workflow in Workflow.objects.order_by("workflow_name"):
        function = KEY_FUNCTIONS.get(workflow.key_type or "")
        for table, column in ((workflow.extracted_table, workflow.key_column),
                              (workflow.core_table, workflow.core_lookup_column)):
            if table and column and catalog.has_column(table, column):
                users.setdefault((table, column, None), []).append(workflow.workflow_name)
                if function:
                    users.setdefault((table, column, function), []).append(workflow.workflow_name)
    plain = [(table, column) for table, column, function in users if function is None]
    present: dict[tuple, bool] = dict(sql.key_indexes_present(pairs=plain)) if plain else {}
    present.update({(table, column, function): True for table, column, function in key_function_indexes()})
    needs = [KeyIndexNeed(table, column, tuple(names), function)
             for (table, column, function), names in users.items()
             if not present.get((table, column) if function is None else (table, column, function))]
    return sorted(needs, key=lambda need: (need.table, need.column, need.function or ""))


def key_index_create(*, need: KeyIndexNeed) -> None:
    sql.key_index_create(table=need.table, column=need.column, index_name=need.index_name, function=need.function)
