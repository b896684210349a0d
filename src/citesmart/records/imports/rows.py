"""Reading one row: every cell parsed and checked against vocabularies loaded once per import."""

import datetime
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from citesmart.geo.models import Department, District
from citesmart.lib.identity import (
    DocumentType,
    InvalidDocument,
    clean_document,
    is_natural_person_ruc,
    parse_document_type,
)
from citesmart.lib.spreadsheets import (
    CellValue,
)
from citesmart.lib.values import clean_text, is_blank, parse_amount, parse_date, parse_ubigeo
from citesmart.network import registry
from citesmart.network.models import CatalogueService, Center, Chain, Programme, ServiceCategory
from citesmart.records.imports.columns import REPORT_FIELD_COLUMNS, Columns, vocabulary_key
from citesmart.records.imports.places import DistrictNames
from citesmart.records.imports.results import RowError
from citesmart.records.models import ReportStatus
from citesmart.units.models import ClientType

_MAX_NAME = 250


_MAX_CODE = 60
_LONG_DAYS = 366  # a service longer than a year is more often a mistyped year


@dataclass
class Row:
    number: int
    raw: list[CellValue]
    code: str = ""
    report: dict[str, Any] = field(default_factory=dict)
    document_type: str = DocumentType.NONE
    document_number: str = ""
    name: str = ""
    client_type: str = ClientType.OTHER
    district: District | None = None
    department: Department | None = None
    amount: Decimal | None = None
    identity: tuple[str, ...] = ()
    errors: list[RowError] = field(default_factory=list)
    # Odd but accepted cells ("el centro no atiende la cadena …"): listed, the row is kept.
    warnings: list[RowError] = field(default_factory=list)


def _index(objects: Iterable[Any], *attributes: str) -> dict[str, Any]:
    return {vocabulary_key(getattr(obj, a)): obj for obj in objects for a in reversed(attributes)}


class Lookups:
    """Every vocabulary a row is checked against, loaded once per import."""

    def __init__(self, center: Center) -> None:
        self.center = center
        self.categories = _index(ServiceCategory.objects.all(), "code", "name")
        self.chains = _index(Chain.objects.all(), "code", "name")
        self.programmes = _index(Programme.objects.all(), "code", "name")
        catalogue = CatalogueService.objects.filter(center__in=[center.pk, center.parent_id])
        # The center's own service wins over its parent CITE's of the same name.
        ordered = sorted(
            catalogue.select_related("category", "programme"),
            key=lambda s: s.center_id == center.pk,
        )
        self.catalogue = {vocabulary_key(s.name): s for s in ordered}
        # The chains the center (or, for a technical unit, its CITE) says it serves; none
        # registered: nothing to compare with.
        served = Chain.objects.filter(centers__in=[center.pk, center.parent_id])
        self.served_chains = set(served.values_list("pk", flat=True))
        self.districts, self.departments = _geography()
        self.district_names = DistrictNames()
        self.statuses = _choices(ReportStatus.choices)
        self._memo: dict[tuple[str, Any], tuple[Any, Any]] = {}
        self.client_types = _choices(ClientType.choices) | {
            "asociacion": ClientType.ASSOCIATION,
            "cooperativa": ClientType.ASSOCIATION,
            "empresa": ClientType.FORMAL_ENTERPRISE,
            "personanatural": ClientType.NATURAL_PERSON_BUSINESS,
            "otro": ClientType.OTHER,
        }

    def memo(self, kind: str, value: Any, parse: Callable[[Any, "Lookups"], Any]) -> tuple:
        """(parsed, error) of a cell, memoised: dates, categories, places, documents and
        amounts repeat on every row of a report and across reports."""
        # 1, 1.0 and True are equal dictionary keys, but not the same cell: the type counts.
        if value.__class__ is tuple:  # (document type, number)
            first, second = value
            key: tuple = (kind, first.__class__, first, second.__class__, second)
        else:
            key = (kind, value.__class__, value)
        found = self._memo.get(key)
        if found is None:
            try:
                found = (parse(value, self), "")
            except ValueError as error:
                found = (None, str(error))
            except _CellError as error:
                found = (None, error.detail)
            self._memo[key] = found
        return found


def _choices(choices: list[tuple[str, Any]]) -> dict[str, str]:
    return {vocabulary_key(text): value for value, label in choices for text in (str(label), value)}


def parse_row(number: int, values: list[CellValue], columns: Columns, lookups: Lookups) -> Row:
    row = Row(number, values)

    where = columns.index  # rows come padded to the headers' width

    def cell(name: str) -> CellValue:
        index = where.get(name)
        return values[index] if index is not None else None

    def fail(name: str, message: str) -> None:
        row.errors.append(RowError(number, columns.label(name), message))

    row.code = clean_text(cell("codigo_informe"))
    if not row.code:
        fail("codigo_informe", "falta el código del informe")
    elif len(row.code) > _MAX_CODE:
        fail("codigo_informe", f"el código tiene más de {_MAX_CODE} caracteres")
    memo, report = lookups.memo, row.report
    for name, column in REPORT_FIELD_COLUMNS.items():
        value, error = memo(name, cell(column), REPORT_PARSERS[name])
        if error:
            fail(column, error)
        else:
            report[name] = value
    _parse_unit(row, cell, fail, lookups)
    _note_odd_cells(row, cell, columns, lookups)
    return row


def _note_odd_cells(
    row: Row, cell: Callable[[str], CellValue], columns: Columns, lookups: Lookups
) -> None:
    """Warnings for cells that are valid but unusual: the row is kept, the batch says so."""

    def warn(name: str, message: str) -> None:
        row.warnings.append(RowError(row.number, columns.label(name), message))

    chain = row.report.get("chain")
    if chain is not None and lookups.served_chains and chain.pk not in lookups.served_chains:
        warn("cadena", f"el centro no atiende la cadena «{chain.name}»")
    if row.department is not None and row.district is None:
        warn(
            "ubigeo",
            f"el ubigeo {row.department.code} es del departamento de {row.department.name}, "
            "no de un distrito",
        )
    start, end = row.report.get("start_date"), row.report.get("end_date")
    if start and end and (end - start).days > _LONG_DAYS:
        warn(
            "fecha_fin",
            f"el servicio dura {(end - start).days} días ({start:%d/%m/%Y} a {end:%d/%m/%Y}); "
            "revise las fechas",
        )
    catalogue = row.report.get("catalogue")
    free = row.report.get("programme") is not None or (catalogue is not None and catalogue.is_free)
    if row.amount is not None and not row.amount and not free:
        warn(
            "monto_soles",
            "monto 0 sin programa: cuenta como servicio cobrado de S/ 0; si fue gratuito, "
            "indique el programa que lo financió",
        )
    number = cell("numero_documento")
    if row.document_type == DocumentType.DNI and _padded(number, row.document_number):
        digits = len(str(int(number)))
        warn(
            "numero_documento",
            f"el DNI {int(number)} tenía {digits} dígitos; se completó con ceros a la "
            f"izquierda como {row.document_number}",
        )


def _padded(cell: CellValue, number: str) -> bool:
    """A numeric cell whose DNI got back the leading zeros a spreadsheet dropped."""
    if isinstance(cell, bool) or not isinstance(cell, (int, float)):
        return False
    return len(str(int(cell))) < len(number)


def _parse_unit(
    row: Row,
    cell: Callable[[str], CellValue],
    fail: Callable[[str, str], None],
    lookups: Lookups,
) -> None:
    row.name = clean_text(cell("razon_social"))
    if not row.name:
        fail("razon_social", "falta la razón social o el nombre")
    elif len(row.name) > _MAX_NAME:
        fail("razon_social", f"el nombre tiene más de {_MAX_NAME} caracteres")
    place, error = lookups.memo("ubigeo", cell("ubigeo"), _parse_place)
    if error:
        fail("ubigeo", error)
    else:
        row.district, row.department = place
    kind_cell, number_cell = cell("tipo_documento"), cell("numero_documento")
    document, error = lookups.memo("documento", (kind_cell, number_cell), _parse_document)
    if error:
        fail(error[0], error[1])
    elif document is not None:
        row.document_type, row.document_number = document
        row.identity = _identity(row)
    client, error = lookups.memo("tipo_cliente", cell("tipo_cliente"), _parse_client)
    if error:
        fail("tipo_cliente", error)
    row.client_type = client or ClientType.OTHER
    row.amount, error = lookups.memo("monto", cell("monto_soles"), _parse_amount)
    if error:
        fail("monto_soles", error)


def _parse_document(cells: tuple[CellValue, CellValue], lookups: "Lookups") -> tuple[str, str]:
    kind_cell, number_cell = cells
    try:
        kind = _document_type(kind_cell, number_cell)
    except InvalidDocument as error:
        raise _CellError(("tipo_documento", reason_clause(error.message))) from None
    try:
        return kind, clean_document(kind, number_cell)
    except InvalidDocument as error:
        raise _CellError(("numero_documento", reason_clause(error.message))) from None


def _parse_client(value: CellValue, lookups: "Lookups") -> str | None:
    text = clean_text(value)
    if not text:
        return None
    found = lookups.client_types.get(vocabulary_key(text))
    if found is None:
        raise ValueError(f"«{text}» no es un tipo de cliente válido")
    return found


def _parse_amount(value: CellValue, lookups: "Lookups") -> Decimal | None:
    return parse_amount(value)


class _CellError(Exception):
    """A parse error carrying something other than a message (e.g. which column)."""

    def __init__(self, detail: Any) -> None:
        super().__init__(detail)
        self.detail = detail


def _parse_place(value: CellValue, lookups: "Lookups") -> tuple[District | None, Department | None]:
    if is_blank(value):
        raise ValueError("falta el ubigeo del distrito de la unidad productiva")
    text = clean_text(value)
    written_code = re.search(r"\b\d{6}\b", text)  # "180101 - Moquegua", "… (ubigeo 180101)"
    if re.search(r"[^\W\d_]", text) and not written_code:  # letters: a district's name
        district = lookups.district_names.find(text)
        return district, lookups.departments.get(district.department_id)
    code = parse_ubigeo(written_code[0] if written_code else value)
    if len(code) == 2:
        department = lookups.departments.get(code)
        if department is None:
            raise ValueError(f"el departamento {code} no existe en el ubigeo del INEI")
        return None, department
    district = lookups.districts.get(code)
    if district is None:
        raise ValueError(f"el ubigeo {code} no corresponde a ningún distrito del INEI")
    return district, lookups.departments.get(district.department_id)


def _document_type(kind: CellValue, number: CellValue) -> DocumentType:
    if not is_blank(kind):
        return parse_document_type(clean_text(kind))
    digits = re.sub(r"\D", "", clean_text(number))
    if not digits:
        return DocumentType.NONE
    if len(digits) in (11, 8):  # an unlabelled number says which document it is
        return DocumentType.RUC if len(digits) == 11 else DocumentType.DNI
    raise InvalidDocument("Indique el tipo de documento (RUC, DNI, CE o «ninguno»).")


def _identity(row: Row) -> tuple[str, ...]:
    """Who the row is, as get_or_create_unit decides: a RUC 10 and its DNI are one person."""
    kind, number = row.document_type, row.document_number
    if kind == DocumentType.DNI:
        return ("persona", number)
    if kind == DocumentType.RUC and is_natural_person_ruc(number):
        return ("persona", number[2:10])
    if kind != DocumentType.NONE:
        return (kind, number)
    return ("sin-documento", row.name.upper(), row.district.code if row.district else "")


def reason_clause(message: str) -> str:
    """Actions speak in sentences; after "fila N, columna X:" a lower-case clause reads better."""
    text = message.strip().rstrip(".")
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        text = text[0].lower() + text[1:]
    return text


def _vocabulary(attribute: str, noun: str) -> Callable[[CellValue, Lookups], Any]:
    def parse(value: CellValue, lookups: Lookups) -> Any:
        text = clean_text(value)
        if not text:
            return None
        found = getattr(lookups, attribute).get(vocabulary_key(text))
        if found is None:
            raise ValueError(f"«{text}» no es {noun} válido; vea la hoja «Instrucciones»")
        return found

    return parse


def _parse_date(value: CellValue, lookups: Lookups) -> datetime.date:
    return parse_date(value)


def _parse_catalogue(value: CellValue, lookups: Lookups) -> CatalogueService | None:
    text = clean_text(value)
    if not text:
        return None
    found = lookups.catalogue.get(vocabulary_key(text))
    if found is None:
        raise ValueError(f"«{text}» no figura en el catálogo de servicios de {lookups.center}")
    return found


def _parse_status(value: CellValue, lookups: Lookups) -> str | None:
    text = clean_text(value)
    if not text:
        return None
    status = lookups.statuses.get(vocabulary_key(text))
    if status is None:
        raise ValueError(f"«{text}» no es un estado válido; use registrado o validado")
    if status == ReportStatus.CANCELLED:
        raise ValueError("un informe no se anula por importación: anúlelo en el back office")
    return status


REPORT_PARSERS: dict[str, Callable[[CellValue, Lookups], Any]] = {
    "start_date": _parse_date,
    "end_date": _parse_date,
    "category": _vocabulary("categories", "una categoría de servicio"),
    "catalogue": _parse_catalogue,
    "chain": _vocabulary("chains", "una cadena productiva"),
    "programme": _vocabulary("programmes", "un programa"),
    "status": _parse_status,
}


def _geography() -> tuple[dict[str, District], dict[str, Department]]:
    """Districts and departments by code, kept with the process's registry (every geography
    load gives a new one): reading the 1,890 districts for every import was two thirds of
    its lookups (20 of 30 ms), even for one report sent through the API. Read them, never
    change them: concurrent imports share them."""
    return registry.current().memo("import-geography", size=1).get("all", _read_geography)


def _read_geography() -> tuple[dict[str, District], dict[str, Department]]:
    return (
        {d.code: d for d in District.objects.only("code", "department_id")},
        {d.code: d for d in Department.objects.only("code", "name")},
    )
