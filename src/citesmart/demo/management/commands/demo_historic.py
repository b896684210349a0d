"""`citesmart demo_historic`: ITP's institutional tables for 2016–2018, for the demo."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from citesmart.demo.historic import load_demo_historic


class Command(BaseCommand):
    help = (
        "Genera los cuadros institucionales del ITP de 2016 a 2018 (servicios, clientes, "
        "presupuesto, personal, proyectos) a partir de los registros de demostración de 2019 "
        "y los carga como datos de demostración. Ejecútelo después de demo_data."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            load_demo_historic(say=self.stdout.write)
        except ValueError as error:
            raise CommandError(str(error)) from error
