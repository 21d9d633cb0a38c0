"""How enrichhub writes numbers for people, in one place: counts with thousands separators and
the noun agreeing, credits without trailing zeros, rates as percentages."""

from decimal import Decimal


def count_text(count: int, noun: str, plural: str | None = None) -> str:
    """`1 job`, `2 jobs`, `12,036 companies` (give the plural when it is not noun + s)."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"


def credits_text(credits: Decimal | float | int | None) -> str:
    """`500`, `2.5`, `1,234.75`: as many decimals as the amount has, at most four, none trailing."""
    if credits is None:
        return "—"
    amount = Decimal(str(credits)).quantize(Decimal("0.0001")).normalize()
    text = f"{amount:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def number_text(value: float | int | None, *, decimals: int = 1) -> str:
    """`409.5` for 409.5460037976864: measured values with the precision they deserve."""
    if value is None:
        return "—"
    return f"{value:,.{decimals}f}" if isinstance(value, float) else f"{value:,}"
