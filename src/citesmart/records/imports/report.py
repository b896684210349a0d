"""The import batch, its messages, the error report and the rejected rows to fix."""

import io
from pathlib import Path
from typing import IO, Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from citesmart.lib.spreadsheets import (
    write_csv,
    write_xlsx,
)
from citesmart.records.imports.results import Context, ImportResult
from citesmart.records.imports.uploads import rejected_file_name
from citesmart.records.models import ImportBatch
from citesmart.records.template import REJECTION_COLUMN

MAX_STORED_MESSAGES = 10_000
"""Messages kept on the batch (the CLI report and the rejected-rows file have them all)."""


def save_batch(ctx: Context) -> ImportBatch:
    batch = ImportBatch(center=ctx.center, filename=ctx.result.filename[:255], created_by=ctx.user)
    batch.file.name = ctx.file_name
    update_batch(batch, ctx.result, save=False)
    if ctx.result.dry_run and ctx.file_sha256:
        batch.messages[0]["sha256"] = ctx.file_sha256  # the summary's: what was checked
    result = ctx.result
    batch.messages[0].update(  # what the batch page offers to choose again
        sheet=result.sheet,
        sheets=result.sheets,
        header_row=result.header_row,
        unknown_headers=result.unknown_headers,
        mapped_headers=result.mapped_headers,
    )
    batch.save()
    return batch


def checked_sheet(batch: ImportBatch) -> str:
    """The sheet a dry run read ("" for a csv or when not noted)."""
    return str(_first(batch).get("sheet", "") or "")


def _first(batch: ImportBatch) -> dict[str, Any]:
    first = (batch.messages or [{}])[0]
    return first if isinstance(first, dict) else {}


def checked_digest(batch: ImportBatch) -> str:
    """The SHA-256 of the file a dry run checked ("" if none was noted)."""
    first = (batch.messages or [{}])[0]
    return str(first.get("sha256", "")) if isinstance(first, dict) else ""


def update_batch(batch: ImportBatch, result: ImportResult, *, save: bool = True) -> None:
    if result.dry_run:
        batch.status = ImportBatch.Status.DRY_RUN
    else:
        written = result.written and not result.fatal
        batch.status = ImportBatch.Status.COMMITTED if written else ImportBatch.Status.REJECTED
    batch.rows, batch.rejected_rows = result.rows, result.rejected_rows
    batch.reports_created, batch.reports_updated = result.created, result.updated
    batch.reports_unchanged = result.unchanged
    batch.messages = batch_messages(result)
    if save:
        batch.save()


def result_messages(result: ImportResult) -> list[dict[str, Any]]:
    """Every message of an import: the summary, the fatal error, errors by row, warnings."""
    messages: list[dict[str, Any]] = [{"level": "info", "text": result.summary}]
    if result.fatal:
        messages.append({"level": "error", "text": result.fatal})
    messages += [
        {"level": "error", "row": e.row, "column": e.column, "text": e.message}
        for e in result.errors
    ]
    return messages + [{"level": "warning", "text": w} for w in result.warnings]


def batch_messages(result: ImportResult) -> list[dict[str, Any]]:
    """The messages kept on the batch: result_messages, capped at MAX_STORED_MESSAGES."""
    messages = result_messages(result)
    if len(messages) <= MAX_STORED_MESSAGES:
        return messages
    hidden = len(messages) - MAX_STORED_MESSAGES
    return [
        *messages[:MAX_STORED_MESSAGES],
        {"level": "info", "text": f"… y {hidden} mensajes más (vea el informe de errores)."},
    ]


def store_rejected(result: ImportResult) -> None:
    batch = result.batch
    if batch is None or not batch.file or not result.rejected:
        return
    name = rejected_file_name(batch)
    buffer = io.BytesIO()
    write_rejected_rows(result, buffer, fmt=name.rsplit(".", 1)[-1])
    default_storage.save(name, ContentFile(buffer.getvalue()))


def write_rejected_rows(result: ImportResult, target: IO[bytes] | str | Path, *, fmt: str) -> None:
    """The rows of rejected reports, as read, plus a `motivo` column: fix them, re-import."""
    width = len(result.headers)
    headers = [*result.headers, REJECTION_COLUMN]
    rows = [[*raw[:width], *[None] * (width - len(raw)), why] for _, raw, why in result.rejected]
    _write_table(target, headers, rows, fmt=fmt, title="Rechazadas")


def write_error_report(
    messages: list[dict[str, Any]], target: IO[bytes] | str | Path, *, fmt: str
) -> None:
    """The error report ("tipo", "fila", "columna", "motivo") from result_messages() or a batch."""
    rows = [
        [_LEVELS.get(m["level"], m["level"]), m.get("row"), m.get("column", ""), m["text"]]
        for m in messages
    ]
    _write_table(target, ["tipo", "fila", "columna", "motivo"], rows, fmt=fmt, title="Errores")


_LEVELS = {"error": "error", "warning": "aviso", "info": "resumen"}


def _write_table(
    target: IO[bytes] | str | Path,
    headers: list[str],
    rows: list[list[Any]],
    *,
    fmt: str,
    title: str,
) -> None:
    if fmt == "xlsx":
        write_xlsx(target, {title: (headers, rows)})
    else:
        write_csv(target, headers, rows)
