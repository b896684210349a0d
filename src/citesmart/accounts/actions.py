"""Writes on staff accounts."""

import hashlib
import secrets
from datetime import timedelta

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from citesmart.accounts.access import check_enrolment_issuer, check_role_grant
from citesmart.accounts.models import EnrolmentCode, StaffProfile
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
def set_staff_role(
    *, actor, user: User, role: str, center=None, creating: bool = False
) -> StaffProfile:
    """Give `user` a role (and center): the one way a role changes after creation.

    Refused (PermissionDenied) when the role or center is above what `actor` may grant;
    `actor=None` is the command line, trusted as the system itself. `creating=True` only
    for the account `actor` is creating in this same request (the user page saves the
    account, then its role): it is checked as a new account.
    """
    if actor is not None:
        check_role_grant(actor, user=None if creating else user, role=role, center=center)
    profile = StaffProfile.objects.filter(user=user).first() or StaffProfile(user=user)
    profile.role, profile.center = role, center
    profile.full_clean()
    profile.save()
    sync_groups(user)
    return profile


ENROLMENT_CODE_HOURS = 24


def issue_enrolment_code(*, user: User, issued_by=None, hours: int = ENROLMENT_CODE_HOURS) -> str:
    """A new one-time code for `user` to enrol a TOTP device; earlier unused codes lapse.

    `issued_by=None` is the command line. The code (100 random bits, in groups of letters
    easy to read aloud) is returned once; only its digest is stored.
    """
    if issued_by is not None:
        check_enrolment_issuer(issued_by, user)
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 symbols, no 0/O or 1/I
    raw = "".join(secrets.choice(alphabet) for _ in range(20))
    now = timezone.now()
    with transaction.atomic():
        user.enrolment_codes.filter(used_at__isnull=True).update(expires_at=now)
        EnrolmentCode.objects.create(
            user=user,
            digest=_digest(raw),
            issued_by=issued_by,
            expires_at=now + timedelta(hours=hours),
        )
    return "-".join(raw[i : i + 4] for i in range(0, 20, 4))


@transaction.atomic
def redeem_enrolment_code(*, user: User, code: str) -> TOTPDevice | None:
    """A fresh, unconfirmed TOTP device for `user` if `code` is theirs, unused and current;
    else None. A confirmed device (the lost phone) stays until `confirm_device` confirms the
    new one, so a code redeemed and never confirmed locks nobody out; earlier unconfirmed
    devices go."""
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    found = (
        EnrolmentCode.objects.select_for_update()
        .filter(user=user, digest=_digest(cleaned), used_at__isnull=True)
        .filter(expires_at__gt=timezone.now())
        .first()
    )
    if found is None:
        return None
    found.used_at = timezone.now()
    found.save(update_fields=["used_at"])
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="citesmart", confirmed=False)


@transaction.atomic
def confirm_device(*, device: TOTPDevice) -> None:
    """Confirm a device enrolled with a code (its owner typed a right 6-digit code): it
    becomes the account's only second factor, a lost phone is removed, and the change is
    written in the account's history."""
    user = device.user
    replaced = TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).filter(confirmed=True)
    had_one = replaced.exists()
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    message = (
        gettext(
            "Segundo factor reemplazado con un código de inscripción (teléfono anterior eliminado)."
        )
        if had_one
        else gettext("Segundo factor registrado con un código de inscripción.")
    )
    LogEntry.objects.create(
        user=user,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(user.pk),
        object_repr=str(user)[:200],
        action_flag=CHANGE,
        change_message=message,
    )


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()
