"""Django's PostgreSQL backend, except that a timestamp outside Python's years 1 to 9999 is read as
the nearest end of that range instead of failing the query.

PostgreSQL holds years 4713 BC to 294276 AD. One row stored before the API refused such times
(an event `at` 0001-01-01T00:00:00+14:00 is 31 December 1 BC in UTC) used to fail every statement
that read it: the entity's status, every status batch holding it, the admin page listing it. Read
as datetime.min or datetime.max, the row shows and can be corrected.
"""

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from django.db.backends.postgresql import base
from psycopg import DataError, abc, adapters
from psycopg.adapt import AdaptersMap, Buffer, Loader
from psycopg.pq import Format

TIMESTAMPTZ = adapters.types["timestamptz"].oid
EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(tzinfo=UTC)


def _tolerant(loader_class: type[abc.Loader], *, too_early: Any) -> type[Loader]:
    """A loader that asks `loader_class` first and answers the range's end where it fails."""

    class OutOfRangeTolerant(Loader):
        format = loader_class.format
        # Django compares this with its connection's time zone before each cursor (base.create_cursor).
        timezone = getattr(loader_class, "timezone", None)

        def __init__(self, oid: int, context: Any = None) -> None:
            super().__init__(oid, context)
            self._exact = loader_class(oid, context)

        def load(self, data: Buffer) -> datetime:
            try:
                return self._exact.load(data)
            except DataError:
                return EARLIEST if too_early(bytes(data)) else LATEST

    return OutOfRangeTolerant


def _before_year_one_text(data: bytes) -> bool:
    return data.endswith(b" BC")


def _before_year_one_binary(data: bytes) -> bool:
    return data[0] & 0x80 != 0  # microseconds from 2000 as a signed 64-bit integer: negative


@lru_cache
def _tolerant_adapters(template: AdaptersMap) -> AdaptersMap:
    """Django's adapters for a time zone (one map per zone, as Django caches them), extended."""
    extended = AdaptersMap(template)
    for fmt, too_early in ((Format.TEXT, _before_year_one_text), (Format.BINARY, _before_year_one_binary)):
        if (exact := template.get_loader(TIMESTAMPTZ, fmt)) is not None:
            extended.register_loader(TIMESTAMPTZ, _tolerant(exact, too_early=too_early))
    return extended


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        params["context"] = _tolerant_adapters(params["context"])
        return params
