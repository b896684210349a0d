"""The one place that decides which centers, and so which records, a user may reach.

Admin classes, views, commands, the importer and the API all call these helpers, so
scoping is enforced in querysets and not only in templates.
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from citesmart.accounts.models import StaffProfile
from citesmart.accounts.roles import Role
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
