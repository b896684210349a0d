"""`citesmart demo_data [--years 2019-2025] [--seed N] [--scale F]`: a demo service history."""

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from citesmart.demo.run import DemoParams, load_demo


class Command(BaseCommand):
    help = (
        "Genera una historia de servicios de demostración para los centros reales, calibrada "
        "con las cifras publicadas de 2025. Reemplaza los datos de demostración anteriores."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--years", default="2019-2025", help="Años, p. ej. 2019-2025 o 2025")
        parser.add_argument("--seed", type=int, default=DemoParams.seed, help="Semilla")
        parser.add_argument(
            "--scale", type=float, default=1.0, help="Fracción del volumen real (para pruebas)"
        )
        parser.add_argument(
            "--force", action="store_true", help="Regenerar aunque ya estén cargados"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        first, last = _years(options["years"])
        params = DemoParams(
            first_year=first, last_year=last, seed=options["seed"], scale=options["scale"]
        )
        try:
            load_demo(params, force=options["force"], say=self.stdout.write)
        except ValueError as error:
            raise CommandError(str(error)) from error


def _years(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d{4})\s*(?:-\s*(\d{4})\s*)?", text)
    if match is None:
        raise CommandError(f"«{text}» no es un rango de años; use p. ej. 2019-2025.")
    first = int(match[1])
    return first, int(match[2] or first)
