"""The import spreadsheet's layout: its columns, how headers are recognised, the template file.

One row per attended productive unit; rows sharing `codigo_informe` form one report.
"""

import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO

from citesmart.lib.spreadsheets import CellValue, header_key, write_csv, write_xlsx
from citesmart.network.models import CatalogueService, Center, Chain, Programme, ServiceCategory
from citesmart.records.models import ReportStatus
from citesmart.units.models import ClientType


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    help: str
    aliases: tuple[str, ...] = ()

    def header_keys(self) -> set[str]:
        return {column_key(self.name), *(column_key(alias) for alias in self.aliases)}


COLUMNS: tuple[Column, ...] = (
    Column(
        "codigo_informe",
        True,
        "Código del informe de servicio, único en el centro. Las filas con el mismo código "
        "forman un solo informe y deben tener iguales fechas, categoría, servicio, cadena, "
        "programa y estado.",
        ("código", "código del informe", "informe", "n° informe", "nro informe"),
    ),
    Column(
        "fecha_inicio",
        True,
        "Fecha de inicio: dd/mm/aaaa, aaaa-mm-dd o fecha de Excel.",
        ("fecha de inicio", "inicio"),
    ),
    Column(
        "fecha_fin",
        True,
        "Fecha de fin (cuándo se prestó el servicio); no puede ser anterior al inicio ni futura.",
        ("fecha de fin", "fecha de término", "fecha final", "fin"),
    ),
    Column(
        "categoria_servicio",
        True,
        "Categoría (subcategoría ITP) por código o nombre; puede quedar vacía si indica un "
        "servicio del catálogo.",
        ("categoría", "subcategoría", "categoría de servicio", "categoría del servicio"),
    ),
    Column(
        "servicio",
        False,
        "Servicio del catálogo (tarifario) del centro, por nombre. Opcional.",
        ("servicio del catálogo", "servicio catálogo"),
    ),
    Column(
        "cadena", False, "Cadena productiva por código o nombre. Opcional.", ("cadena productiva",)
    ),
    Column(
        "ubigeo",
        True,
        "Distrito de la unidad productiva: ubigeo INEI de 6 dígitos (2 si solo se conoce el "
        "departamento) o el nombre del distrito; si varios distritos se llaman igual, añada "
        "la provincia y el departamento: «Santa Rosa, El Collao, Puno».",
        (
            "ubigeo distrito",
            "código ubigeo",
            "ubigeo de la unidad productiva",
            "distrito",
            "distrito o ubigeo",
        ),
    ),
    Column(
        "tipo_documento",
        True,
        "RUC, DNI, CE (carné de extranjería) o «ninguno» si no tiene documento.",
        ("tipo de documento", "tipo doc"),
    ),
    Column(
        "numero_documento",
        True,
        "Número del documento (RUC de 11 dígitos con dígito verificador válido; DNI de 8). "
        "Vacío si no tiene documento.",
        (
            "número de documento",
            "n° documento",
            "nº documento",
            "nro documento",
            "num documento",
            "documento",
            "n° doc",
            "nro doc",
        ),
    ),
    Column(
        "razon_social",
        True,
        "Razón social o nombre de la unidad productiva.",
        ("razón social o nombre", "nombre o razón social", "nombre", "cliente"),
    ),
    Column(
        "tipo_cliente",
        False,
        "Tipo de cliente por código o nombre; vacío = «Otros».",
        ("tipo de cliente",),
    ),
    Column(
        "monto_soles",
        False,
        "Monto cobrado en soles (coma o punto decimal). Vacío o 0 con programa = gratuito.",
        ("monto", "monto (s/)", "monto s/", "monto cobrado", "importe"),
    ),
    Column(
        "programa",
        False,
        "Programa por código o nombre. Con programa y sin monto el servicio es gratuito.",
        ("programa",),
    ),
    Column(
        "estado",
        False,
        "registrado o validado. Vacío: registrado para informes nuevos; un informe existente "
        "conserva su estado. Solo validan el gestor del centro y el administrador nacional (con "
        "control de cuatro ojos, no lo que ellos mismos registran); si no, queda registrado.",
        ("estado del informe",),
    ),
)
HEADERS: tuple[str, ...] = tuple(column.name for column in COLUMNS)
REJECTION_COLUMN = "motivo"

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def column_key(text: str) -> str:
    """Header key ignoring case, accents, spaces, underscores and signs: "N° Documento"."""
    return _NOT_ALNUM.sub("", header_key(text))


_BY_KEY: dict[str, Column] = {key: column for column in COLUMNS for key in column.header_keys()}


def match_column(header: str) -> Column | None:
    """The template column a header written in a file stands for, if any."""
    return _BY_KEY.get(column_key(header))


def example_row(center: Center | None = None) -> list[CellValue]:
    """A filled-in row showing the expected formats."""
    district = center.district_id if center is not None and center.district_id else "180101"
    return [
        "INF-2025-0001",
        datetime.date(2025, 3, 3),
        datetime.date(2025, 3, 7),
        "Asistencia técnica",
        "",
        "",
        district,
        "RUC",
        "20131312955",
        "Empresa de ejemplo S.A.C.",
        "Empresa formal",
        "150,00",
        "",
        "registrado",
    ]


def instruction_rows(center: Center | None = None) -> list[list[CellValue]]:
    """The "Instrucciones" sheet: each column, then every valid code and name."""
    rows: list[list[CellValue]] = [
        ["columna", column.name, ("Obligatoria. " if column.required else "") + column.help]
        for column in COLUMNS
    ]
    rows += [
        ["categoria_servicio", c.code, c.name]
        for c in ServiceCategory.objects.filter(is_active=True)
    ]
    rows += [["cadena", c.code, c.name] for c in Chain.objects.all()]
    rows += [["tipo_cliente", value, str(label)] for value, label in ClientType.choices]
    rows += [["programa", p.code, p.name] for p in Programme.objects.all()]
    rows += [
        ["estado", value, str(label)]
        for value, label in ReportStatus.choices
        if value != ReportStatus.CANCELLED
    ]
    if center is not None:
        catalogue = CatalogueService.objects.filter(center__in=[center.pk, center.parent_id])
        rows += [["servicio", "", s.name] for s in catalogue.order_by("name")]
    return rows


def write_template(target: IO[bytes], *, fmt: str, center: Center | None = None) -> None:
    """Write the downloadable template: xlsx (with "Instrucciones") or csv (";", UTF-8)."""
    if fmt == "csv":
        write_csv(target, HEADERS, [_as_text(example_row(center))], delimiter=";")
        return
    write_xlsx(
        target,
        {
            "Servicios": (HEADERS, [example_row(center)]),
            "Instrucciones": (
                ["lista", "código", "nombre o descripción"],
                instruction_rows(center),
            ),
        },
    )


def _as_text(values: Sequence[CellValue]) -> list[CellValue]:
    return [v.strftime("%d/%m/%Y") if isinstance(v, datetime.date) else v for v in values]


def header_names(headers: Iterable[str]) -> list[str]:
    """The file's own headers, plus the rejection column, for the rejected-rows file."""
    return [*headers, REJECTION_COLUMN]
