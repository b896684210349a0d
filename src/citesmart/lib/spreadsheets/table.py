"""What reading a spreadsheet gives: the Table, its limits and errors, the header row.

Shared by the readers (reading, xlsx_reading, csv_reading); the messages tell the user,
in Spanish, what to do.
"""

import datetime
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from types import TracebackType
from typing import Literal, Protocol, Self, TypeAlias

from openpyxl.utils import get_column_letter

from citesmart.lib.headers import SCAN_ROWS, locate_header
from citesmart.lib.text import fold_key
from citesmart.lib.values import clean_text

MIB = 1024 * 1024
CHUNK = 1024 * 1024  # bytes read at a time

CellValue: TypeAlias = (
    str
    | int
    | float
    | Decimal
    | bool
    | datetime.datetime
    | datetime.date
    | datetime.time
    | datetime.timedelta
    | None
)
RawRows: TypeAlias = Generator[tuple[int, list[CellValue]], None, None]


class BinarySource(Protocol):
    """Anything with a binary read(): open files, BytesIO, uploaded files, sockets."""

    def read(self, size: int = -1, /) -> bytes: ...


SAVE_AS_XLSX = "guárdelo como «Libro de Excel (.xlsx)»"
RETRY = "Guárdelo desde Excel como «Libro de Excel (.xlsx)» o «CSV UTF-8» e inténtelo de nuevo."


class SpreadsheetError(Exception):
    """The uploaded file cannot be read; ``message`` says why and what to do, in Spanish."""

    def __init__(self, message: str, *, sheets: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.sheets = sheets or []  # the workbook's sheets, when choosing one is the remedy


@dataclass(frozen=True)
class Limits:
    """Upper bounds that protect the server from huge or hostile files."""

    max_bytes: int = 20 * MIB
    max_rows: int = 200_000
    max_columns: int = 100
    max_uncompressed_bytes: int = 200 * MIB
    max_compression_ratio: float = 100


DEFAULT_LIMITS = Limits()


@dataclass(kw_only=True, eq=False)
class Table:
    """A table read from a spreadsheet: its headers and a stream of data rows.

    Use it as a context manager (or call close()) to release the underlying file.
    """

    format: Literal["csv", "xlsx"]
    headers: list[str]
    header_row: int
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)  # the workbook's visible sheets
    _raw_rows: Callable[[], RawRows] = field(repr=False)
    _closers: list[Callable[[], object]] = field(default_factory=list, repr=False)

    def rows(self) -> Iterator[tuple[int, list[CellValue]]]:
        """Yield (row number as seen in Excel, values) for each non-empty row after the headers.

        Values are padded with None or truncated to the number of headers; empty CSV
        cells are None. Each call starts again from the top; do not interleave two
        iterations. May raise SpreadsheetError midway (too many rows, corrupt data).
        """
        width = len(self.headers)
        for number, values in self._raw_rows():
            if number > self.header_row:
                yield number, fit(values, width)

    def close(self) -> None:
        """Release the workbook and, when read_table opened it, the file."""
        closers, self._closers = self._closers, []
        for closer in closers:
            closer()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def header_key(text: str) -> str:
    """Key to match a header regardless of accents, case, spaces, hyphens and underscores."""
    return fold_key(text)


def column_letter(index: int) -> str:
    """Excel column letter of a 0-based column index (0 -> "A", 27 -> "AB")."""
    return str(get_column_letter(index + 1))


def find_header(
    raw_rows: Callable[[], RawRows], subject: str, limits: Limits, expect: frozenset[str]
) -> tuple[int, list[str]]:
    rows = raw_rows()
    try:
        first_rows = [
            (number, [clean_text(value) for value in values])
            for number, values in islice(rows, SCAN_ROWS if expect else 1)
        ]
    finally:
        rows.close()
    if not first_rows:
        raise SpreadsheetError(f"{subject} no tiene datos: todas sus filas están vacías.")
    # No row names the expected columns (a file with its own headers, to be mapped): the
    # widest of the first rows, so a title above it is not taken for the header.
    widest = max(first_rows, key=lambda row: sum(1 for text in row[1] if text))
    number, headers = locate_header(first_rows, expect, header_key) or widest
    while headers and not headers[-1]:
        headers.pop()
    if len(headers) > limits.max_columns:
        raise SpreadsheetError(
            f"La fila de encabezados tiene más de {limits.max_columns} columnas, el máximo "
            "permitido. Borre las columnas que no forman parte de la tabla."
        )
    return number, headers


def fit(values: list[CellValue], width: int) -> list[CellValue]:
    if len(values) >= width:
        return values[:width]
    return values + [None] * (width - len(values))


def size_text(size: int) -> str:
    """Human size in Spanish notation: "512 KB", "20 MB", "20,5 MB"."""
    if size < MIB:
        return f"{-(-size // 1024)} KB"
    return f"{size / MIB:.1f}".replace(".", ",").removesuffix(",0") + " MB"


def thousands(number: int) -> str:
    return f"{number:,}".replace(",", " ")


def too_many_rows(limits: Limits, sheet: str | None = None) -> str:
    where = f"La hoja «{sheet}»" if sheet else "El archivo"
    return (
        f"{where} tiene más de {thousands(limits.max_rows)} filas, el máximo permitido. "
        "Divida la información en varios archivos e impórtelos por separado."
    )


def corrupt(subject: str) -> str:
    return (
        f"{subject} está dañado o no es un libro de Excel válido. Ábralo en Excel, "
        f"{SAVE_AS_XLSX} e inténtelo de nuevo."
    )


def unreadable(subject: str) -> str:
    return f"{subject} no es una hoja de cálculo .xlsx ni un .csv legible. {RETRY}"
