"""One resource's rows written in the four formats: CSV (UTF-8 with BOM), XLSX, Parquet, JSON.

Column names and types come from the catalog, so every format carries the same columns in
the same order, and the Parquet schema matches the Table Schema of datapackage.json.
"""

import csv
import hashlib
import json
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from citesmart.lib.spreadsheets import safe_cell
from citesmart.opendata import xlsx
from citesmart.opendata.fields import Field, Resource


def arrow_type(field: Field) -> pa.DataType:
    if field.type == "integer":
        return pa.int64()
    if field.type == "number":
        return pa.decimal128(14, 2) if field.name.endswith("_soles") else pa.float64()
    if field.type == "boolean":
        return pa.bool_()
    if field.type == "date":
        return pa.date32()
    return pa.string()


def text(value: Any) -> str:
    """A value as written in CSV (Table Schema's default lexical forms)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


Batch = list[tuple]
"""Rows as tuples in the order of resource.columns: no dict per row is kept (the microdata
has hundreds of thousands of rows; all of them as dicts took about 1.7 GB)."""


class CsvWriter:
    def __init__(self, resource: Resource, path: Path) -> None:
        self._stream = path.open("w", encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._stream, lineterminator="\r\n")
        self._writer.writerow(resource.columns)

    def add(self, batch: Batch) -> None:
        self._writer.writerows([text(safe_cell(value)) for value in row] for row in batch)

    def close(self) -> None:
        self._stream.close()


class XlsxWriter:
    def __init__(self, resource: Resource, path: Path) -> None:
        self._sheet = xlsx.SheetWriter(path, resource.name, resource.columns)

    def add(self, batch: Batch) -> None:
        self._sheet.add(batch)

    def close(self) -> None:
        self._sheet.close()


class ParquetWriter:
    """Batches gathered as Arrow data and flushed as row groups of ROW_GROUP rows (small row
    groups compress worse); the schema matches the Table Schema of datapackage.json."""

    ROW_GROUP = 128_000

    def __init__(self, resource: Resource, path: Path) -> None:
        self._types = [arrow_type(f) for f in resource.fields]
        self._schema = pa.schema(
            [pa.field(f.name, t) for f, t in zip(resource.fields, self._types, strict=True)]
        )
        self._writer = pq.ParquetWriter(path, self._schema, compression="zstd")
        self._pending: list[pa.RecordBatch] = []
        self._rows = 0
        self._empty = True

    def add(self, batch: Batch) -> None:
        if not batch:
            return
        columns = [
            pa.array([row[index] for row in batch], type=kind)
            for index, kind in enumerate(self._types)
        ]
        self._pending.append(pa.record_batch(columns, schema=self._schema))
        self._rows += len(batch)
        if self._rows >= self.ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            table = pa.Table.from_batches(self._pending, schema=self._schema)
            self._writer.write_table(table, row_group_size=self._rows)
            self._pending, self._rows, self._empty = [], 0, False

    def close(self) -> None:
        self._flush()
        if self._empty:  # keep the schema readable in an empty file
            self._writer.write_table(self._schema.empty_table())
        self._writer.close()


class JsonWriter:
    """An array of objects, one compact object per line (no spaces after separators)."""

    def __init__(self, resource: Resource, path: Path) -> None:
        self._columns = resource.columns
        self._stream = path.open("w", encoding="utf-8")
        self._stream.write("[")
        self._first = True

    def add(self, batch: Batch) -> None:
        parts = []
        for row in batch:
            values = dict(zip(self._columns, map(_json_value, row), strict=True))
            parts.append(("\n" if self._first else ",\n") + _dumps(values))
            self._first = False
        self._stream.write("".join(parts))

    def close(self) -> None:
        self._stream.write("\n]\n")
        self._stream.close()


def _dumps(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


WRITERS = {"csv": CsvWriter, "xlsx": XlsxWriter, "parquet": ParquetWriter, "json": JsonWriter}


def digest(path: Path) -> str:
    found = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            found.update(chunk)
    return found.hexdigest()


def write_all(
    resource: Resource, batches: Iterable[Batch], directory: Path, formats: Iterable[str]
) -> tuple[int, dict[str, dict[str, Any]]]:
    """Every format of the resource in one pass over `batches` (each batch is written to
    every format, then dropped). Returns the row count and, per format, its file name, size
    and sha256."""
    formats = list(formats)
    paths = {extension: directory / resource.file(extension) for extension in formats}
    open_writers = []
    try:
        for extension in formats:
            open_writers.append(WRITERS[extension](resource, paths[extension]))
        count = 0
        for batch in batches:
            for writer in open_writers:
                writer.add(batch)
            count += len(batch)
    finally:
        for writer in open_writers:
            writer.close()
    written = {
        extension: {"file": path.name, "bytes": path.stat().st_size, "sha256": digest(path)}
        for extension, path in paths.items()
    }
    return count, written
