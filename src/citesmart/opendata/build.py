"""The rows of each open-data resource, as catalog.RESOURCES describes them.

Figures come through the one door for public figures (analytics.public.public_figures):
the monthly and yearly tables are crossings, so they are perturbed by cell key and their
sensitive cells suppressed. Microdata rows come from the same read model, pseudonymised; a
service to a natural person shows only its year and pseudonyms (disclosure rule 3: with its
month, center or category its table cells could be recounted), and is listed after the
year's other services, not in date order. The registry is read from the system of record
(it holds no personal data).
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from citesmart.analytics import disclosure, refresh
from citesmart.analytics.public import public_figures
from citesmart.analytics.queries import Filters
from citesmart.historic import cost
from citesmart.lib.identity import DocumentType, is_personal_document
from citesmart.network.models import CatalogueService, Center, Programme
from citesmart.opendata.catalog import BY_NAME
from citesmart.opendata.pseudonyms import Pseudonymiser
from citesmart.units.models import ProductiveUnit

Rows = list[dict[str, Any]]


@dataclass
class Context:
    pseudonym: Pseudonymiser
    threshold: int


# --- microdata -----------------------------------------------------------------------------

MICRODATA_SQL = """
SELECT service_id, report_id, year, year_month, center_code, center_name, center_kind,
       cite_code, category_code, category_name, chain_code, chain_name, programme_code,
       catalogue_service_name, is_free, amount, unit_id, is_natural, client_type, size_class,
       unit_district_code, unit_district_name, unit_province_code, unit_province_name,
       unit_department_code, unit_department_name
FROM facts WHERE status = 'validado'
ORDER BY year, is_natural, CASE WHEN NOT is_natural THEN date END, unit_id, report_id, service_id
"""

AREA_COUNTS_SQL = """
SELECT '{level}', {column}, count(DISTINCT unit_id) FROM facts
WHERE status = 'validado' AND {column} IS NOT NULL GROUP BY {column}
"""
AREA_COLUMNS = {
    "district": "unit_district_code",
    "province": "unit_province_code",
    "department": "unit_department_code",
}
LEVEL_NAMES = {"district": "distrito", "province": "provincia", "department": "departamento"}


BATCH = 20_000
"""Microdata rows per batch: each batch is pseudonymised, validated and written to every
format before the next one is read, so memory stays flat however many services there are."""


def services(context: Context) -> Iterator[list[tuple]]:
    """One row per validated service, as tuples in SERVICE_COLUMNS order, in batches; see
    catalog 'servicios'. Streamed (not a list of dicts) because of its size."""
    reader = refresh.ensure_fresh()
    with reader.cursor() as cursor:
        counts: dict[tuple[str, str], int] = {}
        for level, column in AREA_COLUMNS.items():
            sql = AREA_COUNTS_SQL.format(level=level, column=column)
            for found_level, code, count in cursor.execute(sql).fetchall():
                counts[(found_level, code)] = count
        legal = cursor.execute(
            "SELECT DISTINCT unit_id FROM facts WHERE status = 'validado' AND NOT is_natural"
        ).fetchall()
        entities = _legal_entities({unit for (unit,) in legal})
        result = cursor.execute(MICRODATA_SQL)
        names = [d[0] for d in result.description]
        levels: dict[int, str | None] = {}
        while batch := result.fetchmany(BATCH):
            rows = []
            for values in batch:
                record = dict(zip(names, values, strict=True))
                unit = record["unit_id"]
                if record["is_natural"]:
                    rows.append(_natural_row(record, context))
                    continue
                if unit not in levels:
                    levels[unit] = _level(record, counts, context.threshold, unit in entities)
                rows.append(_service_row(record, context, entities.get(unit), levels[unit]))
            yield rows


def _legal_entities(unit_ids: set[int]) -> dict[int, tuple[str, str]]:
    """RUC and business name of the legal entities among these units (RUC 20 only)."""
    found = {}
    ids = sorted(unit_ids)
    for start in range(0, len(ids), 5000):
        units = ProductiveUnit.objects.filter(
            pk__in=ids[start : start + 5000], document_type=DocumentType.RUC, person_dni=""
        ).values_list("pk", "document_number", "name")
        for pk, number, name in units:
            if number.startswith("20") and not is_personal_document(DocumentType.RUC, number):
                found[pk] = (number, name)
    return found


def _level(record: dict, counts: dict, threshold: int, legal_entity: bool) -> str | None:
    areas = {
        level: counts.get((level, record[column]))
        for level, column in AREA_COLUMNS.items()
        if record[column] is not None
    }
    return disclosure.geography_level(areas, natural_person=not legal_entity, limit=threshold)


SERVICE_COLUMNS = (
    "id_servicio", "id_informe", "anio", "mes", "centro_codigo", "centro_nombre",
    "tipo_centro", "cite_codigo", "categoria_codigo", "categoria", "cadena_codigo", "cadena",
    "programa_codigo", "servicio_catalogo", "gratuito", "monto_soles", "id_unidad_productiva",
    "persona_juridica", "ruc", "razon_social", "tipo_cliente", "tamano", "nivel_ubicacion",
    "departamento_codigo", "departamento", "provincia_codigo", "provincia", "distrito_codigo",
    "distrito",
)  # fmt: skip
"""The order of _service_row's values; checked against the catalog below."""


def _service_row(
    record: dict, context: Context, entity: tuple[str, str] | None, level: str | None
) -> tuple:
    shown = ("district", "province", "department")
    shown = shown[shown.index(level) :] if level else ()
    pseudonym = context.pseudonym
    department, province, district = (
        ("department" in shown),
        ("province" in shown),
        ("district" in shown),
    )
    return (
        pseudonym("service", record["service_id"]),
        pseudonym("report", record["report_id"]),
        record["year"],
        record["year_month"],
        record["center_code"],
        record["center_name"],
        record["center_kind"],
        record["cite_code"],
        record["category_code"],
        record["category_name"],
        record["chain_code"],
        record["chain_name"],
        record["programme_code"],
        record["catalogue_service_name"],
        bool(record["is_free"]),
        Decimal(0) if record["is_free"] else record["amount"],
        pseudonym("unit", record["unit_id"]),
        entity is not None,
        entity[0] if entity else None,
        entity[1] if entity else None,
        record["client_type"],
        record["size_class"],
        LEVEL_NAMES[level] if level else "sin_dato",
        record["unit_department_code"] if department else None,
        record["unit_department_name"] if department else None,
        record["unit_province_code"] if province else None,
        record["unit_province_name"] if province else None,
        record["unit_district_code"] if district else None,
        record["unit_district_name"] if district else None,
    )


def _natural_row(record: dict, context: Context) -> tuple:
    """A service to a natural person: its year and pseudonyms only (disclosure rule 3)."""
    values = dict.fromkeys(SERVICE_COLUMNS) | {
        "id_servicio": context.pseudonym("service", record["service_id"]),
        "anio": record["year"],
        "id_unidad_productiva": context.pseudonym("unit", record["unit_id"]),
        "persona_juridica": False,
        "nivel_ubicacion": "sin_dato",
    }
    return tuple(values.values())


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
    "centros": centers,
    "unidades_tecnicas": technical_units,
    "catalogo": catalogue,
    "programas": programmes,
}
assert set(BUILDERS) == set(BY_NAME), "every resource of the catalog has a builder"
STREAMED = {"servicios": SERVICE_COLUMNS}
"""Builders that yield batches of tuples (in these columns) instead of a list of dicts."""
assert all(list(c) == BY_NAME[n].columns for n, c in STREAMED.items()), "columns as catalogued"
