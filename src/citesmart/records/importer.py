"""Spreadsheet import of service reports: the one pipeline behind the upload page and the CLI.

read (lib.spreadsheets) -> parse and check every row against lookups loaded once -> group rows
into reports -> plan against what the database holds -> write, in one transaction.

Small files are written through the actions (units.actions.get_or_create_unit and
records.actions.record_service_report). Large ones go through `_BulkWriter`, which writes the
same rows and the same audit entries in a few queries; tests run every scenario both ways.
"""

import datetime
import difflib
import io
import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import IO, Any, NamedTuple

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection, transaction
from django.db.models import BooleanField, Model, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from psycopg import sql
from psycopg.types.json import Jsonb

from citesmart.accounts.access import accessible_centers, role_of
from citesmart.accounts.roles import Role
from citesmart.geo.models import Department, District
from citesmart.lib.identity import (
    DocumentType,
    InvalidDocument,
    clean_document,
    is_natural_person_ruc,
    parse_document_type,
)
from citesmart.lib.spreadsheets import (
    DEFAULT_LIMITS,
    CellValue,
    Limits,
    SpreadsheetError,
    Table,
    read_table,
    write_csv,
    write_xlsx,
)
from citesmart.lib.text import fold
from citesmart.lib.values import clean_text, is_blank, parse_amount, parse_date, parse_ubigeo
from citesmart.network.models import CatalogueService, Center, Chain, Programme, ServiceCategory
from citesmart.records.actions import (
    KEEP,
    AttendedUnit,
    check_report_rules,
    record_service_report,
)
from citesmart.records.models import AuditEntry, ImportBatch, ReportStatus, Service, ServiceReport
from citesmart.records.snapshots import diff, snapshot_report, unit_snapshot
from citesmart.records.template import COLUMNS, REJECTION_COLUMN, match_column
from citesmart.units.actions import get_or_create_unit
from citesmart.units.models import ClientType, ProductiveUnit, SizeClass
from citesmart.units.queries import survivor

BULK_MIN_ROWS = 500
"""From this many rows to write, the bulk writer is used instead of one action per report."""
MAX_STORED_MESSAGES = 10_000
"""Messages kept on the batch (the CLI report and the rejected-rows file have them all)."""
_CHUNK = 2_000
_MAX_NAME = 250
_MAX_CODE = 60
_CENTS = Decimal("0.01")
_ZERO = Decimal("0.00")

Progress = Callable[[str, int, int | None], None]
"""progress(stage, done, total or None): "lectura" (rows) then "registro" (reports)."""

# Fields named in ValidationErrors of the actions -> the template column they come from.
_FIELD_COLUMNS = {
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
_REPORT_FIELD_COLUMNS = {
    "start_date": "fecha_inicio",
    "end_date": "fecha_fin",
    "category": "categoria_servicio",
    "catalogue": "servicio",
    "chain": "cadena",
    "programme": "programa",
    "status": "estado",
}


class ImportRefused(Exception):
    """The import cannot even start (center out of reach, unknown user); message in Spanish."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"fila {self.row}, columna {self.column}: {self.message}"


@dataclass
class ImportResult:
    """What an import did (or, for a dry run, would do)."""

    filename: str
    dry_run: bool = False
    accept_valid: bool = False
    fatal: str = ""
    rows: int = 0
    reports: int = 0
    rejected_reports: int = 0
    rejected_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    units_created: int = 0
    written: bool = False
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    rejected: list[tuple[int, list[CellValue], str]] = field(default_factory=list, repr=False)
    batch: ImportBatch | None = None

    @property
    def exit_code(self) -> int:
        """0 all valid, 1 rows rejected, 2 file unusable (the CLI's exit status)."""
        if self.fatal:
            return 2
        return 1 if self.errors else 0

    @property
    def summary(self) -> str:
        """One line in Spanish for the end of the CLI output and the batch page."""
        if self.fatal:
            return f"Archivo no utilizable: {self.fatal}"
        done = (
            f"{_n(self.created, 'informe nuevo', 'informes nuevos')}, "
            f"{_n(self.updated, 'actualizado', 'actualizados')}, {self.unchanged} sin cambios, "
            f"{_n(self.units_created, 'unidad productiva nueva', 'unidades productivas nuevas')}"
        )
        if self.dry_run:
            verdict = "Verificación sin registrar"
            outcome = f"se registrarían {done}" if not self.errors or self.accept_valid else ""
        elif self.errors and not self.written:
            verdict, outcome = "Archivo rechazado", "no se registró nada"
        else:
            verdict, outcome = "Importación registrada", done
        parts = [
            f"{verdict}: {_n(self.rows, 'fila', 'filas')}, "
            f"{_n(self.reports, 'informe válido', 'informes válidos')}"
        ]
        if self.errors:
            parts.append(
                f"{_n(len(self.errors), 'error', 'errores')} en "
                f"{_n(self.rejected_rows, 'fila', 'filas')} "
                f"({_n(self.rejected_reports, 'informe rechazado', 'informes rechazados')})"
            )
        if outcome:
            parts.append(outcome)
        return "; ".join(parts) + "."


def _n(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


# --- access and centers -------------------------------------------------------------------

_IMPORTING_ROLES = {Role.NATIONAL_ADMIN, Role.CENTER_MANAGER, Role.CENTER_OPERATOR}


def can_import(user, center: Center) -> bool:
    """Staff who record services may import into the centers they reach; analysts may not."""
    if user is None:  # the command line without --user: the system itself
        return True
    if role_of(user) not in _IMPORTING_ROLES:
        return False
    return accessible_centers(user).filter(pk=center.pk).exists()


def importable_centers(user):
    """Centers the user may import into (for the upload form's choices)."""
    if role_of(user) not in _IMPORTING_ROLES:
        return Center.objects.none()
    return accessible_centers(user)


def find_center(text: str) -> Center:
    """A center by code or by name, ignoring case and accents; ImportRefused if unknown."""
    wanted = (text or "").strip()
    center = (
        Center.objects.filter(code__iexact=wanted).first()
        or Center.objects.filter(code=fold(wanted).replace(" ", "-")).first()
        or Center.objects.filter(search_name=fold(wanted)).first()
    )
    if center is not None:
        return center
    names = list(Center.objects.values_list("name", flat=True))
    close = difflib.get_close_matches(wanted, names, n=3, cutoff=0.6)
    hint = f" ¿Quiso decir {', '.join(f'«{n}»' for n in close)}?" if close else ""
    raise ImportRefused(f"No existe el centro «{wanted}»; indique su código o su nombre.{hint}")


# --- entry point --------------------------------------------------------------------------


def import_file(
    source: str | os.PathLike[str] | IO[bytes],
    *,
    center: Center,
    filename: str | None = None,
    user=None,
    dry_run: bool = False,
    accept_valid: bool = False,
    progress: Progress | None = None,
    bulk: bool | None = None,
    today: datetime.date | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> ImportResult:
    """Import a spreadsheet of service reports into `center`; always records an ImportBatch.

    All-or-nothing by default: one bad row and nothing is written. With `accept_valid` the
    valid reports are written and the rows of rejected reports come back in
    `result.rejected`. `bulk` forces (True) or forbids (False) the bulk writer; by default it
    is used from BULK_MIN_ROWS rows. Raises ImportRefused when `user` may not import there.
    """
    if not can_import(user, center):
        raise ImportRefused(
            f"No tiene permiso para importar servicios en «{center.name}»: solo puede "
            "hacerlo en su propio centro y sus unidades técnicas."
        )
    if filename is None:
        filename = Path(source).name if isinstance(source, (str, os.PathLike)) else "archivo"
    ctx = _Context(center, user, today, ImportResult(filename, dry_run, accept_valid))
    stream, owned = _open(source)
    try:
        ctx.file_name = _store_copy(stream, filename, limits)
        drafts = _read(ctx, stream, limits, progress)
    finally:
        if owned:
            stream.close()
    result = ctx.result
    valid = [draft for draft in drafts if draft.valid]
    if result.fatal or not valid or (result.errors and not accept_valid):
        result.batch = _save_batch(ctx)
    elif dry_run:
        _count(result, _Planner(ctx).plan(valid, lock=False))
        result.batch = _save_batch(ctx)
    else:
        use_bulk = bulk if bulk is not None else sum(len(d.rows) for d in valid) >= BULK_MIN_ROWS
        _write(ctx, drafts, bulk=use_bulk, progress=progress)
    _store_rejected(result)
    return result


@dataclass
class _Context:
    center: Center
    user: Any
    today: datetime.date | None
    result: ImportResult
    columns: "_Columns" = field(default_factory=lambda: _Columns({}, {}))
    file_name: str = ""


def _open(source: str | os.PathLike[str] | IO[bytes]) -> tuple[IO[bytes], bool]:
    if isinstance(source, (str, os.PathLike)):
        return open(source, "rb"), True
    return source, False


def _store_copy(stream: IO[bytes], filename: str, limits: Limits) -> str:
    """Keep the file on the batch (within the size limit: bigger files are refused unread)."""
    size = stream.seek(0, os.SEEK_END)
    stream.seek(0)
    if size > limits.max_bytes:
        return ""
    name = ImportBatch._meta.get_field("file").generate_filename(None, _safe_name(filename))
    stored = default_storage.save(name, File(stream))
    stream.seek(0)
    return stored


def _safe_name(filename: str) -> str:
    base = os.path.basename(filename.replace("\\", "/")) or "archivo"
    return re.sub(r"[^\w.\-]+", "_", base)[-120:]


# --- reading and checking rows ------------------------------------------------------------


@dataclass
class _Row:
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


@dataclass
class _Draft:
    """One report as the file describes it: its rows, the first of which sets its fields."""

    code: str
    rows: list[_Row] = field(default_factory=list)
    identities: dict[tuple[str, ...], int] = field(default_factory=dict)

    @property
    def first(self) -> _Row:
        return self.rows[0]

    @property
    def valid(self) -> bool:
        return not any(row.errors for row in self.rows)

    @property
    def is_free(self) -> bool:
        """Free under a programme (or a free catalogue service) when nothing was charged."""
        catalogue = self.first.report.get("catalogue")
        free_by_programme = self.first.report.get("programme") is not None
        free_by_catalogue = catalogue is not None and catalogue.is_free
        return (free_by_programme or free_by_catalogue) and not any(r.amount for r in self.rows)


@dataclass
class _Columns:
    """Where each template column is in the file (index) and how its header is written."""

    index: dict[str, int]
    written: dict[str, str]

    def label(self, name: str) -> str:
        return self.written.get(name, name)


_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def _key(text: str) -> str:
    return _NOT_ALNUM.sub("", fold(text))


def _index(objects: Iterable[Any], *attributes: str) -> dict[str, Any]:
    return {_key(getattr(obj, a)): obj for obj in objects for a in reversed(attributes)}


class _Lookups:
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
        self.catalogue = {_key(s.name): s for s in ordered}
        self.districts = {d.code: d for d in District.objects.only("code", "department_id")}
        self.departments = {d.code: d for d in Department.objects.only("code", "name")}
        self.statuses = _choices(ReportStatus.choices)
        self._memo: dict[tuple[str, Any], tuple[Any, Any]] = {}
        self.client_types = _choices(ClientType.choices) | {
            "asociacion": ClientType.ASSOCIATION,
            "cooperativa": ClientType.ASSOCIATION,
            "empresa": ClientType.FORMAL_ENTERPRISE,
            "personanatural": ClientType.NATURAL_PERSON_BUSINESS,
            "otro": ClientType.OTHER,
        }

    def memo(self, kind: str, value: Any, parse: Callable[[Any, "_Lookups"], Any]) -> tuple:
        """(parsed, error) of a cell, memoised: dates, categories, places, documents and
        amounts repeat on every row of a report and across reports."""
        # 1, 1.0 and True are equal dictionary keys, but not the same cell: the type counts.
        key = (kind, value.__class__, _typed(value) if value.__class__ is tuple else value)
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


def _typed(value: tuple) -> tuple:
    return tuple((type(v), v) for v in value)


def _choices(choices: list[tuple[str, Any]]) -> dict[str, str]:
    return {_key(text): value for value, label in choices for text in (str(label), value)}


def _read(
    ctx: _Context, stream: IO[bytes], limits: Limits, progress: Progress | None
) -> list[_Draft]:
    """Read and check every row; sets result.fatal when the file is unusable."""
    result = ctx.result
    drafts: dict[str, _Draft] = {}
    try:
        with read_table(stream, filename=result.filename, limits=limits) as table:
            _map_headers(ctx, table)
            if result.fatal:
                return []
            lookups = _Lookups(ctx.center)
            for number, values in table.rows():
                _add_to_draft(drafts, _parse_row(number, values, ctx.columns, lookups), ctx)
                result.rows += 1
                if progress and result.rows % 1000 == 0:
                    progress("lectura", result.rows, None)
    except SpreadsheetError as error:
        result.fatal = error.message
        return []
    if progress:
        progress("lectura", result.rows, result.rows)
    if not result.rows:
        result.fatal = (
            f"El archivo «{result.filename}» no tiene filas de datos debajo de los encabezados."
        )
        return []
    for draft in drafts.values():
        _check_report(ctx, draft)
    _collect_rejections(result, list(drafts.values()))
    return list(drafts.values())


def _map_headers(ctx: _Context, table: Table) -> None:
    result, columns = ctx.result, ctx.columns
    result.headers = list(table.headers)
    for index, header in enumerate(table.headers):
        column = match_column(header)
        if column is None:
            if header and _key(header) != _key(REJECTION_COLUMN):
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


def _parse_row(number: int, values: list[CellValue], columns: _Columns, lookups: _Lookups) -> _Row:
    row = _Row(number, values)

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
    for name, column in _REPORT_FIELD_COLUMNS.items():
        value, error = memo(name, cell(column), _REPORT_PARSERS[name])
        if error:
            fail(column, error)
        else:
            report[name] = value
    _parse_unit(row, cell, fail, lookups)
    return row


def _parse_unit(
    row: _Row,
    cell: Callable[[str], CellValue],
    fail: Callable[[str, str], None],
    lookups: _Lookups,
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


def _parse_document(cells: tuple[CellValue, CellValue], lookups: "_Lookups") -> tuple[str, str]:
    kind_cell, number_cell = cells
    try:
        kind = _document_type(kind_cell, number_cell)
    except InvalidDocument as error:
        raise _CellError(("tipo_documento", _reason(error.message))) from None
    try:
        return kind, clean_document(kind, number_cell)
    except InvalidDocument as error:
        raise _CellError(("numero_documento", _reason(error.message))) from None


def _parse_client(value: CellValue, lookups: "_Lookups") -> str | None:
    text = clean_text(value)
    if not text:
        return None
    found = lookups.client_types.get(_key(text))
    if found is None:
        raise ValueError(f"«{text}» no es un tipo de cliente válido")
    return found


def _parse_amount(value: CellValue, lookups: "_Lookups") -> Decimal | None:
    return parse_amount(value)


class _CellError(Exception):
    """A parse error carrying something other than a message (e.g. which column)."""

    def __init__(self, detail: Any) -> None:
        super().__init__(detail)
        self.detail = detail


def _parse_place(
    value: CellValue, lookups: "_Lookups"
) -> tuple[District | None, Department | None]:
    if is_blank(value):
        raise ValueError("falta el ubigeo del distrito de la unidad productiva")
    code = parse_ubigeo(value)
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


def _identity(row: _Row) -> tuple[str, ...]:
    """Who the row is, as get_or_create_unit decides: a RUC 10 and its DNI are one person."""
    kind, number = row.document_type, row.document_number
    if kind == DocumentType.DNI:
        return ("persona", number)
    if kind == DocumentType.RUC and is_natural_person_ruc(number):
        return ("persona", number[2:10])
    if kind != DocumentType.NONE:
        return (kind, number)
    return ("sin-documento", row.name.upper(), row.district.code if row.district else "")


def _reason(message: str) -> str:
    """Actions speak in sentences; after "fila N, columna X:" a lower-case clause reads better."""
    text = message.strip().rstrip(".")
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        text = text[0].lower() + text[1:]
    return text


def _vocabulary(attribute: str, noun: str) -> Callable[[CellValue, _Lookups], Any]:
    def parse(value: CellValue, lookups: _Lookups) -> Any:
        text = clean_text(value)
        if not text:
            return None
        found = getattr(lookups, attribute).get(_key(text))
        if found is None:
            raise ValueError(f"«{text}» no es {noun} válido; vea la hoja «Instrucciones»")
        return found

    return parse


def _parse_date(value: CellValue, lookups: _Lookups) -> datetime.date:
    return parse_date(value)


def _parse_catalogue(value: CellValue, lookups: _Lookups) -> CatalogueService | None:
    text = clean_text(value)
    if not text:
        return None
    found = lookups.catalogue.get(_key(text))
    if found is None:
        raise ValueError(f"«{text}» no figura en el catálogo de servicios de {lookups.center}")
    return found


def _parse_status(value: CellValue, lookups: _Lookups) -> str | None:
    text = clean_text(value)
    if not text:
        return None
    status = lookups.statuses.get(_key(text))
    if status is None:
        raise ValueError(f"«{text}» no es un estado válido; use registrado o validado")
    if status == ReportStatus.CANCELLED:
        raise ValueError("un informe no se anula por importación: anúlelo en el back office")
    return status


_REPORT_PARSERS: dict[str, Callable[[CellValue, _Lookups], Any]] = {
    "start_date": _parse_date,
    "end_date": _parse_date,
    "category": _vocabulary("categories", "una categoría de servicio"),
    "catalogue": _parse_catalogue,
    "chain": _vocabulary("chains", "una cadena productiva"),
    "programme": _vocabulary("programmes", "un programa"),
    "status": _parse_status,
}


def _add_to_draft(drafts: dict[str, _Draft], row: _Row, ctx: _Context) -> None:
    """Add a row to its report; flag report fields that disagree with the report's first row."""
    draft = drafts.setdefault(row.code or f"\0fila-{row.number}", _Draft(row.code))
    label = ctx.columns.label
    if draft.rows:
        first = draft.first
        for name in _REPORT_FIELD_COLUMNS:
            both = name in row.report and name in first.report
            if both and row.report[name] != first.report[name]:
                row.errors.append(
                    RowError(
                        row.number,
                        label(_REPORT_FIELD_COLUMNS[name]),
                        f"no coincide con la fila {first.number} del mismo informe "
                        f"«{draft.code}» («{_shown(first, name, ctx.columns) or 'vacío'}»); "
                        "las filas de un "
                        "informe deben tener los mismos datos del informe",
                    )
                )
    if row.identity:
        earlier = draft.identities.setdefault(row.identity, row.number)
        if earlier != row.number:
            row.errors.append(
                RowError(
                    row.number,
                    label("numero_documento"),
                    f"la unidad productiva ya figura en la fila {earlier} del mismo informe",
                )
            )
    draft.rows.append(row)


def _shown(row: _Row, name: str, columns: _Columns) -> str:
    """A report field of a row as written in the file, for messages."""
    index = columns.index.get(_REPORT_FIELD_COLUMNS[name])
    return clean_text(row.raw[index]) if index is not None else ""


def _check_report(ctx: _Context, draft: _Draft) -> None:
    """Apply records.actions' rules to a report whose fields read well; map errors to cells."""
    fields = draft.first.report
    if not draft.code or len(fields) < len(_REPORT_PARSERS):
        return
    is_free = draft.is_free
    # Placeholder units with distinct ids: duplicates were already caught by identity.
    units = [
        AttendedUnit(_placeholder_unit(row, index), _amount(row, is_free))
        for index, row in enumerate(draft.rows, start=1)
    ]
    try:
        warnings = check_report_rules(
            center=ctx.center,
            category=fields["category"],
            catalogue_service=fields["catalogue"],
            start_date=fields["start_date"],
            end_date=fields["end_date"],
            units=units,
            is_free=is_free,
            today=ctx.today,
        )
    except ValidationError as error:
        _attach(draft, error, ctx.columns)
        return
    ctx.result.warnings += [f"Informe «{draft.code}»: {w}" for w in warnings]


@dataclass(frozen=True, slots=True)
class _StandIn:
    """What check_report_rules reads of a unit, without building a model per row."""

    pk: int
    document_label: str


def _placeholder_unit(row: _Row, index: int) -> Any:
    label = f"{DocumentType(row.document_type).label} {row.document_number}".strip()
    return _StandIn(index, label)


def _amount(row: _Row, is_free: bool) -> Decimal:
    if is_free or row.amount is None:
        return _ZERO
    return row.amount.quantize(_CENTS)


def _attach(draft: _Draft, error: ValidationError, columns: _Columns) -> None:
    """Put an action's ValidationError on the rows and columns it is about."""
    messages = error.message_dict if hasattr(error, "error_dict") else {"code": error.messages}
    for field_name, texts in messages.items():
        column = _FIELD_COLUMNS.get(field_name, "codigo_informe")
        rows = [r for r in draft.rows if r.amount] if field_name == "amount" else []
        for row in rows or [draft.first]:
            for text in texts:
                row.errors.append(RowError(row.number, columns.label(column), _reason(text)))


def _collect_rejections(result: ImportResult, drafts: list[_Draft]) -> None:
    """Errors in file order; every row of a rejected report goes back with its reason."""
    result.errors, result.rejected = [], []
    result.reports = result.rejected_reports = 0
    for draft in drafts:
        if draft.valid:
            result.reports += 1
            continue
        result.rejected_reports += 1
        bad = [row.number for row in draft.rows if row.errors]
        for row in draft.rows:
            result.errors += row.errors
            reason = "; ".join(str(e) for e in row.errors) or (
                f"el informe «{draft.code}» tiene errores en "
                f"{'la fila' if len(bad) == 1 else 'las filas'} {_join(bad)}"
            )
            result.rejected.append((row.number, row.raw, reason))
    result.errors.sort(key=lambda e: e.row)
    result.rejected.sort(key=lambda item: item[0])
    result.rejected_rows = len(result.rejected)
    result.warnings = list(dict.fromkeys(result.warnings))


def _join(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:10])
    return shown + (f" y {len(numbers) - 10} más" if len(numbers) > 10 else "")


# --- planning: what the writes will do ------------------------------------------------------


@dataclass
class _UnitAudit:
    unit: ProductiveUnit
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any]
    text: str
    reason: str = ""


@dataclass
class _ReportPlan:
    draft: _Draft
    values: dict[str, Any]
    units: list[ProductiveUnit]
    report: ServiceReport | None
    before: dict[str, Any] | None
    after: dict[str, Any]
    outcome: str  # "created" | "updated" | "unchanged", as RecordResult.outcome
    current: list["_Current"] = field(default_factory=list)


class _Current(NamedTuple):
    """A service the report has in the database."""

    pk: int
    unit_id: int
    amount: Decimal


@dataclass
class _Plan:
    reports: list[_ReportPlan] = field(default_factory=list)
    new_units: list[ProductiveUnit] = field(default_factory=list)
    upgraded_units: list[ProductiveUnit] = field(default_factory=list)
    unit_audits: list[_UnitAudit] = field(default_factory=list)


class _Planner:
    """Resolves units and reports against the database, replaying the actions' rules in memory."""

    def __init__(self, ctx: _Context) -> None:
        self.center = ctx.center

    def plan(self, drafts: list[_Draft], *, lock: bool) -> _Plan:
        plan = _Plan()
        existing, services = self._existing_reports([d.code for d in drafts], lock=lock)
        units = _UnitIndex(self.center, [row for draft in drafts for row in draft.rows])
        for draft in drafts:
            attended = [units.resolve(row, plan) for row in draft.rows]
            report = existing.get(draft.code)
            current = services.get(report.pk, []) if report is not None else []
            plan.reports.append(self._report_plan(draft, attended, report, current))
        return plan

    def _existing_reports(
        self, codes: list[str], *, lock: bool
    ) -> tuple[dict[str, ServiceReport], dict[int, list["_Current"]]]:
        """The center's reports with these codes, and their services as plain tuples."""
        found: dict[str, ServiceReport] = {}
        query = ServiceReport.objects.filter(center=self.center)
        if lock:  # as record_service_report does, row by row
            query = query.select_for_update()
        for chunk in _any_of(query, "code", codes):
            found |= {r.code: r for r in chunk}
        services: dict[int, list[_Current]] = defaultdict(list)
        ids = [r.pk for r in found.values()]
        rows = Service.objects.values_list("pk", "report_id", "unit_id", "amount")
        for chunk in _any_of(rows, "report_id", ids):
            for pk, report_id, unit_id, amount in chunk:
                services[report_id].append(_Current(pk, unit_id, amount))
        return found, services

    def _report_plan(
        self,
        draft: _Draft,
        units: list[ProductiveUnit],
        report: ServiceReport | None,
        current: list["_Current"],
    ) -> _ReportPlan:
        values = _report_values(draft, report, self.center)
        amounts = [_amount(row, values["is_free"]) for row in draft.rows]
        services = sorted(
            ([_unit_key(u), str(a)] for u, a in zip(units, amounts, strict=True)),
            key=lambda s: (isinstance(s[0], str), s[0], s[1]),
        )
        before = (
            snapshot_report(report, [(c.unit_id, c.amount) for c in current])
            if report is not None
            else None
        )
        after = _snapshot(values, services, cancel_reason=_cancel_reason(report, values))
        outcome = "created" if before is None else "unchanged" if before == after else "updated"
        return _ReportPlan(draft, values, units, report, before, after, outcome, current)


def _any_of(query: QuerySet, name: str, values: list[Any]) -> Iterator[QuerySet]:
    """`query` filtered on `name` IN `values`, as few queries as the database allows.

    PostgreSQL takes the whole list as one array parameter (`= ANY(%s)`): one query, and no
    per-value work in Django's lookup machinery; elsewhere the list goes in chunks.
    """
    if not values:
        return
    if connection.vendor == "postgresql":
        column = query.model._meta.get_field(name).column
        table = query.model._meta.db_table
        # Identifiers come from the model's meta, the values go as one parameter.
        condition = RawSQL(f'"{table}"."{column}" = ANY(%s)', (values,), BooleanField())  # noqa: S611
        yield query.filter(condition)
        return
    for start in range(0, len(values), _CHUNK):
        yield query.filter(**{f"{name}__in": values[start : start + _CHUNK]})


def _unit_key(unit: ProductiveUnit) -> Any:
    # New units have no id yet: a unique stand-in makes their reports compare as changed.
    return unit.pk if unit.pk is not None else f"nueva:{id(unit)}"


def _cancel_reason(report: ServiceReport | None, values: dict[str, Any]) -> str:
    if report is None or report.status == ReportStatus.CANCELLED:
        return ""  # a cancelled report brought back loses its reason, as in the action
    return report.cancel_reason


def _report_values(draft: _Draft, report: ServiceReport | None, center: Center) -> dict[str, Any]:
    """The values record_service_report receives; what the file does not carry is kept."""
    fields = draft.first.report
    catalogue = fields["catalogue"]
    programme = fields["programme"]
    if programme is None and catalogue is not None and catalogue.is_free:
        programme = catalogue.programme
    status = fields["status"]
    if status is None:
        keep = report is not None and report.status != ReportStatus.CANCELLED
        status = report.status if report is not None and keep else ReportStatus.REGISTERED
    return {
        "category": fields["category"] or catalogue.category,
        "catalogue_service": catalogue,
        "chain": fields["chain"],
        "start_date": fields["start_date"],
        "end_date": fields["end_date"],
        "delivery_district_id": (
            report.delivery_district_id
            if report is not None and report.delivery_district_id
            else center.district_id
        ),
        "status": status,
        "is_free": draft.is_free,
        "programme": programme,
        "participants": report.participants if report else None,
        "hours": report.hours if report else None,
        "notes": report.notes if report else "",
    }


def _snapshot(values: dict[str, Any], services: list[list[Any]], *, cancel_reason: str) -> dict:
    """What records.snapshots.snapshot_report will return once `values` are saved."""
    return {
        "catalogue_service": _pk(values["catalogue_service"]),
        "category": _pk(values["category"]),
        "chain": _pk(values["chain"]),
        "start_date": values["start_date"].isoformat(),
        "end_date": values["end_date"].isoformat(),
        "delivery_district": values["delivery_district_id"],
        "status": str(values["status"]),
        "is_free": values["is_free"],
        "programme": _pk(values["programme"]),
        "participants": values["participants"],
        "hours": str(values["hours"]) if values["hours"] is not None else None,
        "notes": values["notes"],
        "cancel_reason": cancel_reason,
        "services": services,
    }


def _pk(obj: Any) -> Any:
    return obj.pk if obj is not None else None


class _Known:
    """Units by document, by the person behind a DNI or RUC 10, and (undocumented) by name."""

    def __init__(self) -> None:
        self.by_document: dict[tuple[str, str], ProductiveUnit] = {}
        self.by_person: dict[str, list[ProductiveUnit]] = defaultdict(list)
        self.by_name: dict[tuple[str, str | None], ProductiveUnit] = {}

    def add(self, unit: ProductiveUnit) -> None:
        if unit.document_type == DocumentType.NONE:
            self.by_name.setdefault((unit.name.upper(), unit.district_id), unit)
            return
        known = self.by_document.setdefault((unit.document_type, unit.document_number), unit)
        if known is unit and unit.person_dni and unit not in self.by_person[unit.person_dni]:
            self.by_person[unit.person_dni].append(unit)

    def find(self, row: _Row) -> ProductiveUnit | None:
        kind, number = row.document_type, row.document_number
        if kind == DocumentType.NONE:
            return self.by_name.get((row.name.upper(), row.district.code if row.district else None))
        found = self.by_document.get((kind, number))
        if found is None and row.identity[0] == "persona":
            people = self.by_person.get(row.identity[1])
            found = people[0] if people else None
        return found


class _UnitIndex:
    """units.queries.find_unit and units.actions.get_or_create_unit, replayed over dicts."""

    def __init__(self, center: Center, rows: list[_Row]) -> None:
        self.center = center
        self.live, self.merged = _Known(), _Known()
        self._survivors: dict[int, ProductiveUnit] = {}
        numbers = sorted({r.document_number for r in rows if r.document_number})
        people = sorted({r.identity[1] for r in rows if r.identity[0] == "persona"})
        undocumented = any(r.document_type == DocumentType.NONE for r in rows)
        units = ProductiveUnit.objects.order_by("name", "pk")
        for known, query in (
            (self.live, units.filter(merged_into__isnull=True)),
            (self.merged, units.filter(merged_into__isnull=False)),
        ):
            chunks = [*_any_of(query, "document_number", numbers)]
            chunks += [*_any_of(query, "person_dni", people)]
            if undocumented:
                chunks.append(query.filter(document_type=DocumentType.NONE, registered_by=center))
            for chunk in chunks:  # documents first, as find_unit looks
                for unit in chunk:
                    known.add(unit)
        for people_units in self.live.by_person.values():
            people_units.sort(key=lambda u: (u.name, u.pk))

    def _add(self, unit: ProductiveUnit) -> None:
        self.live.add(unit)

    def find(self, row: _Row) -> ProductiveUnit | None:
        found = self.live.find(row)
        if found is not None:
            return found
        merged = self.merged.find(row)
        if merged is None:
            return None
        if merged.pk not in self._survivors:  # rare: one query per merge followed
            self._survivors[merged.pk] = self._live_twin(survivor(merged))
        return self._survivors[merged.pk]

    def _live_twin(self, unit: ProductiveUnit) -> ProductiveUnit:
        """The survivor as this index holds it, so a RUC 10 upgrade is seen by later rows."""
        if unit.document_type == DocumentType.NONE:
            return unit
        known = self.live.by_document.setdefault((unit.document_type, unit.document_number), unit)
        if known is unit and unit.person_dni:
            self.live.by_person[unit.person_dni].append(unit)
        return known

    def resolve(self, row: _Row, plan: _Plan) -> ProductiveUnit:
        unit = self.find(row)
        if unit is None:
            unit = self._new(row)
            plan.new_units.append(unit)
            plan.unit_audits.append(
                _UnitAudit(unit, AuditEntry.Action.CREATE, None, unit_snapshot(unit), str(unit))
            )
        elif (
            unit.document_type == DocumentType.DNI
            and row.document_type == DocumentType.RUC
            and row.identity == ("persona", unit.person_dni)
        ):
            before = unit_snapshot(unit)
            self.live.by_document.pop((unit.document_type, unit.document_number), None)
            unit.document_type, unit.document_number = DocumentType.RUC, row.document_number
            self.live.by_document[(unit.document_type, unit.document_number)] = unit
            if unit.pk is not None and unit not in plan.upgraded_units:
                plan.upgraded_units.append(unit)
            plan.unit_audits.append(
                _UnitAudit(
                    unit,
                    AuditEntry.Action.UPDATE,
                    before,
                    unit_snapshot(unit),
                    str(unit),
                    "RUC 10 de la misma persona",
                )
            )
        return unit

    def _new(self, row: _Row) -> ProductiveUnit:
        person = row.identity[1] if row.identity[0] == "persona" else ""
        unit = ProductiveUnit(
            document_type=row.document_type,
            document_number=row.document_number,
            person_dni=person,
            name=row.name,
            client_type=row.client_type,
            size_class=SizeClass.UNKNOWN,
            district=row.district,
            department_id=row.department.pk if row.department else None,
            registered_by=self.center,
        )
        self._add(unit)
        return unit


def _count(result: ImportResult, plan: _Plan) -> None:
    result.created = sum(p.outcome == "created" for p in plan.reports)
    result.updated = sum(p.outcome == "updated" for p in plan.reports)
    result.unchanged = sum(p.outcome == "unchanged" for p in plan.reports)
    result.units_created = len(plan.new_units)


# --- writing --------------------------------------------------------------------------------


class _Abort(Exception):
    """Raised inside the write transaction to roll everything back."""


def _write(ctx: _Context, drafts: list[_Draft], *, bulk: bool, progress: Progress | None) -> None:
    """Validation is done: write the valid reports in one transaction, and record the batch."""
    result = ctx.result
    valid = [draft for draft in drafts if draft.valid]
    try:
        with transaction.atomic():
            # One import at a time per center: a plan reads what another import would write.
            list(Center.objects.select_for_update().filter(pk=ctx.center.pk).values_list("pk"))
            batch = _save_batch(ctx)
            plan = _Planner(ctx).plan(valid, lock=True)
            if bulk:
                _BulkWriter(ctx, batch).write(plan, progress)
                _count(result, plan)
            elif not _write_with_actions(ctx, plan, batch, progress):
                _collect_rejections(result, drafts)  # a report the actions refused
                if not result.accept_valid or not result.reports:
                    raise _Abort
            result.written = True
            _update_batch(batch, result)
            result.batch = batch
    except _Abort:
        result.created = result.updated = result.unchanged = result.units_created = 0
        result.batch = _save_batch(ctx)
    except DatabaseError as error:
        result.fatal = (
            "No se pudo registrar la importación por un problema de la base de datos "
            f"({error.__class__.__name__}); no se registró nada. Inténtelo de nuevo."
        )
        result.created = result.updated = result.unchanged = result.units_created = 0
        result.batch = _save_batch(ctx)


def _write_with_actions(
    ctx: _Context, plan: _Plan, batch: ImportBatch, progress: Progress | None
) -> bool:
    """One get_or_create_unit per row, one record_service_report per report; False if refused."""
    result, all_written = ctx.result, True
    for done, report_plan in enumerate(plan.reports, start=1):
        try:
            with transaction.atomic():
                outcome, created_units = _record_with_actions(ctx, report_plan, batch)
        except ValidationError as error:
            _attach(report_plan.draft, error, ctx.columns)
            all_written = False
            continue
        setattr(result, outcome, getattr(result, outcome) + 1)
        result.units_created += created_units
        if progress and done % 100 == 0:
            progress("registro", done, len(plan.reports))
    return all_written


def _record_with_actions(
    ctx: _Context, report_plan: _ReportPlan, batch: ImportBatch
) -> tuple[str, int]:
    draft, values = report_plan.draft, report_plan.values
    attended, created_units = [], 0
    for row in draft.rows:
        unit, created = get_or_create_unit(
            document_type=row.document_type,
            document_number=row.document_number,
            name=row.name,
            client_type=row.client_type,
            district=row.district,
            department=row.department,
            center=ctx.center,
            actor=ctx.user,
            source=AuditEntry.Source.IMPORT,
            batch=batch,
        )
        created_units += created
        attended.append(AttendedUnit(unit, _amount(row, values["is_free"])))
    recorded = record_service_report(
        center=ctx.center,
        code=draft.code,
        start_date=values["start_date"],
        end_date=values["end_date"],
        units=attended,
        category=values["category"],
        catalogue_service=values["catalogue_service"],
        chain=values["chain"],
        delivery_district=KEEP,  # the planner's values keep these four, as the action does
        status=values["status"],
        is_free=values["is_free"],
        programme=values["programme"],
        participants=KEEP,
        hours=KEEP,
        notes=KEEP,
        actor=ctx.user,
        source=AuditEntry.Source.IMPORT,
        batch=batch,
        today=ctx.today,
    )
    return recorded.outcome, created_units


class _BulkWriter:
    """Writes a plan in a few queries: the same rows and audit entries as the actions."""

    def __init__(self, ctx: _Context, batch: ImportBatch) -> None:
        self.center, self.actor, self.batch = ctx.center, ctx.user, batch
        self.now = timezone.now()

    def write(self, plan: _Plan, progress: Progress | None) -> None:
        total = len(plan.reports)
        _insert(ProductiveUnit, plan.new_units, self.now)
        for unit in plan.upgraded_units:
            unit.updated_at = self.now
        ProductiveUnit.objects.bulk_update(
            plan.upgraded_units,
            ["document_type", "document_number", "updated_at"],
            batch_size=_CHUNK,
        )
        audits = plan.unit_audits
        entries = [
            self._entry(a.action, a.unit, a.text, a.before, a.after, a.reason) for a in audits
        ]
        _insert_rows(AuditEntry, _AUDIT_COLUMNS, entries, self.now)
        if progress:
            progress("registro", 0, total)
        changed = [p for p in plan.reports if p.outcome != "unchanged"]
        self._save_reports(changed)
        self._save_services(changed)
        _insert_rows(
            AuditEntry,
            _AUDIT_COLUMNS,
            [
                self._entry(_AUDIT_ACTIONS[p.outcome], p.report, str(p.report), p.before, p.after)
                for p in changed
            ],
            self.now,
        )
        if progress:
            progress("registro", total, total)

    def _entry(self, action, obj, text, before, after, reason="") -> tuple:
        """An AuditEntry as record_audit writes it, as a row of _AUDIT_COLUMNS."""
        return (
            str(action),
            str(AuditEntry.Source.IMPORT),
            obj._meta.model_name,
            obj.pk,
            text[:250],
            self.center.pk,
            self.batch.pk,
            before,
            after,
            diff(before, after),
            reason[:300],
            self.actor.pk if self.actor else None,
        )

    def _save_reports(self, plans: list[_ReportPlan]) -> None:
        new: list[ServiceReport] = []
        for plan in plans:
            if plan.report is None:
                plan.report = ServiceReport(
                    center=self.center,
                    code=plan.draft.code,
                    created_by=self.actor,
                    import_batch=self.batch,
                    **plan.values,
                )
                new.append(plan.report)
                continue
            for name, value in plan.values.items():
                setattr(plan.report, name, value)
            plan.report.cancel_reason = plan.after["cancel_reason"]
            plan.report.updated_at = self.now
        _insert(ServiceReport, new, self.now)
        updated = [p.report for p in plans if p.before is not None]
        ServiceReport.objects.bulk_update(updated, _UPDATED_FIELDS, batch_size=_CHUNK)

    def _save_services(self, plans: list[_ReportPlan]) -> None:
        create, update, delete = [], [], []
        for plan in plans:
            report = plan.report
            wanted = {
                unit.pk: _amount(row, plan.values["is_free"])
                for unit, row in zip(plan.units, plan.draft.rows, strict=True)
            }
            current = {s.unit_id: s for s in plan.current}
            delete += [s.pk for unit_id, s in current.items() if unit_id not in wanted]
            for unit_id, amount in wanted.items():
                service = current.get(unit_id)
                if service is None:
                    create.append((report.pk, unit_id, amount))
                elif service.amount != amount:
                    update.append(Service(pk=service.pk, amount=amount))
            # New units have their ids now: the audit snapshot gets them.
            plan.after = {**plan.after, "services": sorted([u, str(a)] for u, a in wanted.items())}
        for start in range(0, len(delete), _CHUNK):
            Service.objects.filter(pk__in=delete[start : start + _CHUNK]).delete()
        _insert_rows(Service, ("report_id", "unit_id", "amount"), create, self.now)
        Service.objects.bulk_update(update, ["amount"], batch_size=_CHUNK)


def _insert(model: type[Model], objects: list[Any], now: datetime.datetime) -> None:
    """bulk_create, or on PostgreSQL a COPY with ids taken from the table's sequence.

    Django's bulk insert adapts every value of every row in Python; COPY streams the rows
    and is several times faster for the tens of thousands of rows a large import writes.
    """
    if not objects:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objects, batch_size=_CHUNK)
        return
    meta = model._meta
    fields = list(meta.concrete_fields)
    stamped = [
        f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objects)],
        )
        for obj, (pk,) in zip(objects, cursor.fetchall(), strict=True):
            obj.pk = pk
            for field in stamped:
                setattr(obj, field.attname, now)
            obj._state.adding, obj._state.db = False, connection.alias
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(meta.db_table),
            sql.SQL(", ").join(sql.Identifier(f.column) for f in fields),
        )
        with cursor.cursor.copy(statement) as copy:
            for obj in objects:
                copy.write_row([_db_value(field, obj) for field in fields])


def _insert_rows(
    model: type[Model], names: tuple[str, ...], rows: list[tuple], now: datetime.datetime
) -> None:
    """Insert plain rows (attribute names -> values) whose ids are not needed afterwards."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        objects = [model(**dict(zip(names, row, strict=True))) for row in rows]
        model._default_manager.bulk_create(objects, batch_size=_CHUNK)
        return
    meta = model._meta
    fields = [meta.get_field(name) for name in names]
    stamped = [f for f in meta.concrete_fields if getattr(f, "auto_now_add", False)]
    json = [f.get_internal_type() == "JSONField" for f in fields]
    columns = [f.column for f in fields + stamped]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(meta.db_table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            values = [
                Jsonb(v) if j and v is not None else v for v, j in zip(row, json, strict=True)
            ]
            copy.write_row([*values, *[now] * len(stamped)])


def _db_value(field: Any, obj: Model) -> Any:
    value = getattr(obj, field.attname)
    if isinstance(value, Enum):
        return value.value
    if field.get_internal_type() == "JSONField" and value is not None:
        return Jsonb(value)
    return value


_AUDIT_COLUMNS = (
    "action", "source", "object_type", "object_id", "object_repr", "center_id", "batch_id",
    "before", "after", "changes", "reason", "actor_id",
)  # fmt: skip
_AUDIT_ACTIONS = {"created": AuditEntry.Action.CREATE, "updated": AuditEntry.Action.UPDATE}
_UPDATED_FIELDS = [
    "category",
    "catalogue_service",
    "chain",
    "start_date",
    "end_date",
    "delivery_district_id",
    "status",
    "is_free",
    "programme",
    "participants",
    "hours",
    "notes",
    "cancel_reason",
    "updated_at",
]


# --- the batch and the files it keeps ------------------------------------------------------


def _save_batch(ctx: _Context) -> ImportBatch:
    batch = ImportBatch(center=ctx.center, filename=ctx.result.filename[:255], created_by=ctx.user)
    batch.file.name = ctx.file_name
    _update_batch(batch, ctx.result, save=False)
    batch.save()
    return batch


def _update_batch(batch: ImportBatch, result: ImportResult, *, save: bool = True) -> None:
    if result.dry_run:
        batch.status = ImportBatch.Status.DRY_RUN
    else:
        written = result.written and not result.fatal
        batch.status = ImportBatch.Status.COMMITTED if written else ImportBatch.Status.REJECTED
    batch.rows, batch.rejected_rows = result.rows, result.rejected_rows
    batch.reports_created, batch.reports_updated = result.created, result.updated
    batch.reports_unchanged = result.unchanged
    batch.messages = batch_messages(result)
    if save:
        batch.save()


def result_messages(result: ImportResult) -> list[dict[str, Any]]:
    """Every message of an import: the summary, the fatal error, errors by row, warnings."""
    messages: list[dict[str, Any]] = [{"level": "info", "text": result.summary}]
    if result.fatal:
        messages.append({"level": "error", "text": result.fatal})
    messages += [
        {"level": "error", "row": e.row, "column": e.column, "text": e.message}
        for e in result.errors
    ]
    return messages + [{"level": "warning", "text": w} for w in result.warnings]


def batch_messages(result: ImportResult) -> list[dict[str, Any]]:
    """The messages kept on the batch: result_messages, capped at MAX_STORED_MESSAGES."""
    messages = result_messages(result)
    if len(messages) <= MAX_STORED_MESSAGES:
        return messages
    hidden = len(messages) - MAX_STORED_MESSAGES
    return [
        *messages[:MAX_STORED_MESSAGES],
        {"level": "info", "text": f"… y {hidden} mensajes más (vea el informe de errores)."},
    ]


def rejected_file_name(batch: ImportBatch) -> str:
    """Where the rows to fix and re-import are kept, next to the batch's file."""
    stem, ext = os.path.splitext(batch.file.name)
    return f"{stem}-rechazadas{ext.lower() if ext.lower() in ('.csv', '.xlsx') else '.csv'}"


def _store_rejected(result: ImportResult) -> None:
    batch = result.batch
    if batch is None or not batch.file or not result.rejected:
        return
    name = rejected_file_name(batch)
    buffer = io.BytesIO()
    write_rejected_rows(result, buffer, fmt=name.rsplit(".", 1)[-1])
    default_storage.save(name, ContentFile(buffer.getvalue()))


def write_rejected_rows(result: ImportResult, target: IO[bytes] | str | Path, *, fmt: str) -> None:
    """The rows of rejected reports, as read, plus a `motivo` column: fix them, re-import."""
    width = len(result.headers)
    headers = [*result.headers, REJECTION_COLUMN]
    rows = [[*raw[:width], *[None] * (width - len(raw)), why] for _, raw, why in result.rejected]
    _write_table(target, headers, rows, fmt=fmt, title="Rechazadas")


def write_error_report(
    messages: list[dict[str, Any]], target: IO[bytes] | str | Path, *, fmt: str
) -> None:
    """The error report ("tipo", "fila", "columna", "motivo") from result_messages() or a batch."""
    rows = [
        [_LEVELS.get(m["level"], m["level"]), m.get("row"), m.get("column", ""), m["text"]]
        for m in messages
    ]
    _write_table(target, ["tipo", "fila", "columna", "motivo"], rows, fmt=fmt, title="Errores")


_LEVELS = {"error": "error", "warning": "aviso", "info": "resumen"}


def _write_table(
    target: IO[bytes] | str | Path,
    headers: list[str],
    rows: list[list[Any]],
    *,
    fmt: str,
    title: str,
) -> None:
    if fmt == "xlsx":
        write_xlsx(target, {title: (headers, rows)})
    else:
        write_csv(target, headers, rows)
