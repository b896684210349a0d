"""The dashboard's period and the one it is compared with.

"Frente al año anterior" compares whole comparable periods only: when the selected year is
still under way (the network's data stop in October), January–October against January–October
of the year before; a date range is compared with the same dates a year earlier, cut at the
last month with data, and a range longer than a year is not compared at all. A year and dates
that contradict each other are refused with a Spanish message.
"""

import calendar
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from django.http import QueryDict

from citesmart.analytics.filters import Filters, InvalidQuery
from citesmart.analytics.public import public_figures
from citesmart.analytics.series import series
from citesmart.analytics.vocabulary import portal_filters
from citesmart.presentation.charts import MONTHS

# Query-string names (Spanish, as visitors see them in shared links) -> Filters fields, as
# analytics.vocabulary declares the dashboard's filters.
PARAMS = portal_filters()


@dataclass
class Period:
    """The selected period, and what its figures are compared with."""

    filters: Filters
    text: str  # "En 2025", "Del 01/01/2025 al 30/09/2025"
    # The part of the selection that has a comparable period a year earlier (the selection
    # itself unless the year is under way), that earlier period, and how to say it; None
    # when nothing is comparable (a range longer than a year, no data yet).
    compared_now: Filters | None = None
    previous: Filters | None = None
    compared_text: str = ""  # "frente a 2024", "ene–oct 2025 frente a ene–oct 2024"
    # The monthly chart's second line: the whole previous year (or range a year earlier).
    previous_line: Filters | None = None
    # The network's last month with data ("2026-03"): in a year under way, the months after
    # it are gaps in the monthly chart, not zeros.
    last_key: str = "9999-12"
    first: tuple[int, int] = (0, 0)  # the first and last (year, month) of the selection
    last: tuple[int, int] = (0, 0)

    def months(self) -> list[tuple[int, int]]:
        """The (year, month) of the monthly chart, in order (12 for a year)."""
        (y, m), out = self.first, []
        while (y, m) <= self.last:
            out.append((y, m))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out

    label: str = ""  # for file names: "2025", "2025-03-01_2025-08-31"
    short: str = ""  # for chart subtitles: "2025", "01/03/2025–31/08/2025"


def available_years() -> list[int]:
    """Years with services, newest first: the records' and ITP's historic aggregates'."""
    return sorted((int(p.period) for p in series(by="year").points), reverse=True)


def latest_year() -> int:
    years = available_years()
    return years[0] if years else date.today().year


def data_start() -> date | None:
    """The first day of the network's first year with services."""
    years = available_years()
    return date(years[-1], 1, 1) if years else None


def data_end() -> date | None:
    """The last day of the network's last month with services (whatever the filters)."""
    years = available_years()
    if not years:
        return None
    months = public_figures(Filters(years=(years[0],)), by=["month"], measures=["services"])
    last = max((int(row["month"][5:7]) for row in months.rows), default=12)
    return date(years[0], last, calendar.monthrange(years[0], last)[1])


def _parse_date(text: str, field_name: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise InvalidQuery({field_name: f"Fecha inválida «{text}»: use aaaa-mm-dd."}) from error


def codes_from(params: QueryDict, fixed: dict[str, Any] | None = None) -> dict[str, tuple]:
    codes = {PARAMS[name]: tuple(v for v in params.getlist(name) if v) for name in PARAMS}
    return {k: v for k, v in codes.items() if v} | (fixed or {})


def period_from(params: QueryDict, *, fixed: dict[str, Any] | None = None) -> Period:
    """Filters from the query string (validated by analytics), and the comparable period."""
    codes = codes_from(params, fixed)
    start, end = (
        _parse_date(params.get("desde", ""), "date_from"),
        _parse_date(params.get("hasta", ""), "date_to"),
    )
    year_text = params.get("anio", "")
    if year_text and not year_text.isdigit():
        raise InvalidQuery({"years": f"Año inválido «{year_text}»."})
    if year_text and (start or end):
        _check_dates_within_year(int(year_text), start, end)
    if start or end:
        return _date_period(start or date(2000, 1, 1), end or date.today(), codes)
    return _year_period(int(year_text) if year_text else latest_year(), codes)


def _check_dates_within_year(year: int, start: date | None, end: date | None) -> None:
    outside = [d for d in (start, end) if d and d.year != year]
    if outside:
        raise InvalidQuery(
            {
                "years": (
                    f"El año {year} y la fecha {outside[0]:%d/%m/%Y} se contradicen: elija un año "
                    f"o fechas «desde» y «hasta» dentro de {year}, o deje el año en «Último»."
                )
            }
        )


def _year_period(year: int, codes: dict[str, tuple]) -> Period:
    current = Filters(years=(year,), **codes)
    whole_before = replace(current, years=(year - 1,))
    period = Period(
        current, f"En {year}", previous_line=whole_before, label=str(year), short=str(year)
    )
    period.first, period.last = (year, 1), (year, 12)
    end, start = data_end(), data_start()
    if end is not None:
        period.last_key = f"{end:%Y-%m}"
    months = 12 if end is None or (end.year, end.month) >= (year, 12) else 0
    if end is not None and end.year == year:
        months = end.month
    if start is None or year - 1 < start.year:
        period.previous_line = None  # the year before has no records: nothing to compare
        return period
    if months == 12:
        period.compared_now, period.previous = current, whole_before
        period.compared_text = f"frente a {year - 1}"
    elif months:
        span = tuple(range(1, months + 1))
        period.compared_now = replace(current, months=span)
        period.previous = replace(whole_before, months=span)
        part = f"{MONTHS[0]}–{MONTHS[months - 1]}" if months > 1 else MONTHS[0]
        period.compared_text = f"{part} {year} frente a {part} {year - 1}"
    return period


def _date_period(start: date, end: date, codes: dict[str, tuple]) -> Period:
    current = Filters(date_from=start, date_to=end, **codes)
    text = f"Del {start:%d/%m/%Y} al {end:%d/%m/%Y}"
    label = f"{start:%Y-%m-%d}_{end:%Y-%m-%d}"
    period = Period(current, text, label=label, short=f"{start:%d/%m/%Y}–{end:%d/%m/%Y}")
    if start > end:  # analytics.filters says so in Spanish
        return period
    last, first = data_end(), data_start()
    # The chart runs from the first month to the last, within the years with records.
    low = max(start, first) if first else start
    period.first, period.last = (low.year, low.month), (end.year, end.month)
    if last is not None:
        period.last = min(period.last, (last.year, last.month))
        period.last_key = f"{last:%Y-%m}"
    cut = min(end, last) if last else end
    before = replace(current, date_from=_year_before(start), date_to=_year_before(end))
    if (end - start).days <= 366 and first is not None and before.date_to >= first:
        period.previous_line = before
    if (cut - start).days > 366 or cut < start or first is None or _year_before(start) < first:
        return period  # longer than a year, no data in it or none a year before: no comparison
    period.compared_now = replace(current, date_to=cut)
    period.previous = replace(current, date_from=_year_before(start), date_to=_year_before(cut))
    period.compared_text = (
        f"frente a {period.previous.date_from:%d/%m/%Y}–{period.previous.date_to:%d/%m/%Y}"
    )
    if cut < end:
        period.compared_text = f"hasta el {cut:%d/%m/%Y} {period.compared_text}"
    return period


def _year_before(day: date) -> date:
    return (
        day.replace(year=day.year - 1, day=28)
        if (day.month, day.day) == (2, 29)
        else day.replace(year=day.year - 1)
    )
