"""Numbers and dates the Peruvian way: 85 812 (thin space thousands), S/ 1 234,50."""

from datetime import datetime
from decimal import Decimal

from django.utils import timezone

THIN_SPACE = "\u202f"


def number(value: float | int | Decimal | None, decimals: int = 0) -> str:
    if value is None:
        return "—"
    text = f"{value:,.{decimals}f}"
    return (
        text.replace(",", THIN_SPACE).replace(".", ",")
        if decimals
        else text.replace(",", THIN_SPACE)
    )


def soles(value: float | Decimal | None) -> str:
    return "—" if value is None else f"S/ {number(value, 2)}"


def percent_change(current: float, previous: float) -> float | None:
    return None if not previous else 100.0 * (current - previous) / previous


def stamp(moment: datetime) -> str:
    """ "26/11/2026 10:42" in Lima time."""
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M")
