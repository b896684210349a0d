"""`citesmart demo_targets [--years 2025,2026]`: demo targets built from the demo history."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from citesmart.analytics.queries import InvalidQuery
from citesmart.demo.targets import load_demo_targets


class Command(BaseCommand):
    help = "Registra metas de demostración por centro y nacionales (requiere el modelo analítico)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--years", default="2025,2026", help="Años separados por comas")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            years = [int(y) for y in options["years"].split(",") if y.strip()]
        except ValueError as error:
            raise CommandError(f"«{options['years']}» no es una lista de años.") from error
        try:
            load_demo_targets(years, say=self.stdout.write)
        except InvalidQuery as error:
            raise CommandError(str(error)) from error
