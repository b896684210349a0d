"""The pieces the open data's description (catalog.py) is made of: a field of a Table
Schema, a resource, and the fields several resources share (center, measures, flags)."""

from dataclasses import dataclass, field, replace
from typing import Any


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


def described(name: str, type_: str, title: str, description: str, **options: Any) -> Field:
    return Field(name, type_, title, description, **options)


def center_fields(prefix: str = "centro") -> tuple[Field, ...]:
    return (
        described(
            f"{prefix}_codigo",
            "string",
            "Código del centro",
            "Código estable del CITE o unidad técnica (no cambia aunque cambie el nombre).",
            required=True,
        ),
        described(
            f"{prefix}_nombre", "string", "Centro", "Nombre vigente del centro.", required=True
        ),
    )


def coarsened(field: Field) -> Field:
    """A microdata field left empty on the services to natural persons (disclosure rule 3)."""
    return replace(
        field, required=False, description=field.description + NATURAL_EMPTY.format("Vacío")
    )


NATURAL_EMPTY = " {} en los servicios a personas naturales (secreto estadístico)."


def measure(name: str, title: str, description: str) -> Field:
    return described(
        name, "integer", title, description + " Vacío si la celda está reservada.", minimum=0
    )


RESERVED = described(
    "reservado",
    "boolean",
    "Celda reservada",
    "Verdadero cuando las cifras de la fila se ocultan por secreto estadístico (ver reglas de "
    "reserva en el diccionario de datos).",
    required=True,
)
PERTURBED = described(
    "perturbado",
    "boolean",
    "Cifra perturbada",
    "Verdadero cuando las cifras de la fila llevan el ajuste aleatorio fijo del secreto "
    "estadístico (perturbación por clave de celda: ±1 o ±2 en los conteos, ±1 % a ±5 % en "
    "los montos); ver reglas de reserva en el diccionario de datos.",
    required=True,
)
SERVICES = measure(
    "servicios",
    "Servicios brindados",
    "Unidades productivas atendidas en informes de servicio (una por unidad y informe).",
)
REPORTS = measure("informes", "Informes de servicio", "Informes de servicio validados.")
UNITS = measure(
    "unidades_productivas",
    "Unidades productivas atendidas",
    "Unidades productivas distintas (no se suman entre filas).",
)
NEW_UNITS = measure(
    "unidades_nuevas",
    "Unidades productivas nuevas",
    "Unidades cuyo primer servicio en la red cae en el periodo.",
)
AMOUNT = described(
    "monto_soles",
    "number",
    "Monto cobrado (S/)",
    "Suma de lo cobrado en soles; los servicios gratuitos cuentan cero. Vacío si la "
    "celda está reservada.",
    minimum=0,
)
MONTH_FIELD = described(
    "mes",
    "string",
    "Mes",
    "Mes de fin del informe, en formato AAAA-MM.",
    required=True,
    pattern=MONTH,
)
