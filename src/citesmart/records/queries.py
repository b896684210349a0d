"""Scoped reads of the records: which reports, units, catalogue and audit a user may reach.

Every back-office screen of the records and units apps takes its rows from here, so the
scoping of accounts.access is applied once, in querysets, and tested hard.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from citesmart.accounts.access import (
    accessible_centers,
    is_national,
    may_validate_reports,
    scope,
    units_with_visible_details,
)
from citesmart.lib.identity import DocumentType
from citesmart.network.models import CatalogueService, Center
from citesmart.records.models import AuditEntry, ReportStatus, Service, ServiceReport
from citesmart.units.models import ProductiveUnit


def report_status(center, code: str) -> str | None:
    """The status of the report `code` of `center` (None if there is none)."""
    return (
        ServiceReport.objects.filter(center=center, code=code.strip())
        .values_list("status", flat=True)
        .first()
    )


def reports_for_user(user) -> QuerySet[ServiceReport]:
    """Service reports of the centers the user may reach."""
    return scope(ServiceReport.objects.all(), user)


def get_report_for_user(user, report_id: int | str) -> ServiceReport:
    """One reachable report, or 404 (a report of another center is not even confirmed)."""
    report = reports_for_user(user).filter(pk=report_id).first()
    if report is None:
        raise Http404("Informe no encontrado.")
    return report


def services_for_user(user) -> QuerySet[Service]:
    """Services (attended units) on reports of the centers the user may reach."""
    return scope(Service.objects.all(), user, center_field="report__center")


def units_for_user(user) -> QuerySet[ProductiveUnit]:
    """Units whose details a user may see: all for ITP staff; for center staff, those their
    centers registered or served on a validated report (accounts.access has the rule)."""
    return units_with_visible_details(
        user,
        ProductiveUnit.objects.all(),
        validated_services=Service.objects.filter(report__status=ReportStatus.VALIDATED),
    )


def get_unit_for_user(user, unit_id: int | str) -> ProductiveUnit:
    """One reachable unit, or 404."""
    unit = units_for_user(user).filter(pk=unit_id).first()
    if unit is None:
        raise Http404("Unidad productiva no encontrada.")
    return unit


def catalogue_for_user(user) -> QuerySet[CatalogueService]:
    """Catalogue services of the centers the user may reach (a technical unit's staff also
    get their parent CITE's catalogue, which its reports may use)."""
    if is_national(user):
        return CatalogueService.objects.all()
    centers = accessible_centers(user)
    return CatalogueService.objects.filter(center__in=centers.values("pk")) | (
        CatalogueService.objects.filter(center__in=centers.values("parent"))
    )


def audit_for_user(user) -> QuerySet[AuditEntry]:
    """Audit entries: all for ITP staff; for center staff, those of their centers."""
    return scope(AuditEntry.objects.all(), user)


# --- the manager's validation screen ----------------------------------------------------


@dataclass
class MonthReview:
    """A center's registered reports of a month (by end date, when services count) and the
    summary a manager checks before validating them."""

    center: Center
    year: int
    month: int
    reports: list[ServiceReport] = field(default_factory=list)
    services: int = 0
    units: int = 0
    amount: Decimal = Decimal("0")
    warnings: int = 0


def validation_centers(user) -> QuerySet[Center]:
    """Centers whose reports the user validates: every center for the national administrator,
    a manager's own and its technical units; none for other roles."""
    if not may_validate_reports(user):
        return Center.objects.none()
    return accessible_centers(user)


def month_review(user, center: Center, year: int, month: int) -> MonthReview:
    """The review of `center`'s registered reports ending in year-month; 404 out of reach."""
    if not validation_centers(user).filter(pk=center.pk).exists():
        raise Http404("Centro no encontrado.")
    review = MonthReview(center, year, month)
    review.reports = list(
        ServiceReport.objects.filter(
            center=center,
            status=ReportStatus.REGISTERED,
            end_date__year=year,
            end_date__month=month,
        )
        .select_related("category", "catalogue_service", "recorded_by")
        .prefetch_related("services__unit")
        .order_by("end_date", "code")
    )
    units: set[int] = set()
    for report in review.reports:
        services = list(report.services.all())
        report.units_count = len(services)
        report.amount_total = sum((s.amount for s in services), Decimal("0"))
        report.review_warnings = _review_warnings(report, services)
        review.services += len(services)
        review.amount += report.amount_total
        review.warnings += len(report.review_warnings)
        units.update(s.unit_id for s in services)
    review.units = len(units)
    return review


def _review_warnings(report: ServiceReport, services: list[Service]) -> list[str]:
    """What a manager should look at before validating (missing document or amount)."""
    warnings = []
    undocumented = sum(s.unit.document_type == DocumentType.NONE for s in services)
    if undocumented:
        warnings.append(_("%(n)s unidad(es) sin documento de identidad") % {"n": undocumented})
    if not report.is_free and not any(s.amount for s in services):
        warnings.append(_("sin monto: el servicio no es gratuito y el monto es 0"))
    return warnings
