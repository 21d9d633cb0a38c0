"""Templates write numbers the way the code does (kernel.formats): {% load enrichhub_format %}."""

from decimal import Decimal

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from kernel import credits_text, number_text

register = template.Library()


@register.filter
def credits(value: Decimal | float | int | None) -> str:
    return credits_text(value)


@register.filter
def number(value: float | int | None, decimals: int = 1) -> str:
    return number_text(value, decimals=decimals)


@register.filter
def name_breaks(value: str) -> SafeString:
    """A long identifier that may wrap after its underscores only, never inside a word."""
    return mark_safe(escape(value).replace("_", "_<wbr>"))  # escaped just above
