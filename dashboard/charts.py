"""Small charts drawn on the server as inline SVG: the admin needs no script and no CDN."""

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe


def sparkline(values: list[float], *, width: int = 140, height: int = 28, label: str = "") -> SafeString:
    """A line over the values, oldest left; a single value is a flat line."""
    if not values:
        return mark_safe('<span class="quiet">no history yet</span>')
    top = max(values) or 1
    step = width / max(len(values) - 1, 1)
    points = " ".join(f"{i * step:.1f},{height - 2 - (v / top) * (height - 4):.1f}" for i, v in enumerate(values))
    return format_html('<svg class="sparkline" width="{}" height="{}" viewBox="0 0 {} {}" role="img" '
                       'aria-label="{}"><polyline fill="none" stroke="#417690" stroke-width="1.5" points="{}"/>'
                       '</svg>', width, height, width, height, label, points)


def percent_bar(percent: float, *, width: int = 140, height: int = 12) -> SafeString:
    filled = max(0.0, min(percent, 100.0)) * width / 100
    return format_html('<svg class="percent-bar" width="{}" height="{}" role="img" aria-label="{}%">'
                       '<rect width="{}" height="{}" fill="#e8e8e8"/><rect width="{}" height="{}" '
                       'fill="#79aec8"/></svg>', width, height, f"{percent:.1f}", width, height, f"{filled:.1f}",
                       height)


def weekly_bars(weeks: list[dict], *, width: int = 640, height: int = 160) -> SafeString:
    """Credits per week as bars, the wasted part of each bar in red."""
    if not weeks:
        return mark_safe('<p class="quiet">No credits reported yet.</p>')
    top = max(week["credits"] for week in weeks) or 1
    slot = width / len(weeks)
    bars = []
    for i, week in enumerate(weeks):
        spent_h = week["credits"] / top * (height - 20)
        wasted_h = week["wasted"] / top * (height - 20)
        x = i * slot + 1
        bars.append(
            f'<g><title>{escape(week["week"])}: {week["credits"]:,.1f} credits, {week["wasted"]:,.1f} wasted</title>'
            f'<rect x="{x:.1f}" y="{height - 16 - spent_h:.1f}" width="{max(slot - 2, 1):.1f}" height="{spent_h:.1f}"'
            f' fill="#79aec8"/><rect x="{x:.1f}" y="{height - 16 - wasted_h:.1f}" width="{max(slot - 2, 1):.1f}"'
            f' height="{wasted_h:.1f}" fill="#ba2121"/></g>')
    first, last = escape(weeks[0]["week"]), escape(weeks[-1]["week"])
    return mark_safe(
        f'<svg class="weekly-bars" width="{width}" height="{height}" role="img" aria-label="credits per week">'
        f'{"".join(bars)}<text x="0" y="{height - 2}" font-size="10">{first}</text>'
        f'<text x="{width}" y="{height - 2}" font-size="10" text-anchor="end">{last}</text></svg>')
