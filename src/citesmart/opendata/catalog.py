"""The one description of the open data: every file, page and catalogue is generated from it.

datapackage.json (Frictionless Table Schemas), the data dictionary page, the DCAT-AP
catalogue (JSON-LD), the licence and the changelog all read RESOURCES and PACKAGE, so they
cannot disagree with each other or with the files (publish.py validates the files against
the same fields before a release goes online).
"""

from citesmart.opendata.fields import (
    AMOUNT,
    CENTER_KINDS,
    CLIENT_TYPES,
    GEO_LEVELS,
    MONTH_FIELD,
    NEW_UNITS,
    PERTURBED,
    REPORTS,
    RESERVED,
    SERVICES,
    SIZE_CLASSES,
    UBIGEO,
    UNITS,
    Resource,
    center_fields,
    coarsened,
    described,
    measure,
)
from citesmart.opendata.registry_resources import REGISTRY
from citesmart.opendata.survey_resources import SURVEYS

SCHEMA_VERSION = "2.2.0"  # of the resources' fields: bump and add to CHANGES when they change

FORMATS = {
    # extension: (title, media type)
    "csv": ("CSV (UTF-8 con BOM, para Excel)", "text/csv"),
    "xlsx": ("Excel (XLSX)", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "parquet": ("Apache Parquet", "application/vnd.apache.parquet"),
    "json": ("JSON", "application/json"),
}

LICENSE = {
    "name": "CC-BY-4.0",
    "title": "Creative Commons Atribución 4.0 Internacional",
    "path": "https://creativecommons.org/licenses/by/4.0/deed.es",
    "uri": "http://creativecommons.org/licenses/by/4.0/",
}

PACKAGE = {
    "name": "red-cite-datos-abiertos",
    "title": "Datos abiertos de la red CITE del Perú",
    "description": (
        "Servicios brindados por los Centros de Innovación Productiva y Transferencia "
        "Tecnológica (CITE) a las unidades productivas del país: microdatos seudonimizados, "
        "cuadros mensuales agregados y el registro de centros, unidades técnicas, catálogo de "
        "servicios y programas. Fuente: registros administrativos de los centros, "
        "consolidados por el Instituto Tecnológico de la Producción (ITP)."
    ),
    "publisher": "Instituto Tecnológico de la Producción (ITP) — Ministerio de la Producción",
    "publisher_url": "https://www.gob.pe/itp",
    "contact_email": "datosabiertos@itp.gob.pe",
    "keywords": ["CITE", "ITP", "innovación productiva", "transferencia tecnológica", "MYPE"],
    "theme": "http://publications.europa.eu/resource/authority/data-theme/ECON",
    "spatial": "Perú",
    "language": "http://publications.europa.eu/resource/authority/language/SPA",
    "periodicity": "http://publications.europa.eu/resource/authority/frequency/DAILY",
}

# Changes to the structure of the data (the release history is added by publish.py).
CHANGES = [
    (
        "1.0.0",
        "Primera versión: microdatos de servicios seudonimizados, cuadros mensuales por "
        "centro, categoría, tipo de cliente, departamento y cadena, y registro de la red.",
    ),
    (
        "2.0.0",
        "Secreto estadístico que resiste combinaciones: los cuadros (cruces) se publican "
        "perturbados por clave de celda, con la nueva columna «perturbado»; en los microdatos, "
        "los servicios a personas naturales solo muestran el año y los códigos seudónimos "
        "del servicio y de la unidad productiva, y se listan después de los demás servicios "
        "del año.",
    ),
    (
        "2.1.0",
        "Nuevo cuadro «costos»: costo por servicio y por unidad productiva atendida, por "
        "centro y año (presupuesto ejecutado de los cuadros del ITP entre las cifras oficiales "
        "del centro).",
    ),
    (
        "2.2.0",
        "Nuevo cuadro «encuestas»: resultados de las encuestas de satisfacción y de "
        "seguimiento (proporción ponderada con intervalo de confianza al 95 %, muestra, "
        "respuestas y tasa de respuesta) por centro, cadena, categoría, programa y año.",
    ),
]


GROUPS = {
    "microdatos": "Microdatos de servicios",
    "cuadros": "Cuadros estadísticos",
    "registro": "Registro de la red CITE",
}

RESOURCES: tuple[Resource, ...] = (
    Resource(
        "servicios",
        "Servicios brindados (microdatos seudonimizados)",
        "Un registro por servicio: una unidad productiva atendida en un informe de servicio "
        "validado. Las unidades productivas se identifican con un código seudónimo estable; "
        "las personas jurídicas (RUC 20) figuran con su RUC y razón social; de los servicios a "
        "personas naturales solo se publican el año y los códigos seudónimos del servicio y "
        "de la unidad productiva (nunca nombre ni documento), para que ninguna celda reservada "
        "de los cuadros pueda recontarse con los microdatos.",
        "microdatos",
        (
            described(
                "id_servicio",
                "string",
                "Identificador del servicio",
                "Código seudónimo del servicio, estable entre publicaciones.",
                required=True,
                unique=True,
            ),
            coarsened(
                described(
                    "id_informe",
                    "string",
                    "Identificador del informe",
                    "Código seudónimo del informe de servicio; los servicios de un mismo informe "
                    "lo comparten.",
                )
            ),
            described("anio", "integer", "Año", "Año de fin del informe.", required=True),
            coarsened(MONTH_FIELD),
            *map(coarsened, center_fields()),
            coarsened(
                described(
                    "tipo_centro",
                    "string",
                    "Tipo de centro",
                    "publico, privado o unidad_tecnica.",
                    enum=CENTER_KINDS,
                )
            ),
            coarsened(
                described(
                    "cite_codigo",
                    "string",
                    "CITE",
                    "El CITE del centro (él mismo o el CITE del que depende la unidad técnica).",
                )
            ),
            coarsened(
                described(
                    "categoria_codigo",
                    "string",
                    "Categoría de servicio",
                    "Código de la categoría de servicio.",
                )
            ),
            coarsened(described("categoria", "string", "Categoría", "Nombre de la categoría.")),
            coarsened(
                described(
                    "cadena_codigo",
                    "string",
                    "Cadena productiva",
                    "Código de la cadena; vacío si el informe no la indica.",
                )
            ),
            coarsened(described("cadena", "string", "Cadena", "Nombre de la cadena productiva.")),
            coarsened(
                described(
                    "programa_codigo",
                    "string",
                    "Programa",
                    "Programa que financia el servicio gratuito, si lo hay.",
                )
            ),
            coarsened(
                described(
                    "servicio_catalogo",
                    "string",
                    "Servicio del catálogo",
                    "Nombre del servicio del catálogo, si el informe lo indica.",
                )
            ),
            coarsened(
                described(
                    "gratuito",
                    "boolean",
                    "Gratuito",
                    "Verdadero si el servicio fue gratuito.",
                )
            ),
            coarsened(
                described(
                    "monto_soles",
                    "number",
                    "Monto cobrado (S/)",
                    "Lo cobrado por este servicio; cero si fue gratuito.",
                    minimum=0,
                )
            ),
            described(
                "id_unidad_productiva",
                "string",
                "Unidad productiva (seudónimo)",
                "Código seudónimo de la unidad productiva: el mismo en todas las publicaciones, "
                "no permite conocer su documento.",
                required=True,
                pattern=r"^UP-[0-9a-f]{16}$",
            ),
            described(
                "persona_juridica",
                "boolean",
                "Persona jurídica",
                "Verdadero si la unidad productiva es una persona jurídica (RUC 20).",
                required=True,
            ),
            described(
                "ruc",
                "string",
                "RUC",
                "RUC de la persona jurídica; vacío para personas naturales.",
                pattern=r"^20[0-9]{9}$",
            ),
            described(
                "razon_social",
                "string",
                "Razón social",
                "Razón social de la persona jurídica; vacío para personas naturales.",
            ),
            coarsened(
                described(
                    "tipo_cliente",
                    "string",
                    "Tipo de cliente",
                    "Tipo de cliente según ITP.",
                    enum=CLIENT_TYPES,
                )
            ),
            coarsened(
                described(
                    "tamano",
                    "string",
                    "Tamaño",
                    "Tamaño de la unidad productiva.",
                    enum=SIZE_CLASSES,
                )
            ),
            described(
                "nivel_ubicacion",
                "string",
                "Nivel de la ubicación",
                "Hasta dónde se publica la ubicación de la unidad productiva: distrito, "
                "provincia, departamento o sin_dato (omitida o desconocida; siempre sin_dato "
                "en los servicios a personas naturales).",
                required=True,
                enum=GEO_LEVELS,
            ),
            described(
                "departamento_codigo",
                "string",
                "Ubigeo del departamento",
                "Dos dígitos.",
                pattern=UBIGEO,
            ),
            described(
                "departamento", "string", "Departamento", "Departamento de la unidad productiva."
            ),
            described(
                "provincia_codigo",
                "string",
                "Ubigeo de la provincia",
                "Cuatro dígitos.",
                pattern=UBIGEO,
            ),
            described("provincia", "string", "Provincia", "Provincia de la unidad productiva."),
            described(
                "distrito_codigo", "string", "Ubigeo del distrito", "Seis dígitos.", pattern=UBIGEO
            ),
            described("distrito", "string", "Distrito", "Distrito de la unidad productiva."),
        ),
        primary_key=("id_servicio",),
    ),
    Resource(
        "servicios_centro_categoria_mes",
        "Servicios por centro, categoría y mes",
        "Servicios, informes, unidades productivas atendidas y monto cobrado por centro, "
        "categoría de servicio y mes (informes validados).",
        "cuadros",
        (
            MONTH_FIELD,
            *center_fields(),
            described(
                "categoria_codigo",
                "string",
                "Categoría de servicio",
                "Código de la categoría.",
                required=True,
            ),
            described("categoria", "string", "Categoría", "Nombre de la categoría.", required=True),
            SERVICES,
            REPORTS,
            UNITS,
            AMOUNT,
            RESERVED,
            PERTURBED,
        ),
        primary_key=("mes", "centro_codigo", "categoria_codigo"),
    ),
    Resource(
        "unidades_centro_tipo_cliente_mes",
        "Unidades productivas por centro, tipo de cliente y mes",
        "Unidades productivas atendidas y nuevas, y servicios, por centro, tipo de cliente y "
        "mes (informes validados).",
        "cuadros",
        (
            MONTH_FIELD,
            *center_fields(),
            described(
                "tipo_cliente",
                "string",
                "Tipo de cliente",
                "Código del tipo de cliente; vacío si no se registró.",
                enum=CLIENT_TYPES,
            ),
            described(
                "tipo_cliente_nombre", "string", "Tipo de cliente (nombre)", "Nombre del tipo."
            ),
            UNITS,
            NEW_UNITS,
            SERVICES,
            RESERVED,
            PERTURBED,
        ),
    ),
    Resource(
        "servicios_departamento_cadena_anio",
        "Servicios por departamento, cadena productiva y año",
        "Servicios, unidades productivas atendidas y nuevas, y monto cobrado por departamento "
        "de la unidad productiva, cadena productiva y año (informes validados).",
        "cuadros",
        (
            described("anio", "integer", "Año", "Año de fin del informe.", required=True),
            described(
                "departamento_codigo",
                "string",
                "Ubigeo del departamento",
                "Dos dígitos; vacío si la ubicación no se registró.",
                pattern=UBIGEO,
            ),
            described(
                "departamento", "string", "Departamento", "Nombre del departamento.", required=True
            ),
            described("cadena_codigo", "string", "Cadena productiva", "Código; vacío: sin cadena."),
            described("cadena", "string", "Cadena", "Nombre de la cadena.", required=True),
            SERVICES,
            UNITS,
            NEW_UNITS,
            AMOUNT,
            RESERVED,
            PERTURBED,
        ),
    ),
    Resource(
        "costos",
        "Costo por servicio y por unidad productiva atendida, por centro y año",
        "Costo por servicio = presupuesto ejecutado / servicios; costo por unidad productiva "
        "atendida = presupuesto ejecutado / unidades productivas atendidas. El presupuesto "
        "ejecutado es la suma de la ejecución mensual del centro en el año, de todas las fuentes "
        "de financiamiento (cuadros institucionales del ITP); los servicios y unidades, las "
        "cifras oficiales del centro en el año (informes validados, sin sus unidades técnicas). "
        "Si esas cifras están reservadas por secreto estadístico, el costo no se publica; sin "
        "presupuesto, sin ejecución o sin servicios, el costo queda vacío y «nota» dice por qué.",
        "cuadros",
        (
            described(
                "anio", "integer", "Año", "Año del presupuesto y de los servicios.", required=True
            ),
            *center_fields(),
            described(
                "pim_soles",
                "number",
                "PIM (S/)",
                "Presupuesto institucional modificado.",
                minimum=0,
            ),
            described(
                "ejecutado_soles",
                "number",
                "Presupuesto ejecutado (S/)",
                "Ejecución del año, todas las fuentes; vacío si no se registró.",
                minimum=0,
            ),
            measure("servicios", "Servicios brindados", "Servicios del centro en el año."),
            measure(
                "unidades_productivas",
                "Unidades productivas atendidas",
                "Unidades productivas distintas que el centro atendió en el año.",
            ),
            described(
                "costo_por_servicio_soles",
                "number",
                "Costo por servicio (S/)",
                "ejecutado_soles / servicios, redondeado al céntimo; vacío si no se calcula.",
                minimum=0,
            ),
            described(
                "costo_por_unidad_soles",
                "number",
                "Costo por unidad productiva atendida (S/)",
                "ejecutado_soles / unidades_productivas, redondeado al céntimo; vacío si no se "
                "calcula.",
                minimum=0,
            ),
            RESERVED,
            described(
                "nota", "string", "Nota", "Por qué falta un costo; vacía si ambos se calculan."
            ),
        ),
        primary_key=("anio", "centro_codigo"),
    ),
    SURVEYS,
    *REGISTRY,
)

BY_NAME = {resource.name: resource for resource in RESOURCES}
