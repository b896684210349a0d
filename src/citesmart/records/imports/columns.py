"""Header matching: which template column sits where in the file, and the column of each field."""

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from citesmart.lib.spreadsheets import (
    Table,
)
from citesmart.lib.text import fold
from citesmart.records.template import COLUMNS, REJECTION_COLUMN, match_column

if TYPE_CHECKING:
    from citesmart.records.imports.results import ImportResult

# Fields named in ValidationErrors of the actions -> the template column they come from.
FIELD_COLUMNS = {
    "code": "codigo_informe",
    "start_date": "fecha_inicio",
    "end_date": "fecha_fin",
    "category": "categoria_servicio",
    "catalogue_service": "servicio",
    "chain": "cadena",
    "programme": "programa",
    "status": "estado",
    "is_free": "monto_soles",
    "amount": "monto_soles",
    "units": "numero_documento",
    "document_type": "tipo_documento",
    "document_number": "numero_documento",
    "name": "razon_social",
    "client_type": "tipo_cliente",
    "district": "ubigeo",
    "department": "ubigeo",
    "delivery_district": "ubigeo",
}


REPORT_FIELD_COLUMNS = {
    "start_date": "fecha_inicio",
    "end_date": "fecha_fin",
    "category": "categoria_servicio",
    "catalogue": "servicio",
    "chain": "cadena",
    "programme": "programa",
    "status": "estado",
}


@dataclass
class Columns:
    """Where each template column is in the file (index) and how its header is written."""

    index: dict[str, int]
    written: dict[str, str]

    def label(self, name: str) -> str:
        return self.written.get(name, name)


_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def vocabulary_key(text: str) -> str:
    return _NOT_ALNUM.sub("", fold(text))


def map_headers(result: "ImportResult", columns: Columns, table: Table) -> None:
    """Fill `columns` from the header row; fatal (on `result`) if a column is doubled or missing."""
    result.headers = list(table.headers)
    for index, header in enumerate(table.headers):
        column = match_column(header)
        if column is None:
            if header and vocabulary_key(header) != vocabulary_key(REJECTION_COLUMN):
                result.warnings.append(
                    f"Se ignoró la columna «{header}»: no es una columna de la plantilla."
                )
            continue
        if column.name in columns.index:
            result.fatal = (
                f"Las columnas «{columns.written[column.name]}» y «{header}» son la misma "
                f"({column.name}); deje solo una."
            )
            return
        columns.index[column.name] = index
        columns.written[column.name] = header
    missing = [c.name for c in COLUMNS if c.required and c.name not in columns.index]
    if missing:
        result.fatal = (
            f"Faltan columnas obligatorias: {', '.join(missing)}. Use la plantilla de "
            "importación; la fila de encabezados debe ser la primera fila con datos."
        )
