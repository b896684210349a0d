"""`citesmart publish_figures NOMBRE --titulo … --anios 2025 [--tipo anual]`."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from citesmart.publications.actions import publish
from citesmart.publications.models import Publication


class Command(BaseCommand):
    help = "Publica (congela) los cuadros oficiales de uno o más años con un nombre."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="nombre corto, p. ej. 2025-anual")
        parser.add_argument("--titulo", required=True, help="p. ej. «2025, anual»")
        parser.add_argument("--anios", required=True, help="años, p. ej. 2025 o 2024,2025")
        parser.add_argument(
            "--tipo", default=Publication.Kind.YEAR, choices=Publication.Kind.values
        )
        parser.add_argument("--nota", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            years = [int(y) for y in options["anios"].split(",")]
        except ValueError as error:
            raise CommandError(f"«{options['anios']}» no es una lista de años.") from error
        try:
            made = publish(
                slug=options["slug"],
                title=options["titulo"],
                kind=options["tipo"],
                years=years,
                note=options["nota"],
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(f"Publicación «{made.slug}»: {made.cells.count():,} cifras guardadas.")
