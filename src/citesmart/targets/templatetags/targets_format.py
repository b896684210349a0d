"""Numbers on target pages the Peruvian way (portal.formatting), soles for amounts."""

from django import template

from citesmart.portal.formatting import number, soles

register = template.Library()


@register.filter
def measure(value, indicator: str) -> str:
    if value is None:
        return "—"
    return soles(value) if indicator == "amount" else number(round(float(value)))


@register.filter
def pct(value) -> str:
    return "—" if value is None else f"{number(value, 1)} %"


@register.filter
def bar_width(value) -> str:
    return f"{max(0.0, min(100.0, float(value or 0))):.1f}"


@register.filter
def share_of(part, whole) -> str:
    return f"{max(0.0, min(100.0, 100.0 * float(part or 0) / float(whole))):.1f}" if whole else "0"
