"""`citesmart demo_publications`: two publications of the demo with revisions between them.

"2025, tercer trimestre" is published from the demo as it stands; then ITP reopens a few
approved months, the centers cancel a duplicated report and correct an amount, the months
are approved again, and "2025, anual" is published, so /publicaciones/revisiones/ shows real
revisions with their reasons. Run after demo_closings; skipped when publications exist.
"""

from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from citesmart.publications.actions import publish
from citesmart.publications.models import Publication
from citesmart.records.actions import AttendedUnit, cancel_report, record_service_report
from citesmart.records.closing import approve_month, close_month, reopen_month
from citesmart.records.models import MonthClosing, MonthStatus, ReportStatus, ServiceReport

YEAR = 2025
NOTE = "Datos de demostración: no son cifras reales de la red CITE."


class Command(BaseCommand):
    help = "Crea dos publicaciones de demostración con revisiones entre ellas."

    def handle(self, *args: Any, **options: Any) -> None:
        if Publication.objects.exists():
            self.stdout.write("Publicaciones de demostración: ya existen, se conservan.")
            return
        if not MonthClosing.objects.filter(year=YEAR, status=MonthStatus.APPROVED).exists():
            raise CommandError("Primero: citesmart demo_data y citesmart demo_closings")
        common = {"years": [YEAR], "note": NOTE}
        publish(slug="2025-t3", title="2025, tercer trimestre", kind="trimestre", **common)
        with transaction.atomic():
            revised = _revise()
        publish(slug="2025-anual", title="2025, anual", kind="anual", **common)
        self.stdout.write(
            f"Publicaciones de demostración: «2025-t3» y «2025-anual», con {revised} "
            "informes revisados entre ambas."
        )


def _revise() -> int:
    """Reopen three approved months, fix one report in each, approve them again."""
    reports = (
        ServiceReport.objects.filter(
            end_date__year=YEAR, end_date__month__in=[7, 8, 9], status=ReportStatus.VALIDATED
        )
        .select_related("center")
        .order_by("center__code", "code")
    )
    done = 0
    for report in reports[:: max(1, reports.count() // 3)][:3]:
        month = report.end_date.month
        where = {"center": report.center, "year": YEAR, "month": month}
        reopen_month(actor=None, reason="Revisión de informes duplicados (demostración)", **where)
        if done % 2 == 0:
            cancel_report(report=report, reason="Informe duplicado (demostración)", actor=None)
        else:
            _correct_amount(report)
        close_month(actor=None, **where)
        approve_month(actor=None, **where)
        done += 1
    return done


def _correct_amount(report: ServiceReport) -> None:
    units = [
        AttendedUnit(service.unit, service.amount + Decimal(50))
        for service in report.services.select_related("unit")
    ]
    record_service_report(
        center=report.center,
        code=report.code,
        start_date=report.start_date,
        end_date=report.end_date,
        units=units,
        category=report.category,
        catalogue_service=report.catalogue_service,
        chain=report.chain,
        status=report.status,
        is_free=False,
        programme=report.programme,
        notes="Monto corregido (demostración)",
    )
