"""The one CSV writer of every export: a cell a spreadsheet would read as a formula is written as
text (OWASP's rule for CSV injection), since titles, keys and names come from scraped data."""

import csv
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

# A spreadsheet starts a formula at these; tab and carriage return hide one behind blank space.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def csv_cell(value: object) -> object:
    """Text that starts like a formula gets a leading quote; numbers stay numbers, -5 included."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeCsvWriter:
    def __init__(self, out: _Writable) -> None:
        self._writer = csv.writer(out)

    def writerow(self, row: Iterable[object]) -> Any:
        return self._writer.writerow([csv_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


class _Echo:
    def write(self, text: str) -> str:
        return text


def csv_lines(rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """Each row as one CSV line, for a streamed response."""
    writer = SafeCsvWriter(_Echo())
    return (writer.writerow(row) for row in rows)
