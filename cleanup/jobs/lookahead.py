"""Reading a job's next batch while the current one writes.

A batch of a kind that reads, then thinks in Python, then writes, keeps one core busy at a
time. Its next read rarely depends on what the current batch writes (the next window of
ids), so it can run on a second connection meanwhile. The engine allows it only when
every earlier batch is committed, that is when no transaction surrounds the job: a second
connection sees nothing uncommitted (a test's transaction, for one), and reading
ahead there would miss rows.

A read ahead is only ever used for exactly the batch it was started for (its key); any
other batch, or an error, falls back to reading in the batch as before.
"""

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.db import connection, transaction

from cleanup.jobs import sql

Result = TypeVar("Result")


class _Reader:
    def __init__(self, *, statement_timeout_ms: int, application_name: str) -> None:
        self._timeout_ms = statement_timeout_ms
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="enrichhub-lookahead",
                                        initializer=sql.application_name_set, initargs=(application_name,))
        self._pending: tuple[object, Future] | None = None

    def start(self, key: object, read: Callable[[], Any]) -> None:
        self.discard()
        self._pending = (key, self._pool.submit(self._read, read))

    def take(self, key: object, read: Callable[[], Result]) -> Result:
        pending, self._pending = self._pending, None
        if pending is not None and pending[0] == key:
            return pending[1].result()
        if pending is not None:
            pending[1].cancel()
        return read()

    def discard(self) -> None:
        if self._pending is not None:
            self._pending[1].cancel()
            self._pending = None

    def close(self) -> None:
        self.discard()
        # The thread's connection is its own: closed in that thread (the proxy resolves there).
        self._pool.submit(lambda: connection.close()).result()
        self._pool.shutdown(wait=True)

    def _read(self, read: Callable[[], Any]) -> Any:
        with transaction.atomic():
            sql.batch_limits_set(statement_timeout_ms=self._timeout_ms, lock_timeout_ms=self._timeout_ms)
            return read()


_current: ContextVar[_Reader | None] = ContextVar("enrichhub_lookahead", default=None)


@contextmanager
def reading_ahead(*, allowed: bool, statement_timeout_ms: int, application_name: str) -> Iterator[None]:
    """Within this block, lookahead_start() may run reads on a second connection, known to
    pg_stat_activity by application_name."""
    if not allowed:
        yield
        return
    reader = _Reader(statement_timeout_ms=statement_timeout_ms, application_name=application_name)
    token = _current.set(reader)
    try:
        yield
    finally:
        _current.reset(token)
        reader.close()


def lookahead_start(key: object, read: Callable[[], Any]) -> None:
    """Start read() for the batch known by key, if reading ahead is allowed; else nothing."""
    reader = _current.get()
    if reader is not None:
        reader.start(key, read)


def lookahead_take(key: object, read: Callable[[], Result]) -> Result:
    """What read() returns: the read started ahead for this key if there is one, else read() now."""
    reader = _current.get()
    return reader.take(key, read) if reader is not None else read()
