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

from citesmart.opendata import xlsx
from citesmart.opendata.catalog import Field, Resource


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


def write_csv(resource: Resource, rows: list[dict[str, Any]], path: Path) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow(resource.columns)
        for row in rows:
            writer.writerow([text(row[c]) for c in resource.columns])


def write_xlsx(resource: Resource, rows: list[dict[str, Any]], path: Path) -> None:
    columns = resource.columns
    xlsx.write(path, resource.name, columns, ([row[c] for c in columns] for row in rows))


def write_parquet(resource: Resource, rows: list[dict[str, Any]], path: Path) -> None:
    schema = pa.schema([pa.field(f.name, arrow_type(f)) for f in resource.fields])
    columns = {f.name: [row[f.name] for row in rows] for f in resource.fields}
    table = pa.table(
        {f.name: pa.array(columns[f.name], type=arrow_type(f)) for f in resource.fields},
        schema=schema,
    )
    pq.write_table(table, path, compression="zstd")


def write_json(resource: Resource, rows: list[dict[str, Any]], path: Path) -> None:
    with path.open("w", encoding="utf-8") as stream:
        stream.write("[\n")
        for index, row in enumerate(rows):
            values = {c: _json_value(row[c]) for c in resource.columns}
            stream.write(("," if index else "") + json.dumps(values, ensure_ascii=False) + "\n")
        stream.write("]\n")


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "parquet": write_parquet, "json": write_json}


def digest(path: Path) -> str:
    found = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            found.update(chunk)
    return found.hexdigest()


def write_all(
    resource: Resource, rows: list[dict[str, Any]], directory: Path, formats: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """Every format of the resource; returns per format its file name, size and sha256."""
    written = {}
    for extension in formats:
        path = directory / resource.file(extension)
        WRITERS[extension](resource, rows, path)
        written[extension] = {
            "file": path.name,
            "bytes": path.stat().st_size,
            "sha256": digest(path),
        }
    return written
