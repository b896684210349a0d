"""Who may produce which report: ITP staff any; a center's manager only their own center's."""

from citesmart.accounts.access import home_center, is_national, role_of
from citesmart.accounts.roles import Role
from citesmart.network.models import Center


def can_report(user, center: Center | None) -> bool:
    if user is None:  # the command line: the system itself
        return True
    if is_national(user):
        return True
    if role_of(user) != Role.CENTER_MANAGER or center is None:
        return False
    home = home_center(user)
    return home is not None and center.pk == home.pk


def reportable_centers(user):
    if is_national(user):
        return Center.objects.all()
    home = home_center(user) if role_of(user) == Role.CENTER_MANAGER else None
    return Center.objects.filter(pk=home.pk) if home else Center.objects.none()
