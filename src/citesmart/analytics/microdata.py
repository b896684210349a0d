"""The open data's microdata: one row per validated service, as the disclosure rules allow.

`rows(pseudonym=..., threshold=...)` yields batches of tuples in COLUMNS order, already
pseudonymised and coarsened, so the open data only writes them (opendata.build):

* a service to a natural person shows only its year and the pseudonyms of the service and
  the unit (disclosure rule 3: with its month, center or category its table cells could be
  recounted), and is listed after the year's other services, not in date order;
* a legal entity (RUC 20) shows its RUC and business name; a unit's place is shown at the
  finest level (district, province, department) with enough units
  (`disclosure.geography_level`).

Read from the read model (the facts) and, for the legal entities' names, the units' model:
this module is the one that reaches them for the open data.
"""

# SQL here is assembled from constant identifiers only.

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from citesmart.analytics import disclosure, refresh
from citesmart.lib.identity import DocumentType, is_personal_document
from citesmart.units.models import ProductiveUnit

Pseudonym = Callable[[str, Any], str]
"""(kind: "service" | "report" | "unit", internal id) -> a stable pseudonym."""

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


def rows(*, pseudonym: Pseudonym, threshold: int) -> Iterator[list[tuple]]:
    """One row per validated service, as tuples in COLUMNS order, in batches of BATCH.
    Streamed (not a list of dicts) because of its size."""
    reader = refresh.ensure_fresh()
    with reader.cursor() as cursor:
        counts = _area_counts(cursor)
        legal = cursor.execute(
            "SELECT DISTINCT unit_id FROM facts WHERE status = 'validado' AND NOT is_natural"
        ).fetchall()
        entities = _legal_entities({unit for (unit,) in legal})
        result = cursor.execute(MICRODATA_SQL)
        names = [d[0] for d in result.description]
        levels: dict[int, str | None] = {}
        while batch := result.fetchmany(BATCH):
            shaped = []
            for values in batch:
                record = dict(zip(names, values, strict=True))
                unit = record["unit_id"]
                if record["is_natural"]:
                    shaped.append(_natural_row(record, pseudonym))
                    continue
                if unit not in levels:
                    levels[unit] = _level(record, counts, threshold, unit in entities)
                shaped.append(_service_row(record, pseudonym, entities.get(unit), levels[unit]))
            yield shaped


def _area_counts(cursor: Any) -> dict[tuple[str, str], int]:
    """(level, ubigeo) -> distinct units served there, for every district, province and
    department."""
    counts: dict[tuple[str, str], int] = {}
    for level, column in AREA_COLUMNS.items():
        sql = AREA_COUNTS_SQL.format(level=level, column=column)
        for found_level, code, count in cursor.execute(sql).fetchall():
            counts[(found_level, code)] = count
    return counts


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


COLUMNS = (
    "id_servicio", "id_informe", "anio", "mes", "centro_codigo", "centro_nombre",
    "tipo_centro", "cite_codigo", "categoria_codigo", "categoria", "cadena_codigo", "cadena",
    "programa_codigo", "servicio_catalogo", "gratuito", "monto_soles", "id_unidad_productiva",
    "persona_juridica", "ruc", "razon_social", "tipo_cliente", "tamano", "nivel_ubicacion",
    "departamento_codigo", "departamento", "provincia_codigo", "provincia", "distrito_codigo",
    "distrito",
)  # fmt: skip
"""The order of _service_row's values; checked against the catalog below."""

"""The order of the rows' values: the open data catalog's columns of "servicios"."""


def _service_row(
    record: dict, pseudonym: Pseudonym, entity: tuple[str, str] | None, level: str | None
) -> tuple:
    shown = ("district", "province", "department")
    shown = shown[shown.index(level) :] if level else ()
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


def _natural_row(record: dict, pseudonym: Pseudonym) -> tuple:
    """A service to a natural person: its year and pseudonyms only (disclosure rule 3)."""
    values = dict.fromkeys(COLUMNS) | {
        "id_servicio": pseudonym("service", record["service_id"]),
        "anio": record["year"],
        "id_unidad_productiva": pseudonym("unit", record["unit_id"]),
        "persona_juridica": False,
        "nivel_ubicacion": "sin_dato",
    }
    return tuple(values.values())
