"""Scoped reads of the records: which reports, units, catalogue and audit a user may reach.

Every back-office screen of the records and units apps takes its rows from here, so the
scoping of accounts.access is applied once, in querysets, and tested hard.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from citesmart.accounts.access import accessible_centers, is_national, role_of, scope
from citesmart.accounts.roles import Role
from citesmart.network.models import CatalogueService
from citesmart.records.models import AuditEntry, Service, ServiceReport
from citesmart.units.models import ProductiveUnit

# Exports carry personal data (names, DNI, RUC 10) in bulk: only the roles that answer for
# a center's figures take them out. Operators record; they do not export.
EXPORT_ROLES = frozenset({Role.NATIONAL_ADMIN, Role.ANALYST, Role.CENTER_MANAGER})
# A registered report counts once the center's checks are done: the manager (or ITP) does
# them, not the operator who recorded it.
VALIDATE_ROLES = frozenset({Role.NATIONAL_ADMIN, Role.CENTER_MANAGER})


def can_export_records(user) -> bool:
    """Whether the user may export service records (the one check for every export door)."""
    return role_of(user) in EXPORT_ROLES


def can_validate_reports(user) -> bool:
    """Whether the user may validate registered reports (or send them back)."""
    return role_of(user) in VALIDATE_ROLES


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
    """Units a user may see: all for ITP staff; for center staff, the units their centers
    served (a service on one of their reports) or registered.

    Units are network-wide records, not owned by one center, hence this definition.
    """
    units = ProductiveUnit.objects.all()
    if is_national(user):
        return units
    centers = accessible_centers(user).values("pk")
    served = Service.objects.filter(unit=OuterRef("pk"), report__center__in=centers)
    return units.filter(Exists(served) | Q(registered_by__in=centers))


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
