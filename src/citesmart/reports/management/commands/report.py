"""`citesmart report --year 2025 [--until 2025-09-30] [--center CODE] [--format pdf|xlsx|html]`."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from citesmart.analytics.queries import InvalidQuery
from citesmart.lib.values import parse_date
from citesmart.network.queries import UnknownCenter, find_center
from citesmart.reports.build import ReportError, build_report
from citesmart.reports.render import FORMATS, filename, render


class Command(BaseCommand):
    help = "Genera el informe anual o de avance de la red CITE o de un centro (PDF, XLSX o HTML)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True, help="Año del informe")
        parser.add_argument("--until", help="Fecha de corte (AAAA-MM-DD o DD/MM/AAAA)")
        parser.add_argument("--center", help="Código o nombre del centro (por defecto, la red)")
        parser.add_argument("--format", choices=FORMATS, default="pdf", help="pdf, xlsx o html")
        parser.add_argument("--output", help="Ruta del archivo (por defecto, en la carpeta actual)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            until = parse_date(options["until"]) if options["until"] else None
        except ValueError as error:
            raise CommandError(f"--until: {error}.") from error
        try:
            center = find_center(options["center"]) if options["center"] else None
            report = build_report(options["year"], until, center)
            content = render(report, options["format"])
        except UnknownCenter as error:
            raise CommandError(error.message) from error
        except (ReportError, InvalidQuery) as error:
            raise CommandError(str(error)) from error
        path = Path(options["output"] or filename(report, options["format"]))
        path.write_bytes(content)
        self.stdout.write(f"Informe escrito en {path} ({len(content) // 1024} KB).")
