"""Reading csv files safely: encoding (UTF-8, else cp1252) and delimiter detected, Excel's
"sep=" line honoured, HTML/XML/binary disguised as csv refused, lines bounded."""

import codecs
import csv
import io
import unicodedata
from collections.abc import Iterable, Iterator
from functools import partial
from typing import IO

from citesmart.lib.spreadsheets.table import (
    CHUNK,
    RETRY,
    SAVE_AS_XLSX,
    CellValue,
    Limits,
    RawRows,
    SpreadsheetError,
    Table,
    find_header,
    thousands,
    too_many_rows,
    unreadable,
)

_SAMPLE = 64 * 1024
_MAX_LINE_CHARS = 1024 * 1024
_MAX_CONTROL_RATIO = 0.05
_DELIMITERS = (";", "\t", ",")  # preference order on ties


def read_csv(stream: IO[bytes], subject: str, limits: Limits, expect: frozenset[str]) -> Table:
    encoding = _detect_encoding(stream, subject)
    stream.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)(errors="ignore")
    sample = decoder.decode(stream.read(_SAMPLE))
    _check_text_sample(sample, subject)
    has_sep_line, delimiter = _detect_delimiter(sample)
    raw_rows = partial(
        _csv_rows, stream, encoding, delimiter, has_sep_line, subject=subject, limits=limits
    )
    header_row, headers = find_header(raw_rows, subject, limits, expect)
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
    while chunk := stream.read(CHUNK):
        if first:
            has_bom, first = chunk.startswith(codecs.BOM_UTF8), False
        if b"\x00" in chunk:
            raise SpreadsheetError(unreadable(subject))
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
    raise SpreadsheetError(unreadable(subject))


def _check_text_sample(sample: str, subject: str) -> None:
    """Refuse HTML/XML disguised as spreadsheets and binary data that decoded by chance."""
    start = sample.lstrip()[:2000].lower()
    if start.startswith(("<!doctype html", "<html", "<table")) or "<html" in start[:300]:
        raise SpreadsheetError(
            f"{subject} es una página web (HTML), aunque tenga extensión de Excel. "
            f"Ábralo en Excel y {SAVE_AS_XLSX}."
        )
    if start.startswith("<?xml"):
        raise SpreadsheetError(
            f"{subject} es un documento XML, no una hoja de cálculo .xlsx ni un .csv. "
            f"Ábralo en Excel y {SAVE_AS_XLSX}."
        )
    control = sum(
        1 for char in sample if char not in "\t\r\n" and unicodedata.category(char) == "Cc"
    )
    if control > _MAX_CONTROL_RATIO * len(sample):
        raise SpreadsheetError(unreadable(subject))


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
                raise SpreadsheetError(too_many_rows(limits))
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
                f"{subject} tiene una línea de más de {thousands(_MAX_LINE_CHARS)} "
                f"caracteres; no parece una tabla. {RETRY}"
            )
        yield line
