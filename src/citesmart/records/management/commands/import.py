"""`citesmart import PATH --center CENTER`: import a spreadsheet of service reports.

Exit status: 0 everything valid (and written unless --dry-run), 1 rows rejected, 2 unusable.
"""

import sys
from pathlib import Path
from typing import IO, Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from citesmart.accounts.access import can_import
from citesmart.network.queries import UnknownCenter, find_center
from citesmart.records import imports
from citesmart.records.imports.mapping import COLUMN_NAMES, remember
from citesmart.records.template import HEADERS

MAX_SHOWN_ERRORS = 50


class Command(BaseCommand):
    help = "Importa informes de servicio desde una hoja de cálculo (.xlsx o .csv)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", metavar="PATH", help="Archivo .xlsx o .csv")
        parser.add_argument("--center", required=True, help="Código o nombre del centro")
        parser.add_argument("--dry-run", action="store_true", help="Solo verificar")
        parser.add_argument(
            "--accept-valid", action="store_true", help="Registrar los informes válidos"
        )
        parser.add_argument("--report", metavar="OUT", help="Informe de errores (.csv o .xlsx)")
        parser.add_argument(
            "--rejected", metavar="OUT", help="Filas rechazadas para corregir (.csv o .xlsx)"
        )
        parser.add_argument("--user", metavar="USERNAME", help="Importar en nombre de un usuario")
        parser.add_argument("--progress", action="store_true", help="Mostrar el avance")
        parser.add_argument(
            "--hoja", metavar="NOMBRE", help="Hoja del libro que se importa (si tiene varias)"
        )
        parser.add_argument(
            "--columna",
            metavar="ENCABEZADO=COLUMNA",
            action="append",
            default=[],
            help="Asigna un encabezado propio a una columna de la plantilla; se recuerda "
            "para el centro (p. ej. «Cod. Serv.=codigo_informe»)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        code = self._run(options)
        if code:
            raise SystemExit(code)

    def _run(self, options: dict[str, Any]) -> int:
        path = Path(options["path"])
        try:
            center = find_center(options["center"])
            user = _user(options["user"])
            if not path.is_file():
                raise imports.ImportRefused(f"No se encontró el archivo «{path}».")
            _remember_columns(center, user, options["columna"])
            result = imports.import_file(
                path,
                center=center,
                user=user,
                dry_run=options["dry_run"],
                accept_valid=options["accept_valid"],
                progress=_progress_bar(self._stderr(), options["progress"]),
                sheet=options["hoja"],
            )
        except (imports.ImportRefused, UnknownCenter) as refused:
            self.stderr.write(refused.message)
            return 2
        except OSError as error:
            self.stderr.write(f"No se pudo leer el archivo «{path}»: {error.strerror}.")
            return 2
        self._print(result)
        self._write_files(result, path, options)
        self.stdout.write(result.summary)
        return result.exit_code

    def _stderr(self) -> IO[str]:
        return getattr(self.stderr, "_out", sys.stderr)

    def _print(self, result: imports.ImportResult) -> None:
        if result.fatal:
            self.stderr.write(result.fatal)
        for warning in result.warnings:
            self.stdout.write(f"Aviso: {warning}")
        for error in result.errors[:MAX_SHOWN_ERRORS]:
            self.stdout.write(str(error))
        hidden = len(result.errors) - MAX_SHOWN_ERRORS
        if hidden > 0:
            self.stdout.write(f"… y {hidden} errores más (use --report para la lista completa).")

    def _write_files(self, result: imports.ImportResult, path: Path, options: dict) -> None:
        if options["report"]:
            out = Path(options["report"])
            imports.write_error_report(imports.result_messages(result), out, fmt=_format_of(out))
            self.stdout.write(f"Informe de errores: {out}")
        if result.rejected and (options["rejected"] or options["accept_valid"]):
            out = Path(options["rejected"] or path.with_name(f"{path.stem}-rechazadas.csv"))
            imports.write_rejected_rows(result, out, fmt=_format_of(out))
            self.stdout.write(f"Filas rechazadas, para corregir y volver a importar: {out}")


def _user(username: str | None):
    if not username:
        return None
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise imports.ImportRefused(f"No existe un usuario activo «{username}».")
    return user


def _format_of(path: Path) -> str:
    return "xlsx" if path.suffix.lower() == ".xlsx" else "csv"


def _progress_bar(stream: IO[str], forced: bool) -> imports.Progress | None:
    """A one-line bar on stderr, only for a terminal (or when asked with --progress)."""
    if not forced and not stream.isatty():
        return None
    stages = {"lectura": "Leyendo", "registro": "Registrando"}

    def show(stage: str, done: int, total: int | None) -> None:
        label = stages.get(stage, stage)
        if total:
            filled = 30 * done // total
            bar = "#" * filled + "." * (30 - filled)
            noun = "filas" if stage == "lectura" else "informes"
            stream.write(f"\r{label} [{bar}] {done}/{total} {noun}")
        else:
            stream.write(f"\r{label}… {done} filas")
        if total is not None and done >= total:
            stream.write("\n")
        stream.flush()

    return show


def _remember_columns(center, user, pairs: list[str]) -> None:
    """--columna "ENCABEZADO=columna": saved for the center before the file is read."""
    if not pairs:
        return
    if not can_import(user, center):
        raise imports.ImportRefused(f"No tiene permiso para importar servicios en «{center.name}».")
    choices = {}
    for pair in pairs:
        header, sep, column = pair.rpartition("=")
        if not sep or not header.strip() or column.strip() not in COLUMN_NAMES:
            raise imports.ImportRefused(
                f"--columna «{pair}» no es válida: escriba ENCABEZADO=COLUMNA, con una de "
                f"estas columnas de la plantilla: {', '.join(HEADERS)}."
            )
        choices[header.strip()] = column.strip()
    remember(center, user, choices)
