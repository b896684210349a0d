"""The entry point: import_file, the one pipeline behind the upload page and the CLI."""

import datetime
import gc
import hashlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import IO

from django.core.files.base import File
from django.core.files.storage import default_storage
from django.utils import timezone

from citesmart.accounts.access import can_cancel, can_import
from citesmart.lib.spreadsheets import DEFAULT_LIMITS, Limits
from citesmart.network.models import Center
from citesmart.records.imports import uploads
from citesmart.records.imports.drafts import read_rows
from citesmart.records.imports.mapping import remember
from citesmart.records.imports.planning import Planner, count_outcomes
from citesmart.records.imports.report import (
    checked_digest,
    checked_sheet,
    save_batch,
    store_rejected,
)
from citesmart.records.imports.results import Context, ImportRefused, ImportResult, Progress
from citesmart.records.imports.uploads import check_hours
from citesmart.records.imports.writing import BULK_MIN_ROWS, write_plan
from citesmart.records.models import ImportBatch


def import_file(
    source: str | os.PathLike[str] | IO[bytes],
    *,
    center: Center,
    filename: str | None = None,
    user=None,
    by_token: bool = False,
    dry_run: bool = False,
    accept_valid: bool = False,
    progress: Progress | None = None,
    bulk: bool | None = None,
    today: datetime.date | None = None,
    limits: Limits = DEFAULT_LIMITS,
    sheet: str | None = None,
) -> ImportResult:
    """Import a spreadsheet of service reports into `center`; always records an ImportBatch.

    All-or-nothing by default: one bad row and nothing is written. With `accept_valid` the
    valid reports are written and the rows of rejected reports come back in
    `result.rejected`. `bulk` forces (True) or forbids (False) the bulk writer; by default it
    is used from BULK_MIN_ROWS rows. Raises ImportRefused when `user` may not import there.
    user=None is the system itself (the command line without --user); `by_token`: the write
    API, on behalf of `user` (the token's creator). Statuses follow accounts.access: what
    the writer may not set lands "registrado" (result.kept_registered says how many, why).
    `sheet` names the workbook's sheet to read (else the one whose header fits).
    """
    if not can_import(user, center):
        raise ImportRefused(
            f"No tiene permiso para importar servicios en «{center.name}»: solo puede "
            "hacerlo en su propio centro y sus unidades técnicas."
        )
    if filename is None:
        filename = Path(source).name if isinstance(source, (str, os.PathLike)) else "archivo"
    ctx = Context(center, user, today, ImportResult(filename, dry_run, accept_valid))
    ctx.by_token, ctx.sheet = by_token, sheet or None
    uploads.sweep_if_due()  # copies left by imports killed earlier (once an interval)
    try:
        with _cyclic_gc_paused():
            _run(ctx, source, limits, progress, bulk)
    except BaseException:
        # Nothing was written (one transaction): neither may the copy of the file stay.
        uploads.discard_unreferenced(name=ctx.file_name)
        raise
    finally:
        ctx.lease.release()
    return ctx.result


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """An import holds every row of the file at once: hundreds of thousands of small objects
    that the cyclic garbage collector would walk again and again (most of the time of a large
    import went there). Nothing an import builds needs it: reference counting frees it all."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _run(
    ctx: Context,
    source: str | os.PathLike[str] | IO[bytes],
    limits: Limits,
    progress: Progress | None,
    bulk: bool | None,
) -> None:
    filename, dry_run, accept_valid = (
        ctx.result.filename,
        ctx.result.dry_run,
        ctx.result.accept_valid,
    )
    stream, owned = _open(source)
    try:
        ctx.file_name = _store_copy(ctx, stream, filename, limits)
        ctx.lease.hold(ctx.file_name)  # no sweep takes it while this import runs
        drafts = read_rows(ctx, stream, limits, progress)
    finally:
        if owned:
            stream.close()
    result = ctx.result
    valid = [draft for draft in drafts if draft.valid]
    if result.fatal or not valid or (result.errors and not accept_valid):
        result.batch = save_batch(ctx)
    elif dry_run:
        count_outcomes(result, Planner(ctx).plan(valid, lock=False))
        result.batch = save_batch(ctx)
    else:
        use_bulk = bulk if bulk is not None else sum(len(d.rows) for d in valid) >= BULK_MIN_ROWS
        write_plan(ctx, drafts, bulk=use_bulk, progress=progress)
    store_rejected(result)


def _open(source: str | os.PathLike[str] | IO[bytes]) -> tuple[IO[bytes], bool]:
    if isinstance(source, (str, os.PathLike)):
        return open(source, "rb"), True
    return source, False


def _store_copy(ctx: Context, stream: IO[bytes], filename: str, limits: Limits) -> str:
    """Keep the file on the batch (within the size limit: bigger files are refused unread)."""
    size = stream.seek(0, os.SEEK_END)
    stream.seek(0)
    if size > limits.max_bytes:
        return ""
    ctx.file_sha256 = hashlib.file_digest(stream, "sha256").hexdigest()
    stream.seek(0)
    name = ImportBatch._meta.get_field("file").generate_filename(None, _safe_name(filename))
    stored = default_storage.save(name, File(stream))
    stream.seek(0)
    return stored


def _safe_name(filename: str) -> str:
    base = os.path.basename(filename.replace("\\", "/")) or "archivo"
    return re.sub(r"[^\w.\-]+", "_", base)[-120:]


def register_refusal(*, batch: ImportBatch, user) -> str:
    """Why a checked file ("solo verificación") cannot be registered as it is, or ""."""
    if batch.status != ImportBatch.Status.DRY_RUN:
        return "Este lote no es una verificación: solo se registra un archivo verificado."
    if user is not None and batch.created_by_id != user.pk and not can_cancel(user, batch.center):
        return (
            "Solo quien verificó el archivo o el gestor del centro puede registrarlo; "
            "verifíquelo usted mismo desde «Importar servicios»."
        )
    if batch.created_at < timezone.now() - timedelta(hours=check_hours()):
        return (
            f"La verificación venció: un archivo verificado se conserva {check_hours():g} horas. "
            "Vuelva a subirlo desde «Importar servicios»."
        )
    digest = checked_digest(batch)
    if not batch.file or not digest or not default_storage.exists(batch.file.name):
        return "El archivo verificado ya no se conserva; vuelva a subirlo para importarlo."
    with default_storage.open(batch.file.name, "rb") as stored:
        if hashlib.file_digest(stored, "sha256").hexdigest() != digest:
            return "El archivo guardado cambió desde la verificación; vuelva a subirlo."
    return ""


def register_checked(*, batch: ImportBatch, user, accept_valid: bool = False) -> ImportResult:
    """Register the file a dry run checked and kept, without uploading it again: the same
    pipeline (the same sheet), a new batch. ImportRefused (in Spanish) when register_refusal
    says why not."""
    refusal = register_refusal(batch=batch, user=user)
    if refusal:
        raise ImportRefused(refusal)
    return _import_kept(batch, user, accept_valid=accept_valid, sheet=checked_sheet(batch) or None)


def recheck(
    *, batch: ImportBatch, user, sheet: str | None = None, columns: dict[str, str] | None = None
) -> ImportResult:
    """Check the kept file of a dry run again, without uploading it: on another sheet, and/or
    after mapping unknown headers to template columns (remembered for the center)."""
    refusal = register_refusal(batch=batch, user=user)
    if refusal:
        raise ImportRefused(refusal.replace("registrarlo", "verificarlo de nuevo"))
    if not can_import(user, batch.center):
        raise ImportRefused(f"No tiene permiso para importar servicios en «{batch.center.name}».")
    if columns:
        remember(batch.center, user, columns)
    return _import_kept(batch, user, dry_run=True, sheet=sheet or checked_sheet(batch) or None)


def _import_kept(batch: ImportBatch, user, **options) -> ImportResult:
    """import_file on the file a dry run kept, for the batch's center and under its name."""
    with default_storage.open(batch.file.name, "rb") as stored:
        return import_file(
            stored, center=batch.center, filename=batch.filename, user=user, **options
        )
