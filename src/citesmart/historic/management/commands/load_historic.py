"""`citesmart load_historic FILE --tabla servicios|…`: load one of ITP's institutional tables."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from citesmart.historic.loader import load_table
from citesmart.historic.models import TableKind


class Command(BaseCommand):
    help = (
        "Carga un cuadro institucional del ITP (servicios, clientes, presupuesto, personal, "
        "proyectos…) desde un .xlsx o .csv con las columnas del ITP. Todo o nada: si alguna "
        "fila tiene errores no se registra nada. Una nueva carga del mismo centro y año "
        "reemplaza la anterior (y se puede revertir desde el back office)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="Ruta del archivo .xlsx o .csv")
        parser.add_argument(
            "--tabla", required=True, choices=TableKind.values, help="Cuadro que contiene"
        )
        parser.add_argument(
            "--solo-verificar",
            action="store_true",
            dest="dry_run",
            help="Revisar el archivo y decir qué cambiaría, sin registrar nada",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = load_table(options["file"], kind=options["tabla"], dry_run=options["dry_run"])
        except OSError as error:
            raise CommandError(
                f"No se pudo abrir «{options['file']}»: {error.strerror}."
            ) from error
        for error in result.errors:
            self.stderr.write(str(error))
        if not result.ok:
            raise CommandError(result.summary, returncode=result.exit_code)
        self.stdout.write(result.summary)
