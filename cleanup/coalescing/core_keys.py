"""Finding core rows by normalised key, whatever spelling core stores them under."""

from cleanup.coalescing.sql.core_keys import CORE_ENTITY_TABLES, ids_by_lookup
from kernel import InvalidEntityKey, key_lookup, normalise_entity_key


def core_ids(*, entity_type: str, keys: set[str]) -> dict[str, int]:
    """Normalised key -> id in core.people / core.companies. Core mostly stores the normalised
    key: one exact probe each first; the misses by key function or spellings."""
    found: dict[str, int] = {}
    _collect(found, entity_type, ids_by_lookup(entity_type=entity_type, condition=None, values=list(keys)))
    missing = keys - found.keys()
    if missing:
        table, column = CORE_ENTITY_TABLES[entity_type]
        lookup = key_lookup(table=table, column=column, entity_type=entity_type, keys=sorted(missing))
        _collect(found, entity_type, ids_by_lookup(entity_type=entity_type, condition=lookup.condition,
                                                   values=lookup.values))
    return found


def _collect(found: dict[str, int], entity_type: str, rows: list[tuple[int, str]]) -> None:
    for row_id, stored in rows:
        try:
            found.setdefault(normalise_entity_key(entity_type=entity_type, raw=stored), row_id)
        except InvalidEntityKey:
            continue
