"""`citesmart demo_closings`: a closing history for the demo (issue 15).

Every center's months up to the last quarter of the demo's last year are approved; its
last quarter shows every state: October closed (some centers already approved), November
returned to a few centers and closed for the rest, December open (reports still to be
validated). Run after demo_data; skipped when closings exist.
"""

from random import Random
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Max, Min

from citesmart.accounts.models import StaffProfile
from citesmart.accounts.roles import Role
from citesmart.network.models import Center
from citesmart.records.closing import approve_month, close_month, return_month
from citesmart.records.models import MonthClosing, MonthStatus, ReportStatus, ServiceReport


class Command(BaseCommand):
    help = "Crea un historial de cierres mensuales de demostración (después de demo_data)."

    def handle(self, *args: Any, **options: Any) -> None:
        if MonthClosing.objects.exists():
            self.stdout.write("Cierres de demostración: ya existen, se conservan.")
            return
        span = ServiceReport.objects.aggregate(first=Min("end_date"), last=Max("end_date"))
        if span["first"] is None:
            raise CommandError("Cargue primero los datos de demostración: citesmart demo_data")
        admin = StaffProfile.objects.filter(role=Role.NATIONAL_ADMIN).select_related("user")
        actor = admin.first().user if admin.exists() else None
        with transaction.atomic():
            approved = _approve_history(span["first"], span["last"].year)
            recent = _last_quarter(span["last"].year, actor, Random(2025))
        self.stdout.write(
            f"Cierres de demostración: {approved:,} meses aprobados hasta setiembre de "
            f"{span['last'].year}; último trimestre en todos los estados ({recent} acciones)."
        )


def _approve_history(first, last_year: int) -> int:
    """Bulk, as the system: every center's month from the first report to September."""
    months = [
        (year, month)
        for year in range(first.year, last_year + 1)
        for month in range(1, 13)
        if (year, month) >= (first.year, first.month) and (year, month) <= (last_year, 9)
    ]
    rows = [
        MonthClosing(center=center, year=year, month=month, status=MonthStatus.APPROVED)
        for center in Center.objects.all()
        for year, month in months
    ]
    MonthClosing.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _last_quarter(year: int, actor, rng: Random) -> int:
    """October and November through the actions (audited), so the calendar is real."""
    done = 0
    for center in Center.objects.order_by("code"):
        for month in (10, 11):
            pending = ServiceReport.objects.filter(
                center=center,
                end_date__year=year,
                end_date__month=month,
                status=ReportStatus.REGISTERED,
            )
            if pending.exists():
                continue
            close_month(center=center, year=year, month=month, actor=actor)
            done += 1
            roll = rng.random()
            if month == 10 and roll < 0.5:
                approve_month(center=center, year=year, month=month, actor=actor)
                done += 1
            elif month == 11 and roll < 0.15:
                reason = "Faltan los informes de una feria (demostración)."
                return_month(center=center, year=year, month=month, actor=actor, reason=reason)
                done += 1
    return done
