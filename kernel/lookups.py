"""Finding a table's rows by normalised entity keys, whichever spelling the table stored."""

from dataclasses import dataclass

from psycopg import sql as pgsql

from kernel import sql
from kernel.caches import ProcessCache
from kernel.keys import KEY_FUNCTIONS, index_probes, stored_variants

# Read at most this often per process: batch jobs ask before every batch. An index built
# meanwhile is used a little later; one dropped meanwhile fails a statement, which the
# status API rebuilds its plan for and a job retries from its checkpoint.
KEY_FUNCTION_INDEXES_MAX_AGE_S = 30.0
_recent_key_function_indexes: ProcessCache[str, frozenset[tuple[str, str, str]]] = ProcessCache()


def key_function_indexes(*, max_age_s: float = 0.0) -> frozenset[tuple[str, str, str]]:
    """(table, column, function) of the valid indexes on a key function; with max_age_s, a
    copy read that recently may answer."""
    cached = _recent_key_function_indexes.get("indexes", max_age_s=max_age_s)
    if cached is not None:
        return cached
    found = sql.key_function_indexes(functions=list(KEY_FUNCTIONS.values()))
    return _recent_key_function_indexes.put("indexes", found)


@dataclass(frozen=True)
class KeyLookup:
    """A condition finding a table's rows stored under any spelling of some normalised keys:
    `condition` refers to the values as %(lookup_values)s."""

    condition: pgsql.Composable
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
