"""`citesmart backup PATH`: records and uploaded files in one portable file."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from citesmart.ops import backup


class Command(BaseCommand):
    help = (
        "Copia de seguridad (.tar.gz) de los registros y los archivos subidos; se restaura en "
        "SQLite o PostgreSQL con `citesmart restore`. El modelo analítico no se copia: se "
        "reconstruye."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="archivo de destino, p. ej. copia.tar.gz")

    def handle(self, *args: Any, path: Path, **options: Any) -> None:
        try:
            summary = backup.backup(path)
        except OSError as error:
            raise CommandError(
                f"No se pudo escribir la copia en «{path}»: {error.strerror or error}. "
                "No quedó ningún archivo a medias; libere espacio o elija otro destino."
            ) from error
        self.stdout.write(
            f"Copia escrita en {summary.path}: {summary.rows} filas de {len(summary.tables)} "
            f"tablas y {summary.media_files} archivos subidos."
        )
