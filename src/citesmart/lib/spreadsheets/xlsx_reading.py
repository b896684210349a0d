"""Reading xlsx workbooks safely: zip bombs, encrypted, binary or foreign workbooks and DTDs
are refused before openpyxl reads a cell; formulas are never evaluated."""

import zipfile
from functools import partial
from typing import IO, Any

from openpyxl import load_workbook

from citesmart.lib.headers import SCAN_ROWS, locate_header
from citesmart.lib.spreadsheets.table import (
    MIB,
    SAVE_AS_XLSX,
    Limits,
    RawRows,
    SpreadsheetError,
    Table,
    corrupt,
    find_header,
    header_key,
    size_text,
    thousands,
    too_many_rows,
)
from citesmart.lib.text import fold_key
from citesmart.lib.values import clean_text, is_blank

_MAX_ZIP_ENTRIES = 10_000
# Tiny zip entries can have big ratios without being a threat; only the total counts.
_MIN_ENTRY_FOR_RATIO = 1 * MIB
_XML_PROLOG_BYTES = 4096
_DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY", "<!DOCTYPE".encode("utf-16-le"))
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


def read_xlsx(
    stream: IO[bytes],
    subject: str,
    limits: Limits,
    expect: frozenset[str],
    sheet_name: str | None = None,
) -> Table:
    _check_zip(stream, subject, limits)
    stream.seek(0)
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises many unrelated types on malformed files
        raise SpreadsheetError(corrupt(subject)) from exc
    try:
        visible = _visible_sheets(workbook, subject)
        sheet = _choose_sheet(visible, sheet_name, subject, limits, expect)
        _check_dimensions(sheet, limits)
        # The declared dimension was only trusted for the check above: iteration must not
        # be cut short by a dimension that is too small.
        sheet.reset_dimensions()
        raw_rows = partial(_xlsx_rows, sheet, subject, limits)
        header_row, headers = find_header(raw_rows, subject, limits, expect)
    except BaseException:
        workbook.close()
        raise
    return Table(
        format="xlsx",
        sheet=str(sheet.title),
        sheets=[str(s.title) for s in visible],
        headers=headers,
        header_row=header_row,
        _raw_rows=raw_rows,
        _closers=[workbook.close],
    )


def _check_zip(stream: IO[bytes], subject: str, limits: Limits) -> None:
    """Refuse zip bombs, encrypted entries, DTDs and zips that are not xlsx workbooks."""
    try:
        with zipfile.ZipFile(stream) as archive:
            entries = archive.infolist()
            _check_zip_entries(archive, entries, subject, limits)
            for entry in entries:
                if entry.filename.endswith((".xml", ".rels", ".vml")):
                    with archive.open(entry) as part:
                        prolog = part.read(_XML_PROLOG_BYTES)
                    if any(marker in prolog for marker in _DTD_MARKERS):
                        raise SpreadsheetError(
                            f"{subject} contiene estructuras XML no permitidas y no se "
                            f"procesará por seguridad. Ábralo en Excel y {SAVE_AS_XLSX}."
                        )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise SpreadsheetError(corrupt(subject)) from exc
    except NotImplementedError as exc:  # unsupported compression method
        raise SpreadsheetError(corrupt(subject)) from exc


def _check_zip_entries(
    archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo], subject: str, limits: Limits
) -> None:
    if len(entries) > _MAX_ZIP_ENTRIES:
        raise SpreadsheetError(corrupt(subject))
    if any(entry.flag_bits & 0x1 for entry in entries):
        raise SpreadsheetError(
            f"{subject} está protegido con contraseña. Quite la contraseña en Excel "
            f"y {SAVE_AS_XLSX}."
        )
    if any(e.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) for e in entries):
        raise SpreadsheetError(corrupt(subject))
    _check_zip_bomb(entries, subject, limits)
    names = {entry.filename for entry in entries}
    if "xl/workbook.bin" in names:
        raise SpreadsheetError(
            f"{subject} está en formato «Libro binario de Excel» (.xlsb). "
            f"Ábralo en Excel y {SAVE_AS_XLSX}."
        )
    if "mimetype" in names:
        with archive.open("mimetype") as part:
            if part.read(100).startswith(_ODS_MIMETYPE):
                raise SpreadsheetError(
                    f"{subject} es una hoja de cálculo de LibreOffice u OpenOffice (.ods). "
                    "Guárdela como «Libro de Excel (.xlsx)» e inténtelo de nuevo."
                )
    if not any(name.lower().endswith("workbook.xml") for name in names):
        raise SpreadsheetError(
            f"{subject} es un archivo comprimido que no contiene un libro de Excel. "
            "Si es un .zip, descomprímalo y suba el archivo .xlsx o .csv que contiene."
        )


def _check_zip_bomb(entries: list[zipfile.ZipInfo], subject: str, limits: Limits) -> None:
    """Use the sizes declared in the zip directory; zipfile never inflates beyond them."""
    total = sum(entry.file_size for entry in entries)
    compressed = max(sum(entry.compress_size for entry in entries), 1)
    ratio = limits.max_compression_ratio
    bomb = (
        total > limits.max_uncompressed_bytes
        or total > ratio * compressed
        or any(
            e.file_size > _MIN_ENTRY_FOR_RATIO and e.file_size > ratio * max(e.compress_size, 1)
            for e in entries
        )
    )
    if bomb:
        raise SpreadsheetError(
            f"{subject} se descomprime a un tamaño desproporcionado ({size_text(total)}) "
            "y no se procesará por seguridad. Guárdelo de nuevo desde Excel como «Libro de "
            "Excel (.xlsx)»; si la hoja es muy grande, divida la información en varios archivos."
        )


def _visible_sheets(workbook: Any, subject: str) -> list[Any]:
    """The visible worksheets (chartsheets are not worksheets), else all of them."""
    sheets = list(workbook.worksheets)
    if not sheets:
        raise SpreadsheetError(f"{subject} no tiene ninguna hoja con datos.")
    return [sheet for sheet in sheets if sheet.sheet_state == "visible"] or sheets


def _choose_sheet(
    sheets: list[Any], name: str | None, subject: str, limits: Limits, expect: frozenset[str]
) -> Any:
    """The sheet named `name`; else the only one, the one whose header names most of
    `expect`, or the first. Several sheets with equally good headers: the user chooses."""
    listed = ", ".join(f"«{sheet.title}»" for sheet in sheets)
    if name:
        wanted = fold_key(name)
        for sheet in sheets:
            if fold_key(str(sheet.title)) == wanted:
                return sheet
        raise SpreadsheetError(
            f"{subject} no tiene una hoja llamada «{name}». Sus hojas son: {listed}. "
            "Escriba el nombre de una de ellas en el campo «Hoja».",
            sheets=[str(sheet.title) for sheet in sheets],
        )
    if len(sheets) == 1 or not expect:
        return sheets[0]
    scores = [(_header_score(sheet, limits, expect), sheet) for sheet in sheets]
    best = max(score for score, _ in scores)
    tied = [sheet for score, sheet in scores if score == best]
    if best >= 2 and len(tied) > 1:
        names = ", ".join(f"«{sheet.title}»" for sheet in tied)
        raise SpreadsheetError(
            f"{subject} tiene varias hojas con los encabezados esperados ({names}). "
            "Elija en el campo «Hoja» cuál importar e importe cada una por separado.",
            sheets=[str(sheet.title) for sheet in sheets],
        )
    return tied[0]


def _header_score(sheet: Any, limits: Limits, expect: frozenset[str]) -> int:
    """How many expected headers the best header row among the sheet's first rows names."""
    cells = sheet.iter_rows(
        min_row=1, max_row=SCAN_ROWS, max_col=limits.max_columns, values_only=True
    )
    rows = [
        (number, [clean_text(value) for value in values])
        for number, values in enumerate(cells, start=1)
        if any(not is_blank(value) for value in values)
    ]
    found = locate_header(rows, expect, header_key)
    return len(expect & {header_key(h) for h in found[1] if h}) if found else 0


def _check_dimensions(sheet: Any, limits: Limits) -> None:
    """Refuse sheets whose declared <dimension> is too big, before reading any cell."""
    declared_rows, declared_columns = sheet.max_row, sheet.max_column
    if declared_rows is not None and declared_rows > limits.max_rows:
        raise SpreadsheetError(
            f"La hoja «{sheet.title}» ocupa {thousands(declared_rows)} filas y el máximo "
            f"es {thousands(limits.max_rows)}. Borre las filas vacías o con formato que "
            "haya debajo de los datos, o divida la información en varios archivos."
        )
    if declared_columns is not None and declared_columns > limits.max_columns:
        raise SpreadsheetError(
            f"La hoja «{sheet.title}» ocupa {thousands(declared_columns)} columnas y el "
            f"máximo es {limits.max_columns}. Borre las columnas vacías o con formato que "
            "haya a la derecha de la tabla."
        )


def _xlsx_rows(sheet: Any, subject: str, limits: Limits) -> RawRows:
    # One extra column lets find_header notice headers wider than the limit.
    cells = sheet.iter_rows(min_row=1, max_col=limits.max_columns + 1, values_only=True)
    try:
        # openpyxl fills gaps between rows with empty rows, so enumerate gives row numbers.
        for number, values in enumerate(cells, start=1):
            if number > limits.max_rows:
                raise SpreadsheetError(too_many_rows(limits, sheet.title))
            # count(None) is a fast path for the many all-None rows openpyxl pads with.
            if values.count(None) < len(values) and not all(map(is_blank, values)):
                yield number, list(values)
    except SpreadsheetError:
        raise
    except Exception as exc:  # malformed XML or zip data inside the sheet
        raise SpreadsheetError(corrupt(subject)) from exc
