"""Finding core rows by normalised key, whatever spelling core stores them under."""

from psycopg import sql

from enrichhub.pg import server_bound_fetch
from runs.indexes import key_lookup
from runs.keys import InvalidEntityKey, normalise_entity_key

# The core tables coalescing links to, and their key column; fixed names, not data.
CORE_ENTITY_TABLES = {"person": ("core.people", "linkedin_url"), "company": ("core.companies", "domain")}


def core_ids(*, entity_type: str, keys: set[str]) -> dict[str, int]:
    """Normalised key -> id in core.people / core.companies. Core mostly stores the normalised
    key: one exact probe each first; the misses by key function or spellings."""
    table, column = CORE_ENTITY_TABLES[entity_type]
    found: dict[str, int] = {}
    exact = sql.SQL("{} = ANY(%(lookup_values)s)").format(sql.Identifier(column))
    _collect(found, entity_type, table, column, exact, list(keys))
    missing = keys - found.keys()
    if missing:
        lookup = key_lookup(table=table, column=column, entity_type=entity_type, keys=sorted(missing))
        _collect(found, entity_type, table, column, lookup.condition, lookup.values)
    return found


def _collect(found: dict, entity_type: str, table: str, column: str, condition: sql.Composable, values: list) -> None:
    query = sql.SQL("SELECT id, {column} FROM {table} WHERE {condition}").format(
        column=sql.Identifier(column), table=sql.Identifier(*table.split(".")), condition=condition)
    for row_id, stored in server_bound_fetch(query.as_string(), {"lookup_values": values}):
        try:
            found.setdefault(normalise_entity_key(entity_type=entity_type, raw=stored), row_id)
        except InvalidEntityKey:
            continue
