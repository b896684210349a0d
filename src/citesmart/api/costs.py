"""Cost per service and per productive unit served, per center and year (historic.cost)."""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router
from pydantic import StringConstraints

from citesmart.api import schemas as s
from citesmart.api.http import ApiError, respond
from citesmart.historic import cost
from citesmart.network.models import Center
from citesmart.ops.demo import is_demo

router = Router(tags=["Costos"])

Year = Annotated[int, Field(ge=1990, le=2100)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=80)]


class CostsQuery(s.Schema):
    anio: list[Year] | None = Field(
        None, description="Año(s); por defecto, todos los años con presupuesto.", max_length=50
    )
    centro: list[Code] | None = Field(
        None,
        description="Código de centro (solo ese centro, sin sus unidades técnicas). Se puede "
        "repetir; por defecto, todos los centros con presupuesto o servicios en el año.",
        max_length=50,
    )
    format: Literal["json", "csv"] | None = s.FORMAT


class CostOut(s.Schema):
    anio: int
    centro: str = Field(description="Código del centro.")
    centro_nombre: str
    pim_soles: Decimal | None = Field(description="Presupuesto institucional modificado.")
    ejecutado_soles: Decimal | None = Field(
        description="Presupuesto ejecutado en el año, todas las fuentes (null: no registrado)."
    )
    servicios: int | None = Field(description="Servicios del centro (null si reservado).")
    unidades_productivas: int | None = Field(description="Unidades atendidas (null si reservado).")
    costo_por_servicio: Decimal | None = Field(description="ejecutado_soles / servicios.")
    costo_por_unidad: Decimal | None = Field(description="ejecutado_soles / unidades_productivas.")
    reservado: bool = Field(description="Servicios reservados por secreto estadístico.")
    nota: str = Field(description="Por qué falta un costo (vacía si ambos están).")


class NetworkCostOut(s.Schema):
    anio: int
    ejecutado_soles: Decimal
    servicios: int
    centros: int = Field(description="Centros cuyo costo por servicio se muestra.")
    costo_por_servicio: Decimal | None
    nota: str


class ProjectOut(s.Schema):
    cui: str
    nombre: str
    monto_soles: Decimal | None
    inicio: dt.date | None
    fin: dt.date | None


class InvestmentOut(s.Schema):
    centro: str
    inversion_soles: Decimal = Field(description="Suma de los montos de sus proyectos.")
    proyectos: list[ProjectOut]


class CostsOut(s.Schema):
    definiciones: list[str] = Field(description="Cómo se calcula (como en /metodologia/#costo).")
    demostracion: bool = Field(description="Si las cifras son datos de demostración (ficticios).")
    filas: list[CostOut]
    red: list[NetworkCostOut] = Field(
        description="Por año, la red: la suma de los centros cuyo costo por servicio se muestra "
        "(solo sin filtro de centro)."
    )
    inversiones: list[InvestmentOut] = Field(description="Inversión de los centros listados.")


@router.get(
    "/costos/",
    response={200: CostsOut, **{400: s.Error, 429: s.Error}},
    summary="Costo por servicio y por unidad productiva atendida, por centro y año",
    description=(
        "Costo por servicio = presupuesto ejecutado / servicios; costo por unidad productiva "
        "atendida = presupuesto ejecutado / unidades productivas atendidas; por centro y año. "
        "El presupuesto ejecutado es la suma de la ejecución mensual (todas las fuentes) de los "
        "cuadros del ITP; los servicios y unidades, las cifras oficiales publicadas del centro "
        "en el año (con secreto estadístico: si están reservadas, el costo no se publica y "
        "«nota» dice por qué). Sin presupuesto, sin ejecución o sin servicios, el costo es null "
        "y «nota» lo dice. Incluye la inversión de cada centro (proyectos con CUI)."
    ),
)
def costs(request: HttpRequest, params: Query[CostsQuery]) -> HttpResponse:
    codes = list(dict.fromkeys(params.centro or ()))
    known = set(Center.objects.filter(code__in=codes).values_list("code", flat=True))
    if unknown := [code for code in codes if code not in known]:
        message = f"Centro desconocido: {', '.join(unknown)}. Vea /api/v1/centros/."
        raise ApiError(400, "consulta_invalida", "La consulta no es válida.", {"centro": message})
    years = sorted(set(params.anio or cost.budget_years()), reverse=True)
    rows = [c for year in years for c in cost.costs(year, codes)]
    network = [] if codes else [cost.network_cost(year) for year in years]
    listed = {row.center for row in rows}
    payload = CostsOut(
        definiciones=[f"{term}: {text}" for term, text in cost.DEFINITIONS],
        demostracion=is_demo(),
        filas=[_row(row) for row in rows],
        red=[_network(n) for n in network],
        inversiones=[_investment(i) for i in cost.investments() if i.center in listed],
    )
    return respond(
        request,
        payload,
        csv_rows=[r.model_dump() for r in payload.filas],
        csv_name="costos",
        fmt=params.format,
    )


def _row(row: cost.CenterCost) -> CostOut:
    return CostOut(
        anio=row.year,
        centro=row.center,
        centro_nombre=row.center_name,
        pim_soles=row.pim,
        ejecutado_soles=row.executed,
        servicios=row.services,
        unidades_productivas=row.units,
        costo_por_servicio=row.per_service,
        costo_por_unidad=row.per_unit,
        reservado=row.reserved,
        nota=row.note,
    )


def _network(network: cost.NetworkCost) -> NetworkCostOut:
    return NetworkCostOut(
        anio=network.year,
        ejecutado_soles=network.executed,
        servicios=network.services,
        centros=network.centers,
        costo_por_servicio=network.per_service,
        nota=network.note,
    )


def _investment(investment: cost.Investment) -> InvestmentOut:
    return InvestmentOut(
        centro=investment.center,
        inversion_soles=investment.total,
        proyectos=[
            ProjectOut(
                cui=p["cui"],
                nombre=p["name"],
                monto_soles=p["amount"],
                inicio=p["start"],
                fin=p["end"],
            )
            for p in investment.projects
        ],
    )
