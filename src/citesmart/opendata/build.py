"""The rows of each open-data resource, as catalog.RESOURCES describes them.

Figures come through the one door for public figures (analytics.public.public_figures):
the monthly and yearly tables are crossings, so they are perturbed by cell key and their
sensitive cells suppressed. Microdata rows come from analytics.microdata, already
pseudonymised and coarsened as the disclosure rules say; they are only written here. The
registry is read from the system of record (it holds no personal data).
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from citesmart.analytics import microdata
from citesmart.analytics.filters import Filters
from citesmart.analytics.public import public_figures
from citesmart.historic import cost
from citesmart.network.models import CatalogueService, Center, Programme
from citesmart.opendata.catalog import BY_NAME
from citesmart.opendata.pseudonyms import Pseudonymiser
from citesmart.opendata.survey_resources import survey_results

Rows = list[dict[str, Any]]


@dataclass
class Context:
    pseudonym: Pseudonymiser
    threshold: int


# --- microdata -----------------------------------------------------------------------------


def services(context: Context) -> Iterator[list[tuple]]:
    """One row per validated service, in batches (see catalog 'servicios'): analytics.microdata
    gives them pseudonymised and coarsened as the disclosure rules say; they are only written."""
    return microdata.rows(pseudonym=context.pseudonym, threshold=context.threshold)


# --- aggregated tables ---------------------------------------------------------------------


def _periods() -> Iterator[tuple[int, int]]:
    """(year, month) of every month with validated services."""
    for row in public_figures(by=["month"], measures=["services"]).rows:
        year, month = str(row["month"]).split("-")
        yield int(year), int(month)


def _protected(filters: Filters, by: list[str], measures: list[str]) -> list[dict[str, Any]]:
    return list(public_figures(filters, by=by, measures=measures).rows)


def by_center_category_month(context: Context) -> Rows:
    rows = []
    for year, month in _periods():
        for cell in _protected(
            Filters(years=[year], months=[month]),
            ["center", "category"],
            ["services", "reports", "units", "amount"],
        ):
            rows.append(
                {
                    "mes": f"{year}-{month:02d}",
                    "centro_codigo": cell["center"],
                    "centro_nombre": cell["center_label"],
                    "categoria_codigo": cell["category"],
                    "categoria": cell["category_label"],
                    "servicios": cell["services"],
                    "informes": cell["reports"],
                    "unidades_productivas": cell["units"],
                    "monto_soles": cell["amount"],
                    "reservado": cell["suppressed"],
                    "perturbado": cell["perturbed"],
                }
            )
    return rows


def by_center_client_type_month(context: Context) -> Rows:
    rows = []
    for year, month in _periods():
        for cell in _protected(
            Filters(years=[year], months=[month]),
            ["center", "client_type"],
            ["units", "new_units", "services"],
        ):
            rows.append(
                {
                    "mes": f"{year}-{month:02d}",
                    "centro_codigo": cell["center"],
                    "centro_nombre": cell["center_label"],
                    "tipo_cliente": cell["client_type"],
                    "tipo_cliente_nombre": cell["client_type_label"],
                    "unidades_productivas": cell["units"],
                    "unidades_nuevas": cell["new_units"],
                    "servicios": cell["services"],
                    "reservado": cell["suppressed"],
                    "perturbado": cell["perturbed"],
                }
            )
    return rows


def by_department_chain_year(context: Context) -> Rows:
    rows = []
    years = [row["year"] for row in public_figures(by=["year"], measures=["services"]).rows]
    for year in years:
        for cell in _protected(
            Filters(years=[year]),
            ["department", "chain"],
            ["services", "units", "new_units", "amount"],
        ):
            rows.append(
                {
                    "anio": year,
                    "departamento_codigo": cell["department"],
                    "departamento": cell["department_label"],
                    "cadena_codigo": cell["chain"],
                    "cadena": cell["chain_label"],
                    "servicios": cell["services"],
                    "unidades_productivas": cell["units"],
                    "unidades_nuevas": cell["new_units"],
                    "monto_soles": cell["amount"],
                    "reservado": cell["suppressed"],
                    "perturbado": cell["perturbed"],
                }
            )
    return rows


def costs(context: Context) -> Rows:
    """historic.cost per center and year of every year with a budget; see catalog 'costos'."""
    return [
        {
            "anio": c.year,
            "centro_codigo": c.center,
            "centro_nombre": c.center_name,
            "pim_soles": c.pim,
            "ejecutado_soles": c.executed,
            "servicios": c.services,
            "unidades_productivas": c.units,
            "costo_por_servicio_soles": c.per_service,
            "costo_por_unidad_soles": c.per_unit,
            "reservado": c.reserved,
            "nota": c.note or None,
        }
        for year in sorted(cost.budget_years())
        for c in cost.costs(year)
    ]


# --- registry ------------------------------------------------------------------------------


def _seat(center: Center) -> dict[str, Any]:
    return {
        "departamento_codigo": center.department_id,
        "departamento": center.department.name if center.department_id else None,
        "distrito_codigo": center.district_id,
        "distrito": center.district.name if center.district_id else None,
        "latitud": center.latitude,
        "longitud": center.longitude,
    }


def centers(context: Context) -> Rows:
    queryset = (
        Center.objects.exclude(kind=Center.Kind.TECHNICAL_UNIT)
        .select_related("department", "district")
        .prefetch_related("chains")
        .order_by("code")
    )
    return [
        {
            "codigo": c.code,
            "nombre": c.name,
            "tipo": c.kind,
            "entidad_operadora": c.operator or None,
            **_seat(c),
            "cadenas": ";".join(sorted(ch.code for ch in c.chains.all())) or None,
            "anio_creacion": c.created_year,
            "activo_desde": c.active_from,
            "activo_hasta": c.active_to,
            "sitio_web": c.website or None,
        }
        for c in queryset
    ]


def technical_units(context: Context) -> Rows:
    queryset = (
        Center.objects.filter(kind=Center.Kind.TECHNICAL_UNIT)
        .select_related("department", "district", "parent")
        .order_by("code")
    )
    return [
        {"codigo": c.code, "nombre": c.name, "cite_codigo": c.parent.code if c.parent else None}
        | _seat(c)
        for c in queryset
    ]


def catalogue(context: Context) -> Rows:
    today = timezone.localdate()
    queryset = (
        CatalogueService.objects.filter(is_public=True)
        .exclude(valid_to__lt=today)
        .select_related("center", "category", "programme")
        .order_by("center__code", "name", "pk")
    )
    return [
        {
            "id": s.pk,
            "centro_codigo": s.center.code,
            "centro_nombre": s.center.name,
            "nombre": s.name,
            "descripcion": s.description or None,
            "categoria_codigo": s.category.code,
            "unidad_venta": s.unit_of_sale or None,
            "gratuito": s.is_free,
            "tarifa_soles": None if s.is_free else s.tariff,
            "programa_codigo": s.programme.code if s.programme else None,
            "vigente_desde": s.valid_from,
            "vigente_hasta": s.valid_to,
        }
        for s in queryset
    ]


def programmes(context: Context) -> Rows:
    return [
        {
            "codigo": p.code,
            "nombre": p.name,
            "financiadores": p.funders or None,
            "temas": p.themes or None,
            "descripcion": p.description or None,
            "inicio": p.starts_on,
            "fin": p.ends_on,
        }
        for p in Programme.objects.order_by("code")
    ]


BUILDERS: dict[str, Callable[[Context], Rows | Iterator[list[tuple]]]] = {
    "servicios": services,
    "servicios_centro_categoria_mes": by_center_category_month,
    "unidades_centro_tipo_cliente_mes": by_center_client_type_month,
    "servicios_departamento_cadena_anio": by_department_chain_year,
    "costos": costs,
    "encuestas": survey_results,
    "centros": centers,
    "unidades_tecnicas": technical_units,
    "catalogo": catalogue,
    "programas": programmes,
}
assert set(BUILDERS) == set(BY_NAME), "every resource of the catalog has a builder"
STREAMED = {"servicios": microdata.COLUMNS}
"""Builders that yield batches of tuples (in these columns) instead of a list of dicts."""
assert all(list(c) == BY_NAME[n].columns for n, c in STREAMED.items()), "columns as catalogued"
