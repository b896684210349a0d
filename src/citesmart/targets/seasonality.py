"""Monthly profiles of a year, learnt from previous years through the analytics interface.

Used twice: to phase a target month by month ("estacional") and to project the year end
from what was achieved to date. Both read the same history: the three previous years.
"""

import calendar
from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from citesmart.analytics.queries import Filters, InvalidQuery, figures

HISTORY_YEARS = 3
EVEN = [1 / 12] * 12


def history_filters(year: int, *, center: str | None, category: str | None, chain: str | None):
    return Filters(
        years=tuple(range(year - HISTORY_YEARS, year)),
        centers=(center,) if center else (),
        with_technical_units=False,
        categories=(category,) if category else (),
        chains=(chain,) if chain else (),
    )


def shares_from_rows(rows: Iterable[tuple[str, float]]) -> list[float]:
    """Twelve shares from ("YYYY-MM", value) rows; even when there is no history."""
    months = [0.0] * 12
    for year_month, value in rows:
        months[int(str(year_month)[5:7]) - 1] += float(value or 0)
    total = sum(months)
    return [m / total for m in months] if total > 0 else list(EVEN)


def seasonal_shares(
    year: int,
    indicator: str,
    *,
    center: str | None = None,
    category: str | None = None,
    chain: str | None = None,
) -> list[float]:
    """Each month's share of the indicator in the previous years (even if none)."""
    try:
        answer = figures(
            history_filters(year, center=center, category=category, chain=chain),
            by=["month"],
            measures=[indicator],
        )
    except InvalidQuery:  # a center or code the read model does not know yet: no history
        return list(EVEN)
    return shares_from_rows((row["month"], row[indicator]) for row in answer.rows)


def seasonal_shares_by_center(
    year: int, indicator: str, filters: Filters
) -> dict[str, list[float]]:
    """The same profile for every center at once (one query), keyed by center code."""
    answer = figures(filters, by=["center", "month"], measures=[indicator])
    grouped: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for row in answer.rows:
        grouped[row["center"]].append((row["month"], row[indicator]))
    return {code: shares_from_rows(rows) for code, rows in grouped.items()}


def share_to_date(shares: list[float], as_of: date) -> float:
    """Part of the year's total expected by `as_of`: full months, then days of the last one."""
    done = sum(shares[: as_of.month - 1])
    days = calendar.monthrange(as_of.year, as_of.month)[1]
    return done + shares[as_of.month - 1] * as_of.day / days
