"""What an import did: the result, its row errors, and the context the stages share."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from citesmart.lib.spreadsheets import (
    CellValue,
)
from citesmart.network.models import Center
from citesmart.records.imports.columns import Columns
from citesmart.records.imports.uploads import Lease
from citesmart.records.models import ImportBatch

CHUNK = 2_000


CENTS = Decimal("0.01")


ZERO = Decimal("0.00")


Progress = Callable[[str, int, int | None], None]
"""progress(stage, done, total or None): "lectura" (rows) then "registro" (reports)."""


class ImportRefused(Exception):
    """The import cannot even start (center out of reach, unknown user); message in Spanish."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"fila {self.row}, columna {self.column}: {self.message}"


@dataclass
class ImportResult:
    """What an import did (or, for a dry run, would do)."""

    filename: str
    dry_run: bool = False
    accept_valid: bool = False
    fatal: str = ""
    rows: int = 0
    reports: int = 0
    rejected_reports: int = 0
    rejected_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    units_created: int = 0
    # Reports (and their rows) written "registrado" although the file asked for another
    # status, by reason (accounts.access: who may validate).
    kept_registered: int = 0
    kept_registered_rows: int = 0
    kept_reasons: dict[str, int] = field(default_factory=dict)
    written: bool = False
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    header_row: int = 0
    sheet: str = ""  # the sheet read (xlsx)
    sheets: list[str] = field(default_factory=list)  # the workbook's visible sheets
    unknown_headers: list[str] = field(default_factory=list)  # not template, not mapped
    mapped_headers: list[str] = field(default_factory=list)  # read through a center mapping
    rejected: list[tuple[int, list[CellValue], str]] = field(default_factory=list, repr=False)
    batch: ImportBatch | None = None

    def note_kept(self, reason: str, rows: int) -> None:
        """One report (of `rows` rows) lands "registrado" instead of the status asked for."""
        self.kept_registered += 1
        self.kept_registered_rows += rows
        self.kept_reasons[reason] = self.kept_reasons.get(reason, 0) + 1

    def forget_kept(self) -> None:
        self.kept_registered = self.kept_registered_rows = 0
        self.kept_reasons = {}

    @property
    def kept_text(self) -> str:
        """ "N informes (M filas) quedan como «registrado»: why", or "" if none."""
        if not self.kept_registered:
            return ""
        verb = "queda" if self.kept_registered == 1 else "quedan"
        if self.dry_run:
            verb = "quedaría" if self.kept_registered == 1 else "quedarían"
        return (
            f"{_n(self.kept_registered, 'informe', 'informes')} "
            f"({_n(self.kept_registered_rows, 'fila', 'filas')}) {verb} como «registrado»: "
            + "; ".join(self.kept_reasons)
        )

    @property
    def exit_code(self) -> int:
        """0 all valid, 1 rows rejected, 2 file unusable (the CLI's exit status)."""
        if self.fatal:
            return 2
        return 1 if self.errors else 0

    @property
    def summary(self) -> str:
        """One line in Spanish for the end of the CLI output and the batch page."""
        if self.fatal:
            return f"Archivo no utilizable: {self.fatal}"
        done = (
            f"{_n(self.created, 'informe nuevo', 'informes nuevos')}, "
            f"{_n(self.updated, 'actualizado', 'actualizados')}, {self.unchanged} sin cambios, "
            f"{_n(self.units_created, 'unidad productiva nueva', 'unidades productivas nuevas')}"
        )
        if self.dry_run:
            verdict = "Verificación sin registrar"
            outcome = f"se registrarían {done}" if not self.errors or self.accept_valid else ""
        elif self.errors and not self.written:
            verdict, outcome = "Archivo rechazado", "no se registró nada"
        else:
            verdict, outcome = "Importación registrada", done
        parts = [
            f"{verdict}: {_n(self.rows, 'fila', 'filas')}, "
            f"{_n(self.reports, 'informe válido', 'informes válidos')}"
        ]
        if self.errors:
            parts.append(
                f"{_n(len(self.errors), 'error', 'errores')} en "
                f"{_n(self.rejected_rows, 'fila', 'filas')} "
                f"({_n(self.rejected_reports, 'informe rechazado', 'informes rechazados')})"
            )
        if outcome:
            parts.append(outcome)
        if outcome and self.kept_text:
            parts.append(self.kept_text)
        return "; ".join(parts) + "."


def _n(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


@dataclass
class Context:
    center: Center
    user: Any
    today: datetime.date | None
    result: ImportResult
    columns: "Columns" = field(default_factory=lambda: Columns({}, {}))
    by_token: bool = False  # written through the API with a center's token
    file_name: str = ""
    lease: Lease = field(default_factory=Lease)  # holds file_name while running
    file_sha256: str = ""  # of the file as read, kept on a dry run's batch (register_checked)
    sheet: str | None = None  # the sheet asked for (xlsx); None: chosen by its headers
    mappings: dict[str, str] = field(default_factory=dict)  # the center's (imports.mapping)
