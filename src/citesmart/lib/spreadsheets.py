"""Safe reading and writing of tabular files (xlsx and csv).

Uploaded spreadsheets are untrusted: the format is detected from the content, never
from the extension; formulas are never evaluated (only the values Excel cached are
read); and oversized, compressed-bomb or malformed files are refused with a
SpreadsheetError, whose Spanish message tells the user what to do, before any
expensive work is done.
"""

import codecs
import csv
import datetime
import io
import os
import tempfile
import unicodedata
import zipfile
from collections.abc import (
    Callable,
    Collection,
    Generator,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from itertools import islice
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal, Protocol, Self, TypeAlias, cast

import xlsxwriter
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from citesmart.lib.headers import SCAN_ROWS, locate_header
from citesmart.lib.text import fold_key
from citesmart.lib.values import clean_text, is_blank

MIB = 1024 * 1024

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


_CHUNK = 1024 * 1024
_SAMPLE = 64 * 1024
_SPOOL_IN_MEMORY = 1024 * 1024
_MAX_LINE_CHARS = 1024 * 1024
_MAX_ZIP_ENTRIES = 10_000
_MAX_CONTROL_RATIO = 0.05
# Tiny zip entries can have big ratios without being a threat; only the total counts.
_MIN_ENTRY_FOR_RATIO = 1 * MIB
_XML_PROLOG_BYTES = 4096
_DELIMITERS = (";", "\t", ",")  # preference order on ties
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY", "<!DOCTYPE".encode("utf-16-le"))
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"

_SAVE_AS_XLSX = "guárdelo como «Libro de Excel (.xlsx)»"
_RETRY = "Guárdelo desde Excel como «Libro de Excel (.xlsx)» o «CSV UTF-8» e inténtelo de nuevo."


class SpreadsheetError(Exception):
    """The uploaded file cannot be read; ``message`` says why and what to do, in Spanish."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
                yield number, _fit(values, width)

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


def read_table(
    source: str | os.PathLike[str] | BinarySource,
    *,
    filename: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    expect: Collection[str] = (),
) -> Table:
    """Open an xlsx or csv file (detected by content) and read its header row.

    ``source`` is a path or a binary file object, read from its beginning; ``filename``
    (e.g. the uploaded name) is only used in messages. The header row is the first
    non-empty row; with ``expect`` (header_key()s of the columns the caller knows) it is the
    row among the first ones naming most of them, so title rows above the header are
    skipped, and a two-row header ("mes" merged over "01" … "12") reads as "mes_01" …
    (lib/headers.py). For xlsx the first visible sheet is read. Raises SpreadsheetError.
    """
    if filename is None and isinstance(source, (str, os.PathLike)):
        filename = Path(source).name
    subject = f"El archivo «{filename}»" if filename else "El archivo"
    stream, owned = _open_source(source, subject, limits)
    try:
        table = _read_stream(stream, subject, limits, frozenset(expect))
    except BaseException:
        if owned:
            stream.close()
        raise
    if owned:
        table._closers.append(stream.close)
    return table


def _open_source(
    source: str | os.PathLike[str] | BinarySource, subject: str, limits: Limits
) -> tuple[IO[bytes], bool]:
    """Return a seekable binary stream and whether we must close it; checks the size."""
    if isinstance(source, (str, os.PathLike)):
        _check_size(os.stat(source).st_size, subject, limits)
        return open(source, "rb"), True
    if isinstance(source, io.IOBase) and source.seekable():
        stream = cast(IO[bytes], source)
        _check_size(stream.seek(0, io.SEEK_END), subject, limits)
        stream.seek(0)
        return stream, False
    # Streams that are not seekable io objects (sockets, framework wrappers) are copied,
    # never reading more than the limit.
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115
    copied = 0
    while chunk := source.read(min(_CHUNK, limits.max_bytes + 1 - copied)):
        copied += len(chunk)
        spool.write(chunk)
        if copied > limits.max_bytes:
            spool.close()
            _check_size(None, subject, limits)
    spool.seek(0)
    return cast(IO[bytes], spool), True


def _check_size(size: int | None, subject: str, limits: Limits) -> None:
    """Refuse files over the limit; size None means "more than the limit" (not measured)."""
    if size is not None and size <= limits.max_bytes:
        return
    limit = _size(limits.max_bytes)
    weight = f"pesa más de {limit}" if size is None else f"pesa {_size(size)}"
    raise SpreadsheetError(
        f"{subject} {weight} y el máximo permitido es {limit}. "
        "Divida la información en varios archivos e impórtelos por separado."
    )


def _size(size: int) -> str:
    """Human size in Spanish notation: "512 KB", "20 MB", "20,5 MB"."""
    if size < MIB:
        return f"{-(-size // 1024)} KB"
    return f"{size / MIB:.1f}".replace(".", ",").removesuffix(",0") + " MB"


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", " ")


def _read_stream(stream: IO[bytes], subject: str, limits: Limits, expect: frozenset[str]) -> Table:
    head = stream.read(8)
    stream.seek(0)
    if not head:
        raise SpreadsheetError(f"{subject} está vacío. Verifique que eligió el archivo correcto.")
    if head.startswith(_ZIP_MAGICS):
        return _read_xlsx(stream, subject, limits, expect)
    if head.startswith(_OLE2_MAGIC):
        raise SpreadsheetError(
            f"{subject} está en el formato antiguo de Excel (.xls) o protegido con contraseña. "
            f"Ábralo en Excel, quite la contraseña si la tiene y {_SAVE_AS_XLSX}."
        )
    if head.startswith(b"%PDF"):
        raise SpreadsheetError(
            f"{subject} es un PDF, no una hoja de cálculo. Use el archivo de Excel original "
            "o expórtelo como «CSV UTF-8»."
        )
    if head.startswith(_UTF16_BOMS):
        raise SpreadsheetError(f"{subject} está guardado como «Texto Unicode» (UTF-16). {_RETRY}")
    return _read_csv(stream, subject, limits, expect)


# --- xlsx -----------------------------------------------------------------------------


def _read_xlsx(stream: IO[bytes], subject: str, limits: Limits, expect: frozenset[str]) -> Table:
    _check_zip(stream, subject, limits)
    stream.seek(0)
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises many unrelated types on malformed files
        raise SpreadsheetError(_corrupt(subject)) from exc
    try:
        sheet = _first_sheet(workbook, subject)
        _check_dimensions(sheet, limits)
        # The declared dimension was only trusted for the check above: iteration must not
        # be cut short by a dimension that is too small.
        sheet.reset_dimensions()
        raw_rows = partial(_xlsx_rows, sheet, subject, limits)
        header_row, headers = _find_header(raw_rows, subject, limits, expect)
    except BaseException:
        workbook.close()
        raise
    return Table(
        format="xlsx",
        sheet=str(sheet.title),
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
                            f"procesará por seguridad. Ábralo en Excel y {_SAVE_AS_XLSX}."
                        )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise SpreadsheetError(_corrupt(subject)) from exc
    except NotImplementedError as exc:  # unsupported compression method
        raise SpreadsheetError(_corrupt(subject)) from exc


def _check_zip_entries(
    archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo], subject: str, limits: Limits
) -> None:
    if len(entries) > _MAX_ZIP_ENTRIES:
        raise SpreadsheetError(_corrupt(subject))
    if any(entry.flag_bits & 0x1 for entry in entries):
        raise SpreadsheetError(
            f"{subject} está protegido con contraseña. Quite la contraseña en Excel "
            f"y {_SAVE_AS_XLSX}."
        )
    if any(e.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) for e in entries):
        raise SpreadsheetError(_corrupt(subject))
    _check_zip_bomb(entries, subject, limits)
    names = {entry.filename for entry in entries}
    if "xl/workbook.bin" in names:
        raise SpreadsheetError(
            f"{subject} está en formato «Libro binario de Excel» (.xlsb). "
            f"Ábralo en Excel y {_SAVE_AS_XLSX}."
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
            f"{subject} se descomprime a un tamaño desproporcionado ({_size(total)}) "
            "y no se procesará por seguridad. Guárdelo de nuevo desde Excel como «Libro de "
            "Excel (.xlsx)»; si la hoja es muy grande, divida la información en varios archivos."
        )


def _corrupt(subject: str) -> str:
    return (
        f"{subject} está dañado o no es un libro de Excel válido. Ábralo en Excel, "
        f"{_SAVE_AS_XLSX} e inténtelo de nuevo."
    )


def _first_sheet(workbook: Any, subject: str) -> Any:
    """The first visible worksheet (chartsheets are not worksheets), else the first one."""
    sheets = list(workbook.worksheets)
    if not sheets:
        raise SpreadsheetError(f"{subject} no tiene ninguna hoja con datos.")
    visible = [sheet for sheet in sheets if sheet.sheet_state == "visible"]
    return (visible or sheets)[0]


def _check_dimensions(sheet: Any, limits: Limits) -> None:
    """Refuse sheets whose declared <dimension> is too big, before reading any cell."""
    declared_rows, declared_columns = sheet.max_row, sheet.max_column
    if declared_rows is not None and declared_rows > limits.max_rows:
        raise SpreadsheetError(
            f"La hoja «{sheet.title}» ocupa {_thousands(declared_rows)} filas y el máximo "
            f"es {_thousands(limits.max_rows)}. Borre las filas vacías o con formato que "
            "haya debajo de los datos, o divida la información en varios archivos."
        )
    if declared_columns is not None and declared_columns > limits.max_columns:
        raise SpreadsheetError(
            f"La hoja «{sheet.title}» ocupa {_thousands(declared_columns)} columnas y el "
            f"máximo es {limits.max_columns}. Borre las columnas vacías o con formato que "
            "haya a la derecha de la tabla."
        )


def _xlsx_rows(sheet: Any, subject: str, limits: Limits) -> RawRows:
    # One extra column lets _find_header notice headers wider than the limit.
    cells = sheet.iter_rows(min_row=1, max_col=limits.max_columns + 1, values_only=True)
    try:
        # openpyxl fills gaps between rows with empty rows, so enumerate gives row numbers.
        for number, values in enumerate(cells, start=1):
            if number > limits.max_rows:
                raise SpreadsheetError(_too_many_rows(limits, sheet.title))
            # count(None) is a fast path for the many all-None rows openpyxl pads with.
            if values.count(None) < len(values) and not all(map(is_blank, values)):
                yield number, list(values)
    except SpreadsheetError:
        raise
    except Exception as exc:  # malformed XML or zip data inside the sheet
        raise SpreadsheetError(_corrupt(subject)) from exc


def _too_many_rows(limits: Limits, sheet: str | None = None) -> str:
    where = f"La hoja «{sheet}»" if sheet else "El archivo"
    return (
        f"{where} tiene más de {_thousands(limits.max_rows)} filas, el máximo permitido. "
        "Divida la información en varios archivos e impórtelos por separado."
    )


# --- csv ------------------------------------------------------------------------------


def _read_csv(stream: IO[bytes], subject: str, limits: Limits, expect: frozenset[str]) -> Table:
    encoding = _detect_encoding(stream, subject)
    stream.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)(errors="ignore")
    sample = decoder.decode(stream.read(_SAMPLE))
    _check_text_sample(sample, subject)
    has_sep_line, delimiter = _detect_delimiter(sample)
    raw_rows = partial(
        _csv_rows, stream, encoding, delimiter, has_sep_line, subject=subject, limits=limits
    )
    header_row, headers = _find_header(raw_rows, subject, limits, expect)
    return Table(
        format="csv",
        encoding=encoding,
        delimiter=delimiter,
        headers=headers,
        header_row=header_row,
        _raw_rows=raw_rows,
    )


def _detect_encoding(stream: IO[bytes], subject: str) -> str:
    """One streaming pass: refuse NUL bytes, then prefer UTF-8 and fall back to cp1252."""
    stream.seek(0)
    utf8 = codecs.getincrementaldecoder("utf-8")()
    utf8_ok = cp1252_ok = True
    has_bom = False
    first = True
    while chunk := stream.read(_CHUNK):
        if first:
            has_bom, first = chunk.startswith(codecs.BOM_UTF8), False
        if b"\x00" in chunk:
            raise SpreadsheetError(_unreadable(subject))
        if utf8_ok:
            try:
                utf8.decode(chunk)
            except UnicodeDecodeError:
                utf8_ok = False
        if cp1252_ok:
            try:
                chunk.decode("cp1252")  # single-byte: chunks decode independently
            except UnicodeDecodeError:
                cp1252_ok = False
    if utf8_ok:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_ok = False
    if utf8_ok:
        return "utf-8-sig" if has_bom else "utf-8"
    if cp1252_ok:
        return "cp1252"
    raise SpreadsheetError(_unreadable(subject))


def _unreadable(subject: str) -> str:
    return f"{subject} no es una hoja de cálculo .xlsx ni un .csv legible. {_RETRY}"


def _check_text_sample(sample: str, subject: str) -> None:
    """Refuse HTML/XML disguised as spreadsheets and binary data that decoded by chance."""
    start = sample.lstrip()[:2000].lower()
    if start.startswith(("<!doctype html", "<html", "<table")) or "<html" in start[:300]:
        raise SpreadsheetError(
            f"{subject} es una página web (HTML), aunque tenga extensión de Excel. "
            f"Ábralo en Excel y {_SAVE_AS_XLSX}."
        )
    if start.startswith("<?xml"):
        raise SpreadsheetError(
            f"{subject} es un documento XML, no una hoja de cálculo .xlsx ni un .csv. "
            f"Ábralo en Excel y {_SAVE_AS_XLSX}."
        )
    control = sum(
        1 for char in sample if char not in "\t\r\n" and unicodedata.category(char) == "Cc"
    )
    if control > _MAX_CONTROL_RATIO * len(sample):
        raise SpreadsheetError(_unreadable(subject))


def _detect_delimiter(sample: str) -> tuple[bool, str]:
    """Return (has Excel's "sep=X" first line, delimiter) from the first non-blank line."""
    first_line = sample.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
    if len(first_line) == 5 and first_line.lower().startswith("sep="):
        return True, first_line[4]
    counts = dict.fromkeys(_DELIMITERS, 0)
    in_quotes = started = False
    for char in sample:
        if char == '"':
            in_quotes = not in_quotes
        elif in_quotes:
            continue
        elif char in "\r\n":
            if started:
                break
        elif char in counts:
            counts[char] += 1
            started = True
        elif not char.isspace():
            started = True
    best = max(_DELIMITERS, key=lambda d: (counts[d], -_DELIMITERS.index(d)))
    return False, best if counts[best] else ","


def _csv_rows(
    stream: IO[bytes],
    encoding: str,
    delimiter: str,
    has_sep_line: bool,
    *,
    subject: str,
    limits: Limits,
) -> RawRows:
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    # Excel hides the "sep=;" line, so the rows it shows are numbered one less.
    offset = 1 if has_sep_line else 0
    number = 0
    try:
        reader = csv.reader(_bounded_lines(text, subject), delimiter=delimiter)
        for index, record in enumerate(reader, start=1):
            number = index - offset
            if number < 1:
                continue
            if number > limits.max_rows:
                raise SpreadsheetError(_too_many_rows(limits))
            values: list[CellValue] = [cell if cell.strip() else None for cell in record]
            if any(value is not None for value in values):
                yield number, values
    except csv.Error as exc:
        raise SpreadsheetError(
            f"{subject} tiene un error de formato CSV cerca de la fila {number + 1}. Revise "
            "las comillas de esa fila o guárdelo de nuevo desde Excel como «CSV UTF-8»."
        ) from exc
    finally:
        text.detach()  # keep the caller's stream open


def _bounded_lines(lines: Iterable[str], subject: str) -> Iterator[str]:
    for line in lines:
        if len(line) > _MAX_LINE_CHARS:
            raise SpreadsheetError(
                f"{subject} tiene una línea de más de {_thousands(_MAX_LINE_CHARS)} "
                f"caracteres; no parece una tabla. {_RETRY}"
            )
        yield line


# --- shared ---------------------------------------------------------------------------


def _find_header(
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
    number, headers = locate_header(first_rows, expect, header_key) or first_rows[0]
    while headers and not headers[-1]:
        headers.pop()
    if len(headers) > limits.max_columns:
        raise SpreadsheetError(
            f"La fila de encabezados tiene más de {limits.max_columns} columnas, el máximo "
            "permitido. Borre las columnas que no forman parte de la tabla."
        )
    return number, headers


def _fit(values: list[CellValue], width: int) -> list[CellValue]:
    if len(values) >= width:
        return values[:width]
    return values + [None] * (width - len(values))


# --- writing --------------------------------------------------------------------------


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
