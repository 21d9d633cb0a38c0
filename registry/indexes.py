"""Key columns that enrichhub looks entities up by, and whether an index serves them."""

from dataclasses import dataclass

from registry import sql
from registry.catalog import catalog_load
from registry.models import Workflow

MAX_IDENTIFIER = 63  # PostgreSQL truncates longer names, which would make them collide


@dataclass(frozen=True)
class KeyIndexNeed:
    table: str
    column: str
    workflows: tuple[str, ...]

    @property
    def index_name(self) -> str:
        return f"{self.table.split('.')[1]}_{self.column}_key_idx"[-MAX_IDENTIFIER:]


def key_indexes_missing() -> list[KeyIndexNeed]:
    """(table, column) pairs of registered extracted and core tables without an index leading
    with the key column: the status API and the jobs look rows up by exactly these."""
    catalog = catalog_load()
    users: dict[tuple[str, str], list[str]] = {}
    for workflow in Workflow.objects.order_by("workflow_name"):
        for table, column in ((workflow.extracted_table, workflow.key_column),
                              (workflow.core_table, workflow.core_lookup_column)):
            if table and column and catalog.has_column(table, column):
                users.setdefault((table, column), []).append(workflow.workflow_name)
    present = sql.key_indexes_present(pairs=list(users)) if users else {}
    return [KeyIndexNeed(table, column, tuple(names)) for (table, column), names in sorted(users.items())
            if not present[(table, column)]]


def key_index_create(*, need: KeyIndexNeed) -> None:
    sql.key_index_create(table=need.table, column=need.column, index_name=need.index_name)
