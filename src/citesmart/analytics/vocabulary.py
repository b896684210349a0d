"""What a figure can be counted, broken down and filtered by: each declared here, once.

The scan over the facts (analytics.scan), the per-year cube (analytics.cube), the query
interface (analytics.queries), the API's filters (api.statistics), the portal's dashboard
(portal.presenters) and the open data (analytics.microdata, opendata.catalog) all read these
declarations; docs/ARCHITECTURE.md, "Adding a breakdown dimension", says what else a new one
needs, and tests/analytics/test_vocabulary_consumers.py fails when a consumer forgets one.
"""

from dataclasses import dataclass

from citesmart.lib.months import MONTH_NAMES


@dataclass(frozen=True)
class Dimension:
    """A breakdown of figures(by=[...])."""

    name: str  # as figures(by=...) and the API's `por` take it
    code: str  # fact column holding the code
    label: str  # fact column holding the name
    title: str  # Spanish column header
    missing: str = "Sin dato"  # name shown when the code is empty
    # Integer column(s) equivalent to the code, grouped by instead: hashing integers is
    # markedly cheaper than hashing strings over millions of rows.
    key: str = ""
    # Where code and name are looked up after grouping by the key, rather than carried
    # through the aggregation (any_value of strings over millions of rows is not free):
    # (dimension table, its column matching the key, its code column, its name column).
    names: tuple[str, str, str, str] | None = None
    # The fact expression (as text) the cube's cells of this dimension are keyed by; empty
    # when the cube does not keep it (the year is every cell's own key).
    cube: str = ""
    # The Filters field that selects values of this dimension ("" when none does).
    filter: str = ""
    # The dashboard block (its id on the page) that shows this breakdown ("" when none).
    portal: str = ""
    # The columns of the open data's microdata ("servicios") that carry it.
    opendata: tuple[str, ...] = ()


@dataclass(frozen=True)
class Filter:
    """A field of Filters that selects services by codes (or, for free, by a flag)."""

    field: str  # Filters field
    title: str  # Spanish name, in error messages
    column: str  # fact column compared with the codes
    table: str = ""  # dimension table holding the valid codes ("" when not coded)
    valid: str = "code"  # its column of valid codes
    id_column: str = ""  # integer fact column the codes map to (cheaper to compare)
    api: str = ""  # the API's query parameter
    portal: str = ""  # the dashboard's query-string name ("" when the portal lacks it)


DIMENSIONS: dict[str, Dimension] = {
    d.name: d
    for d in (
        Dimension(
            "year", "year", "year", "Año", filter="years", portal="f-anio", opendata=("anio",)
        ),
        Dimension(
            "month",
            "year_month",
            "year_month",
            "Mes",
            key="year, month",
            cube="year_month",
            filter="months",
            portal="mensual",
            opendata=("mes",),
        ),
        Dimension(
            "department",
            "unit_department_code",
            "unit_department_name",
            "Departamento",
            names=("dim_department", "code", "code", "name"),
            cube="unit_department_code",
            filter="departments",
            portal="departamentos",
            opendata=("departamento_codigo", "departamento"),
        ),
        # Provinces are left out of the cube: ten years of ~200 provinces would make its
        # bitmaps outweigh the facts at scale.
        Dimension(
            "province",
            "unit_province_code",
            "unit_province_name",
            "Provincia",
            names=("dim_province", "code", "code", "name"),
            filter="provinces",
            opendata=("provincia_codigo", "provincia"),
        ),
        Dimension(
            "center",
            "center_code",
            "center_name",
            "Centro",
            key="center_id",
            names=("dim_center", "id", "code", "name"),
            cube="center_code",
            filter="centers",
            portal="centros",
            opendata=("centro_codigo", "centro_nombre"),
        ),
        Dimension(
            "cite",
            "cite_code",
            "cite_name",
            "CITE (con sus unidades técnicas)",
            names=(
                "(SELECT DISTINCT cite_code, cite_name FROM dim_center)",
                *("cite_code",) * 2,
                "cite_name",
            ),
            cube="cite_code",
            filter="centers",  # a CITE's code selects its technical units too
            opendata=("cite_codigo",),
        ),
        Dimension(
            "chain",
            "chain_code",
            "chain_name",
            "Cadena productiva",
            "Sin cadena",
            "chain_id",
            ("dim_chain", "id", "code", "name"),
            cube="chain_code",
            filter="chains",
            portal="cadenas",
            opendata=("cadena_codigo", "cadena"),
        ),
        Dimension(
            "category",
            "category_code",
            "category_name",
            "Categoría de servicio",
            key="category_id",
            names=("dim_category", "id", "code", "name"),
            cube="category_code",
            filter="categories",
            portal="categorias",
            opendata=("categoria_codigo", "categoria"),
        ),
        Dimension(
            "client_type",
            "client_type",
            "client_type_name",
            "Tipo de cliente",
            names=("dim_client_type", "code", "code", "name"),
            cube="client_type",
            filter="client_types",
            portal="clientes",
            opendata=("tipo_cliente",),
        ),
        Dimension(
            "size_class",
            "size_class",
            "size_class_name",
            "Tamaño",
            names=("dim_size_class", "code", "code", "name"),
            cube="size_class",
            filter="size_classes",
            opendata=("tamano",),
        ),
        Dimension(
            "programme",
            "programme_code",
            "programme_name",
            "Programa",
            "Sin programa",
            "programme_id",
            ("dim_programme", "id", "code", "name"),
            cube="programme_code",
            filter="programmes",
            opendata=("programa_codigo",),
        ),
        Dimension(
            "free",
            "is_free",
            "is_free",
            "Gratuito o pagado",
            cube="CAST(is_free AS VARCHAR)",
            filter="free",
            portal="gratuidad",
            opendata=("gratuito",),
        ),
    )
}

# Filters that select services by codes, checked against the dimension tables.
CODED_FILTERS: dict[str, Filter] = {
    f.field: f
    for f in (
        Filter(
            "centers",
            "Centro",
            "center_code",
            "dim_center",
            id_column="center_id",
            api="centro",
            portal="centro",
        ),
        Filter(
            "center_kinds",
            "Tipo de centro",
            "center_kind",
            "dim_center_kind",
            api="tipo_centro",
            portal="tipo_centro",
        ),
        Filter(
            "chains",
            "Cadena productiva",
            "chain_code",
            "dim_chain",
            id_column="chain_id",
            api="cadena",
            portal="cadena",
        ),
        Filter(
            "departments",
            "Departamento",
            "unit_department_code",
            "dim_department",
            api="departamento",
            portal="departamento",
        ),
        Filter(
            "provinces",
            "Provincia",
            "unit_province_code",
            "dim_province",
            api="provincia",
            portal="provincia",
        ),
        Filter(
            "categories",
            "Categoría",
            "category_code",
            "dim_category",
            id_column="category_id",
            api="categoria",
            portal="categoria",
        ),
        Filter(
            "catalogue_services",
            "Servicio del catálogo",
            "catalogue_service_id",
            "dim_catalogue",
            "id",
            api="servicio_catalogo",
        ),
        Filter(
            "programmes",
            "Programa",
            "programme_code",
            "dim_programme",
            id_column="programme_id",
            api="programa",
            portal="programa",
        ),
        Filter(
            "client_types",
            "Tipo de cliente",
            "client_type",
            "dim_client_type",
            api="tipo_cliente",
            portal="tipo_cliente",
        ),
        Filter(
            "size_classes",
            "Tamaño",
            "size_class",
            "dim_size_class",
            api="tamano",
            portal="tamano",
        ),
    )
}

# Filters by period or flag: their columns are compared otherwise (see analytics.scan).
OTHER_FILTERS: dict[str, Filter] = {
    f.field: f
    for f in (
        Filter("years", "Año", "year", api="anio", portal="anio"),
        Filter("months", "Mes", "month", api="mes"),
        Filter("free", "Gratuito o pagado", "is_free", api="gratuito"),
    )
}
FILTERS: dict[str, Filter] = CODED_FILTERS | OTHER_FILTERS

MEASURES = ("services", "reports", "units", "new_units", "amount")
MEASURE_TITLES = {
    "services": "Servicios brindados",
    "reports": "Informes de servicio",
    "units": "Unidades productivas atendidas",
    "new_units": "Unidades productivas nuevas",
    "amount": "Monto cobrado (S/)",
}
MONTHS = MONTH_NAMES  # es-PE spelling, one list for the whole site (lib.months)


def title(dimension: str) -> str:
    """The Spanish header of a dimension's column."""
    return DIMENSIONS[dimension].title


def api_filters() -> dict[str, str]:
    """API parameter -> Filters field, for every filter the API takes as a list."""
    return {f.api: f.field for f in FILTERS.values() if f.api and f.field != "free"}


def portal_filters() -> dict[str, str]:
    """Dashboard query-string name -> Filters field, for the coded filters it offers."""
    return {f.portal: f.field for f in CODED_FILTERS.values() if f.portal}
