"""Writes on staff accounts."""

from django.contrib.auth.models import User
from django.db import transaction

from citesmart.accounts.access import check_role_grant
from citesmart.accounts.models import StaffProfile
from citesmart.accounts.roles import Role, group_for


def sync_groups(user: User) -> None:
    """Make the user's auth groups match their profile's role; staff can enter the admin."""
    profile = StaffProfile.objects.filter(user=user).first()
    user.groups.set([group_for(profile.role)] if profile else [])
    if profile and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])


@transaction.atomic
def create_staff_user(
    *,
    username: str,
    password: str,
    role: Role,
    center=None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
) -> User:
    """Create a back-office account with its role (and center, for center staff)."""
    user = User(
        username=username, email=email, first_name=first_name, last_name=last_name, is_staff=True
    )
    user.set_password(password)
    user.full_clean()
    user.save()
    profile = StaffProfile(user=user, role=role, center=center)
    profile.full_clean()
    profile.save()
    sync_groups(user)
    return user


@transaction.atomic
def set_staff_role(*, actor, user: User, role: str, center=None) -> StaffProfile:
    """Give `user` a role (and center): the one way a role changes after creation.

    Refused (PermissionDenied) when the role or center is above what `actor` may grant;
    `actor=None` is the command line, trusted as the system itself.
    """
    if actor is not None:
        check_role_grant(actor, user=user, role=role, center=center)
    profile = StaffProfile.objects.filter(user=user).first() or StaffProfile(user=user)
    profile.role, profile.center = role, center
    profile.full_clean()
    profile.save()
    sync_groups(user)
    return profile
