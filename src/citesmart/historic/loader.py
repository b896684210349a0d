"""The one pipeline behind `citesmart load_historic` and the upload page.

read (lib.spreadsheets: title rows, merged and two-row headers) -> match ITP's columns ->
parse every line (centers, categories, numbers as text) -> skip and check the totals rows ->
refuse duplicates -> replace each (center, year) scope, all in one transaction. All or
nothing: one bad cell and nothing is written; every problem is listed as "fila N, columna X
(nombre): qué hacer", in Spanish. Every run is recorded as a HistoricBatch.
"""

import logging
import os
from collections import defaultdict
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import PermissionDenied
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from citesmart.accounts.access import can_load_historic
from citesmart.historic.actions import Counts, replace_scope
from citesmart.historic.models import HistoricBatch, TableKind
from citesmart.historic.sheet import Line, read_lines
from citesmart.historic.specs import SPECS
from citesmart.historic.tables import TableSpec
from citesmart.lib.spreadsheets import DEFAULT_LIMITS, Limits, SpreadsheetError
from citesmart.records.imports import RowError

log = logging.getLogger("citesmart.historic")
MAX_STORED_MESSAGES = 500
DEMO_FILENAME = "demostración"
MAX_STORED_BYTES = DEFAULT_LIMITS.max_bytes  # bigger files are refused unread


@dataclass
class LoadResult:
    kind: str
    filename: str
    dry_run: bool = False
    fatal: str = ""
    rows: int = 0
    scopes: int = 0
    counts: Counts = field(default_factory=Counts)
    errors: list[RowError] = field(default_factory=list)
    batch: HistoricBatch | None = None

    @property
    def ok(self) -> bool:
        return not self.fatal and not self.errors

    @property
    def exit_code(self) -> int:
        return 2 if self.fatal else 1 if self.errors else 0

    @property
    def summary(self) -> str:
        if self.fatal:
            return _("Archivo no utilizable: %s") % self.fatal
        if self.errors:
            return _(
                "Archivo rechazado: %(errors)s error(es) en %(rows)s fila(s); no se registró "
                "nada. Corrija las filas indicadas y cargue de nuevo el archivo completo."
            ) % {"errors": len(self.errors), "rows": len({e.row for e in self.errors})}
        counts = self.counts
        done = _(
            "%(created)s valores nuevos, %(updated)s cambiados, %(deleted)s reemplazados "
            "(ya no figuran) y %(unchanged)s sin cambios en %(scopes)s"
        ) % {**vars(counts), "scopes": self.scope_text}
        if self.dry_run:
            return _("Verificación sin registrar (filas: %(rows)s): se registrarían %(done)s.") % {
                "rows": self.rows,
                "done": done,
            }
        return _("Carga registrada (filas: %(rows)s): %(done)s.") % {
            "rows": self.rows,
            "done": done,
        }

    @property
    def scope_text(self) -> str:
        if self.kind == TableKind.PROJECTS:
            return _("%s proyecto(s)") % self.scopes
        return _("%s combinación(es) de centro y año") % self.scopes

    def messages(self) -> list[str]:
        lines = [str(error) for error in self.errors[:MAX_STORED_MESSAGES]]
        return [self.summary, *lines]


def load_table(
    source: str | os.PathLike[str] | IO[bytes],
    *,
    kind: str,
    user=None,
    filename: str | None = None,
    dry_run: bool = False,
    demo: bool = False,
    limits: Limits = DEFAULT_LIMITS,
) -> LoadResult:
    """Load one institutional table (`kind`: a TableKind value). Always records a batch."""
    if not can_load_historic(user):
        raise PermissionDenied(_("Solo la administración nacional (ITP) carga cuadros históricos."))
    spec = SPECS[kind]
    if filename is None:
        filename = Path(source).name if isinstance(source, (str, os.PathLike)) else "archivo"
    result = LoadResult(kind=kind, filename=os.path.basename(filename), dry_run=dry_run)
    with ExitStack() as stack:
        if isinstance(source, (str, os.PathLike)):
            stream: IO[bytes] = stack.enter_context(open(source, "rb"))
        else:
            stream = source
        lines = _read(spec, stream, result, limits)
        result.batch = _run(spec, lines, result, user, stream, demo)
    log.info("historic load %s %s: %s", kind, result.filename, result.summary)
    return result


def _read(spec: TableSpec, stream: IO[bytes], result: LoadResult, limits: Limits) -> list[Line]:
    try:
        lines = read_lines(spec, stream, result.filename, result.errors, limits)
    except SpreadsheetError as error:
        result.fatal = error.message
        return []
    result.rows = len(lines)
    if not lines and not result.errors:
        result.fatal = _(
            "«%(file)s» no tiene filas de datos debajo de los encabezados de %(table)s."
        ) % {"file": result.filename, "table": spec.itp}
    _check_duplicates(spec, lines, result.errors)
    result.errors.sort(key=lambda error: error.row)
    return lines


def _check_duplicates(spec: TableSpec, lines: list[Line], errors: list[RowError]) -> None:
    seen: dict[tuple, tuple[int, dict[str, Any]]] = {}
    for line in lines:
        for record in line.records:
            part = spec.parts[record.part]
            earlier = seen.setdefault((record.part, record.key), (line.number, record.values))
            if earlier[0] == line.number:
                continue
            if part.shared and earlier[1] == record.values:
                continue
            what = (
                _("repite la fila %s con otros datos del mismo proyecto")
                if part.shared
                else _("repite el centro, año y demás claves de la fila %s")
            ) % earlier[0]
            errors.append(
                RowError(line.number, spec.columns[0].name, what + _("; deje una sola fila."))
            )
            break


def _run(spec, lines, result: LoadResult, user, stream, demo: bool) -> HistoricBatch:
    batch = HistoricBatch(
        kind=spec.kind,
        filename=DEMO_FILENAME if demo else result.filename,
        created_by=user,
        is_demo=demo,
    )
    if not result.ok:
        return _save(batch, result, HistoricBatch.Status.REJECTED, stream)
    by_scope: dict[Any, list] = defaultdict(list)
    for line in lines:
        by_scope[spec.scope(line.data)].extend(line.records)
    result.scopes = len(by_scope)
    status = HistoricBatch.Status.DRY_RUN if result.dry_run else HistoricBatch.Status.COMMITTED
    try:
        with transaction.atomic():
            _save(batch, result, status, stream)
            for scope, records in by_scope.items():
                counts = replace_scope(
                    spec=spec, batch=batch, scope=scope, records=records, write=not result.dry_run
                )
                result.counts.add(counts)
            _save(batch, result, status, None)
    except IntegrityError:
        result.fatal = _(
            "Otra carga del mismo cuadro se registró al mismo tiempo; no se registró nada. "
            "Vuelva a cargar el archivo."
        )
        batch.pk = None
        return _save(batch, result, HistoricBatch.Status.REJECTED, None)
    return batch


def _save(batch: HistoricBatch, result: LoadResult, status: str, stream) -> HistoricBatch:
    batch.status = status
    batch.rows = result.rows
    for name, value in vars(result.counts).items():
        setattr(batch, name, value)
    batch.messages = result.messages()
    if stream is not None and not batch.file and stream.seek(0, os.SEEK_END) <= MAX_STORED_BYTES:
        stream.seek(0)
        batch.file.save(_safe_name(result.filename), File(stream), save=False)
    batch.save()
    return batch


def _safe_name(filename: str) -> str:
    base = "".join(c if c.isalnum() or c in "._-" else "_" for c in filename)
    return base[-120:] or "archivo"
