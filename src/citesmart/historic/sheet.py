"""Reading one institutional table into parsed lines: columns, cells, totals rows.

A totals row ("TOTAL", "Total general" in a key column) is not data: it is skipped, and each
of its figures must equal the sum of the lines above it (since the previous totals row).
Footnotes ("Fuente: …", "Nota: …" alone in a row) are skipped too.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.utils.translation import gettext as _

from citesmart.historic.tables import TOTAL_WORDS, Column, Lookups, Record, TableSpec
from citesmart.lib.spreadsheets import (
    CellValue,
    Limits,
    SpreadsheetError,
    column_letter,
    header_key,
    read_table,
)
from citesmart.lib.text import fold_key
from citesmart.lib.values import clean_text, is_blank, parse_amount
from citesmart.records.imports import RowError

NOTE_WORDS = ("fuente", "nota", "elaboracion", "(*)", "*")


@dataclass
class Line:
    number: int  # as the user sees it in the sheet
    data: dict[str, Any]
    records: list[Record]


@dataclass
class _Sums:
    """Figures of the lines since the last totals row (None once a line had a bad cell)."""

    values: dict[str, Decimal | None]

    def add(self, name: str, value: Any) -> None:
        if name in self.values and self.values[name] is not None:
            self.values[name] = (self.values[name] or Decimal(0)) + Decimal(value or 0)


def expected_keys(spec: TableSpec) -> set[str]:
    return {key for column in spec.columns for key in column.keys}


def read_lines(
    spec: TableSpec, stream: IO[bytes], filename: str, errors: list[RowError], limits: Limits
) -> list[Line]:
    """Parsed lines of the file; row problems go to `errors`, unusable files raise."""
    lookups = Lookups()
    lines: list[Line] = []
    with read_table(stream, filename=filename, limits=limits, expect=expected_keys(spec)) as table:
        positions = _positions(spec, table.headers, filename)
        labels = {name: f"{column_letter(i)} ({name})" for name, i in positions.items()}
        summed = [c.name for c in spec.columns if c.summed and c.name in positions]
        sums = _Sums(dict.fromkeys(summed, Decimal(0)))
        for number, values in table.rows():
            cells = {name: values[i] for name, i in positions.items()}
            if _is_note(values):
                continue
            if _is_totals(spec, cells):
                _check_totals(number, cells, sums, labels, errors)
                sums = _Sums(dict.fromkeys(summed, Decimal(0)))
                continue
            line = _parse(spec, number, cells, labels, lookups, errors)
            for name in summed:
                if line is None:
                    sums.values[name] = None
                else:
                    sums.add(name, line.data.get(name))
            if line is not None:
                lines.append(line)
    return lines


def _positions(spec: TableSpec, headers: list[str], filename: str) -> dict[str, int]:
    by_key: dict[str, Column] = {}
    for column in spec.columns:
        for key in column.keys:
            by_key.setdefault(key, column)
    positions: dict[str, int] = {}
    for index, header in enumerate(headers):
        column = by_key.get(header_key(header)) if header else None
        if column is not None and column.name not in positions:
            positions[column.name] = index
    missing = [c.name for c in spec.columns if c.required and c.name not in positions]
    if missing:
        raise SpreadsheetError(
            _(
                "A «%(file)s» le faltan columnas de %(table)s: %(missing)s. Los encabezados "
                "deben ser los del cuadro del ITP (descargue la plantilla): %(headers)s."
            )
            % {
                "file": filename,
                "table": spec.itp,
                "missing": ", ".join(missing),
                "headers": ", ".join(spec.headers),
            }
        )
    return positions


def _is_note(values: list[CellValue]) -> bool:
    """A footnote below the table: "Fuente: …", "Nota: …", "Elaboración: …", "(*) …"."""
    filled = [value for value in values if not is_blank(value)]
    return (
        len(filled) == 1
        and isinstance(filled[0], str)
        and fold_key(filled[0]).startswith(NOTE_WORDS)
    )


def _is_totals(spec: TableSpec, cells: dict[str, CellValue]) -> bool:
    keys = [c.name for c in spec.columns if not c.summed and c.name in cells]
    return any(
        isinstance(cells[name], str) and fold_key(cells[name]).startswith(TOTAL_WORDS)
        for name in keys
    )


def _check_totals(
    number: int,
    cells: dict[str, CellValue],
    sums: _Sums,
    labels: dict[str, str],
    errors: list[RowError],
) -> None:
    for name, total in sums.values.items():
        if total is None or is_blank(cells.get(name)):
            continue
        try:
            stated = parse_amount(cells[name])
        except ValueError as problem:
            errors.append(RowError(number, labels[name], str(problem)))
            continue
        if stated != total:
            errors.append(
                RowError(
                    number,
                    labels[name],
                    _(
                        "la fila de totales dice %(stated)s pero las filas de arriba suman "
                        "%(sum)s; corrija el total o las filas"
                    )
                    % {"stated": clean_text(cells[name]), "sum": _number(total)},
                )
            )


def _number(value: Decimal) -> str:
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def _parse(
    spec: TableSpec,
    number: int,
    cells: dict[str, CellValue],
    labels: dict[str, str],
    lookups: Lookups,
    errors: list[RowError],
) -> Line | None:
    before = len(errors)
    data: dict[str, Any] = {}
    for column in spec.columns:
        if column.name not in cells:
            data[column.name] = column.parse(None, lookups) if not column.required else None
            continue
        try:
            data[column.name] = column.parse(cells[column.name], lookups)
        except ValueError as problem:
            errors.append(RowError(number, labels[column.name], str(problem)))
    if len(errors) == before:
        for name, message in spec.check(data):
            errors.append(RowError(number, labels.get(name, name), message))
    if len(errors) > before:
        return None
    return Line(number, data, spec.records(data))
