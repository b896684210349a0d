"""`citesmart load_targets FILE`: load targets from a spreadsheet (all or nothing)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from citesmart.targets.importer import import_targets


class Command(BaseCommand):
    help = (
        "Carga metas desde un libro de Excel o CSV con los encabezados de la plantilla "
        "(Centro, Año, Indicador, Meta, Distribución, Categoría, Cadena, Motivo). Si alguna "
        "fila tiene errores no se registra nada."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="Ruta del archivo .xlsx o .csv")

    def handle(self, *args: Any, **options: Any) -> None:
        result = import_targets(None, options["file"])
        for error in result.errors:
            self.stderr.write(str(error))
        if not result.ok:
            raise CommandError(result.summary())
        self.stdout.write(result.summary())
