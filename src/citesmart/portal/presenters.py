"""Shape analytics answers into what the dashboard and center pages show.

Every number here comes through analytics.public.public_figures (the one door for public
figures: official tables exact with suppression, other crossings perturbed by cell key); this
module only chooses the questions, the previous-year comparison, and the labels.
"""

from dataclasses import dataclass, field, replace
from typing import Any

from django.http import QueryDict
from django.urls import reverse

from citesmart.analytics.answer import Figures
from citesmart.analytics.disclosure import suppressed_rows
from citesmart.analytics.filters import Filters
from citesmart.analytics.public import prefetch, public_figures
from citesmart.analytics.vocabulary import DIMENSIONS, FILTERS, title
from citesmart.network.models import Center
from citesmart.portal import history, maps, scope
from citesmart.portal.blocks import Block, historic_monthly, mark_historic, yearly
from citesmart.portal.periods import Period, period_from
from citesmart.portal.periods import available_years as available_years  # re-exported
from citesmart.presentation import charts
from citesmart.presentation.formatting import number, percent_change, soles

MEASURE_WORDS = {"services": "servicios", "units": "unidades productivas"}
RESERVED = "reservado"  # a suppressed cell (analytics.disclosure), in tables and CSV
TOP = 10  # bars of a ranking before "ver todos"


def _shown(row: dict[str, Any], measure: str) -> Any:
    return RESERVED if row.get("suppressed") else row[measure]


@dataclass
class Dashboard:
    period: Period
    query: str
    headline: list[dict[str, Any]] = field(default_factory=list)
    sentence: str = ""
    blocks: list[Block] = field(default_factory=list)
    map_measure: str = "services"
    fresh_as_of: Any = None
    scope: list[str] = field(default_factory=list)  # "2025", "Cusco", "Cadena: ..."
    notices: list[str] = field(default_factory=list)  # contradictory filters, said plainly
    slug: str = ""  # the filters in a file name


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


def _counts(filters: Filters | None) -> dict[str, Any]:
    """The headline's five figures of one period (None: no period to compare with)."""
    if filters is None:
        return dict.fromkeys((*HEADLINE_MEASURES, "centers", "departments"))
    # Through the disclosure rule like every table: a narrow enough filter (a small center,
    # chain and department) can single out a natural person in the totals too.
    totals = public_figures(filters, measures=HEADLINE_MEASURES).totals
    departments = public_figures(filters, by=["department"], measures=["services"]).rows
    return {
        **{m: totals[m] for m in HEADLINE_MEASURES},
        "perturbed": totals.get("perturbed"),
        "centers": len(_centers(filters).rows),
        "departments": sum(1 for r in departments if r["department"]),
    }


HEADLINE_ITEMS = [
    ("services", "Servicios brindados", "servicios"),
    ("units", "Unidades productivas atendidas", "unidades"),
    ("new_units", "Unidades productivas nuevas", "nuevas"),
    ("centers", "Centros activos", "centros-activos"),
    ("departments", "Departamentos alcanzados", "departamentos"),
]


def headline(period: Period) -> list[dict[str, Any]]:
    """The five figures of the selection, each against the comparable period a year earlier
    (the same months when the year is under way: analytics of ``period.compared_now``)."""
    now = _counts(period.filters)
    same = period.compared_now in (None, period.filters)
    compared = now if same else _counts(period.compared_now)
    before = _counts(period.previous)
    # Over ITP's historic aggregates too (history.reach): services add them, the other
    # figures of a period that reaches into them are «no disponible».
    reach = history.reach(period.filters)
    reach_compared = reach if same else history.reach(period.compared_now)
    reach_before = None if period.previous is None else history.reach(period.previous)
    return [
        {
            "key": key,
            "label": label,
            "value": _kpi_value(key, now[key], reach),
            "value_text": _kpi_text(key, now[key], reach),
            "anchor": anchor,
            "compared": period.previous is not None,
            "previous_text": _kpi_text(key, before[key], reach_before),
            "perturbed": key in HEADLINE_MEASURES and bool(now.get("perturbed")),
            "historic": reach.historic,
        }
        | _delta(
            _kpi_value(key, compared[key], reach_compared),
            _kpi_value(key, before[key], reach_before),
        )
        for key, label, anchor in HEADLINE_ITEMS
    ]


def _kpi_value(key: str, value: Any, reach: history.Reach | None) -> Any:
    """A headline figure over both sources: services add the aggregates; the others are not
    available when a period reaches into them (history.Reach; None: no such period)."""
    if reach is None or not reach.historic:
        return value
    return reach.services if key == "services" else None


def _kpi_text(key: str, value: Any, reach: history.Reach | None) -> str:
    if reach is not None and reach.historic:
        return reach.services_text if key == "services" else history.NOT_AVAILABLE
    return RESERVED if value is None else number(value)


def announcement(
    period: Period, items: list[dict[str, Any]], leading: Figures, selection: scope.Scope, who: str
) -> str:
    """A sentence in the ministry's style, from the same figures, saying what is selected."""
    values = {item["key"]: item for item in items}
    subject, plural = scope.subject(selection, who)
    if values["services"]["historic"]:
        return (
            f"{period.text} {subject} {'brindaron' if plural else 'brindó'} "
            f"{values['services']['value_text']} servicios, contando los agregados históricos "
            "del ITP; las unidades productivas atendidas en esos meses no están disponibles "
            "(los cuadros solo cuentan servicios)."
        )
    if values["services"]["value"] is None or values["units"]["value"] is None:
        return (
            f"{period.text} las cifras de {subject}{scope.complements(selection)} son "
            "reservadas por secreto estadístico: pocas unidades productivas, entre ellas "
            "alguna persona natural."
        )
    text = (
        f"{period.text} {subject} {'brindaron' if plural else 'brindó'} "
        f"{values['services']['value_text']} servicios a "
        f"{values['units']['value_text']} unidades productivas{scope.complements(selection)}"
    )
    change = values["services"]["change"]
    if change is not None:
        direction = "más" if change >= 0 else "menos"
        text += f", {abs(change):.1f} % {direction}".replace(".", ",", 1)
        text += f" ({period.compared_text})"
    if leading.rows and not selection.chains:
        names = [row["chain_label"] for row in leading.rows[:3]]
        text += "; destacan las cadenas de " + (
            ", ".join(names[:-1]) + " y " + names[-1] if len(names) > 1 else names[0]
        )
    return text + "."


def _link(base: QueryDict, **changes: str) -> str:
    """The dashboard's URL with some filters set (drill-down); never a download or a page."""
    query = base.copy()
    for name in ("csv", "ver", "pagina"):
        query.pop(name, None)
    for name, value in changes.items():
        query[name] = value
    return "?" + query.urlencode()


def _param(dimension: str) -> str:
    """The dashboard's query-string name of a dimension's filter ("" when none)."""
    return FILTERS[DIMENSIONS[dimension].filter].portal


def _bars(
    key: str, title: str, answer: Figures, dimension: str, measure: str = "services", **links
) -> Block:
    label = f"{title}: {MEASURE_WORDS.get(measure, measure)}"
    bars = [(r[f"{dimension}_label"], None if r["suppressed"] else r[measure]) for r in answer.rows]
    href = links.get("href")
    # "Sin cadena", "Sin programa"... select nothing: no link.
    hrefs = [href(r[dimension]) if r[dimension] else "" for r in answer.rows] if href else None
    return Block(
        key=key,
        title=title,
        svg=charts.bar_chart(bars, label=label, hrefs=hrefs),
        headers=[
            answer_title(dimension),
            "Servicios" if measure == "services" else "Unidades productivas",
        ],
        rows=[[row[f"{dimension}_label"], _shown(row, measure)] for row in answer.rows],
        flagged=suppressed_rows(answer),
        note=f"Se muestran los {TOP} primeros." if answer.truncated else "",
        more=links.get("more", "") if answer.truncated else "",
        perturbed=answer.perturbed,
    )


def answer_title(dimension: str) -> str:
    return title(dimension)


def _drill(params: QueryDict, dimension: str):
    name = _param(dimension)
    return (lambda code: _link(params, **{name: code})) if name else None


def _ranking(answer: Figures, params: QueryDict, key: str) -> tuple[Figures, str]:
    """The first 10 rows unless "ver todos" asked for this ranking; and that link."""
    if params.get("ver") == key:
        return answer, ""
    return _first(answer, TOP), _link(params, ver=key) + f"#{key}"


def _month_series(
    filters: Filters, keys: list[str], index: int, hidden: set, perturbed: list
) -> list[int | None]:
    """A value per month of `keys` ("2025-03"...); None for a reserved month (its (series,
    point) noted in `hidden`)."""
    position = {key: i for i, key in enumerate(keys)}
    values: list[int | None] = [0] * len(keys)
    answer = public_figures(filters, by=["month"], measures=["services"])
    perturbed.append(answer.perturbed)
    for row in answer.rows:
        i = position.get(row["month"][:7])
        if i is None:
            continue
        if row["suppressed"]:
            hidden.add((index, i))
            values[i] = None
        elif values[i] is not None:
            values[i] += row["services"]
    return values


def monthly(period: Period) -> Block:
    """Services per month: the period against the same months a year earlier. A reserved
    month is a gap with a mark, and months after the network's last data are gaps too; a
    period that reaches into ITP's historic aggregates counts them (historic_monthly)."""
    if history.reach(period.filters).historic:
        return historic_monthly(period)
    hidden: set[tuple[int, int]] = set()
    perturbed: list[bool] = []
    months = period.months()
    keys = [f"{y:04d}-{m:02d}" for y, m in months]
    one_year = len({y for y, _ in months}) == 1 and len(months) == 12
    by_year = period.filters.years
    names = (str(by_year[0]), str(by_year[0] - 1)) if by_year else ("Periodo", "Un año antes")
    lines = [(names[0], _month_series(period.filters, keys, 0, hidden, perturbed), "line-current")]
    for i, key in enumerate(keys):
        if key > period.last_key:
            lines[0][1][i] = None  # not reported yet: nothing to draw, nothing to mark
    if period.previous_line is not None:
        earlier = [f"{y - 1:04d}-{m:02d}" for y, m in months]
        values = _month_series(period.previous_line, earlier, 1, hidden, perturbed)
        lines.append((names[1], values, "line-prev"))
    legend = [(css, name) for name, _, css in lines]
    if hidden:
        legend.append(("gap-mark", "Mes reservado por secreto estadístico (sin línea)"))
    short = [charts.MONTHS[m - 1] + ("" if one_year else f" {y % 100:02d}") for y, m in months]

    def cell(index: int, i: int) -> Any:
        value = lines[index][1][i]
        return RESERVED if (index, i) in hidden else ("" if value is None else value)

    return Block(
        key="mensual",
        title="Servicios por mes",
        svg=charts.line_chart(
            lines, label="Servicios por mes", reserved=sorted(hidden), labels=short
        ),
        headers=["Mes", *(name for name, _, _ in lines)],
        rows=[
            [charts.MONTHS[m - 1] if one_year else f"{charts.MONTHS[m - 1]} {y}"]
            + [cell(j, i) for j in range(len(lines))]
            for i, (y, m) in enumerate(months)
        ],
        flagged=len(hidden),
        perturbed=any(perturbed),
        legend=legend,
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
    legend = charts.share_legend(parts)
    if suppressed_rows(answer):
        legend.append(("gap-mark", "Parte reservada por secreto estadístico (no dibujada)"))
    return Block(
        key="gratuidad",
        title="Servicios gratuitos y pagados",
        svg=charts.share_bar(parts, label="Servicios gratuitos y pagados"),
        headers=["", "Servicios", "Monto cobrado"],
        rows=rows,
        flagged=suppressed_rows(answer) + suppressed_rows(programmes),
        perturbed=answer.perturbed or programmes.perturbed,
        legend=legend,
    )


def department_map(period: Period, measure: str, params: QueryDict, centers: list[Center]):
    """The map, and beside it the list of departments (a link each: small ones like Callao
    are hard to hit on the map)."""
    answer = public_figures(period.filters, by=["department"], measures=[measure])
    values = {
        row["department"]: row[measure]
        for row in answer.rows
        if row["department"] and not row["suppressed"]
    }

    def href(code: str) -> str:
        return _link(params, departamento=code)

    markers = [
        maps.Marker(lat, lon, center.name, reverse("portal:center_detail", args=[center.code]))
        for center in centers
        if (point := center.map_point)
        for lat, lon in [point]
    ]
    words = MEASURE_WORDS[measure]
    hidden = frozenset(r["department"] for r in answer.rows if r["department"] and r["suppressed"])
    svg, legend = maps.choropleth(
        values, measure_label=words, href=href, markers=markers,
        label=f"Mapa del Perú: {words} por departamento", reserved=hidden,
    )  # fmt: skip
    chosen = set(period.filters.departments)
    links = [
        {
            "name": row["department_label"],
            "value": _shown(row, measure),
            "href": href(row["department"]),
            "current": row["department"] in chosen,
        }
        for row in sorted(answer.rows, key=lambda r: r["department_label"])
        if row["department"]
    ]
    return Block(
        key="departamentos",
        title=f"{words.capitalize()} por departamento",
        svg=svg,
        headers=["Departamento", words.capitalize()],
        rows=[[row["department_label"], _shown(row, measure)] for row in answer.rows],
        flagged=suppressed_rows(answer),
        perturbed=answer.perturbed,
        legend=[*legend, ("seat", "Sede de un centro")],
        links=links,
    )


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
    {"by": ["chain"], **_BY_SERVICES},
    {"by": ["category"], **_BY_SERVICES},
    {"by": ["programme"], **_BY_SERVICES},
    {"by": ["free"], "measures": ["services", "amount"]},
]


# The other questions of the dashboard, for their cell keys: client types, the headline.
OTHER_ASKS = [{"by": ["client_type"]}, {"by": []}]


def _prefetch(period: Period) -> None:
    # The breakdowns of sums below, each period's in one scan, and the cell keys of those
    # that are crossings in another (analytics.public.prefetch).
    prefetch(period.filters, [*SUM_BREAKDOWNS, *OTHER_ASKS])
    for other in {period.previous, period.previous_line, period.compared_now} - {None}:
        if other != period.filters:
            prefetch(other, [*SUM_BREAKDOWNS_BEFORE, *OTHER_ASKS[1:]])


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
    _prefetch(period)
    selection = scope.describe(period.filters, fixed_center=bool(fixed))
    board.scope = [period.short, *selection.parts()]
    board.slug = "-".join(p for p in (period.label, scope.slug(selection)) if p)
    board.notices = scope.contradictions(period.filters)
    board.headline = headline(period)
    chains = public_figures(
        period.filters, by=["chain"], measures=["services"], order_by="services"
    )
    board.sentence = announcement(period, board.headline, chains, selection, subject)
    centers_answer, centers_more = _ranking(_centers(period.filters), params, "centros")
    chains_answer, chains_more = _ranking(chains, params, "cadenas")
    categories = public_figures(
        period.filters, by=["category"], measures=["services"], order_by="services"
    )
    client_types = public_figures(
        period.filters, by=["client_type"], measures=["units"], order_by="units"
    )
    center_href = _drill(params, "center")
    if fixed:  # a center's page: its technical units have pages of their own
        center_href = lambda code: reverse("portal:center_detail", args=[code])  # noqa: E731
    board.blocks = [
        department_map(period, measure, params, centers),
        monthly(period),
        yearly(period),
        _bars("categorias", "Servicios por categoría", categories, "category",
              href=_drill(params, "category")),
        _bars("cadenas", "Servicios por cadena productiva", chains_answer, "chain",
              href=_drill(params, "chain"), more=chains_more),
        _bars("centros", "Centros con más servicios", centers_answer, "center",
              href=center_href, more=centers_more),
        _bars("clientes", "Unidades productivas por tipo de cliente", client_types,
              "client_type", "units", href=_drill(params, "client_type")),
        free_share(period),
    ]  # fmt: skip
    mark_historic(board.blocks, history.reach(period.filters))
    for block in board.blocks:  # crossings: each column of figures says so (table and CSV)
        if block.perturbed:
            block.headers = [
                block.headers[0],
                *(h if h == "Fuente" else f"{h} (≈ perturbado)" for h in block.headers[1:]),
            ]
    board.fresh_as_of = public_figures(period.filters, measures=HEADLINE_MEASURES).fresh_as_of
    return board
