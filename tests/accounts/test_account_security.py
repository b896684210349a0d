import io
import re
import subprocess
import sys

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.conftest import PASSWORD

from citesmart.accounts.actions import (
    create_staff_user,
    issue_enrolment_code,
    redeem_enrolment_code,
)
from citesmart.accounts.models import EnrolmentCode
from citesmart.accounts.roles import Role


def login(client, username, password):
    return client.post(
        reverse("admin:login"), {"username": username, "password": password, "next": "/admin/"}
    )


def test_repeated_failed_logins_lock_the_account_out(client, manager_a, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "gestor_a", "equivocada")
    response = login(client, "gestor_a", PASSWORD)
    assert response.status_code == 429
    assert "bloqueada temporalmente" in response.text


def test_a_correct_login_gets_in(client, manager_a):
    assert login(client, "gestor_a", PASSWORD).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def current_token(device) -> str:
    device.refresh_from_db()
    device.throttle_reset()  # as if the user waited: django-otp slows down repeated failures
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


@override_settings(OTP_REQUIRED_FOR_NATIONAL_STAFF=True)
@pytest.mark.parametrize("who", ["national_admin", "analyst"])
def test_itp_staff_enrol_only_with_a_code_from_another_administrator(client, request, who):
    """A password alone never shows a TOTP secret (security issue 14): trust on first use
    would let whoever stole the password enrol their own phone."""
    user = request.getfixturevalue(who)
    issuer = create_staff_user(username="otro_admin", password=PASSWORD, role=Role.NATIONAL_ADMIN)
    login(client, user.username, PASSWORD)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response["Location"].startswith(
        reverse("accounts:two_factor")
    )
    page = client.get(response["Location"])
    assert "código de inscripción" in page.text and "clave a mano" not in page.text
    assert not TOTPDevice.objects.filter(user=user).exists()
    wrong = client.post(reverse("accounts:two_factor"), {"code": "AAAA-BBBB-CCCC-DDDD-EEEE"})
    assert "no es válido" in wrong.text and "clave a mano" not in wrong.text
    code = issue_enrolment_code(user=user, issued_by=issuer)
    enrol = client.post(reverse("accounts:two_factor"), {"code": code.lower()}, follow=True)
    assert "Escanee este código" in enrol.text and "clave a mano" in enrol.text
    device = TOTPDevice.objects.get(user=user)
    assert "no es correcto" in client.post(reverse("accounts:two_factor"), {"token": "000000"}).text
    token = current_token(device)
    assert client.post(reverse("accounts:two_factor"), {"token": token}).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    # The code was single use.
    assert redeem_enrolment_code(user=user, code=code) is None


def test_enrolment_codes_expire_lapse_and_are_not_self_issued(national_admin, analyst):
    other = create_staff_user(username="otro_admin", password=PASSWORD, role=Role.NATIONAL_ADMIN)
    with pytest.raises(PermissionDenied, match="nadie se lo emite a sí mismo"):
        issue_enrolment_code(user=national_admin, issued_by=national_admin)
    with pytest.raises(PermissionDenied, match="Solo un administrador nacional"):
        issue_enrolment_code(user=national_admin, issued_by=analyst)
    first = issue_enrolment_code(user=analyst, issued_by=other)
    second = issue_enrolment_code(user=analyst, issued_by=national_admin)
    assert redeem_enrolment_code(user=analyst, code=first) is None  # lapsed by the second
    assert redeem_enrolment_code(user=national_admin, code=second) is None  # not theirs
    EnrolmentCode.objects.filter(user=analyst).update(expires_at=timezone.now())
    assert redeem_enrolment_code(user=analyst, code=second) is None  # expired
    assert len(first.replace("-", "")) == 20  # 100 random bits


@override_settings(OTP_REQUIRED_FOR_NATIONAL_STAFF=True)
def test_wrong_enrolment_codes_are_limited(client, analyst):
    issue_enrolment_code(user=analyst)
    login(client, analyst.username, PASSWORD)
    for _ in range(5):
        client.post(reverse("accounts:two_factor"), {"code": "AAAA-BBBB-CCCC-DDDD-EEEE"})
    code = issue_enrolment_code(user=analyst)
    blocked = client.post(reverse("accounts:two_factor"), {"code": code})
    assert "Demasiados intentos" in blocked.text


def test_an_administrator_issues_a_code_in_the_back_office(client_for, national_admin, analyst):
    client = client_for(national_admin)
    url = reverse("admin:auth_user_enrolment_code", args=[analyst.pk])
    assert url in client.get(reverse("admin:auth_user_change", args=[analyst.pk])).text
    assert "Emitir código" in client.get(url).text
    shown = client.post(url).text
    code = re.search(r'class="enrolment-code">([A-Z0-9-]+)<', shown).group(1)
    assert redeem_enrolment_code(user=analyst, code=code) is not None
    own = reverse("admin:auth_user_enrolment_code", args=[national_admin.pk])
    assert client.post(own).status_code == 403


def test_the_command_line_issues_a_code(analyst):
    out = io.StringIO()
    call_command("enrolment_code", analyst.username, stdout=out)
    code = out.getvalue().rsplit(" ", 1)[-1].strip()
    assert redeem_enrolment_code(user=analyst, code=code) is not None
    with pytest.raises(CommandError, match="No existe la cuenta"):
        call_command("enrolment_code", "nadie")


@override_settings(OTP_REQUIRED_FOR_NATIONAL_STAFF=True)
def test_center_staff_are_not_forced_into_totp(client, manager_a):
    login(client, "gestor_a", PASSWORD)
    assert client.get(reverse("admin:index")).status_code == 200


def test_weak_passwords_are_refused_in_spanish(client_for, national_admin, center_a):
    response = client_for(national_admin).post(
        reverse("admin:auth_user_add"),
        {
            "username": "nuevo",
            "password1": "12345678",
            "password2": "12345678",
            "staff_profile-TOTAL_FORMS": "1",
            "staff_profile-INITIAL_FORMS": "0",
            "staff_profile-MIN_NUM_FORMS": "1",
            "staff_profile-MAX_NUM_FORMS": "1",
            "staff_profile-0-role": "operador_centro",
            "staff_profile-0-center": center_a.pk,
        },
    )
    assert "contraseña" in response.text and "demasiado común" in response.text


def run_cli(*args, env):
    return subprocess.run(
        [sys.executable, "-m", "citesmart", *args], capture_output=True, text=True, env=env
    )


def test_production_settings_refuse_to_start_without_a_secret_key(tmp_path):
    result = run_cli(
        "check", env={"PATH": "/usr/bin:/bin", "DEBUG": "0", "CITESMART_VAR_DIR": str(tmp_path)}
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_settings_pass_the_deploy_check(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "DEBUG": "0",
        "CITESMART_VAR_DIR": str(tmp_path),
        "SECRET_KEY": "x7-" + "k2Lq9vW3eR8tY1uI6oP4aS5dF0gH" * 2,
        "ALLOWED_HOSTS": "citesmart.itp.gob.pe",
    }
    result = run_cli("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
