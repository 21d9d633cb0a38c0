"""The kernel's SQL: which expression indexes serve a key function, and the condition that
finds rows under any spelling of some normalised keys."""

from django.db import connection
from psycopg import sql

from kernel.keys import KEY_FUNCTION_SCHEMA

# Valid one-column expression indexes and the function and column they are built on, read
# from pg_depend so that quoting and casts in the index definition do not matter.
_KEY_FUNCTION_INDEXES = """
SELECT DISTINCT tn.nspname || '.' || t.relname, a.attname::text, p.proname::text
FROM pg_index i
JOIN pg_class t ON t.oid = i.indrelid
JOIN pg_namespace tn ON tn.oid = t.relnamespace
JOIN pg_depend df ON df.classid = 'pg_class'::regclass AND df.objid = i.indexrelid
                 AND df.refclassid = 'pg_proc'::regclass
JOIN pg_proc p ON p.oid = df.refobjid
JOIN pg_namespace pn ON pn.oid = p.pronamespace AND pn.nspname = %(schema)s
JOIN pg_depend dc ON dc.classid = 'pg_class'::regclass AND dc.objid = i.indexrelid
                 AND dc.refclassid = 'pg_class'::regclass AND dc.refobjid = i.indrelid AND dc.refobjsubid > 0
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = dc.refobjsubid
WHERE i.indisvalid AND i.indnatts = 1 AND i.indpred IS NULL AND p.proname = ANY(%(functions)s)"""


def key_function_indexes(*, functions: list[str]) -> frozenset[tuple[str, str, str]]:
    """(table, column, function) of every valid index on function(column)."""
    with connection.cursor() as cursor:
        cursor.execute(_KEY_FUNCTION_INDEXES, {"schema": KEY_FUNCTION_SCHEMA, "functions": functions})
        return frozenset(cursor.fetchall())


def key_function_call(*, function: str, argument: sql.Composable) -> sql.Composable:
    """`reference.<function>(<argument>)` for a key function of kernel.keys."""
    return sql.SQL("{}({})").format(sql.Identifier(KEY_FUNCTION_SCHEMA, function), argument)


# Keys stored already in the form a key function returns: the function would hand them back
# unchanged. A regular expression costs a twentieth of a call of the plpgsql function.
_NORMAL_FORMS = {"company_key_v1": r"^(?!www\.)[a-z0-9-]+(\.[a-z0-9-]+)+$",
                 "person_key_v1": r"^linkedin\.com/in/[a-z0-9_-]+$"}


def key_function_value(*, function: str, column: sql.Composable) -> sql.Composable:
    """What key_function_call gives, calling the function only for values not already in its
    normal form: for scans that key every row (no index can serve them)."""
    call = key_function_call(function=function, argument=column)
    if function not in _NORMAL_FORMS:
        return call
    return sql.SQL("CASE WHEN {column} ~ {normal} THEN {column} ELSE {call} END").format(
        column=column, normal=sql.Literal(_NORMAL_FORMS[function]), call=call)


def lookup_condition(*, column: str, function: str | None = None) -> sql.Composable:
    """`column = ANY(%(lookup_values)s)`, or with a key function of kernel.keys applied to it."""
    looked_up: sql.Composable = sql.Identifier(column)
    if function:
        looked_up = key_function_call(function=function, argument=looked_up)
    return sql.SQL("{} = ANY(%(lookup_values)s)").format(looked_up)
