"""Backup and restore, portable between SQLite and PostgreSQL.

A backup is one `.tar.gz` file:

    manifest.json        format, date, engine, code version, applied migrations, row count
                         and SHA-256 of every data file, media files, settings that matter
    data/<label>.jsonl   one table per file: a header line with the column names, then one
                         JSON array per row, in primary-key order
    media/...            the uploaded files (import batch spreadsheets) under MEDIA_ROOT

Why rows rather than pg_dump or SQLite's backup API: the same file must restore into an
empty database of either engine. Why not `dumpdata`: it builds a model instance per row and
`loaddata` saves them one by one, minutes at 100k services; here rows are read with
`values_list` and written with `bulk_create` in batches.

Ids are kept, so foreign keys stay as they are; references to content types, permissions
and groups — whose ids are made by `migrate` in each database — are written as natural keys
(app_label + model, codename, group name) and mapped back on restore. Not backed up:
content types and permissions (made by migrate), sessions (everybody logs in again), the
registry's change log (a cache version for the web processes: restore notes a new one), the
analytics read model (rebuilt after restore), secrets (SECRET_KEY, passwords of services
live in the environment; user password hashes are records and are kept).

The dump runs in one transaction (REPEATABLE READ on PostgreSQL, a read transaction on
SQLite) so it is a consistent snapshot while the site keeps working.
"""

import functools
import hashlib
import io
import json
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder

import citesmart
from citesmart.network import registry

FORMAT = "citesmart-backup/1"
BATCH = 2000
SKIPPED = {
    "contenttypes.contenttype",
    "auth.permission",
    "sessions.session",
    "network.registrychange",
}
NATURAL_TARGETS = (ContentType, Permission, Group)
SETTINGS_KEPT = ("TIME_ZONE", "LANGUAGE_CODE", "ANALYTICS_DISCLOSURE_THRESHOLD", "MEDIA_URL")


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do (Spanish)."""


@dataclass
class Summary:
    path: Path
    tables: dict[str, int] = field(default_factory=dict)
    media_files: int = 0

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


# --- backup ----------------------------------------------------------------------------------


def backup(path: Path) -> Summary:
    """Write a backup of the records and uploaded files to `path` (a .tar.gz)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    summary = Summary(path)
    partial = path.with_name(path.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="citesmart-backup-") as scratch:
        data_dir = Path(scratch) / "data"
        data_dir.mkdir()
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(),
            "citesmart_version": citesmart.__version__,
            "engine": connection.vendor,
            "migrations": _applied_migrations(),
            "settings": {name: getattr(settings, name, None) for name in SETTINGS_KEPT},
            "tables": {},
        }
        with _snapshot():
            for model in _models():
                label = model._meta.label_lower
                file = data_dir / f"{label}.jsonl"
                rows = _dump_table(model, file)
                manifest["tables"][label] = {
                    "file": f"data/{label}.jsonl",
                    "rows": rows,
                    "sha256": _sha256(file),
                }
                summary.tables[label] = rows
        media = _media_files()
        manifest["media"] = {"files": len(media), "bytes": sum(p.stat().st_size for p in media)}
        summary.media_files = len(media)
        try:
            with tarfile.open(partial, "w:gz", compresslevel=3) as tar:
                _add_bytes(tar, "manifest.json", json.dumps(manifest, indent=2).encode())
                for file in sorted(data_dir.iterdir()):
                    tar.add(file, arcname=f"data/{file.name}")
                root = Path(settings.MEDIA_ROOT)
                for file in media:
                    tar.add(file, arcname=f"media/{file.relative_to(root).as_posix()}")
            partial.replace(path)  # a backup is either complete or absent
        finally:
            partial.unlink(missing_ok=True)
    return summary


def _models() -> list[type[models.Model]]:
    """Every table with data worth keeping, auto-created many-to-many tables included."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.label_lower in SKIPPED:
            continue
        found.append(model)
    # Groups first: the rows of other tables name them.
    return sorted(found, key=lambda model: model is not Group)


@contextmanager
def _snapshot() -> Iterator[None]:
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def _dump_table(model: type[models.Model], file: Path) -> int:
    fields = _columns(model)
    natural = {f.attname: f.related_model for f in fields if _natural_fk(f)}
    keys = {target: _natural_keys(target) for target in set(natural.values())}
    rows = 0
    with file.open("w", encoding="utf-8") as out:
        out.write(json.dumps([f.attname for f in fields]) + "\n")
        names = [f.attname for f in fields]
        queryset = model._base_manager.order_by("pk").values_list(*names)
        for values in queryset.iterator(chunk_size=BATCH):
            row = list(values)
            for index, name in enumerate(names):
                if name in natural and row[index] is not None:
                    row[index] = keys[natural[name]][row[index]]
            out.write(json.dumps(row, cls=_Encoder, ensure_ascii=False) + "\n")
            rows += 1
    return rows


class _Encoder(DjangoJSONEncoder):
    """DjangoJSONEncoder, but times keep their microseconds (it cuts them to milliseconds)."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime | time):
            return o.isoformat()
        return super().default(o)


def _columns(model: type[models.Model]) -> list[models.Field]:
    fields = list(model._meta.concrete_fields)
    if model is Group or (model._meta.auto_created and _is_group_table(model)):
        # Groups are made by migrate in each database: matched by name, never by id.
        fields = [f for f in fields if not f.primary_key]
    return fields


def _natural_fk(field: models.Field) -> bool:
    return bool(field.is_relation and field.related_model in NATURAL_TARGETS)


def _natural_keys(target: type[models.Model]) -> dict[int, list[str]]:
    return {obj.pk: list(obj.natural_key()) for obj in target._base_manager.all()}


def _media_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _applied_migrations() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def _add_bytes(tar: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(content)
    info.mtime = int(datetime.now(UTC).timestamp())
    tar.addfile(info, io.BytesIO(content))


def _sha256(file: Path) -> str:
    digest = hashlib.sha256()
    with file.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- restore ---------------------------------------------------------------------------------


def read_manifest(path: Path) -> dict[str, Any]:
    try:
        with tarfile.open(path, "r:gz") as tar:
            member = tar.extractfile("manifest.json")
            manifest = json.load(member) if member else {}
    except (OSError, EOFError, tarfile.TarError, KeyError, json.JSONDecodeError) as error:
        raise BackupError(f"«{path}» no es una copia de seguridad de citesmart: {error}") from error
    if manifest.get("format") != FORMAT:
        raise BackupError(f"«{path}»: formato desconocido {manifest.get('format')!r}.")
    return manifest


def restore(path: Path) -> Summary:
    """Restore a backup into an empty database (any engine): migrate, load, check, media.

    Refuses a database that already holds records, and a backup made by a code version with
    other migrations (restore it with that version, then upgrade with `migrate`).
    """
    path = Path(path)
    manifest = read_manifest(path)
    summary = Summary(path)
    with tempfile.TemporaryDirectory(prefix="citesmart-restore-") as scratch:
        root = Path(scratch)
        _extract(path, root, manifest)  # the whole file is checked before anything is written
        call_command("migrate", interactive=False, verbosity=0)
        _check_migrations(manifest)
        _check_empty(manifest)
        _natural_pk.cache_clear()
        with transaction.atomic(), ExitStack() as stack:
            stack.enter_context(_raw_timestamps())
            loaded = []
            for label, entry in manifest["tables"].items():
                model = apps.get_model(label)
                summary.tables[label] = _load_table(model, root / entry["file"])
                if summary.tables[label] != entry["rows"]:
                    raise BackupError(
                        f"{label}: se esperaban {entry['rows']} filas y se cargaron "
                        f"{summary.tables[label]}."
                    )
                loaded.append(model)
            _reset_sequences(loaded)
            registry.note_change(what="restore")  # bulk_create sends no signals
        summary.media_files = _restore_media(root / "media")
    return summary


def _extract(path: Path, root: Path, manifest: dict[str, Any]) -> None:
    try:
        with tarfile.open(path, "r:gz") as tar:
            tar.extractall(root, filter="data")
    except (OSError, EOFError, tarfile.TarError, zlib.error) as error:
        raise BackupError(
            f"«{path}» está incompleta o dañada ({error}); no se restauró nada."
        ) from error
    for entry in manifest["tables"].values():
        file = root / entry["file"]
        if not file.exists() or _sha256(file) != entry["sha256"]:
            raise BackupError(f"{entry['file']}: falta o no coincide (copia dañada).")


def _check_migrations(manifest: dict[str, Any]) -> None:
    here = _applied_migrations()
    theirs = manifest["migrations"]
    if here != theirs:
        missing = sorted(
            f"{app}.{name}"
            for app, names in theirs.items()
            for name in names
            if name not in here.get(app, [])
        )
        newer = sorted(
            f"{app}.{name}"
            for app, names in here.items()
            for name in names
            if name not in theirs.get(app, [])
        )
        raise BackupError(
            "La copia se hizo con otra versión del esquema "
            f"(versión {manifest.get('citesmart_version')}). Falta aquí: "
            f"{', '.join(missing) or 'nada'}; solo aquí: {', '.join(newer) or 'nada'}. "
            "Restaure con la versión de citesmart que hizo la copia y luego actualice "
            "con `citesmart migrate`."
        )


def _check_empty(manifest: dict[str, Any]) -> None:
    busy = []
    for label in manifest["tables"]:
        model = apps.get_model(label)
        if model is Group or (model._meta.auto_created and _is_group_table(model)):
            continue  # migrate creates the role groups and their permissions
        if model._base_manager.exists():
            busy.append(label)
    if busy:
        raise BackupError(
            "La base de datos de destino no está vacía (tiene filas en "
            f"{', '.join(busy[:5])}{'…' if len(busy) > 5 else ''}). Restaure en una base de "
            "datos nueva: créela vacía y apunte DATABASE_URL a ella."
        )


def _is_group_table(model: type[models.Model]) -> bool:
    return any(f.is_relation and f.related_model is Group for f in model._meta.concrete_fields)


def _load_table(model: type[models.Model], file: Path) -> int:
    fields = {f.attname: f for f in model._meta.concrete_fields}
    rows = 0
    with file.open(encoding="utf-8") as stream:
        names = json.loads(stream.readline())
        unknown = [name for name in names if name not in fields]
        if unknown:
            raise BackupError(f"{model._meta.label_lower}: columnas desconocidas {unknown}.")
        columns = [fields[name] for name in names]
        batch: list[models.Model] = []
        for line in stream:
            batch.append(model(**_decode(columns, json.loads(line))))
            if len(batch) >= BATCH:
                rows += _insert(model, batch)
                batch = []
        rows += _insert(model, batch)
    return rows


def _decode(columns: list[models.Field], row: list[Any]) -> dict[str, Any]:
    values = {}
    for column, value in zip(columns, row, strict=True):
        if value is not None and _natural_fk(column):
            value = _natural_pk(column.related_model, tuple(value))
        elif value is not None and not isinstance(column, models.JSONField):
            value = column.to_python(value)
        values[column.attname] = value
    return values


@functools.cache
def _natural_pk(model: type[models.Model], key: tuple[str, ...]) -> int:
    try:
        return model._default_manager.get_by_natural_key(*key).pk
    except model.DoesNotExist as error:
        raise BackupError(
            f"{model._meta.verbose_name} «{'.'.join(key)}» no existe aquí."
        ) from error


def _insert(model: type[models.Model], batch: list[models.Model]) -> int:
    if not batch:
        return 0
    if model is Group:  # the role groups exist already (made by migrate)
        for group in batch:
            Group.objects.get_or_create(name=group.name)
        return len(batch)
    conflicts = model._meta.auto_created and _is_group_table(model)
    model._base_manager.bulk_create(batch, batch_size=BATCH, ignore_conflicts=bool(conflicts))
    return len(batch)


@contextmanager
def _raw_timestamps() -> Iterator[None]:
    """Keep the stored created/updated times: bulk_create would stamp auto_now fields."""
    changed = []
    for model in apps.get_models():
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                changed.append((f, f.auto_now, f.auto_now_add))
                f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in changed:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _reset_sequences(loaded: list[type[models.Model]]) -> None:
    """PostgreSQL: identity sequences continue after the restored ids (no-op on SQLite)."""
    statements = connection.ops.sequence_reset_sql(no_style(), loaded)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _restore_media(source: Path) -> int:
    if not source.exists():
        return 0
    root = Path(settings.MEDIA_ROOT)
    count = 0
    for file in source.rglob("*"):
        if file.is_file():
            target = root / file.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(file, target)
            count += 1
    return count
