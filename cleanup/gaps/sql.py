"""The gap ledgers' statements. Table and column names reach here only after the caller checked
them against the catalog; they are composed with sql.Identifier.

A window of a source table is first grouped by its raw key into a temporary table, each raw
value normalised by the exact SQL key function. The few the function leaves NULL are handed
to the Python normaliser, then the window is folded into the ledger and the tallies."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import connection
from psycopg import sql

from kernel import KEY_FUNCTION_SCHEMA

EXACT_KEY_FUNCTIONS = {"company": "company_key_v2", "person": "person_key_v2"}
# An invalid raw value is kept as itself, cut short: a btree entry holds at most ~2.7 kB.
INVALID_KEY_CHARS = 1000
# One transaction-scoped lock for every window of every check: windows of two checks never
# interleave inside one another, so a tally never counts a key against a half-written ledger.
GAP_LOCK = 0x6761705F6C6B  # "gap_lk"
CHECK_LOCK = 0x6761705F636B  # "gap_ck"

# gap_window_raw is made by each window's CREATE TABLE AS: that statement, unlike INSERT, may
# hand the key function to parallel workers, and the function is most of a window's cost.
_TEMP_TABLES = """
DROP TABLE IF EXISTS gap_window_raw;
CREATE TEMP TABLE IF NOT EXISTS gap_window (key text NOT NULL, rows bigint NOT NULL, valid boolean NOT NULL);
CREATE TEMP TABLE IF NOT EXISTS gap_window_new (key text PRIMARY KEY);
TRUNCATE gap_window, gap_window_new"""


def _table(name: str) -> sql.Identifier:
    schema, table = name.split(".")
    return sql.Identifier(schema, table)


def _key_function(entity_type: str) -> sql.Identifier:
    return sql.Identifier(KEY_FUNCTION_SCHEMA, EXACT_KEY_FUNCTIONS[entity_type])


@contextmanager
def check_lock() -> Iterator[None]:
    """Session-level, for a whole check: a recount that resets the ledgers while another check
    folds windows into them left a gap of every extracted key (the hourly check and the weekly
    recount are both due when a cluster starts). The second check waits; a killed one frees it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [CHECK_LOCK])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [CHECK_LOCK])


def window_lock() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [GAP_LOCK])


def highest_id(*, table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("SELECT coalesce(max(id), 0) FROM {}").format(_table(table)))
        return cursor.fetchone()[0]


def table_changes(*, table: str) -> int | None:
    """Rows inserted, updated and deleted in the table since statistics began (this transaction's
    own included), or None when the server keeps no statistics for it. Other sessions' changes
    show once their backend flushes its statistics: within a second when idle, a minute at most."""
    schema, name = table.split(".")
    with connection.cursor() as cursor:
        cursor.execute("""SELECT s.n_tup_ins + s.n_tup_upd + s.n_tup_del + x.n_tup_ins + x.n_tup_upd + x.n_tup_del
                          FROM pg_stat_user_tables s JOIN pg_stat_xact_user_tables x USING (relid)
                          WHERE s.schemaname = %s AND s.relname = %s""", [schema, name])
        row = cursor.fetchone()
        return row[0] if row else None


def window_end(*, table: str, after_id: int, upto_id: int, rows: int) -> int:
    """The id that closes a window of at most `rows` rows past `after_id`, on the primary key."""
    query = sql.SQL("SELECT max(id) FROM (SELECT id FROM {} WHERE id > %s AND id <= %s ORDER BY id LIMIT %s) w")
    with connection.cursor() as cursor:
        cursor.execute(query.format(_table(table)), [after_id, upto_id, rows])
        return cursor.fetchone()[0] or upto_id


def _id_range(after_id: int | None, upto_id: int | None) -> sql.Composable:
    """The window's rows; the whole table for one without an id (after_id None)."""
    if after_id is None:
        return sql.SQL("true")
    return sql.SQL("id > {} AND id <= {}").format(sql.Literal(after_id), sql.Literal(upto_id))


def window_stage(*, table: str, column: str, entity_type: str, filled: str, after_id: int | None,
                 upto_id: int | None) -> None:
    """Group the window's rows by raw key into gap_window_raw, normalised where SQL is sure."""
    condition: sql.Composable = sql.SQL("")
    if filled:
        condition = sql.SQL(" AND nullif(btrim({}::text), '') IS NOT NULL").format(sql.Identifier(filled))
    # Grouped by the key as well as the raw value, so that workers compute the key below the
    # gather, row by row, instead of the leader alone computing it once per raw value.
    query = sql.SQL(
        """CREATE TEMP TABLE gap_window_raw AS
           SELECT {col}::text AS raw, {fn}({col}) AS key, count(*) AS rows, true AS valid FROM {tbl}
           WHERE {window} AND {col} IS NOT NULL{condition} GROUP BY 1, 2""").format(
        col=sql.Identifier(column), fn=_key_function(entity_type), tbl=_table(table), condition=condition,
        window=_id_range(after_id, upto_id))
    with connection.cursor() as cursor:
        cursor.execute(_TEMP_TABLES)
        cursor.execute(query)


def window_undecided() -> list[str]:
    """Raw values of the staged window that SQL left to the Python normaliser."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT raw FROM gap_window_raw WHERE key IS NULL")
        return [raw for (raw,) in cursor.fetchall()]


def window_decide(decisions: Iterable[tuple[str, str | None]]) -> None:
    """Record Python's verdict on undecided raw values: their key, or None for invalid."""
    rows = [(raw, key) for raw, key in decisions]
    if not rows:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """UPDATE gap_window_raw w SET key = coalesce(d.key, left(d.raw, %s)), valid = d.key IS NOT NULL
               FROM unnest(%s::text[], %s::text[]) AS d(raw, key) WHERE w.raw = d.raw AND w.key IS NULL""",
            [INVALID_KEY_CHARS, [raw for raw, _ in rows], [key for _, key in rows]])


def window_fold() -> tuple[int, int]:
    """Group the staged raw values by key into gap_window; (valid rows, invalid rows)."""
    with connection.cursor() as cursor:
        cursor.execute("""INSERT INTO gap_window (key, rows, valid)
                          SELECT key, sum(rows), bool_and(valid) FROM gap_window_raw GROUP BY key""")
        cursor.execute("""SELECT coalesce(sum(rows) FILTER (WHERE valid), 0)::bigint,
                                 coalesce(sum(rows) FILTER (WHERE NOT valid), 0)::bigint
                          FROM gap_window""")
        return cursor.fetchone()


def window_linked_rows(*, table: str, link_column: str, after_id: int | None, upto_id: int | None) -> int:
    # count(link), not a WHERE on it: given "link IS NOT NULL", the planner ANDed the window with
    # a scan of the link column's whole index (2.4 million entries at ten times the seed, 280 ms)
    # where the window's own rows, just read by the stage, answer it.
    query = sql.SQL("SELECT count({}) FROM {} WHERE {}").format(
        sql.Identifier(link_column), _table(table), _id_range(after_id, upto_id))
    with connection.cursor() as cursor:
        cursor.execute(query)
        return cursor.fetchone()[0]


# The tallies look each key of the window up in the other ledger, one index probe per key, as
# scalar subqueries: joined, the planner hashed the other ledger whole for every window, a cost
# that grew with the ledger (2.5 million keys at ten times the seed) instead of with the window.
TALLY_ADD_EXTRACTED = """
UPDATE cleanup_gap_tallies t SET missing_keys = t.missing_keys + f.keys, missing_rows = t.missing_rows + f.rows
FROM (SELECT count(n.key) AS keys, coalesce(sum(w.rows), 0)::bigint AS rows
      FROM gap_window w LEFT JOIN gap_window_new n ON n.key = w.key
      WHERE w.valid AND (SELECT c.valid FROM cleanup_gap_ledger_keys c
                         WHERE c.ledger_id = %(core)s AND c.key = w.key) IS NOT TRUE) f
WHERE t.workflow_name = %(workflow)s"""

TALLY_REMOVE_REACHED = """
UPDATE cleanup_gap_tallies t SET missing_keys = t.missing_keys - f.keys, missing_rows = t.missing_rows - f.rows
FROM (SELECT count(r.rows) AS keys, coalesce(sum(r.rows), 0)::bigint AS rows
      FROM (SELECT (SELECT e.rows FROM cleanup_gap_ledger_keys e
                    WHERE e.ledger_id = %(extracted)s AND e.key = n.key AND e.valid) AS rows
            FROM gap_window_new n OFFSET 0) r) f  -- OFFSET 0: one probe per key, not one per aggregate
WHERE t.workflow_name = %(workflow)s"""


def tally_add_extracted(*, tally_workflow: str, core_ledger_id: int | None) -> None:
    """After the window joined its extracted ledger: its keys new to the ledger and absent from
    core add to the missing keys; all its rows of keys absent from core add to the missing rows."""
    with connection.cursor() as cursor:
        cursor.execute(TALLY_ADD_EXTRACTED, {"core": core_ledger_id, "workflow": tally_workflow})


def tally_remove_reached(*, tally_workflow: str, extracted_ledger_id: int) -> None:
    """After the window joined its core ledger: its keys new to core that extracted holds leave
    the missing keys, with all their extracted rows. Keys core knew already left before."""
    with connection.cursor() as cursor:
        cursor.execute(TALLY_REMOVE_REACHED, {"extracted": extracted_ledger_id, "workflow": tally_workflow})


def ledger_add_window(*, ledger_id: int, key_rows: bool) -> tuple[int, int]:
    """Fold the window into the ledger, keeping its valid keys new to the ledger in
    gap_window_new for the tallies; (valid keys new to it, invalid keys new to it). Without
    `key_rows`, keys the ledger holds already are left as they are."""
    known = sql.SQL("DO UPDATE SET rows = k.rows + EXCLUDED.rows" if key_rows else "DO NOTHING")
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL(
            """WITH added AS (
                   INSERT INTO cleanup_gap_ledger_keys AS k (ledger_id, key, rows, valid)
                   SELECT %s, key, rows, valid FROM gap_window ORDER BY key  -- in index order: fewer pages touched
                   ON CONFLICT (ledger_id, key) {known}
                   RETURNING key, valid, xmax = 0 AS inserted),
               remembered AS (
                   INSERT INTO gap_window_new (key) SELECT key FROM added WHERE inserted AND valid)
               SELECT count(*) FILTER (WHERE inserted AND valid), count(*) FILTER (WHERE inserted AND NOT valid)
               FROM added""").format(known=known), [ledger_id])
        return cursor.fetchone()


def ledger_keys_lost() -> bool:
    """Whether the server emptied the ledger keys (an unlogged table) in a crash recovery while
    the ledgers, which are logged, still claim keys."""
    with connection.cursor() as cursor:
        cursor.execute("""SELECT EXISTS (SELECT FROM cleanup_gap_ledgers WHERE keys + invalid_keys > 0)
                                 AND NOT EXISTS (SELECT FROM cleanup_gap_ledger_keys)""")
        return cursor.fetchone()[0]


def ledger_keys_analyse() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cleanup_gap_ledger_keys")


def ledger_keys_vacuum() -> None:
    """After a reset: the deleted keys' space and index entries are reused by the recount instead
    of being stepped over by every probe."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) cleanup_gap_ledger_keys")


def ledger_keys_truncate() -> None:
    """TRUNCATE refuses a table with foreign-key checks still deferred in the transaction (keys
    counted earlier in it): those are checked first."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE cleanup_gap_ledger_keys")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def ledger_keys_delete(*, ledger_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM cleanup_gap_ledger_keys WHERE ledger_id = %s", [ledger_id])


def tally_recount(*, ledger_id: int, core_ledger_id: int | None) -> tuple[int, int]:
    """(keys, rows) of the extracted ledger absent from the core ledger, by one anti-join."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*), coalesce(sum(e.rows), 0)::bigint FROM cleanup_gap_ledger_keys e
               WHERE e.ledger_id = %(ledger)s AND e.valid
                 AND NOT EXISTS (SELECT FROM cleanup_gap_ledger_keys c
                                 WHERE c.ledger_id = %(core)s AND c.key = e.key AND c.valid)""",
            {"ledger": ledger_id, "core": core_ledger_id})
        return cursor.fetchone()


def missing_keys(*, ledger_id: int, core_ledger_id: int | None) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT e.key FROM cleanup_gap_ledger_keys e
               WHERE e.ledger_id = %(ledger)s AND e.valid
                 AND NOT EXISTS (SELECT FROM cleanup_gap_ledger_keys c
                                 WHERE c.ledger_id = %(core)s AND c.key = e.key AND c.valid)
               ORDER BY e.key""", {"ledger": ledger_id, "core": core_ledger_id})
        return [key for (key,) in cursor.fetchall()]
