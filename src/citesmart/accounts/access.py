"""The one place that decides which centers, and so which records, a user may reach.

Admin classes, views, commands, the importer and the API all call these helpers, so
scoping is enforced in querysets and not only in templates.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Upper
from django.http import Http404
from django.utils.translation import gettext as _

from citesmart.accounts.models import StaffProfile
from citesmart.accounts.roles import Role
from citesmart.lib.identity import PERSONAL_RUC_PREFIXES, DocumentType
from citesmart.network.models import Center


def role_of(user) -> str | None:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return Role.NATIONAL_ADMIN
    profile = StaffProfile.objects.filter(user=user).only("role").first()
    return profile.role if profile else None


def is_national(user) -> bool:
    """ITP staff who see the whole network (administrators and analysts)."""
    return role_of(user) in {Role.NATIONAL_ADMIN, Role.ANALYST}


def home_center(user) -> Center | None:
    profile = StaffProfile.objects.filter(user=user).select_related("center").first()
    return profile.center if profile else None


def accessible_centers(user) -> QuerySet[Center]:
    """Every center for ITP staff; a center's own staff get it and its technical units."""
    role = role_of(user)
    if role in {Role.NATIONAL_ADMIN, Role.ANALYST}:
        return Center.objects.all()
    if role is None:
        return Center.objects.none()
    center = home_center(user)
    return (
        Center.objects.filter(Q(pk=center.pk) | Q(parent=center.pk))
        if center
        else Center.objects.none()
    )


def scope(queryset: QuerySet, user, *, center_field: str = "center") -> QuerySet:
    """Filter any queryset down to the rows of centers the user may reach."""
    if is_national(user):
        return queryset
    lookup = "pk__in" if not center_field else f"{center_field}__in"
    return queryset.filter(**{lookup: accessible_centers(user).values("pk")})


def get_center_for_user(user, code: str) -> Center:
    """A center by code, or 404 for a center the user may not reach (no existence leak)."""
    center = accessible_centers(user).filter(code=code).first()
    if center is None:
        raise Http404("Centro no encontrado.")
    return center


# --- productive units: whose details a center's staff may see ---------------------------
# Units are network-wide (a document is one unit), so a center's report may point to a unit
# another center registered. Its details (stored name, contacts, place, classification)
# become visible to a center's staff only once
#   - one of their centers registered the unit, or
#   - a service of one of their centers to it is on a validated report (the manager, or
#     ITP, validated it: four eyes, not the operator alone) and, for a natural person, that
#     report names the person as registered (the name typed equals the stored one, case
#     aside): a center shows it knows the person before it is shown their record. Without
#     that, a manager could validate a report quoting any DNI and read the name and phone
#     another center registered (found by a user-path review, 2026-12-04).
# Until then they see only what they typed on their own report (Service.typed_name), and
# the entry form treats the document as new: typing a DNI or RUC reveals nothing. ITP staff
# see every unit.


def units_with_visible_details(user, units: QuerySet, *, validated_services: QuerySet) -> QuerySet:
    """`units` filtered to those whose details `user` may see. `validated_services`: the
    services of validated reports (records.queries passes them: accounts sits below
    records and does not import its models)."""
    if is_national(user):
        return units
    centers = accessible_centers(user).values("pk")
    # The units served on the centers' validated reports, each service proving what it may:
    # any for a company, the name as registered for a person. One uncorrelated subquery
    # (a correlated EXISTS per unit took minutes on the demo's 400k services in SQLite).
    proven = (
        validated_services.filter(report__center__in=centers)
        .alias(typed=Upper("typed_name"), registered=Upper("unit__name"))
        .filter(~_natural_person("unit__") | Q(typed=F("registered")))
        .values("unit")
    )
    return units.filter(Q(registered_by__in=centers) | Q(pk__in=proven))


def _natural_person(prefix: str = "") -> Q:
    """units.models.ProductiveUnit.is_natural_person as a filter (on `prefix` + field)."""
    personal = Q()
    for start in PERSONAL_RUC_PREFIXES:
        personal |= Q(**{f"{prefix}document_number__startswith": start})
    ruc = Q(**{f"{prefix}document_type": DocumentType.RUC}) & personal
    kinds = [DocumentType.DNI, DocumentType.CE, DocumentType.NONE]
    return Q(**{f"{prefix}person_dni__gt": ""}) | Q(**{f"{prefix}document_type__in": kinds}) | ruc


# --- spreadsheet import (records.imports): who may import where -------------------------

IMPORTING_ROLES = {Role.NATIONAL_ADMIN, Role.CENTER_MANAGER, Role.CENTER_OPERATOR}


def can_import(user, center: Center) -> bool:
    """Staff who record services may import into the centers they reach; analysts may not."""
    if user is None:  # the command line without --user: the system itself
        return True
    if role_of(user) not in IMPORTING_ROLES:
        return False
    return accessible_centers(user).filter(pk=center.pk).exists()


def importable_centers(user) -> QuerySet[Center]:
    """Centers the user may import into (for the upload form's choices)."""
    if role_of(user) not in IMPORTING_ROLES:
        return Center.objects.none()
    return accessible_centers(user)


# --- staff accounts: who may grant which role where -------------------------------------

GRANTABLE_ROLES: dict[str, tuple[Role, ...]] = {
    Role.NATIONAL_ADMIN: tuple(Role),
    # A manager runs their center's team: managers and operators, never ITP roles.
    Role.CENTER_MANAGER: (Role.CENTER_MANAGER, Role.CENTER_OPERATOR),
}


def grantable_roles(actor) -> tuple[Role, ...]:
    """The roles `actor` may give to an account (none for analysts and operators)."""
    return GRANTABLE_ROLES.get(role_of(actor) or "", ())


def may_edit_privileges(actor) -> bool:
    """Superuser, staff and group flags, and raw permissions: national administrators only."""
    return role_of(actor) == Role.NATIONAL_ADMIN


def manageable_users(actor) -> QuerySet:
    """Accounts whose role the actor may change: every account for a national administrator;
    for a manager, the non-superuser staff of the centers they reach. An existing account
    without a role is the national administrator's alone (a manager gives a role only to
    the account they are creating: `check_role_grant(user=None)`)."""
    users = get_user_model().objects.all()
    if role_of(actor) == Role.NATIONAL_ADMIN:
        return users
    if role_of(actor) != Role.CENTER_MANAGER:
        return users.none()
    in_scope = scope(users, actor, center_field="staff_profile__center").values("pk")
    return users.filter(pk__in=in_scope, is_superuser=False)


def check_role_grant(actor, *, user, role: str, center: Center | None) -> None:
    """Refuse any role or center above the actor's own reach (PermissionDenied, in Spanish).

    `user` is the account being changed (None while it is being created). The one check
    behind every admin form and command that sets a role (accounts.actions.set_staff_role).
    """
    if role not in grantable_roles(actor):
        raise PermissionDenied(_("No puede asignar el rol «%s».") % _role_label(role))
    if user is not None and user.pk and not manageable_users(actor).filter(pk=user.pk).exists():
        raise PermissionDenied(_("No puede cambiar el rol de esta cuenta."))
    if role_of(actor) == Role.NATIONAL_ADMIN:
        return
    if center is None or not accessible_centers(actor).filter(pk=center.pk).exists():
        raise PermissionDenied(
            _("Solo puede asignar personal a su centro o a sus unidades técnicas.")
        )


def _role_label(role: str) -> str:
    return str(Role(role).label) if role in Role.values else str(role)


# --- two-factor authentication ------------------------------------------------------------

TWO_FACTOR_ROLES = {Role.NATIONAL_ADMIN, Role.ANALYST}


def needs_two_factor(user) -> bool:
    """ITP staff reach every center's personal data: administrators and analysts alike."""
    return role_of(user) in TWO_FACTOR_ROLES


def check_enrolment_issuer(issuer, user) -> None:
    """Only another national administrator may let an account enrol a second factor."""
    if role_of(issuer) != Role.NATIONAL_ADMIN:
        raise PermissionDenied(_("Solo un administrador nacional emite códigos de inscripción."))
    if issuer.pk == user.pk:
        raise PermissionDenied(
            _("Pida el código a otro administrador nacional: nadie se lo emite a sí mismo.")
        )


# --- monthly closing (records.closing) ----------------------------------------------------


def can_close_month(user, center: Center) -> bool:
    """A center's manager closes their center's (and technical units') months; ITP too."""
    role = role_of(user)
    if role == Role.NATIONAL_ADMIN:
        return True
    return role == Role.CENTER_MANAGER and accessible_centers(user).filter(pk=center.pk).exists()


def may_view_closings(user) -> bool:
    """The closing calendar: every staff role (each sees the centers they reach)."""
    return role_of(user) is not None


def may_close_months(user) -> bool:
    """Whether the role closes months at all (for the calendar's buttons); can_close_month
    decides for one center."""
    return role_of(user) in {Role.CENTER_MANAGER, Role.NATIONAL_ADMIN}


def can_approve_months(user) -> bool:
    """Approving, returning and reopening months is ITP's: national administrators."""
    return role_of(user) == Role.NATIONAL_ADMIN


# --- validating and cancelling service reports (records.actions) --------------------------
# Only the center's manager (their center and its technical units) and the national
# administrator validate or cancel a report. What an operator, an analyst or an API token
# records lands "registrado". With settings.RECORDS_FOUR_EYES, the person who recorded a
# report's content does not validate it. `user=None` is the system itself (the command line
# without --user, e.g. loading demo data): it may do both.

VALIDATING_ROLES = frozenset({Role.NATIONAL_ADMIN, Role.CENTER_MANAGER})


def may_validate_reports(user) -> bool:
    """Whether the user's role validates reports at all (for buttons, links and menus)."""
    return role_of(user) in VALIDATING_ROLES


def _reaches(user, center: Center) -> bool:
    return accessible_centers(user).filter(pk=center.pk).exists()


def _outside(center: Center) -> str:
    text = _("el informe es de «%(center)s», que no es su centro ni una de sus unidades técnicas")
    return text % {"center": center.name}


def validation_refusal(
    user, center: Center, *, recorded_by_id: int | None = None, by_token: bool = False
) -> str:
    """Why `user` may not validate a report of `center` recorded by `recorded_by_id`, in
    Spanish (to follow a colon), or "" when they may."""
    if by_token:
        return _("solo el gestor del centro puede validar; un token de API solo registra")
    if user is None:
        return ""
    if role_of(user) not in VALIDATING_ROLES:
        return _("solo el gestor del centro puede validar")
    if not _reaches(user, center):
        return _outside(center)
    if settings.RECORDS_FOUR_EYES and recorded_by_id is not None and recorded_by_id == user.pk:
        return _(
            "usted registró el contenido de este informe y el control de cuatro ojos exige que "
            "lo valide otra persona (otro gestor del centro o el administrador nacional)"
        )
    return ""


def cancel_refusal(user, center: Center, *, by_token: bool = False) -> str:
    """Why `user` may not cancel (or send back to "registrado") a report of `center`, or ""."""
    if by_token:
        return _("solo el gestor del centro puede anular; un token de API solo registra")
    if user is None:
        return ""
    if role_of(user) not in VALIDATING_ROLES:
        return _("solo el gestor del centro puede anular")
    if not _reaches(user, center):
        return _outside(center)
    return ""


def can_validate(user, center: Center, *, recorded_by_id: int | None = None) -> bool:
    return not validation_refusal(user, center, recorded_by_id=recorded_by_id)


def can_cancel(user, center: Center) -> bool:
    return not cancel_refusal(user, center)


def status_refusal(
    user,
    center: Center,
    *,
    validating: bool = False,
    cancelling: bool = False,
    recorded_by_id: int | None = None,
    by_token: bool = False,
) -> str:
    """Why a write by `user` may not set the status it asks for, or "": `validating` (it
    asks for "validado") or `cancelling` (for "anulado"); any other status needs no right.
    Statuses come as these flags: accounts sits below records and does not import it."""
    if validating:
        return validation_refusal(user, center, recorded_by_id=recorded_by_id, by_token=by_token)
    if cancelling:
        return cancel_refusal(user, center, by_token=by_token)
    return ""


def merge_refusal(user) -> str:
    """Why `user` may not merge productive units (network-wide records that every center's
    reports point to; a merge moves services between them): only ITP administrators."""
    if user is None or role_of(user) == Role.NATIONAL_ADMIN:
        return ""
    return _("solo el administrador nacional puede fusionar unidades productivas")


# --- exports of service records (records.export) --------------------------------------------
# Exports carry personal data (names, DNI, RUC 10) in bulk: only the roles that answer for
# a center's figures take them out. Operators record; they do not export.
EXPORT_ROLES = frozenset({Role.NATIONAL_ADMIN, Role.ANALYST, Role.CENTER_MANAGER})


def can_export_records(user) -> bool:
    """Whether the user may export service records (the one check for every export door)."""
    return role_of(user) in EXPORT_ROLES


# --- import batches in the back office (records.admin_imports) -------------------------------


def can_upload_imports(user) -> bool:
    """Staff who record services (not analysts) may use the upload page."""
    return importable_centers(user).exists() and user.has_perm("records.add_importbatch")


def can_register_batch(user, center: Center, *, created_by_id: int | None) -> bool:
    """Who may register a checked file of `center`: an importer of the center who checked it
    (`created_by_id`), or whoever may cancel there (its manager, ITP)."""
    if not (can_upload_imports(user) and can_import(user, center)):
        return False
    return created_by_id == user.pk or can_cancel(user, center)


def can_revert_batch(user, center: Center) -> bool:
    """Reverting a batch cancels or restores reports: who may cancel in its center."""
    return can_cancel(user, center)


# --- targets (targets.actions) ----------------------------------------------------------------


def can_set_targets(user) -> bool:
    """Targets are the ministry's goals: only national administrators (or the system) set them."""
    return user is None or role_of(user) == Role.NATIONAL_ADMIN


# --- management reports (reports) -------------------------------------------------------------


def can_report(user, center: Center | None) -> bool:
    """Who may produce a center's report: ITP staff any; a center's manager only their own
    center's (not its technical units'); user None is the command line, the system."""
    if user is None:
        return True
    if is_national(user):
        return True
    if role_of(user) != Role.CENTER_MANAGER or center is None:
        return False
    home = home_center(user)
    return home is not None and center.pk == home.pk


def reportable_centers(user) -> QuerySet[Center]:
    """The centers whose report the user may produce (for the form's choices)."""
    if is_national(user):
        return Center.objects.all()
    home = home_center(user) if role_of(user) == Role.CENTER_MANAGER else None
    return Center.objects.filter(pk=home.pk) if home else Center.objects.none()


# --- ITP's institutional tables (historic) --------------------------------------------------


def can_load_historic(user) -> bool:
    """Loading, checking and reverting ITP's tables: national administrators (or the CLI)."""
    return user is None or role_of(user) == Role.NATIONAL_ADMIN


def can_view_historic(user) -> bool:
    """ITP's institutional tables (budget, staff, projects of every center): ITP staff only."""
    return is_national(user)


# --- surveys (citesmart.surveys) ----------------------------------------------------------
# Surveying is kept away from the centers that gave the services (issue 18): ITP's national
# administrators send, draw, contact and key in; analysts read; a center's staff see only
# the published aggregates, never who answered what.


def may_run_surveys(user) -> bool:
    """Define and draw waves, send invitations, print paper forms, contact units."""
    return role_of(user) == Role.NATIONAL_ADMIN


def may_read_surveys(user) -> bool:
    """The back-office survey pages (samples, contact status, individual answers)."""
    return role_of(user) in {Role.NATIONAL_ADMIN, Role.ANALYST}


def check_may_answer_for(user, *, center: Center) -> None:
    """Keying in an answer or a contact (paper, phone): national administrators only (they
    belong to no center), never the staff of the center that gave the service."""
    if role_of(user) == Role.NATIONAL_ADMIN:
        return
    if role_of(user) is not None and _reaches(user, center):
        raise PermissionDenied(
            _("Nadie del centro que prestó el servicio puede registrar su encuesta.")
        )
    raise PermissionDenied(_("Solo el personal nacional del ITP registra respuestas."))


def managers_emails(center: Center) -> list[str]:
    """The e-mails of the active managers who reach `center` (its own, or its CITE's for a
    technical unit): who hears of the center's new requests."""
    managers = StaffProfile.objects.filter(
        role=Role.CENTER_MANAGER,
        center_id__in=[pk for pk in (center.pk, center.parent_id) if pk],
        user__is_active=True,
    ).exclude(user__email="")
    return sorted(set(managers.values_list("user__email", flat=True)))
