"""The one description of the open data: every file, page and catalogue is generated from it.

datapackage.json (Frictionless Table Schemas), the data dictionary page, the DCAT-AP
catalogue (JSON-LD), the licence and the changelog all read RESOURCES and PACKAGE, so they
cannot disagree with each other or with the files (publish.py validates the files against
the same fields before a release goes online).
"""

from dataclasses import dataclass, field, replace
from typing import Any

SCHEMA_VERSION = "2.1.0"  # of the resources' fields: bump and add to CHANGES when they change

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
]


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # Table Schema type: string, integer, number, boolean, date, year
    title: str
    description: str
    required: bool = False
    enum: tuple[str, ...] = ()
    pattern: str = ""
    minimum: int | None = None
    unique: bool = False

    def table_schema(self) -> dict[str, Any]:
        described: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "title": self.title,
            "description": self.description,
        }
        constraints: dict[str, Any] = {}
        if self.required:
            constraints["required"] = True
        if self.unique:
            constraints["unique"] = True
        if self.enum:
            constraints["enum"] = list(self.enum)
        if self.pattern:
            constraints["pattern"] = self.pattern
        if self.minimum is not None:
            constraints["minimum"] = self.minimum
        if constraints:
            described["constraints"] = constraints
        return described


@dataclass(frozen=True)
class Resource:
    name: str  # file stem, e.g. servicios -> servicios.csv
    title: str
    description: str
    group: str  # "microdatos" | "cuadros" | "registro"
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    def file(self, extension: str) -> str:
        return f"{self.name}.{extension}"


GROUPS = {
    "microdatos": "Microdatos de servicios",
    "cuadros": "Cuadros estadísticos",
    "registro": "Registro de la red CITE",
}

CLIENT_TYPES = (
    "empresa_formal",
    "persona_natural_negocio",
    "asociacion_cooperativa",
    "emprendedor",
    "academia",
    "otros",
)
SIZE_CLASSES = ("micro", "pequena", "mediana", "grande", "sin_dato")
CENTER_KINDS = ("publico", "privado", "unidad_tecnica")
GEO_LEVELS = ("distrito", "provincia", "departamento", "sin_dato")
UBIGEO = r"^[0-9]{2}([0-9]{2}([0-9]{2})?)?$"
MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


def _f(name: str, type_: str, title: str, description: str, **options: Any) -> Field:
    return Field(name, type_, title, description, **options)


def _center(prefix: str = "centro") -> tuple[Field, ...]:
    return (
        _f(
            f"{prefix}_codigo",
            "string",
            "Código del centro",
            "Código estable del CITE o unidad técnica (no cambia aunque cambie el nombre).",
            required=True,
        ),
        _f(f"{prefix}_nombre", "string", "Centro", "Nombre vigente del centro.", required=True),
    )


def _coarsened(field: Field) -> Field:
    """A microdata field left empty on the services to natural persons (disclosure rule 3)."""
    return replace(
        field, required=False, description=field.description + NATURAL_EMPTY.format("Vacío")
    )


NATURAL_EMPTY = " {} en los servicios a personas naturales (secreto estadístico)."


def _measure(name: str, title: str, description: str) -> Field:
    return _f(name, "integer", title, description + " Vacío si la celda está reservada.", minimum=0)


RESERVED = _f(
    "reservado",
    "boolean",
    "Celda reservada",
    "Verdadero cuando las cifras de la fila se ocultan por secreto estadístico (ver reglas de "
    "reserva en el diccionario de datos).",
    required=True,
)
PERTURBED = _f(
    "perturbado",
    "boolean",
    "Cifra perturbada",
    "Verdadero cuando las cifras de la fila llevan el ajuste aleatorio fijo del secreto "
    "estadístico (perturbación por clave de celda: ±1 o ±2 en los conteos, ±1 % a ±5 % en "
    "los montos); ver reglas de reserva en el diccionario de datos.",
    required=True,
)
SERVICES = _measure(
    "servicios",
    "Servicios brindados",
    "Unidades productivas atendidas en informes de servicio (una por unidad y informe).",
)
REPORTS = _measure("informes", "Informes de servicio", "Informes de servicio validados.")
UNITS = _measure(
    "unidades_productivas",
    "Unidades productivas atendidas",
    "Unidades productivas distintas (no se suman entre filas).",
)
NEW_UNITS = _measure(
    "unidades_nuevas",
    "Unidades productivas nuevas",
    "Unidades cuyo primer servicio en la red cae en el periodo.",
)
AMOUNT = _f(
    "monto_soles",
    "number",
    "Monto cobrado (S/)",
    "Suma de lo cobrado en soles; los servicios gratuitos cuentan cero. Vacío si la "
    "celda está reservada.",
    minimum=0,
)
MONTH_FIELD = _f(
    "mes",
    "string",
    "Mes",
    "Mes de fin del informe, en formato AAAA-MM.",
    required=True,
    pattern=MONTH,
)


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
            _f(
                "id_servicio",
                "string",
                "Identificador del servicio",
                "Código seudónimo del servicio, estable entre publicaciones.",
                required=True,
                unique=True,
            ),
            _coarsened(
                _f(
                    "id_informe",
                    "string",
                    "Identificador del informe",
                    "Código seudónimo del informe de servicio; los servicios de un mismo informe "
                    "lo comparten.",
                )
            ),
            _f("anio", "integer", "Año", "Año de fin del informe.", required=True),
            _coarsened(MONTH_FIELD),
            *map(_coarsened, _center()),
            _coarsened(
                _f(
                    "tipo_centro",
                    "string",
                    "Tipo de centro",
                    "publico, privado o unidad_tecnica.",
                    enum=CENTER_KINDS,
                )
            ),
            _coarsened(
                _f(
                    "cite_codigo",
                    "string",
                    "CITE",
                    "El CITE del centro (él mismo o el CITE del que depende la unidad técnica).",
                )
            ),
            _coarsened(
                _f(
                    "categoria_codigo",
                    "string",
                    "Categoría de servicio",
                    "Código de la categoría de servicio.",
                )
            ),
            _coarsened(_f("categoria", "string", "Categoría", "Nombre de la categoría.")),
            _coarsened(
                _f(
                    "cadena_codigo",
                    "string",
                    "Cadena productiva",
                    "Código de la cadena; vacío si el informe no la indica.",
                )
            ),
            _coarsened(_f("cadena", "string", "Cadena", "Nombre de la cadena productiva.")),
            _coarsened(
                _f(
                    "programa_codigo",
                    "string",
                    "Programa",
                    "Programa que financia el servicio gratuito, si lo hay.",
                )
            ),
            _coarsened(
                _f(
                    "servicio_catalogo",
                    "string",
                    "Servicio del catálogo",
                    "Nombre del servicio del catálogo, si el informe lo indica.",
                )
            ),
            _coarsened(
                _f(
                    "gratuito",
                    "boolean",
                    "Gratuito",
                    "Verdadero si el servicio fue gratuito.",
                )
            ),
            _coarsened(
                _f(
                    "monto_soles",
                    "number",
                    "Monto cobrado (S/)",
                    "Lo cobrado por este servicio; cero si fue gratuito.",
                    minimum=0,
                )
            ),
            _f(
                "id_unidad_productiva",
                "string",
                "Unidad productiva (seudónimo)",
                "Código seudónimo de la unidad productiva: el mismo en todas las publicaciones, "
                "no permite conocer su documento.",
                required=True,
                pattern=r"^UP-[0-9a-f]{16}$",
            ),
            _f(
                "persona_juridica",
                "boolean",
                "Persona jurídica",
                "Verdadero si la unidad productiva es una persona jurídica (RUC 20).",
                required=True,
            ),
            _f(
                "ruc",
                "string",
                "RUC",
                "RUC de la persona jurídica; vacío para personas naturales.",
                pattern=r"^20[0-9]{9}$",
            ),
            _f(
                "razon_social",
                "string",
                "Razón social",
                "Razón social de la persona jurídica; vacío para personas naturales.",
            ),
            _coarsened(
                _f(
                    "tipo_cliente",
                    "string",
                    "Tipo de cliente",
                    "Tipo de cliente según ITP.",
                    enum=CLIENT_TYPES,
                )
            ),
            _coarsened(
                _f(
                    "tamano",
                    "string",
                    "Tamaño",
                    "Tamaño de la unidad productiva.",
                    enum=SIZE_CLASSES,
                )
            ),
            _f(
                "nivel_ubicacion",
                "string",
                "Nivel de la ubicación",
                "Hasta dónde se publica la ubicación de la unidad productiva: distrito, "
                "provincia, departamento o sin_dato (omitida o desconocida; siempre sin_dato "
                "en los servicios a personas naturales).",
                required=True,
                enum=GEO_LEVELS,
            ),
            _f(
                "departamento_codigo",
                "string",
                "Ubigeo del departamento",
                "Dos dígitos.",
                pattern=UBIGEO,
            ),
            _f("departamento", "string", "Departamento", "Departamento de la unidad productiva."),
            _f(
                "provincia_codigo",
                "string",
                "Ubigeo de la provincia",
                "Cuatro dígitos.",
                pattern=UBIGEO,
            ),
            _f("provincia", "string", "Provincia", "Provincia de la unidad productiva."),
            _f("distrito_codigo", "string", "Ubigeo del distrito", "Seis dígitos.", pattern=UBIGEO),
            _f("distrito", "string", "Distrito", "Distrito de la unidad productiva."),
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
            *_center(),
            _f(
                "categoria_codigo",
                "string",
                "Categoría de servicio",
                "Código de la categoría.",
                required=True,
            ),
            _f("categoria", "string", "Categoría", "Nombre de la categoría.", required=True),
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
            *_center(),
            _f(
                "tipo_cliente",
                "string",
                "Tipo de cliente",
                "Código del tipo de cliente; vacío si no se registró.",
                enum=CLIENT_TYPES,
            ),
            _f("tipo_cliente_nombre", "string", "Tipo de cliente (nombre)", "Nombre del tipo."),
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
            _f("anio", "integer", "Año", "Año de fin del informe.", required=True),
            _f(
                "departamento_codigo",
                "string",
                "Ubigeo del departamento",
                "Dos dígitos; vacío si la ubicación no se registró.",
                pattern=UBIGEO,
            ),
            _f("departamento", "string", "Departamento", "Nombre del departamento.", required=True),
            _f("cadena_codigo", "string", "Cadena productiva", "Código; vacío: sin cadena."),
            _f("cadena", "string", "Cadena", "Nombre de la cadena.", required=True),
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
            _f("anio", "integer", "Año", "Año del presupuesto y de los servicios.", required=True),
            *_center(),
            _f(
                "pim_soles",
                "number",
                "PIM (S/)",
                "Presupuesto institucional modificado.",
                minimum=0,
            ),
            _f(
                "ejecutado_soles",
                "number",
                "Presupuesto ejecutado (S/)",
                "Ejecución del año, todas las fuentes; vacío si no se registró.",
                minimum=0,
            ),
            _measure("servicios", "Servicios brindados", "Servicios del centro en el año."),
            _measure(
                "unidades_productivas",
                "Unidades productivas atendidas",
                "Unidades productivas distintas que el centro atendió en el año.",
            ),
            _f(
                "costo_por_servicio_soles",
                "number",
                "Costo por servicio (S/)",
                "ejecutado_soles / servicios, redondeado al céntimo; vacío si no se calcula.",
                minimum=0,
            ),
            _f(
                "costo_por_unidad_soles",
                "number",
                "Costo por unidad productiva atendida (S/)",
                "ejecutado_soles / unidades_productivas, redondeado al céntimo; vacío si no se "
                "calcula.",
                minimum=0,
            ),
            RESERVED,
            _f("nota", "string", "Nota", "Por qué falta un costo; vacía si ambos se calculan."),
        ),
        primary_key=("anio", "centro_codigo"),
    ),
    Resource(
        "centros",
        "Centros de la red CITE",
        "CITE públicos y privados con su sede, cadenas productivas y periodo de actividad.",
        "registro",
        (
            _f(
                "codigo",
                "string",
                "Código",
                "Código estable del centro.",
                required=True,
                unique=True,
            ),
            _f("nombre", "string", "Nombre", "Nombre vigente.", required=True),
            _f("tipo", "string", "Tipo", "publico o privado.", required=True, enum=CENTER_KINDS),
            _f(
                "entidad_operadora",
                "string",
                "Entidad operadora",
                "Entidad que opera el CITE privado.",
            ),
            _f(
                "departamento_codigo",
                "string",
                "Ubigeo del departamento de la sede",
                "",
                pattern=UBIGEO,
            ),
            _f("departamento", "string", "Departamento de la sede", ""),
            _f("distrito_codigo", "string", "Ubigeo del distrito de la sede", "", pattern=UBIGEO),
            _f("distrito", "string", "Distrito de la sede", ""),
            _f("latitud", "number", "Latitud", "Coordenada de la sede (WGS 84)."),
            _f("longitud", "number", "Longitud", "Coordenada de la sede (WGS 84)."),
            _f("cadenas", "string", "Cadenas productivas", "Códigos separados por «;»."),
            _f("anio_creacion", "integer", "Año de creación", ""),
            _f("activo_desde", "date", "Activo desde", ""),
            _f("activo_hasta", "date", "Activo hasta", "Vacío si sigue activo."),
            _f("sitio_web", "string", "Sitio web", ""),
        ),
        primary_key=("codigo",),
    ),
    Resource(
        "unidades_tecnicas",
        "Unidades técnicas",
        "Unidades técnicas que dependen de un CITE, con su sede.",
        "registro",
        (
            _f(
                "codigo",
                "string",
                "Código",
                "Código estable de la unidad técnica.",
                required=True,
                unique=True,
            ),
            _f("nombre", "string", "Nombre", "Nombre vigente.", required=True),
            _f(
                "cite_codigo",
                "string",
                "CITE",
                "Código del CITE del que depende; vacío si la fuente no lo indica.",
            ),
            _f(
                "departamento_codigo",
                "string",
                "Ubigeo del departamento de la sede",
                "",
                pattern=UBIGEO,
            ),
            _f("departamento", "string", "Departamento de la sede", ""),
            _f("distrito_codigo", "string", "Ubigeo del distrito de la sede", "", pattern=UBIGEO),
            _f("distrito", "string", "Distrito de la sede", ""),
            _f("latitud", "number", "Latitud", "Coordenada de la sede (WGS 84)."),
            _f("longitud", "number", "Longitud", "Coordenada de la sede (WGS 84)."),
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
            _f(
                "id",
                "integer",
                "Identificador",
                "Identificador del servicio del catálogo.",
                required=True,
                unique=True,
            ),
            *_center(),
            _f("nombre", "string", "Servicio", "Nombre del servicio.", required=True),
            _f("descripcion", "string", "Descripción", ""),
            _f("categoria_codigo", "string", "Categoría de servicio", "", required=True),
            _f("unidad_venta", "string", "Unidad de venta", "p. ej. por muestra, por hora."),
            _f("gratuito", "boolean", "Gratuito", "", required=True),
            _f("tarifa_soles", "number", "Tarifa (S/)", "Vacía si es gratuito.", minimum=0),
            _f("programa_codigo", "string", "Programa", "Programa que lo financia."),
            _f("vigente_desde", "date", "Vigente desde", ""),
            _f("vigente_hasta", "date", "Vigente hasta", ""),
        ),
        primary_key=("id",),
    ),
    Resource(
        "programas",
        "Programas",
        "Programas y fondos que financian servicios gratuitos de los centros.",
        "registro",
        (
            _f("codigo", "string", "Código", "Código del programa.", required=True, unique=True),
            _f("nombre", "string", "Nombre", "", required=True),
            _f("financiadores", "string", "Financiadores", ""),
            _f("temas", "string", "Temas", ""),
            _f("descripcion", "string", "Descripción", ""),
            _f("inicio", "date", "Inicio", ""),
            _f("fin", "date", "Fin", ""),
        ),
        primary_key=("codigo",),
    ),
)

BY_NAME = {resource.name: resource for resource in RESOURCES}
