import subprocess
import sys

from django.test import override_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.conftest import PASSWORD


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


@override_settings(OTP_REQUIRED_FOR_NATIONAL_ADMINS=True)
def test_national_admin_must_enrol_and_pass_totp(client, national_admin):
    login(client, "itp_admin", PASSWORD)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response["Location"].startswith(
        reverse("accounts:two_factor")
    )
    enrol = client.get(response["Location"])
    assert "Escanee este código" in enrol.text and "<svg" in enrol.text
    device = TOTPDevice.objects.get(user=national_admin)
    wrong = client.post(enrol.request["PATH_INFO"], {"token": "000000"})
    assert "no es correcto" in wrong.text
    device.refresh_from_db()
    device.throttle_reset()  # as if the user waited: django-otp slows down repeated failures
    token = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    assert client.post(reverse("accounts:two_factor"), {"token": token}).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
    device.refresh_from_db()
    assert device.confirmed


@override_settings(OTP_REQUIRED_FOR_NATIONAL_ADMINS=True)
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
