"""Values a process keeps for a while instead of asking the database on every call.

Every cache registers itself, so that `process_caches_clear()` empties them all: tests start
from nothing, and no cache can be forgotten there.
"""

import time
from typing import Generic, TypeVar
from weakref import WeakSet

K = TypeVar("K")
V = TypeVar("V")

_every_cache: "WeakSet[ProcessCache]" = WeakSet()


class ProcessCache(Generic[K, V]):
    """Values with the moment they were stored; a read names how old a value it accepts."""

    def __init__(self, *, max_entries: int | None = None) -> None:
        self._entries: dict[K, tuple[float, V]] = {}
        self._max_entries = max_entries
        _every_cache.add(self)

    def get(self, key: K, *, max_age_s: float = float("inf")) -> V | None:
        """The value stored under key less than max_age_s ago; None otherwise (and for 0)."""
        entry = self._entries.get(key)
        if entry is None or not max_age_s or time.monotonic() - entry[0] >= max_age_s:
            return None
        return entry[1]

    def __contains__(self, key: object) -> bool:
        """Whether a value is stored under key, however old, even None."""
        return key in self._entries

    def put(self, key: K, value: V) -> V:
        if self._max_entries is not None and len(self._entries) > self._max_entries:
            self._entries.clear()  # simpler than eviction order, and rare: the bound is generous
        self._entries[key] = (time.monotonic(), value)
        return value

    def values(self) -> list[V]:
        return [value for _, value in self._entries.values()]

    def clear(self) -> None:
        self._entries.clear()


def process_caches_clear() -> None:
    for cache in list(_every_cache):
        cache.clear()
