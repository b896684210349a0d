"""Spreadsheets as ITP keeps them, built with openpyxl: a title, a merged "mes" over "01…12",
headers merged down over two rows, numbers typed as text with thousands separators, a totals
row at the bottom."""

import csv
from pathlib import Path

from openpyxl import Workbook

MONTHS = [f"{n:02d}" for n in range(1, 13)]


def itp_workbook(
    path: Path,
    keys: list[str],
    rows: list[list],
    *,
    monthly: bool = True,
    values: list[str] | None = None,
    totals: list | None = None,
    footer: str = "Fuente: Registros administrativos CITE - ITP",
    title: str = "CUADRO N.º 3: SERVICIOS BRINDADOS POR LOS CITE",
) -> Path:
    """keys: the key headers (cite, anio, …), merged down over the two header rows; the
    figures under a merged "mes" (monthly) or the `values` headers (merged down too)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "TABLA"
    sheet["A1"] = title
    sheet["A2"] = "Fuente: Registros administrativos CITE - ITP. Actualizado al 01/10/2020"
    figures = MONTHS if monthly else (values or [])
    width = len(keys) + len(figures)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    for index, key in enumerate(keys, start=1):
        sheet.cell(4, index, key)
        sheet.merge_cells(start_row=4, start_column=index, end_row=5, end_column=index)
    if monthly:
        sheet.cell(4, len(keys) + 1, "mes")
        sheet.merge_cells(start_row=4, start_column=len(keys) + 1, end_row=4, end_column=width)
        for offset, month in enumerate(MONTHS):
            sheet.cell(5, len(keys) + 1 + offset, month)
    else:
        for offset, name in enumerate(figures):
            column = len(keys) + 1 + offset
            sheet.cell(4, column, name)
            sheet.merge_cells(start_row=4, start_column=column, end_row=5, end_column=column)
    for number, row in enumerate(rows, start=6):
        for column, value in enumerate(row, start=1):
            sheet.cell(number, column, value)
    if totals is not None:
        for column, value in enumerate(totals, start=1):
            sheet.cell(6 + len(rows), column, value)
    sheet.cell(8 + len(rows), 1, footer)
    book.save(path)
    return path


def write_csv(path: Path, header: list[str], rows: list[list], *, title: str = "") -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        if title:  # Excel pads every row of a CSV to the width of the sheet
            writer.writerow([title] + [""] * (len(header) - 1))
            writer.writerow([""] * len(header))
        writer.writerow(header)
        writer.writerows(rows)
    return path


def thousands(number: int) -> str:
    return f"{number:,}"
