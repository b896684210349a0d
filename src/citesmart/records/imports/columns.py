"""Header matching: where each template column sits in the file (filled by drafts.map_headers)."""

import re
from dataclasses import dataclass

from citesmart.lib.text import fold

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
