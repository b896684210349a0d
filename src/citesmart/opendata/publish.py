"""Publishing a release: everything is written into a new folder, checked, then switched on.

    VAR_DIR/opendata/releases/<timestamp>/   files, datapackage.json, manifest.json ...
    VAR_DIR/opendata/CURRENT                 the name of the release being served

The pointer is replaced with os.replace (atomic on POSIX), only after the whole release was
written and validated, so a run that fails at any point leaves the previous release online;
its half-written folder is removed. The last few releases stay on disk.
"""

import csv
import json
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from citesmart.analytics import conf as analytics_conf
from citesmart.analytics import refresh
from citesmart.lib.identity import DocumentType, is_personal_document
from citesmart.opendata import build, conf, metadata, writers
from citesmart.opendata.catalog import FORMATS, RESOURCES, SCHEMA_VERSION, Resource
from citesmart.opendata.pseudonyms import Pseudonymiser
from citesmart.ops.demo import is_demo
from citesmart.publications import queries as publications
from citesmart.records import closing

POINTER = "CURRENT"
MANIFEST = "manifest.json"
PARTIAL = ".partial"


class PublicationError(RuntimeError):
    """The release is not valid: nothing was switched on. The message says where and what."""


def releases_dir(root: Path | None = None) -> Path:
    return (root or conf.directory()) / "releases"


def current(root: Path | None = None) -> tuple[Path, dict[str, Any]] | None:
    """(folder, manifest) of the release online, or None before the first publication."""
    root = root or conf.directory()
    try:
        name = (root / POINTER).read_text().strip()
    except FileNotFoundError:
        return None
    folder = releases_dir(root) / name
    try:
        return folder, json.loads((folder / MANIFEST).read_text())
    except FileNotFoundError:
        return None


def publish(*, now: datetime | None = None, key: bytes | None = None) -> tuple[Path, dict]:
    """Build, validate and switch on a new release; returns its (folder, manifest)."""
    root = conf.directory()
    now = now or datetime.now(UTC)
    name = now.strftime("%Y%m%dT%H%M%S%fZ")
    work = releases_dir(root) / f"{name}{PARTIAL}"
    work.mkdir(parents=True)
    try:
        manifest = _write_release(work, name, now, key, current(root))
        final = releases_dir(root) / name
        os.rename(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    _switch(root, name)
    _prune(root, keep=conf.releases_kept())
    return final, manifest


def _write_release(
    work: Path, name: str, now: datetime, key: bytes | None, previous: tuple | None
) -> dict[str, Any]:
    reader = refresh.ensure_fresh()
    with reader.cursor():
        fresh_as_of = reader.meta["fresh_as_of"]
    threshold = analytics_conf.disclosure_threshold()
    context = build.Context(Pseudonymiser(key), threshold)
    manifest: dict[str, Any] = {
        "release": name,
        "published_at": now.isoformat(timespec="seconds"),
        "fresh_as_of": fresh_as_of,
        "threshold": threshold,
        "official_through": _month_code(closing.official_through(cached=False)),
        "official_note": closing.official_note(),
        "publication": _publication(),
        "schema_version": SCHEMA_VERSION,
        "demo": is_demo(),  # demonstration data: the descriptions say so (metadata)
        "resources": {},
    }
    for resource in RESOURCES:
        batches = validated(resource, _batches(resource, context))
        rows, formats = build_formats(resource, batches, work)
        check_csv(resource, work / formats["csv"]["file"], rows)
        manifest["resources"][resource.name] = {"rows": rows, "formats": formats}
    history = previous[1].get("history", []) if previous else []
    history = [*history, metadata.changelog_entry(manifest)][-100:]
    _dump(work / "datapackage.json", metadata.datapackage(manifest))
    (work / "LICENCIA.txt").write_text(metadata.license_text(manifest), encoding="utf-8")
    (work / "CAMBIOS.md").write_text(metadata.changelog_markdown(history), encoding="utf-8")
    _dump(work / "cambios.json", history)
    manifest["history"] = history
    _dump(work / MANIFEST, manifest)  # last: a release without manifest is never served
    return manifest


def build_formats(
    resource: Resource, batches: Iterable[writers.Batch], work: Path
) -> tuple[int, dict[str, Any]]:
    return writers.write_all(resource, batches, work, FORMATS)


def _batches(resource: Resource, context: build.Context) -> Iterator[writers.Batch]:
    """The builder's rows as batches of tuples in catalog order (streamed ones as they come)."""
    produced = build.BUILDERS[resource.name](context)
    if resource.name in build.STREAMED:
        yield from produced
        return
    for number, row in enumerate(produced, start=1):
        if list(row) != resource.columns:
            raise PublicationError(f"{resource.name}, fila {number}: columnas inesperadas.")
    yield [tuple(row.values()) for row in produced]


def _dump(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _switch(root: Path, name: str) -> None:
    temporary = root / f"{POINTER}.tmp"
    temporary.write_text(name + "\n")
    os.replace(temporary, root / POINTER)


def _prune(root: Path, keep: int) -> None:
    """Remove the oldest releases beyond `keep` and leftovers of failed runs."""
    online = current(root)
    names = sorted(p.name for p in releases_dir(root).iterdir() if p.is_dir())
    finished = [n for n in names if not n.endswith(PARTIAL)]
    stale = finished[: max(0, len(finished) - keep)]
    for name in stale + [n for n in names if n.endswith(PARTIAL)]:
        if online and online[0].name == name:
            continue
        shutil.rmtree(releases_dir(root) / name, ignore_errors=True)


# --- validation ----------------------------------------------------------------------------


def validated(resource: Resource, batches: Iterable[writers.Batch]) -> Iterator[writers.Batch]:
    """Each batch checked against the catalog's fields before it is passed on to the writers;
    raises PublicationError naming row and field (the release folder is then discarded)."""
    seen: dict[str, set] = {f.name: set() for f in resource.fields if f.unique}
    patterns = {f.name: re.compile(f.pattern) for f in resource.fields if f.pattern}
    checks = [
        (index, field, patterns.get(field.name)) for index, field in enumerate(resource.fields)
    ]
    ruc = resource.columns.index("ruc") if "ruc" in resource.columns else None
    number = 0
    for batch in batches:
        for row in batch:
            number += 1
            if len(row) != len(checks):
                raise PublicationError(f"{resource.name}, fila {number}: columnas inesperadas.")
            for index, field, pattern in checks:
                _check_value(resource, number, field, pattern, row[index], seen)
            if ruc is not None and row[ruc] and is_personal_document(DocumentType.RUC, row[ruc]):
                raise PublicationError(f"{resource.name}, fila {number}: RUC de persona natural.")
        yield batch


def _check_value(resource, number, field, pattern, value, seen) -> None:
    where = f"{resource.name}, fila {number}, campo «{field.name}»"
    if value is None:
        if field.required:
            raise PublicationError(f"{where}: falta el valor obligatorio.")
        return
    if not _type_ok(field.type, value):
        raise PublicationError(f"{where}: valor {value!r} no es de tipo {field.type}.")
    if field.enum and value not in field.enum:
        raise PublicationError(f"{where}: «{value}» no está entre los valores válidos.")
    if pattern is not None and not pattern.match(str(value)):
        raise PublicationError(f"{where}: «{value}» no tiene el formato esperado.")
    if field.minimum is not None and value < field.minimum:
        raise PublicationError(f"{where}: {value} es menor que {field.minimum}.")
    if field.unique:
        if value in seen[field.name]:
            raise PublicationError(f"{where}: «{value}» está repetido.")
        seen[field.name].add(value)


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "date":
        return isinstance(value, date)
    if kind in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, {"string": str, "integer": int}.get(kind, (int, float, Decimal)))


def check_csv(resource: Resource, path: Path, rows: int) -> None:
    """Read the written CSV back: BOM, header and row count as described."""
    with path.open(encoding="utf-8", newline="") as stream:
        if stream.read(1) != "\ufeff":
            raise PublicationError(f"{path.name}: falta la marca BOM de UTF-8.")
        reader = csv.reader(stream)
        header = next(reader, None)
        count = sum(1 for _ in reader)
    if header != resource.columns or count != rows:
        raise PublicationError(f"{path.name}: cabecera o número de filas no coinciden.")


def _month_code(month: tuple[int, int] | None) -> str | None:
    return f"{month[0]}-{month[1]:02d}" if month else None


def _publication() -> dict[str, str] | None:
    """The newest named publication of the official figures (publications app), if any."""
    newest = publications.latest()
    return {"name": newest.slug, "title": newest.title} if newest else None
