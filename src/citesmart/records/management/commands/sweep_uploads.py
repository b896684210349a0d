"""`citesmart sweep_uploads`: remove uploaded import files that no batch names (cron)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from citesmart.records.imports import uploads


class Command(BaseCommand):
    help = (
        "Elimina los archivos subidos de importaciones interrumpidas (que ningún lote nombra) "
        "con más de --minutos de antigüedad (por defecto IMPORT_ORPHAN_MINUTES, 60); nunca el "
        "de una importación en curso."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--minutos",
            type=float,
            default=None,
            help="antigüedad mínima en minutos (no tocar importaciones en curso)",
        )

    def handle(self, *args: Any, minutos: float | None, **options: Any) -> None:
        if minutos is not None and minutos < 0:
            raise CommandError("--minutos debe ser 0 o más (por ejemplo --minutos 60).")
        removed = uploads.sweep_orphans(older_than_minutes=minutos)
        for name in removed:
            self.stdout.write(f"Eliminado: {name}")
        self.stdout.write(f"{len(removed)} archivos sin lote eliminados.")
