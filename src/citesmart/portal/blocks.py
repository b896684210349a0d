"""The dashboard's Block (one chart, its table and CSV), and the blocks of the one series over
ITP's historic aggregates and the records (portal.history gives their data)."""

from dataclasses import dataclass, field, replace
from typing import Any

from django.utils.safestring import SafeString

from citesmart.analytics.series import series
from citesmart.portal import history
from citesmart.portal.periods import Period
from citesmart.presentation import charts


@dataclass
class Block:
    """One chart with its data table and CSV: exactly the same rows in the three."""

    key: str
    title: str
    svg: SafeString
    headers: list[str]
    rows: list[list[Any]]
    note: str = ""
    flagged: int = 0
    perturbed: bool = False  # figures of a crossing, perturbed by cell key (legend below)
    unavailable: bool = False  # no figures: ITP's historic aggregates lack this breakdown
    legend: list[tuple[str, str]] = field(default_factory=list)  # (swatch class, text)
    more: str = ""  # the "ver todos" link, when the chart shows the first 10
    links: list[dict[str, Any]] = field(default_factory=list)  # the map's department list


def historic_monthly(period: Period) -> Block:
    """Services per month over ITP's historic aggregates and the records (history.months):
    a month before a center's first report counts its aggregates; «no disponible» where they
    cannot answer."""
    now = history.months(period.filters)
    before = history.months(period.previous if period.previous is not None else period.filters)
    lines = [
        ("Periodo seleccionado", now.values, "line-current"),
        ("Año anterior", before.values, "line-prev"),
    ]
    if period.previous is None:  # nothing comparable a year earlier
        lines, before = lines[:1], replace(before, cells=[""] * 12, reserved=0, perturbed=False)
    return Block(
        key="mensual",
        title="Servicios por mes",
        svg=charts.line_chart(lines, label="Servicios por mes"),
        headers=["Mes", *(name for name, _, _ in lines)],
        rows=[
            [charts.MONTHS[i], now.cells[i], before.cells[i]][: 1 + len(lines)] for i in range(12)
        ],
        note=history.note(now.answer, before.answer),
        flagged=now.reserved + before.reserved,
        perturbed=now.perturbed or before.perturbed,
        legend=[(css, name) for name, _, css in lines],
    )


def yearly(period: Period) -> Block:
    """Services per year, every year of the series: each year's source, and «no disponible»
    for the years the aggregates cannot answer with these filters."""
    answer = series(history.every_year(period.filters), by="year")
    bars = [(p.period, p.value) for p in answer.points if p.value is not None]
    return Block(
        key="anual",
        title="Servicios por año",
        svg=charts.bar_chart(bars, label="Servicios por año"),
        headers=["Año", "Servicios", "Fuente"],
        rows=[[p.period, history.cell(p), history.source_text(p)] for p in answer.points],
        note=history.note(answer),
        flagged=sum(1 for p in answer.points if p.reserved),
        perturbed=any(p.perturbed for p in answer.points),
    )


def mark_historic(blocks: list[Block], reach: history.Reach) -> None:
    """A period that reaches into ITP's aggregates: the breakdowns they lack say so, and are
    emptied when the records have nothing in it (never a wrong zero)."""
    if not reach.historic:
        return
    for block in blocks:
        if block.key in ("mensual", "anual"):
            continue
        block.note = " ".join(filter(None, [block.note, history.unavailable_note(reach)]))
        if reach.only_historic:
            block.rows, block.svg, block.unavailable = [], SafeString(""), True
