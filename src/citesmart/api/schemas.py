"""Response and query schemas: they define the OpenAPI document (Spanish descriptions)."""

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema

FORMAT = Field(
    None, description="Formato de la respuesta: «json» (por defecto) o «csv» (UTF-8 con BOM)."
)


class Page(Schema):
    page: int = Field(1, ge=1, le=100_000, description="Número de página, desde 1.")
    page_size: int = Field(100, ge=1, le=500, description="Elementos por página (1 a 500).")
    format: Literal["json", "csv"] | None = FORMAT


class Envelope(Schema):
    count: int = Field(description="Total de elementos que cumplen los filtros.")
    page: int = Field(description="Página devuelta.")
    page_size: int = Field(description="Elementos por página.")
    pages: int = Field(description="Número total de páginas.")


class ErrorDetail(Schema):
    code: str = Field(description="Código estable del error, p. ej. «parametro_invalido».")
    message: str = Field(description="Explicación en español.")
    fields: dict[str, str] = Field(description="Mensaje por campo o parámetro con problemas.")


class Error(Schema):
    error: ErrorDetail


# --- registry ------------------------------------------------------------------------------


class LegalActOut(Schema):
    kind: str = Field(description="Tipo de acto: creacion, calificacion, retiro, ambito, ...")
    kind_label: str = Field(description="Tipo de acto en palabras.")
    number: str = Field(description="Número de la resolución.")
    date: dt.date = Field(description="Fecha de la resolución.")
    summary: str = Field(description="Resumen.")
    document_url: str = Field(description="Enlace al documento (puede estar vacío).")


class NameOut(Schema):
    name: str = Field(description="Denominación.")
    valid_from: dt.date | None = Field(description="Vigente desde.")
    valid_to: dt.date | None = Field(description="Vigente hasta.")


class PeriodOut(Schema):
    code: str = Field(description="Ubigeo del departamento o código de la modalidad.")
    since: dt.date | None = Field(description="Desde (vacío si no se conoce).")
    until: dt.date | None = Field(description="Hasta (vacío si sigue vigente).")
    source: str = Field(description="Fuente: resolución, enlace o nota.")


class CenterOut(Schema):
    code: str = Field(description="Código estable del centro.")
    name: str = Field(description="Nombre vigente.")
    kind: str = Field(description="publico, privado o unidad_tecnica.")
    kind_label: str = Field(description="Tipo de centro en palabras.")
    parent: str | None = Field(description="Código del CITE del que depende (unidades técnicas).")
    technical_units: list[str] = Field(description="Códigos de sus unidades técnicas.")
    operator: str = Field(description="Entidad operadora.")
    department: str | None = Field(description="Ubigeo del departamento de la sede.")
    district: str | None = Field(description="Ubigeo del distrito de la sede.")
    locality: str = Field(description="Localidad de la sede.")
    address: str = Field(description="Dirección de la sede.")
    latitude: float | None = Field(description="Latitud aproximada de la sede.")
    longitude: float | None = Field(description="Longitud aproximada de la sede.")
    territory: list[str] = Field(description="Ámbito vigente: ubigeos de los departamentos.")
    chains: list[str] = Field(description="Códigos de las cadenas productivas.")
    modalities: list[str] = Field(description="Códigos de las modalidades vigentes.")
    territory_periods: list[PeriodOut] = Field(description="Ámbito con sus fechas.")
    modality_periods: list[PeriodOut] = Field(description="Modalidades con sus fechas.")
    created_year: int | None = Field(description="Año de creación.")
    active_from: dt.date | None = Field(description="Activo desde.")
    active_to: dt.date | None = Field(description="Activo hasta (vacío si sigue activo).")
    email: str = Field(description="Correo institucional de contacto.")
    phone: str = Field(description="Teléfono institucional.")
    website: str = Field(description="Sitio web.")
    legal_acts: list[LegalActOut] = Field(description="Actos legales (resoluciones).")
    names: list[NameOut] = Field(description="Historial de denominaciones.")


class CenterPage(Envelope):
    results: list[CenterOut]


class CodeName(Schema):
    code: str = Field(description="Código estable.")
    name: str = Field(description="Nombre.")


class CategoryOut(CodeName):
    description: str = Field(description="Descripción.")
    is_active: bool = Field(description="Vigente.")


class ProgrammeOut(CodeName):
    funders: str = Field(description="Financiadores.")
    themes: str = Field(description="Temas.")
    description: str = Field(description="Descripción.")
    starts_on: dt.date | None = Field(description="Inicio.")
    ends_on: dt.date | None = Field(description="Fin.")


class ChainPage(Envelope):
    results: list[CodeName]


class CategoryPage(Envelope):
    results: list[CategoryOut]


class ProgrammePage(Envelope):
    results: list[ProgrammeOut]


class DepartmentOut(CodeName):
    capital: str = Field(description="Capital.")
    iso_3166_2: str = Field(description="Código ISO 3166-2.")
    centroid_lat: float = Field(description="Latitud del centroide.")
    centroid_lon: float = Field(description="Longitud del centroide.")


class DepartmentPage(Envelope):
    results: list[DepartmentOut]


class ProvinceOut(CodeName):
    department: str = Field(description="Ubigeo del departamento.")
    region: str = Field(description="Región (distingue Lima Metropolitana de Lima Provincias).")
    centroid_lat: float = Field(description="Latitud del centroide.")
    centroid_lon: float = Field(description="Longitud del centroide.")


class ProvincePage(Envelope):
    results: list[ProvinceOut]


class DistrictOut(CodeName):
    province: str = Field(description="Ubigeo de la provincia.")
    department: str = Field(description="Ubigeo del departamento.")


class DistrictPage(Envelope):
    results: list[DistrictOut]


class Feature(Schema):
    type: Literal["Feature"] = Field(description="Siempre «Feature».")
    id: str = Field(description="Ubigeo del departamento.")
    properties: dict[str, Any] = Field(description="code y name del departamento.")
    geometry: dict[str, Any] | None = Field(description="Geometría GeoJSON (Polygon/MultiPolygon).")


class FeatureCollection(Schema):
    type: Literal["FeatureCollection"] = Field(description="Siempre «FeatureCollection».")
    features: list[Feature]


class CatalogueOut(Schema):
    id: int = Field(description="Identificador del servicio del catálogo.")
    name: str = Field(description="Nombre del servicio.")
    description: str = Field(description="Descripción.")
    center: str = Field(description="Código del centro que lo ofrece.")
    category: str = Field(description="Código de la categoría de servicio.")
    chains: list[str] = Field(description="Códigos de las cadenas productivas.")
    unit_of_sale: str = Field(description="Unidad de venta.")
    is_free: bool = Field(description="Gratuito.")
    tariff: Decimal | None = Field(description="Tarifa en soles (vacía si gratuito o a cotizar).")
    programme: str | None = Field(description="Código del programa que lo financia.")
    valid_from: dt.date | None = Field(description="Vigente desde.")
    valid_to: dt.date | None = Field(description="Vigente hasta.")


class CataloguePage(Envelope):
    results: list[CatalogueOut]


# --- statistics ----------------------------------------------------------------------------


class PublicationRef(Schema):
    slug: str = Field(description="Nombre de la publicación, p. ej. «2025-anual».")
    title: str = Field(description="Título de la publicación.")
    published_at: dt.datetime = Field(description="Fecha y hora en que se publicó.")
    url: str = Field(description="Página pública de la publicación.")


class StatisticsOut(Schema):
    by: list[str] = Field(description="Dimensiones del desglose.")
    measures: list[str] = Field(description="Medidas pedidas.")
    fresh_as_of: dt.datetime = Field(description="Hasta cuándo reflejan los registros las cifras.")
    official_through: str | None = Field(
        description="Último mes (AAAA-MM) aprobado por el ITP para todos los centros: hasta "
        "él las cifras son oficiales; después, preliminares. Null si aún no hay ninguno."
    )
    official_note: str = Field(description="Lo mismo, en una frase en castellano.")
    threshold: int = Field(
        description="Umbral del secreto estadístico: una celda con menos unidades productivas "
        "distintas, alguna persona natural, es sensible (flagged) y se reserva (suppressed)."
    )
    truncated: bool = Field(description="Si el límite cortó filas.")
    perturbed: bool = Field(
        description="Si las cifras son de un cruce no oficial y llevan un ajuste aleatorio "
        "fijo por celda (perturbación por clave de celda; ver «rules»)."
    )
    rows: list[dict[str, Any]] = Field(
        description="Filas: por cada dimensión su código y «<dimensión>_label»; cada medida "
        "(null si la celda está reservada), «flagged», «suppressed» y «perturbed»."
    )
    totals: dict[str, Any] = Field(
        description="Medidas sobre todo lo filtrado, «flagged», «suppressed» y «perturbed»."
    )
    rules: list[str] = Field(description="Reglas del secreto estadístico aplicadas.")
    publication: PublicationRef | None = Field(
        None,
        description="Con «publicacion»: la publicación de la que salen las cifras (sus "
        "«fresh_as_of», «official_through» y «official_note» son los de esa publicación).",
    )
