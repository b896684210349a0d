"""A lost phone: a staff member with a confirmed TOTP device redeems a new enrolment code.

The old device keeps working until the new one is confirmed, then it is gone; the
replacement is written in the account's history (the admin's LogEntry).
"""

import html
import re

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.conftest import PASSWORD

from citesmart.accounts.actions import create_staff_user, issue_enrolment_code
from citesmart.accounts.roles import Role

pytestmark = pytest.mark.django_db
TWO_FACTOR = "/cuenta/2fa/"


@pytest.fixture(autouse=True)
def _two_factor_required(settings):
    settings.OTP_REQUIRED_FOR_NATIONAL_STAFF = True


def _token(device: TOTPDevice) -> str:
    device.refresh_from_db()
    device.throttle_reset()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def _log_in(client, username: str) -> None:
    answer = client.post(
        reverse("admin:login"), {"username": username, "password": PASSWORD, "next": "/admin/"}
    )
    assert answer.status_code == 302


@pytest.fixture
def old_phone(analyst):
    return TOTPDevice.objects.create(user=analyst, name="citesmart", confirmed=True)


@pytest.fixture
def issuer(db):
    return create_staff_user(username="otro_admin", password=PASSWORD, role=Role.NATIONAL_ADMIN)


def test_a_user_who_lost_the_phone_reaches_the_code_form_and_replaces_the_device(
    client, analyst, old_phone, issuer
):
    _log_in(client, analyst.username)
    asked = client.get(f"{TWO_FACTOR}?next=/admin/records/")
    assert "Ingrese el código de 6 dígitos" in asked.text
    assert "¿Perdió su teléfono?" in asked.text
    link = re.search(r'<a href="([^"]+)">¿Perdió su teléfono\?', asked.text)
    assert link, "the lost-phone link is offered"
    form = client.get(html.unescape(link.group(1)))
    assert 'name="code"' in form.text and 'name="token"' not in form.text
    assert "seguirá valiendo hasta que confirme el nuevo" in form.text

    code = issue_enrolment_code(user=analyst, issued_by=issuer)
    redeemed = client.post(f"{TWO_FACTOR}?inscribir=1&next=/admin/records/", {"code": code})
    assert redeemed.status_code == 302
    shown = client.get(redeemed["Location"])
    assert "Escanee este código" in shown.text and "clave a mano" in shown.text
    new_phone = TOTPDevice.objects.get(user=analyst, confirmed=False)
    # Until the new phone is confirmed, the old one is still the account's second factor.
    assert TOTPDevice.objects.filter(pk=old_phone.pk, confirmed=True).exists()
    assert "no es correcto" in client.post(redeemed["Location"], {"token": "000000"}).text
    assert TOTPDevice.objects.filter(pk=old_phone.pk).exists()

    done = client.post(redeemed["Location"], {"token": _token(new_phone)})
    assert done.status_code == 302 and done["Location"] == "/admin/records/"
    assert client.get(reverse("admin:index")).status_code == 200
    assert list(TOTPDevice.objects.filter(user=analyst).values_list("pk", "confirmed")) == [
        (new_phone.pk, True)
    ]
    entry = LogEntry.objects.get(object_id=str(analyst.pk))
    assert entry.user_id == analyst.pk
    assert "Segundo factor reemplazado" in entry.get_change_message()


def test_a_redeemed_code_never_confirmed_leaves_the_old_phone_working(
    client, analyst, old_phone, issuer
):
    _log_in(client, analyst.username)
    code = issue_enrolment_code(user=analyst, issued_by=issuer)
    assert client.post(f"{TWO_FACTOR}?inscribir=1", {"code": code}).status_code == 302
    # Another session (the user found the phone after all): the old code still gets in.
    other = client.__class__()
    _log_in(other, analyst.username)
    assert other.post(TWO_FACTOR, {"token": _token(old_phone)}).status_code == 302
    assert other.get(reverse("admin:index")).status_code == 200
    assert TOTPDevice.objects.filter(pk=old_phone.pk, confirmed=True).exists()
    assert not LogEntry.objects.filter(object_id=str(analyst.pk)).exists()


def test_a_wrong_code_on_the_lost_phone_form_changes_nothing(client, analyst, old_phone):
    _log_in(client, analyst.username)
    wrong = client.post(f"{TWO_FACTOR}?inscribir=1", {"code": "AAAA-BBBB-CCCC-DDDD-EEEE"})
    assert "no es válido" in wrong.text and "clave a mano" not in wrong.text
    assert list(TOTPDevice.objects.filter(user=analyst)) == [old_phone]
    assert client.get(reverse("admin:index")).status_code == 302  # still not verified
