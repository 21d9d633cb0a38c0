"""Reads that a streaming standby may answer: the status API's counts and the dashboard page.

The replica (`settings.DATABASES["replica"]`, from ENRICHHUB_REPLICA_DATABASE_URL) is used
only while it is a standby no more than REPLICA_MAX_LAG_S behind the primary; each process
checks that at most once per REPLICA_CHECK_S, and a replica that fails a read is left alone
until the next check. Everything else, and every write, stays on the primary.

Lag is measured against the primary's own WAL position, read first: a standby that has
replayed up to it is current (an idle primary then reports no lag), otherwise its lag is the
age of the last transaction it replayed. A standby cut off from its primary therefore ages
instead of looking current.
"""

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from kernel.caches import ProcessCache

REPLICA = "replica"
# The apps whose reads the router may send to the replica inside `replica_reads()`. Users,
# sessions and permissions are not among them: a revoked permission must not linger there.
REPLICA_APPS = frozenset({"dashboard", "cleanup", "registry", "runs", "warehouse"})

logger = logging.getLogger(__name__)
T = TypeVar("T")
_reading_from_replica: ContextVar[bool] = ContextVar("reading_from_replica", default=False)


@dataclass
class ReplicaState:
    usable: bool
    reason: str
    lag_s: float | None
    checked_at: float


_checks: ProcessCache[str, ReplicaState] = ProcessCache()


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def read_alias() -> str:
    """The database to read from now: the replica when it is configured and current enough."""
    if not replica_configured():
        return DEFAULT_DB_ALIAS
    state = _checks.get(REPLICA, max_age_s=settings.REPLICA_CHECK_S) or _checks.put(REPLICA, replica_check())
    return REPLICA if state.usable else DEFAULT_DB_ALIAS


def replica_check() -> ReplicaState:
    """Whether the replica may answer reads now, and why not if it may not."""
    # The primary's own failure is the request's, not the replica's: it propagates.
    primary_lsn = _one_row(DEFAULT_DB_ALIAS, "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")[0]
    try:
        in_recovery, replayed_lsn, lag_s = _one_row(
            REPLICA, "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() - '0/0'::pg_lsn, "
                     "extract(epoch FROM now() - pg_last_xact_replay_timestamp())")
    except (DatabaseError, psycopg.Error) as exc:
        _connection_drop(REPLICA)
        return _unusable(f"unreachable ({_first_line(exc)})")
    if not in_recovery:
        return _unusable("not a standby (pg_is_in_recovery() is false): it may have been promoted")
    lag = 0.0 if replayed_lsn is not None and replayed_lsn >= primary_lsn else (
        float(lag_s) if lag_s is not None else float("inf"))
    if lag > settings.REPLICA_MAX_LAG_S:
        return _unusable(f"{lag:.1f} s behind the primary (at most {settings.REPLICA_MAX_LAG_S} s allowed)", lag_s=lag)
    return ReplicaState(usable=True, reason="current", lag_s=lag, checked_at=time.monotonic())


def replica_failed(exc: BaseException) -> None:
    """A read on the replica failed: read from the primary until the next check."""
    logger.warning("reading from the primary: the replica failed a read (%s)", _first_line(exc))
    _checks.put(REPLICA, ReplicaState(usable=False, reason=f"failed a read ({_first_line(exc)})", lag_s=None,
                                      checked_at=time.monotonic()))
    _connection_drop(REPLICA)


def replica_state() -> ReplicaState | None:
    """The last check's outcome in this process (None before the first, or without a replica)."""
    return _checks.get(REPLICA)


@contextmanager
def replica_reads() -> Iterator[str]:
    """Inside, the router sends reads of REPLICA_APPS to the replica if it is usable now.
    Yields the alias in use."""
    alias = read_alias()
    token = _reading_from_replica.set(alias == REPLICA)
    try:
        yield alias
    finally:
        _reading_from_replica.reset(token)


def replica_or_primary(read: Callable[[], T]) -> T:
    """`read()` inside `replica_reads()`; if the replica fails it, once more on the primary."""
    with replica_reads() as alias:
        if alias != REPLICA:
            return read()
        try:
            return read()
        except (DatabaseError, psycopg.Error) as exc:
            replica_failed(exc)
    return read()


class ReplicaRouter:
    """Django's router: reads inside `replica_reads()` may go to the replica; nothing else does."""

    def db_for_read(self, model: type, **hints: object) -> str | None:
        if _reading_from_replica.get() and model._meta.app_label in REPLICA_APPS:  # type: ignore[attr-defined]
            return REPLICA
        return None

    def db_for_write(self, model: type, **hints: object) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: object, obj2: object, **hints: object) -> bool:
        return True  # the replica holds the primary's very rows

    def allow_migrate(self, db: str, app_label: str, **hints: object) -> bool:
        return db == DEFAULT_DB_ALIAS


def _one_row(alias: str, statement: str) -> tuple:
    with connections[alias].cursor() as cursor:
        cursor.execute(statement)
        return cursor.fetchone()


def _connection_drop(alias: str) -> None:
    """A connection that failed is closed, so that the next use opens a new one."""
    try:
        connections[alias].close()
    except (DatabaseError, psycopg.Error):
        pass


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{exc.__class__.__name__}: {text.splitlines()[0]}" if text else exc.__class__.__name__


def _unusable(reason: str, *, lag_s: float | None = None) -> ReplicaState:
    previous = _checks.get(REPLICA)
    if previous is None or previous.usable:  # once per change, not once per check
        logger.warning("reading from the primary: the replica is %s", reason)
    return ReplicaState(usable=False, reason=reason, lag_s=lag_s, checked_at=time.monotonic())
