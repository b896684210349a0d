"""read_table: open an xlsx or csv file, detected by its content, and read its header row."""

import codecs
import io
import os
import tempfile
from collections.abc import Collection
from pathlib import Path
from typing import IO, cast

from citesmart.lib.spreadsheets.csv_reading import read_csv
from citesmart.lib.spreadsheets.table import (
    CHUNK,
    DEFAULT_LIMITS,
    RETRY,
    SAVE_AS_XLSX,
    BinarySource,
    Limits,
    SpreadsheetError,
    Table,
    size_text,
)
from citesmart.lib.spreadsheets.xlsx_reading import read_xlsx

_SPOOL_IN_MEMORY = 1024 * 1024
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def read_table(
    source: str | os.PathLike[str] | BinarySource,
    *,
    filename: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    expect: Collection[str] = (),
    sheet: str | None = None,
) -> Table:
    """Open an xlsx or csv file (detected by content) and read its header row.

    ``source`` is a path or a binary file object, read from its beginning; ``filename``
    (e.g. the uploaded name) is only used in messages. The header row is the first
    non-empty row; with ``expect`` (header_key()s of the columns the caller knows) it is the
    row among the first ones naming most of them, so title rows above the header are
    skipped, and a two-row header ("mes" merged over "01" … "12") reads as "mes_01" …
    (lib/headers.py). For xlsx, ``sheet`` names the sheet to read; without it the one
    visible sheet, or (with ``expect``) the one whose header names most expected columns,
    or the first visible one. Table.sheets lists the visible sheets. Raises SpreadsheetError.
    """
    if filename is None and isinstance(source, (str, os.PathLike)):
        filename = Path(source).name
    subject = f"El archivo «{filename}»" if filename else "El archivo"
    stream, owned = _open_source(source, subject, limits)
    try:
        table = _read_stream(stream, subject, limits, frozenset(expect), sheet)
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
    while chunk := source.read(min(CHUNK, limits.max_bytes + 1 - copied)):
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
    limit = size_text(limits.max_bytes)
    weight = f"pesa más de {limit}" if size is None else f"pesa {size_text(size)}"
    raise SpreadsheetError(
        f"{subject} {weight} y el máximo permitido es {limit}. "
        "Divida la información en varios archivos e impórtelos por separado."
    )


def _read_stream(
    stream: IO[bytes], subject: str, limits: Limits, expect: frozenset[str], sheet: str | None
) -> Table:
    head = stream.read(8)
    stream.seek(0)
    if not head:
        raise SpreadsheetError(f"{subject} está vacío. Verifique que eligió el archivo correcto.")
    if head.startswith(_ZIP_MAGICS):
        return read_xlsx(stream, subject, limits, expect, sheet)
    if head.startswith(_OLE2_MAGIC):
        raise SpreadsheetError(
            f"{subject} está en el formato antiguo de Excel (.xls) o protegido con contraseña. "
            f"Ábralo en Excel, quite la contraseña si la tiene y {SAVE_AS_XLSX}."
        )
    if head.startswith(b"%PDF"):
        raise SpreadsheetError(
            f"{subject} es un PDF, no una hoja de cálculo. Use el archivo de Excel original "
            "o expórtelo como «CSV UTF-8»."
        )
    if head.startswith(_UTF16_BOMS):
        raise SpreadsheetError(f"{subject} está guardado como «Texto Unicode» (UTF-16). {RETRY}")
    return read_csv(stream, subject, limits, expect)
