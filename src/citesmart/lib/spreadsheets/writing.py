"""Writing csv and xlsx exports: text cells neutralised against formula injection."""

import csv
import datetime
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import xlsxwriter
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from citesmart.lib.spreadsheets.table import CellValue
from citesmart.lib.values import clean_text

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: CellValue) -> CellValue:
    """Neutralise formula injection: text starting with = + - @ tab or CR gets a leading '."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


class _Utf8Writer:
    """Adapter so csv.writer can write to a binary file object (e.g. an HTTP response)."""

    def __init__(self, target: IO[bytes]) -> None:
        self._target = target

    def write(self, text: str) -> int:
        return self._target.write(text.encode("utf-8"))


def write_csv(
    target: str | Path | IO[str] | IO[bytes],
    headers: Sequence[str],
    rows: Iterable[Sequence[CellValue]],
    *,
    bom: bool = True,
    delimiter: str = ",",
) -> None:
    """Write a CSV in UTF-8 (with BOM by default, so Excel detects the encoding).

    ``target`` is a path, a text file or a binary file object. Text cells pass through
    safe_cell(); dates are written as dd/mm/aaaa; None as an empty cell.
    """
    if isinstance(target, (str, Path)):
        with open(target, "w", encoding="utf-8", newline="") as handle:
            _write_csv_rows(handle, headers, rows, bom=bom, delimiter=delimiter)
    elif isinstance(target, io.TextIOBase):
        _write_csv_rows(target, headers, rows, bom=bom, delimiter=delimiter)
    else:
        binary: IO[bytes] = target  # type: ignore[assignment]
        _write_csv_rows(_Utf8Writer(binary), headers, rows, bom=bom, delimiter=delimiter)


def csv_chunks(
    headers: Sequence[str],
    rows: Iterable[Sequence[CellValue]],
    *,
    bom: bool = True,
    delimiter: str = ",",
    rows_per_chunk: int = 2000,
) -> Iterator[bytes]:
    """write_csv as a stream of UTF-8 chunks, for an HTTP response sent while rows are read."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    if bom:
        buffer.write("\ufeff")
    writer.writerow([_csv_text(header) for header in headers])
    for number, row in enumerate(rows, start=1):
        writer.writerow([_csv_text(value) for value in row])
        if number % rows_per_chunk == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _write_csv_rows(
    handle: Any,
    headers: Sequence[str],
    rows: Iterable[Sequence[CellValue]],
    *,
    bom: bool,
    delimiter: str,
) -> None:
    if bom:
        handle.write("\ufeff")
    writer = csv.writer(handle, delimiter=delimiter)
    writer.writerow([_csv_text(header) for header in headers])
    for row in rows:
        writer.writerow([_csv_text(value) for value in row])


def _csv_text(value: CellValue) -> str:
    if isinstance(value, str):
        return str(safe_cell(value))
    return clean_text(value)


def write_xlsx(
    target: str | Path | IO[bytes],
    sheets: Mapping[str, tuple[Sequence[str], Iterable[Sequence[CellValue]]]],
) -> None:
    """Write an xlsx workbook, one sheet per entry of ``sheets`` (title -> headers, rows).

    Written by XlsxWriter in constant-memory mode: rows stream to disk as they come, with
    plain values (no cell object per value), several times faster than openpyxl for the
    100k-row exports. Headers are bold and frozen; text passes through safe_cell() and is
    never turned into a formula, number or link; numbers and dates keep their type (dates
    shown as dd/mm/aaaa). Time-zone-aware datetimes are written with their wall-clock time.
    """
    if not sheets:
        raise ValueError("Se necesita al menos una hoja para crear el libro de Excel.")
    workbook = xlsxwriter.Workbook(
        str(target) if isinstance(target, (str, Path)) else target,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    formats = _XlsxFormats(
        bold=workbook.add_format({"bold": True}),
        date=workbook.add_format({"num_format": "dd/mm/yyyy"}),
        datetime=workbook.add_format({"num_format": "dd/mm/yyyy hh:mm"}),
        time=workbook.add_format({"num_format": "hh:mm"}),
    )
    for title, (headers, rows) in sheets.items():
        sheet = workbook.add_worksheet(_sheet_title(title))
        sheet.freeze_panes(1, 0)
        for column, header in enumerate(headers):
            _write_xlsx_cell(sheet, 0, column, header, formats, formats.bold)
        for number, row in enumerate(rows, start=1):
            for column, value in enumerate(row):
                _write_xlsx_cell(sheet, number, column, value, formats)
    workbook.close()


@dataclass(frozen=True)
class _XlsxFormats:
    bold: Any
    date: Any
    datetime: Any
    time: Any


def _write_xlsx_cell(
    sheet: Any, row: int, column: int, value: CellValue, formats: _XlsxFormats, style: Any = None
) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        sheet.write_boolean(row, column, value, style)
    elif isinstance(value, (int, float, Decimal)):
        sheet.write_number(row, column, value, style)
    elif isinstance(value, datetime.datetime):
        sheet.write_datetime(row, column, value.replace(tzinfo=None), formats.datetime)
    elif isinstance(value, datetime.date):
        sheet.write_datetime(row, column, value, formats.date)
    elif isinstance(value, (datetime.time, datetime.timedelta)):
        sheet.write_datetime(row, column, value, formats.time)
    else:
        text = str(safe_cell(ILLEGAL_CHARACTERS_RE.sub("", str(value))))
        # Line ends as XML reads them back (XlsxWriter would keep a CR as "_x000D_").
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        sheet.write_string(row, column, text, style)


def _sheet_title(title: str) -> str:
    cleaned = "".join(" " if char in "[]:*?/\\" else char for char in title).strip(" '")
    return cleaned[:31] or "Hoja"
