"""The open data's registry files (centers, technical units, catalogue, programmes): read
from the system of record, they hold no personal data. Part of catalog.RESOURCES."""

from citesmart.opendata.fields import CENTER_KINDS, UBIGEO, Resource, center_fields, described

# Where a center or technical unit has its seat: the same columns in both registry files.
SEAT = (
    described(
        "departamento_codigo", "string", "Ubigeo del departamento de la sede", "", pattern=UBIGEO
    ),
    described("departamento", "string", "Departamento de la sede", ""),
    described("distrito_codigo", "string", "Ubigeo del distrito de la sede", "", pattern=UBIGEO),
    described("distrito", "string", "Distrito de la sede", ""),
    described("latitud", "number", "Latitud", "Coordenada de la sede (WGS 84)."),
    described("longitud", "number", "Longitud", "Coordenada de la sede (WGS 84)."),
)


REGISTRY: tuple[Resource, ...] = (
    Resource(
        "centros",
        "Centros de la red CITE",
        "CITE públicos y privados con su sede, cadenas productivas y periodo de actividad.",
        "registro",
        (
            described(
                "codigo",
                "string",
                "Código",
                "Código estable del centro.",
                required=True,
                unique=True,
            ),
            described("nombre", "string", "Nombre", "Nombre vigente.", required=True),
            described(
                "tipo", "string", "Tipo", "publico o privado.", required=True, enum=CENTER_KINDS
            ),
            described(
                "entidad_operadora",
                "string",
                "Entidad operadora",
                "Entidad que opera el CITE privado.",
            ),
            *SEAT,
            described("cadenas", "string", "Cadenas productivas", "Códigos separados por «;»."),
            described("anio_creacion", "integer", "Año de creación", ""),
            described("activo_desde", "date", "Activo desde", ""),
            described("activo_hasta", "date", "Activo hasta", "Vacío si sigue activo."),
            described("sitio_web", "string", "Sitio web", ""),
        ),
        primary_key=("codigo",),
    ),
    Resource(
        "unidades_tecnicas",
        "Unidades técnicas",
        "Unidades técnicas que dependen de un CITE, con su sede.",
        "registro",
        (
            described(
                "codigo",
                "string",
                "Código",
                "Código estable de la unidad técnica.",
                required=True,
                unique=True,
            ),
            described("nombre", "string", "Nombre", "Nombre vigente.", required=True),
            described(
                "cite_codigo",
                "string",
                "CITE",
                "Código del CITE del que depende; vacío si la fuente no lo indica.",
            ),
            *SEAT,
        ),
        primary_key=("codigo",),
    ),
    Resource(
        "catalogo",
        "Catálogo de servicios",
        "Servicios que ofrecen los centros, vigentes y públicos, con su tarifa o el programa "
        "que los hace gratuitos.",
        "registro",
        (
            described(
                "id",
                "integer",
                "Identificador",
                "Identificador del servicio del catálogo.",
                required=True,
                unique=True,
            ),
            *center_fields(),
            described("nombre", "string", "Servicio", "Nombre del servicio.", required=True),
            described("descripcion", "string", "Descripción", ""),
            described("categoria_codigo", "string", "Categoría de servicio", "", required=True),
            described("unidad_venta", "string", "Unidad de venta", "p. ej. por muestra, por hora."),
            described("gratuito", "boolean", "Gratuito", "", required=True),
            described("tarifa_soles", "number", "Tarifa (S/)", "Vacía si es gratuito.", minimum=0),
            described("programa_codigo", "string", "Programa", "Programa que lo financia."),
            described("vigente_desde", "date", "Vigente desde", ""),
            described("vigente_hasta", "date", "Vigente hasta", ""),
        ),
        primary_key=("id",),
    ),
    Resource(
        "programas",
        "Programas",
        "Programas y fondos que financian servicios gratuitos de los centros.",
        "registro",
        (
            described(
                "codigo", "string", "Código", "Código del programa.", required=True, unique=True
            ),
            described("nombre", "string", "Nombre", "", required=True),
            described("financiadores", "string", "Financiadores", ""),
            described("temas", "string", "Temas", ""),
            described("descripcion", "string", "Descripción", ""),
            described("inicio", "date", "Inicio", ""),
            described("fin", "date", "Fin", ""),
        ),
        primary_key=("codigo",),
    ),
)
