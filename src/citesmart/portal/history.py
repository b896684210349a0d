"""The dashboard's one series: ITP's historic aggregates before each center's cut-over, the
records from it on (analytics.series), and "no disponible" for what the aggregates cannot say.

Plain data for portal.presenters, which builds the blocks: the yearly series (every year,
with each year's source), the months of the selected period, the headline's services, and
which other figures of a period that reaches into the aggregates are not available.
"""

from dataclasses import dataclass, replace
from typing import Any

from citesmart.analytics.filters import Filters
from citesmart.analytics.series import AGGREGATES, Point, Series, series
from citesmart.presentation.formatting import number

NOT_AVAILABLE = "no disponible"
RESERVED = "reservado"
SOURCE_WORDS = {
    AGGREGATES: "agregados históricos del ITP",
    "registros": "informes de servicio",
}


def cell(point: Point) -> Any:
    """The number a table shows for a point: the value, «reservado» or «no disponible»."""
    if not point.available:
        return NOT_AVAILABLE
    return RESERVED if point.value is None else point.value


def source_text(point: Point) -> str:
    return " + ".join(SOURCE_WORDS.get(s, s) for s in point.sources) or SOURCE_WORDS["registros"]


def every_year(filters: Filters) -> Filters:
    """The same question over every year: the period's other filters, no dates."""
    return replace(filters, years=(), months=(), date_from=None, date_to=None)


def historic_years(*answers: Series) -> list[str]:
    return sorted({p.period[:4] for a in answers for p in a.points if p.historic})


def span(years: list[str]) -> str:
    """The first and last year whose figures use the aggregates ("2016–2018")."""
    if not years:
        return ""
    return years[0] if years[0] == years[-1] else f"{years[0]}–{years[-1]}"


def note(*answers: Series) -> str:
    """The legend under a series: where its numbers come from, and what is not available."""
    years = span(historic_years(*answers))
    if not years:
        return ""
    text = (
        f"{years}: agregados históricos del ITP (cuadros institucionales: servicios por centro y"
        " mes) hasta el mes anterior al primer informe validado de cada centro; desde ese mes, "
        "informes de servicio validados (ver metodología)."
    )
    reasons = dict.fromkeys(a.note for a in answers if a.note)
    if reasons:
        text += f" «{NOT_AVAILABLE}»: {'; '.join(reasons)}."
    return text


@dataclass(frozen=True)
class Months:
    """The selected period's services by month of the year (1..12), over both sources."""

    values: list[int | None]
    cells: list[Any]  # what the table shows per month
    reserved: int
    perturbed: bool
    historic: bool
    answer: Series


def months(filters: Filters) -> Months:
    return months_of(series(filters, by="month"))


def months_of(answer: Series) -> Months:
    values: list[int | None] = [0] * 12
    cells: list[Any] = [0] * 12
    for point in answer.points:
        i = int(point.period[5:7]) - 1
        shown = cell(point)
        if isinstance(shown, str):  # «no disponible» wins over «reservado»
            values[i] = None
            cells[i] = shown if cells[i] != NOT_AVAILABLE else cells[i]
        elif not isinstance(cells[i], str):
            cells[i] += shown
            values[i] = cells[i]
    return Months(
        values,
        cells,
        sum(1 for c in cells if c == RESERVED),
        any(p.perturbed for p in answer.points),
        any(p.historic for p in answer.points),
        answer,
    )


@dataclass(frozen=True)
class Reach:
    """How a period's figures stand with the aggregates.

    `services`: the period's services over both sources (None: reserved or not available);
    `historic`: some of them come from the aggregates, so distinct units, new units, active
    centers, departments and every breakdown the tables lack are not available;
    `only_historic`: none come from the records (every breakdown block is then empty).
    """

    services: int | None
    services_text: str
    historic: bool
    only_historic: bool
    from_aggregates: int
    span: str


def reach(filters: Filters) -> Reach:
    answer = series(filters, by="year")
    points = answer.points
    historic = any(p.historic for p in points)
    if any(not p.available for p in points):
        services, text = None, NOT_AVAILABLE
    elif any(p.value is None for p in points):
        services, text = None, RESERVED
    else:
        services = sum(p.value or 0 for p in points)
        text = number(services)
    only = historic and not any(p.records for p in points)
    from_aggregates = sum(p.aggregates or 0 for p in points)
    return Reach(services, text, historic, only, from_aggregates, span(historic_years(answer)))


def unavailable_note(found: Reach) -> str:
    """Under a breakdown block of a period that reaches into the aggregates."""
    if found.only_historic:
        return (
            f"No disponible: en {found.span} solo hay agregados históricos del ITP (servicios "
            "por centro, mes y subcategoría), sin este desglose."
        )
    return (
        f"Solo informes de servicio: no incluye {number(found.from_aggregates)} servicios de "
        f"agregados históricos del ITP ({found.span}), que no tienen este desglose."
    )
