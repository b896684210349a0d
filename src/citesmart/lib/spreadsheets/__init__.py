"""Safe reading and writing of tabular files (xlsx and csv).

Uploaded spreadsheets are untrusted: the format is detected from the content, never
from the extension; formulas are never evaluated (only the values Excel cached are
read); and oversized, compressed-bomb or malformed files are refused with a
SpreadsheetError, whose Spanish message tells the user what to do, before any
expensive work is done.

Split by responsibility: `table` (the Table, limits, errors, header row), `reading`
(read_table), `xlsx_reading` and `csv_reading` (the two formats), `writing` (exports).
Callers import from here.
"""

from citesmart.lib.spreadsheets.reading import read_table
from citesmart.lib.spreadsheets.table import (
    DEFAULT_LIMITS,
    MIB,
    BinarySource,
    CellValue,
    Limits,
    SpreadsheetError,
    Table,
    column_letter,
    header_key,
)
from citesmart.lib.spreadsheets.writing import csv_chunks, safe_cell, write_csv, write_xlsx

__all__ = [
    "DEFAULT_LIMITS",
    "MIB",
    "BinarySource",
    "CellValue",
    "Limits",
    "SpreadsheetError",
    "Table",
    "column_letter",
    "csv_chunks",
    "header_key",
    "read_table",
    "safe_cell",
    "write_csv",
    "write_xlsx",
]
