"""Funding ranges as vendors print them ("$10M - $25M", "$250M+", "< $1M") to USD bounds."""

import re

_AMOUNT = r"\$?\s*(\d+(?:\.\d+)?)\s*([KMB]?)"
_UNITS = {"": 1, "K": 1_000, "M": 1_000_000, "B": 1_000_000_000}
_BETWEEN = re.compile(rf"^{_AMOUNT}\s*(?:-|–|to)\s*{_AMOUNT}$", re.IGNORECASE)
_AT_LEAST = re.compile(rf"^(?:>\s*|over\s+)?{_AMOUNT}\s*\+?$", re.IGNORECASE)
_BELOW = re.compile(rf"^(?:<|under|less than)\s*{_AMOUNT}$", re.IGNORECASE)
MAX_USD = 9_223_372_036_854_775_807  # bigint


def funding_bounds(text: str | None) -> tuple[int | None, int | None]:
    """(min, max) in USD; None where a side is open or the text is not a range we know."""
    if not text:
        return None, None
    value = text.strip().replace(",", "")
    if match := _BETWEEN.match(value):
        return _usd(match[1], match[2]), _usd(match[3], match[4])
    if match := _BELOW.match(value):
        return 0, _usd(match[1], match[2])
    if (match := _AT_LEAST.match(value)) and value.endswith("+"):
        return _usd(match[1], match[2]), None
    return None, None


def _usd(number: str, unit: str) -> int | None:
    amount = round(float(number) * _UNITS[unit.upper()])
    return amount if amount <= MAX_USD else None
