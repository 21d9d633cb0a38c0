"""Templates write numbers the way the code does (kernel.formats): {% load enrichhub_format %}."""

from decimal import Decimal

from django import template

from kernel import credits_text, number_text

register = template.Library()


@register.filter
def credits(value: Decimal | float | int | None) -> str:
    return credits_text(value)


@register.filter
def number(value: float | int | None, decimals: int = 1) -> str:
    return number_text(value, decimals=decimals)
