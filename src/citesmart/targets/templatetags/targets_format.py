"""Numbers on target pages the Peruvian way (presentation.formatting), soles for amounts."""

from django import template

from citesmart.presentation.formatting import number, soles

register = template.Library()


@register.filter
def measure(value, indicator: str) -> str:
    if value is None:
        return "—"
    return soles(value) if indicator == "amount" else number(round(float(value)))


@register.filter
def pct(value) -> str:
    return "—" if value is None else f"{number(value, 1)} %"


def _step(percent: float) -> int:
    """A percent between 0 and 100 to the nearest 5: bars are drawn with classes (the content
    security policy allows no style attribute), one per step (static/targets/progress.css)."""
    return int(5 * round(max(0.0, min(100.0, percent)) / 5))


@register.filter
def bar_width(value) -> int:
    return _step(float(value or 0))


@register.filter
def share_of(part, whole) -> int:
    return _step(100.0 * float(part or 0) / float(whole)) if whole else 0
