"""Reading the whole file into drafts (one per report code) and checking each report's rules."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from django.core.exceptions import ValidationError

from citesmart.lib.identity import (
    DocumentType,
)
from citesmart.lib.spreadsheets import (
    Limits,
    SpreadsheetError,
    Table,
    read_table,
)
from citesmart.lib.values import clean_text
from citesmart.records.actions import (
    AttendedUnit,
    check_report_rules,
)
from citesmart.records.imports.columns import (
    FIELD_COLUMNS,
    REPORT_FIELD_COLUMNS,
    Columns,
    vocabulary_key,
)
from citesmart.records.imports.mapping import center_mappings, expected_headers, mapped_headers
from citesmart.records.imports.results import CENTS, ZERO, Context, ImportResult, Progress, RowError
from citesmart.records.imports.rows import REPORT_PARSERS, Lookups, Row, parse_row, reason_clause
from citesmart.records.template import COLUMNS, REJECTION_COLUMN, column_key, match_column


@dataclass
class Draft:
    """One report as the file describes it: its rows, the first of which sets its fields."""

    code: str
    rows: list[Row] = field(default_factory=list)
    identities: dict[tuple[str, ...], int] = field(default_factory=dict)

    @property
    def first(self) -> Row:
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


def read_rows(
    ctx: Context, stream: IO[bytes], limits: Limits, progress: Progress | None
) -> list[Draft]:
    """Read and check every row; sets result.fatal when the file is unusable."""
    result = ctx.result
    drafts: dict[str, Draft] = {}
    try:
        ctx.mappings = center_mappings(ctx.center)
        expect = expected_headers(ctx.mappings, mapped_headers(ctx.center))
        with read_table(
            stream, filename=result.filename, limits=limits, expect=expect, sheet=ctx.sheet
        ) as table:
            map_headers(result, ctx.columns, table, ctx.mappings)
            if result.fatal:
                return []
            lookups = Lookups(ctx.center)
            for number, values in table.rows():
                _add_to_draft(drafts, parse_row(number, values, ctx.columns, lookups), ctx)
                result.rows += 1
                if progress and result.rows % 1000 == 0:
                    progress("lectura", result.rows, None)
    except SpreadsheetError as error:
        result.fatal, result.sheets = error.message, error.sheets
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
    collect_rejections(result, list(drafts.values()))
    return list(drafts.values())


def _add_to_draft(drafts: dict[str, Draft], row: Row, ctx: Context) -> None:
    """Add a row to its report; flag report fields that disagree with the report's first row."""
    draft = drafts.setdefault(row.code or f"\0fila-{row.number}", Draft(row.code))
    label = ctx.columns.label
    if draft.rows:
        first = draft.first
        for name in REPORT_FIELD_COLUMNS:
            both = name in row.report and name in first.report
            if both and row.report[name] != first.report[name]:
                row.errors.append(
                    RowError(
                        row.number,
                        label(REPORT_FIELD_COLUMNS[name]),
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


def _shown(row: Row, name: str, columns: Columns) -> str:
    """A report field of a row as written in the file, for messages."""
    index = columns.index.get(REPORT_FIELD_COLUMNS[name])
    return clean_text(row.raw[index]) if index is not None else ""


def _check_report(ctx: Context, draft: Draft) -> None:
    """Apply records.actions' rules to a report whose fields read well; map errors to cells."""
    fields = draft.first.report
    if not draft.code or len(fields) < len(REPORT_PARSERS):
        return
    is_free = draft.is_free
    # Placeholder units with distinct ids: duplicates were already caught by identity.
    units = [
        AttendedUnit(_placeholder_unit(row, index), service_amount(row, is_free))
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
        attach(draft, error, ctx.columns)
        return
    ctx.result.warnings += [f"Informe «{draft.code}»: {w}" for w in warnings]


@dataclass(frozen=True, slots=True)
class _StandIn:
    """What check_report_rules reads of a unit, without building a model per row."""

    pk: int
    row: Row

    @property
    def document_label(self) -> str:
        """Only read for a tariff warning: not translated for every row."""
        kind, number = self.row.document_type, self.row.document_number
        return f"{DocumentType(kind).label} {number}".strip()


def _placeholder_unit(row: Row, index: int) -> Any:
    return _StandIn(index, row)


def service_amount(row: Row, is_free: bool) -> Decimal:
    if is_free or row.amount is None:
        return ZERO
    return row.amount.quantize(CENTS)


def attach(draft: Draft, error: ValidationError, columns: Columns) -> None:
    """Put an action's ValidationError on the rows and columns it is about."""
    messages = error.message_dict if hasattr(error, "error_dict") else {"code": error.messages}
    for field_name, texts in messages.items():
        column = FIELD_COLUMNS.get(field_name, "codigo_informe")
        rows = [r for r in draft.rows if r.amount] if field_name == "amount" else []
        for row in rows or [draft.first]:
            for text in texts:
                row.errors.append(RowError(row.number, columns.label(column), reason_clause(text)))


def collect_rejections(result: ImportResult, drafts: list[Draft]) -> None:
    """Errors in file order; every row of a rejected report goes back with its reason."""
    result.errors, result.rejected = [], []
    result.reports = result.rejected_reports = 0
    kept = "se registraría igual" if result.dry_run else "se registró igual"
    for draft in drafts:
        if draft.valid:
            result.reports += 1
            result.warnings += [f"{w}; {kept}" for row in draft.rows for w in row.warnings]
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


def map_headers(
    result: ImportResult, columns: Columns, table: Table, mappings: dict[str, str] | None = None
) -> None:
    """Fill `columns` from the header row (template names and aliases, then the center's
    mappings); fatal (on `result`) if a column is doubled or a required one missing."""
    result.headers, result.header_row = list(table.headers), table.header_row
    result.sheet, result.sheets = table.sheet or "", list(table.sheets)
    mappings = mappings or {}
    for index, header in enumerate(table.headers):
        column = match_column(header)
        name = column.name if column is not None else mappings.get(column_key(header))
        if name is None:
            if header and vocabulary_key(header) != vocabulary_key(REJECTION_COLUMN):
                result.unknown_headers.append(header)
                result.warnings.append(
                    f"Se ignoró la columna «{header}»: no es una columna de la plantilla; "
                    "si corresponde a una, asígnela en la página de la verificación."
                )
            continue
        if name in columns.index:
            result.fatal = (
                f"Las columnas «{columns.written[name]}» y «{header}» son la misma "
                f"({name}); deje solo una."
            )
            return
        columns.index[name] = index
        columns.written[name] = header
        if column is None:
            result.mapped_headers.append(header)
    missing = [c.name for c in COLUMNS if c.required and c.name not in columns.index]
    if missing:
        result.fatal = _missing_text(result, missing)


def _missing_text(result: ImportResult, missing: list[str]) -> str:
    sheet = f" de la hoja «{result.sheet}»" if result.sheet else ""
    where = f"la fila {result.header_row}{sheet}"
    unknown = ", ".join(f"«{h}»" for h in result.unknown_headers[:12])
    todo = (
        f"Asigne las columnas desconocidas ({unknown}) a las de la plantilla en la página "
        "de la verificación, o use la plantilla de importación."
        if unknown
        else "Agregue esas columnas (vea la plantilla de importación)."
    )
    return (
        f"Faltan columnas obligatorias: {', '.join(missing)}. Los encabezados se leyeron en "
        f"{where}. {todo}"
    )
