"""Cost per service and per productive unit served, per center and year; investment per center.

    cost per service = executed budget / services
    cost per unit    = executed budget / productive units served

The executed budget is the sum of ITP's monthly execution of the center's budget in the year,
every funding source (historic.BudgetExecution, table TABLA_05_N02); the PIM is shown beside
it. The denominators are the official public figures of the center in that year
(`analytics.public.public_figures(Filters(years=[year]), by=["center"])`: validated reports,
the center's own services without its technical units, exact, with statistical secrecy).
A center whose cell is reserved shows no cost either, and says why; a center without a
budget, without execution or without services says that instead of dividing by zero.

This module is the one place that computes it: the portal, the API and the open data call
`costs()`, `network_cost()`, `board_cost()` and `investments()`.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from citesmart.analytics.public import public_figures
from citesmart.analytics.queries import Filters
from citesmart.historic.models import Budget, BudgetExecution, HistoricBatch, InvestmentProject
from citesmart.network.models import Center

CENT = Decimal("0.01")

NO_BUDGET = "Sin presupuesto registrado"
NO_EXECUTION = "Sin ejecución presupuestal registrada (solo PIM)"
NO_SERVICES = "Sin servicios validados en el año"
NO_UNITS = "Sin unidades productivas atendidas en el año"
RESERVED = (
    "No se muestra: los servicios del centro en el año están reservados por secreto "
    "estadístico, y el costo permitiría calcularlos"
)

DEFINITIONS = (  # the methodology page's words, and the open data's notes
    (
        _("Costo por servicio"),
        _(
            "presupuesto ejecutado del centro en el año / servicios brindados por el centro en el"
            " año."
        ),
    ),
    (
        _("Costo por unidad productiva atendida"),
        _(
            "presupuesto ejecutado del centro en el año / unidades productivas distintas que el "
            "centro atendió en el año."
        ),
    ),
    (
        _("Presupuesto ejecutado"),
        _(
            "suma de la ejecución mensual del presupuesto del centro en el año, de todas las "
            "fuentes de financiamiento (recursos ordinarios, directamente recaudados, etc.), "
            "según el cuadro de ejecución presupuestal del ITP. El PIM (presupuesto institucional"
            " modificado) se muestra al lado, pero no entra en el cálculo."
        ),
    ),
    (
        _("Servicios y unidades"),
        _(
            "las cifras oficiales publicadas del centro en ese año: informes validados, contados "
            "como en el resto del portal; solo los del propio centro (sus unidades técnicas se "
            "cuentan aparte, con su propio presupuesto si lo tienen). Si la cifra del centro está"
            " reservada por secreto estadístico, el costo tampoco se muestra."
        ),
    ),
    (
        _("Inversión"),
        _(
            "suma de los montos de los proyectos de inversión pública del centro (CUI) "
            "registrados por el ITP; no entra en el costo por servicio, que solo considera el "
            "gasto del año."
        ),
    ),
    (
        _("Fuentes"),
        _(
            "cuadros institucionales del ITP (ejecución presupuestal mensual por fuente de "
            "financiamiento, PIM, proyectos de inversión) y los informes de servicio validados de"
            " los centros."
        ),
    ),
)


@dataclass(frozen=True)
class CenterCost:
    """One center in one year. `note` says why a cost is missing (empty when both exist)."""

    year: int
    center: str  # code
    center_name: str
    pim: Decimal | None
    executed: Decimal | None
    services: int | None
    units: int | None
    per_service: Decimal | None
    per_unit: Decimal | None
    reserved: bool
    note: str

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class NetworkCost:
    """The network's cost per service: the centers whose cost is shown, added up."""

    year: int
    executed: Decimal
    services: int
    centers: int
    per_service: Decimal | None
    note: str


def ratio(amount: Decimal, count: int) -> Decimal:
    return (amount / count).quantize(CENT, rounding=ROUND_HALF_UP)


def costs(year: int, centers: Sequence[str] = ()) -> list[CenterCost]:
    """The cost of every center with a budget or services in `year` (or of these codes)."""
    figures = public_figures(Filters(years=(year,)), by=["center"], measures=["services", "units"])
    cells = {row["center"]: row for row in figures.rows}
    budgets = _sums(Budget.objects.filter(year=year), "pim")
    spent = _sums(BudgetExecution.objects.filter(year=year), "amount")
    names = dict(Center.objects.values_list("code", "name"))
    codes = set(cells) | set(budgets) | set(spent)
    if centers:
        codes = {code for code in centers if code in names}
    return [
        _cost(year, code, names[code], budgets.get(code), spent.get(code), cells.get(code))
        for code in sorted(codes, key=lambda code: names[code])
    ]


def _sums(queryset, field: str) -> dict[str, Decimal]:
    rows = queryset.values("center__code").annotate(total=Sum(field))
    # Amounts have cents; SQLite sums decimals as floats, so the sum is rounded back to them.
    return {row["center__code"]: Decimal(row["total"]).quantize(CENT) for row in rows}


def _cost(
    year: int,
    code: str,
    name: str,
    pim: Decimal | None,
    executed: Decimal | None,
    cell: dict | None,
) -> CenterCost:
    reserved = bool(cell and cell.get("suppressed"))
    services = None if reserved else (cell["services"] if cell else 0)
    units = None if reserved else (cell["units"] if cell else 0)
    per_service = per_unit = None
    if executed is None:
        note = NO_EXECUTION if pim is not None else NO_BUDGET
    elif reserved:
        note = RESERVED
    elif not services:
        note = NO_SERVICES
    else:
        per_service = ratio(executed, services)
        per_unit = ratio(executed, units) if units else None
        note = "" if units else NO_UNITS
    return CenterCost(
        year, code, name, pim, executed, services, units, per_service, per_unit, reserved, note
    )


def network_cost(year: int) -> NetworkCost:
    """Executed budget / services over the centers whose cost per service is shown."""
    shown = [c for c in costs(year) if c.per_service is not None]
    executed = sum((c.executed or Decimal(0) for c in shown), Decimal(0))
    services = sum(c.services or 0 for c in shown)
    if not shown:
        return NetworkCost(year, executed, 0, 0, None, f"{NO_BUDGET} con servicios en {year}")
    return NetworkCost(year, executed, services, len(shown), ratio(executed, services), "")


@dataclass(frozen=True)
class BoardCost:
    """The dashboard's figure: a value and what it covers, or "no disponible" and why."""

    value: Decimal | None
    label: str
    note: str


UNAVAILABLE = "No disponible"
ONLY_YEAR = (
    "el costo por servicio se calcula solo por año y centro: quite los demás filtros "
    "(fechas, meses, cadena, departamento, categoría, etc.)"
)


def board_cost(filters: Filters) -> BoardCost:
    """The cost per service the dashboard shows for its filters, when they allow one."""
    chosen = set(filters.chosen()) - {"with_technical_units"}
    if chosen - {"years", "centers"} or len(filters.years) != 1 or len(filters.centers) > 1:
        return BoardCost(None, UNAVAILABLE, ONLY_YEAR)
    (year,) = filters.years
    if filters.centers:
        found = costs(year, filters.centers)
        if not found:
            return BoardCost(None, UNAVAILABLE, NO_BUDGET)
        cost = found[0]
        label = f"Costo por servicio del centro en {year}"
        return BoardCost(cost.per_service, label, cost.note)
    network = network_cost(year)
    label = f"Costo por servicio en {year} ({network.centers} centros con presupuesto)"
    return BoardCost(network.per_service, label, network.note)


@dataclass(frozen=True)
class Investment:
    center: str
    total: Decimal
    projects: list[dict]


def investments(center: Center | None = None) -> list[Investment]:
    """Each center's investment projects (CUI, name, amount, dates) and their sum."""
    projects = InvestmentProject.objects.select_related("center").order_by(
        "center__name", "start", "cui"
    )
    if center is not None:
        projects = projects.filter(center=center)
    grouped: dict[str, list[InvestmentProject]] = defaultdict(list)
    for project in projects:
        grouped[project.center.code].append(project)
    return [
        Investment(
            code,
            sum((p.amount or Decimal(0) for p in found), Decimal(0)),
            [_project(p) for p in found],
        )
        for code, found in grouped.items()
    ]


def _project(project: InvestmentProject) -> dict:
    return {
        "cui": project.cui,
        "name": project.name,
        "amount": project.amount,
        "start": project.start,
        "end": project.end,
    }


def budget_years(center: Center | None = None) -> list[int]:
    """Years with a budget or its execution (of one center, or any), newest first."""
    years: set[int] = set()
    for model in (Budget, BudgetExecution):
        queryset = model.objects.all() if center is None else model.objects.filter(center=center)
        years |= set(queryset.values_list("year", flat=True).distinct())
    return sorted(years, reverse=True)


def version() -> str:
    """Changes whenever a load or a revert changes ITP's tables: pages that show costs are
    cached under it (the read model's version does not move with these tables). Every public
    page asks, so it is one plain query (the ORM's aggregate took three times as long)."""
    skipped = [HistoricBatch.Status.DRY_RUN, HistoricBatch.Status.REJECTED]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), max(id), max(reverted_at) FROM {HistoricBatch._meta.db_table}"  # noqa: S608 - a model's table name
            " WHERE status NOT IN (%s, %s)",
            skipped,
        )
        count, last, reverted = cursor.fetchone()
    return f"{count}:{last}:{reverted or ''}"
