"""`citesmart restore PATH`: a backup into an empty database, then the read model rebuilt."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from citesmart.accounts.roles import sync_role_groups
from citesmart.analytics import refresh
from citesmart.ops import backup


class Command(BaseCommand):
    help = (
        "Restaura una copia de `citesmart backup` en una base de datos vacía (SQLite o "
        "PostgreSQL), copia los archivos subidos y reconstruye el modelo analítico."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="la copia (.tar.gz)")
        parser.add_argument(
            "--no-analytics", action="store_true", help="no reconstruir el modelo analítico"
        )

    def handle(self, *args: Any, path: Path, no_analytics: bool, **options: Any) -> None:
        if not path.exists():
            raise CommandError(f"No existe el archivo «{path}».")
        try:
            summary = backup.restore(path)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        sync_role_groups()  # the roles' groups get exactly their permissions again
        self.stdout.write(
            f"Restauradas {summary.rows} filas de {len(summary.tables)} tablas y "
            f"{summary.media_files} archivos subidos."
        )
        if not no_analytics:
            outcome = refresh.rebuild()
            self.stdout.write(f"Modelo analítico reconstruido: {outcome.rows} servicios.")
