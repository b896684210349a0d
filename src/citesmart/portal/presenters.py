"""Shape analytics answers into what the dashboard and center pages show.

Every number here comes through analytics.public.public_figures (the one door for public
figures: official tables exact with suppression, other crossings perturbed by cell key); this
module only chooses the questions, the previous-year comparison, and the labels.
"""

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from django.http import QueryDict
from django.urls import reverse
from django.utils.safestring import SafeString

from citesmart.analytics.answer import Figures
from citesmart.analytics.disclosure import suppressed_rows
from citesmart.analytics.filters import Filters, InvalidQuery
from citesmart.analytics.public import prefetch, public_figures
from citesmart.analytics.series import series
from citesmart.analytics.vocabulary import portal_filters, title
from citesmart.network.models import Center
from citesmart.portal import history, maps
from citesmart.presentation import charts
from citesmart.presentation.formatting import number, percent_change, soles

# Query-string names (Spanish, as visitors see them in shared links) -> Filters fields, as
# analytics.vocabulary declares the dashboard's filters.
PARAMS = portal_filters()
MEASURE_WORDS = {"services": "servicios", "units": "unidades productivas"}


@dataclass
class Period:
    """The selected period and the same period one year earlier."""

    filters: Filters
    previous: Filters
    text: str  # "En 2025", "Del 01/01/2025 al 30/09/2025"


RESERVED = "reservado"  # a suppressed cell (analytics.disclosure), in tables and CSV


def _shown(row: dict[str, Any], measure: str) -> Any:
    return RESERVED if row.get("suppressed") else row[measure]


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


@dataclass
class Dashboard:
    period: Period
    query: str
    headline: list[dict[str, Any]] = field(default_factory=list)
    sentence: str = ""
    blocks: list[Block] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)
    map_measure: str = "services"
    fresh_as_of: Any = None


def available_years() -> list[int]:
    """Years with services, newest first: the records' and ITP's historic aggregates'."""
    return sorted((int(p.period) for p in series(by="year").points), reverse=True)


def latest_year() -> int:
    years = available_years()
    return years[0] if years else date.today().year


def _parse_date(text: str, field_name: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise InvalidQuery({field_name: f"Fecha inválida «{text}»: use aaaa-mm-dd."}) from error


def period_from(params: QueryDict, *, fixed: dict[str, Any] | None = None) -> Period:
    """Filters from the query string (validated by analytics), plus the previous year's."""
    codes = {PARAMS[name]: tuple(params.getlist(name)) for name in PARAMS if params.getlist(name)}
    codes = {k: tuple(v for v in values if v) for k, values in codes.items()}
    codes |= fixed or {}
    start, end = (
        _parse_date(params.get("desde", ""), "date_from"),
        _parse_date(params.get("hasta", ""), "date_to"),
    )
    if start or end:
        start, end = start or date(2000, 1, 1), end or date.today()
        current = Filters(date_from=start, date_to=end, **codes)
        previous = replace(current, date_from=_year_before(start), date_to=_year_before(end))
        text = f"Del {start:%d/%m/%Y} al {end:%d/%m/%Y}"
    else:
        year_text = params.get("anio", "")
        if year_text and not year_text.isdigit():
            raise InvalidQuery({"years": f"Año inválido «{year_text}»."})
        year = int(year_text) if year_text else latest_year()
        current = Filters(years=(year,), **codes)
        previous = replace(current, years=(year - 1,))
        text = f"En {year}"
    return Period(current, previous, text)


def _year_before(day: date) -> date:
    return (
        day.replace(year=day.year - 1, day=28)
        if (day.month, day.day) == (2, 29)
        else day.replace(year=day.year - 1)
    )


def _delta(current: float | None, previous: float | None) -> dict[str, Any]:
    reserved = current is None or previous is None
    change = None if reserved else percent_change(current, previous)
    return {
        "change": change,
        "change_text": "—" if change is None else f"{change:+.1f} %".replace(".", ","),
    }


# What the headline shows: only these are computed (each distinct count costs a scan).
HEADLINE_MEASURES = ("services", "units", "new_units")


def _centers(filters: Filters) -> Figures:
    """Every center with services, most first: counted in the headline, top 10 in a chart."""
    return public_figures(filters, by=["center"], measures=["services"], order_by="services")


def _first(answer: Figures, n: int) -> Figures:
    """The answer cut to its first `n` rows, as figures(..., limit=n) would give it."""
    return replace(answer, rows=answer.rows[:n], truncated=len(answer.rows) > n)


def headline(period: Period) -> list[dict[str, Any]]:
    # Through the disclosure rule like every table: a narrow enough filter (a small center,
    # chain and department) can single out a natural person in the totals too.
    now, before = (
        public_figures(f, measures=HEADLINE_MEASURES).totals
        for f in (period.filters, period.previous)
    )
    reach = [history.reach(f) for f in (period.filters, period.previous)]
    centers = (len(_centers(period.filters).rows), len(_centers(period.previous).rows))
    departments = tuple(
        sum(
            1
            for r in public_figures(f, by=["department"], measures=["services"]).rows
            if r["department"]
        )
        for f in (period.filters, period.previous)
    )
    items = [
        ("services", "Servicios brindados", now["services"], before["services"], "servicios"),
        ("units", "Unidades productivas atendidas", now["units"], before["units"], "unidades"),
        (
            "new_units",
            "Unidades productivas nuevas",
            now["new_units"],
            before["new_units"],
            "nuevas",
        ),
        ("centers", "Centros activos", centers[0], centers[1], "centros-activos"),
        (
            "departments",
            "Departamentos alcanzados",
            departments[0],
            departments[1],
            "departamentos",
        ),
    ]
    return [
        {
            "key": key,
            "label": label,
            "value": _kpi_value(key, value, reach[0]),
            "value_text": _kpi_text(key, value, reach[0]),
            "anchor": anchor,
            "previous_text": _kpi_text(key, prev, reach[1]),
            "perturbed": key in HEADLINE_MEASURES and bool(now.get("perturbed")),
            "historic": reach[0].historic,
        }
        | _delta(*(_kpi_value(key, v, r) for v, r in zip((value, prev), reach, strict=True)))
        for key, label, value, prev, anchor in items
    ]


def _kpi_value(key: str, value: Any, reach: history.Reach) -> Any:
    """A headline figure over both sources: services add the aggregates; the others are not
    available when a period reaches into them (history.Reach)."""
    if not reach.historic:
        return value
    return reach.services if key == "services" else None


def _kpi_text(key: str, value: Any, reach: history.Reach) -> str:
    if reach.historic:
        return reach.services_text if key == "services" else history.NOT_AVAILABLE
    return RESERVED if value is None else number(value)


def announcement(
    period: Period, items: list[dict[str, Any]], leading: Figures, subject: str
) -> str:
    """A sentence in the ministry's style, from the same figures."""
    values = {item["key"]: item for item in items}
    if values["services"]["historic"]:
        return (
            f"{period.text} {subject} brindó {values['services']['value_text']} servicios, "
            "contando los agregados históricos del ITP; las unidades productivas atendidas en "
            "esos meses no están disponibles (los cuadros solo cuentan servicios)."
        )
    if values["services"]["value"] is None or values["units"]["value"] is None:
        return (
            f"{period.text} las cifras de {subject} con estos filtros son reservadas por "
            "secreto estadístico: pocas unidades productivas, entre ellas alguna persona natural."
        )
    text = (
        f"{period.text} {subject} brindó {values['services']['value_text']} servicios a "
        f"{values['units']['value_text']} unidades productivas"
    )
    if values["services"]["change"] is not None:
        direction = "más" if values["services"]["change"] >= 0 else "menos"
        text += (
            f", {abs(values['services']['change']):.1f} % {direction} que el año anterior".replace(
                ".", ",", 1
            )
        )
    if leading.rows:
        names = [row["chain_label"] for row in leading.rows[:3]]
        text += "; destacan las cadenas de " + (
            ", ".join(names[:-1]) + " y " + names[-1] if len(names) > 1 else names[0]
        )
    return text + "."


def _bars(
    key: str, title: str, answer: Figures, dimension: str, measure: str = "services"
) -> Block:
    label = f"{title}: {MEASURE_WORDS.get(measure, measure)}"
    bars = [(r[f"{dimension}_label"], r[measure]) for r in answer.rows if not r["suppressed"]]
    return Block(
        key=key,
        title=title,
        svg=charts.bar_chart(bars, label=label),
        headers=[
            answer_title(dimension),
            "Servicios" if measure == "services" else "Unidades productivas",
        ],
        rows=[[row[f"{dimension}_label"], _shown(row, measure)] for row in answer.rows],
        flagged=suppressed_rows(answer),
        note="Se muestran los 10 primeros." if answer.truncated else "",
        perturbed=answer.perturbed,
    )


def answer_title(dimension: str) -> str:
    return title(dimension)


def monthly(period: Period) -> Block:
    """Services per month: the period against the same months a year earlier."""

    # Over ITP's historic aggregates and the records (history.months): a month before a
    # center's first report counts its aggregates; «no disponible» where they cannot answer.
    now, before = history.months(period.filters), history.months(period.previous)
    lines = [
        ("Periodo seleccionado", now.values, "line-current"),
        ("Año anterior", before.values, "line-prev"),
    ]
    return Block(
        key="mensual",
        title="Servicios por mes",
        svg=charts.line_chart(lines, label="Servicios por mes"),
        headers=["Mes", "Periodo seleccionado", "Año anterior"],
        rows=[[charts.MONTHS[i], now.cells[i], before.cells[i]] for i in range(12)],
        note=history.note(now.answer, before.answer),
        flagged=now.reserved + before.reserved,
        perturbed=now.perturbed or before.perturbed,
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


def free_share(period: Period) -> Block:
    answer = public_figures(period.filters, by=["free"], measures=["services", "amount"])
    programmes = public_figures(
        period.filters, by=["programme"], measures=["services"], order_by="services"
    )
    parts = [(row["free_label"], row["services"]) for row in answer.rows if not row["suppressed"]]
    rows = [
        [
            row["free_label"],
            _shown(row, "services"),
            RESERVED if row["suppressed"] else soles(row["amount"]),
        ]
        for row in answer.rows
    ]
    rows += [
        [f"Programa: {row['programme_label']}", _shown(row, "services"), ""]
        for row in programmes.rows
        if row["programme"]
    ]
    return Block(
        key="gratuidad",
        title="Servicios gratuitos y pagados",
        svg=charts.share_bar(parts, label="Servicios gratuitos y pagados"),
        headers=["", "Servicios", "Monto cobrado"],
        rows=rows,
        flagged=suppressed_rows(answer) + suppressed_rows(programmes),
        perturbed=answer.perturbed or programmes.perturbed,
    )


def department_map(period: Period, measure: str, base_query: QueryDict, centers: list[Center]):
    answer = public_figures(period.filters, by=["department"], measures=[measure])
    values = {
        row["department"]: row[measure]
        for row in answer.rows
        if row["department"] and not row["suppressed"]
    }

    def href(code: str) -> str:
        query = base_query.copy()
        query["departamento"] = code
        return "?" + query.urlencode()

    markers = [
        maps.Marker(lat, lon, center.name, reverse("portal:center_detail", args=[center.code]))
        for center in centers
        if (point := center.map_point)
        for lat, lon in [point]
    ]
    svg, legend = maps.choropleth(
        values,
        measure_label=MEASURE_WORDS[measure],
        href=href,
        markers=markers,
        label=f"Mapa del Perú: {MEASURE_WORDS[measure]} por departamento",
    )
    table = Block(
        key="departamentos",
        title=f"{MEASURE_WORDS[measure].capitalize()} por departamento",
        svg=svg,
        headers=["Departamento", MEASURE_WORDS[measure].capitalize()],
        rows=[[row["department_label"], _shown(row, measure)] for row in answer.rows],
        flagged=suppressed_rows(answer),
        perturbed=answer.perturbed,
    )
    return table, legend


# figures() calls of the dashboard that only sum (same arguments, so prefetch fills their
# cache entries): the selected period's, and the previous year's (headline and monthly line).
_BY_SERVICES = {"measures": ["services"], "order_by": "services"}
SUM_BREAKDOWNS_BEFORE = [
    {"by": ["center"], **_BY_SERVICES},
    {"by": ["department"], "measures": ["services"]},
    {"by": ["month"], "measures": ["services"]},
]
SUM_BREAKDOWNS = [
    *SUM_BREAKDOWNS_BEFORE,
    {"by": ["chain"], **_BY_SERVICES, "limit": 10},
    {"by": ["category"], **_BY_SERVICES},
    {"by": ["programme"], **_BY_SERVICES},
    {"by": ["free"], "measures": ["services", "amount"]},
]


# The other questions of the dashboard, for their cell keys: client types, the headline.
OTHER_ASKS = [{"by": ["client_type"]}, {"by": []}]


def dashboard(
    params: QueryDict,
    *,
    centers: list[Center],
    fixed: dict[str, Any] | None = None,
    subject: str = "la red CITE",
) -> Dashboard:
    """Everything the dashboard shows, for the filters in `params`."""
    period = period_from(params, fixed=fixed)
    measure = "units" if params.get("mapa") == "unidades" else "services"
    board = Dashboard(period=period, query=params.urlencode(), map_measure=measure)
    # The breakdowns of sums below, each period's in one scan, and the cell keys of those
    # that are crossings in another (analytics.public.prefetch).
    prefetch(period.filters, [*SUM_BREAKDOWNS, *OTHER_ASKS])
    prefetch(period.previous, [*SUM_BREAKDOWNS_BEFORE, *OTHER_ASKS[1:]])
    board.headline = headline(period)
    chains = public_figures(
        period.filters, by=["chain"], measures=["services"], order_by="services", limit=10
    )
    board.sentence = announcement(period, board.headline, chains, subject)
    top_centers = _first(_centers(period.filters), 10)
    categories = public_figures(
        period.filters, by=["category"], measures=["services"], order_by="services"
    )
    client_types = public_figures(
        period.filters, by=["client_type"], measures=["units"], order_by="units"
    )
    map_block, board.legend = department_map(period, measure, params, centers)
    board.blocks = [
        monthly(period),
        yearly(period),
        _bars("categorias", "Servicios por categoría", categories, "category"),
        _bars("cadenas", "Servicios por cadena productiva", chains, "chain"),
        _bars("centros", "Centros con más servicios", top_centers, "center"),
        _bars(
            "clientes",
            "Unidades productivas por tipo de cliente",
            client_types,
            "client_type",
            "units",
        ),
        free_share(period),
        map_block,
    ]
    _mark_historic(board.blocks, history.reach(period.filters))
    for block in board.blocks:  # crossings: each column of figures says so (table and CSV)
        if block.perturbed:
            block.headers = [
                block.headers[0],
                *(h if h == "Fuente" else f"{h} (≈ perturbado)" for h in block.headers[1:]),
            ]
    board.fresh_as_of = public_figures(period.filters, measures=HEADLINE_MEASURES).fresh_as_of
    return board


def _mark_historic(blocks: list[Block], reach: history.Reach) -> None:
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
