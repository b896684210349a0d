"""Monthly profiles of a year, learnt from previous years through the analytics interface.

Used twice: to phase a target month by month ("estacional") and to project the year end
from what was achieved to date. Both read the same history: the three previous years.
"""

import calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from citesmart.analytics.filters import Filters, InvalidQuery
from citesmart.analytics.queries import figures

HISTORY_YEARS = 3
EVEN = [1 / 12] * 12
# Distinct units do not add up month by month (a unit served in March and May counts once in
# the year), so their profile is the share of the year's units already reached at each month
# end; the other indicators add up and use monthly sums.
CUMULATIVE = {"units"}


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
    filters = history_filters(year, center=center, category=category, chain=chain)
    try:
        if indicator in CUMULATIVE:
            return cumulative_shares(filters, indicator, by_center=False).get(None, list(EVEN))
        answer = figures(filters, by=["month"], measures=[indicator])
    except InvalidQuery:  # a center or code the read model does not know yet: no history
        return list(EVEN)
    return shares_from_rows((row["month"], row[indicator]) for row in answer.rows)


def cumulative_shares(filters, indicator: str, *, by_center: bool) -> dict:
    """Monthly shares from the part of each history year reached by every month end.

    Keys are center codes (or None for the whole selection); 13 queries per history year.
    """
    by = ["center"] if by_center else []
    reached: dict = defaultdict(lambda: [0.0] * 12)
    years: dict = defaultdict(int)
    for year in filters.years:
        whole = _by_key(figures(replace(filters, years=(year,)), by=by, measures=[indicator]), by)
        for key, total in whole.items():
            if total:
                years[key] += 1
        for month in range(1, 13):
            end = date(year, month, calendar.monthrange(year, month)[1])
            part = replace(filters, years=(year,), date_to=end)
            so_far = _by_key(figures(part, by=by, measures=[indicator]), by)
            for key, total in whole.items():
                if total:
                    reached[key][month - 1] += so_far.get(key, 0) / total
    shares = {}
    for key, sums in reached.items():
        curve = [value / years[key] for value in sums]
        shares[key] = [curve[0]] + [curve[i] - curve[i - 1] for i in range(1, 12)]
    return shares


def _by_key(answer, by: list[str]) -> dict:
    if not by:
        return {None: float(answer.totals[answer.measures[0]] or 0)}
    return {row["center"]: float(row[answer.measures[0]] or 0) for row in answer.rows}


def seasonal_shares_by_center(
    year: int, indicator: str, filters: Filters
) -> dict[str, list[float]]:
    """The same profile for every center at once, keyed by center code."""
    if indicator in CUMULATIVE:
        return cumulative_shares(filters, indicator, by_center=True)
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
