"""Login lock-out per client behind the proxy, and against sprays across accounts."""

from django.urls import reverse
from tests.conftest import PASSWORD, make_user

from citesmart.accounts.roles import Role

PROXY = "127.0.0.1"


def login(client, username, password, address):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=address,
    )


def test_a_locked_out_client_leaves_another_clients_login_working(client, manager_a, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "gestor_a", "equivocada", "198.51.100.1")
    locked = login(client, "gestor_a", PASSWORD, "198.51.100.1")
    assert locked.status_code == 429 and "bloqueada temporalmente" in locked.text
    assert login(client, "gestor_a", PASSWORD, "198.51.100.2").status_code == 302


def test_a_spray_across_accounts_locks_the_address_out(client, center_a, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    settings.AXES_ADDRESS_FAILURE_LIMIT = 20
    names = [f"operador_{n}" for n in range(6)]
    for name in names:
        make_user(name, Role.CENTER_OPERATOR, center_a)
    for name in names:  # 4 guesses each: under the per-account limit of 5
        for guess in range(4):
            login(client, name, f"clave-{guess}", "198.51.100.9")
    refused = login(client, names[0], PASSWORD, "198.51.100.9")
    assert refused.status_code == 429 and "bloqueada temporalmente" in refused.text
    # Even a valid login of an account the spray never touched, from that address.
    make_user("gestor_z", Role.CENTER_MANAGER, center_a)
    assert login(client, "gestor_z", PASSWORD, "198.51.100.9").status_code == 429
    # Another client behind the same proxy is not affected.
    assert login(client, names[0], PASSWORD, "198.51.100.10").status_code == 302


def test_a_valid_login_does_not_reset_the_addresss_count(client, center_a, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    settings.AXES_ADDRESS_FAILURE_LIMIT = 8
    for name in ("cuenta_propia", "victima_1", "victima_2"):
        make_user(name, Role.CENTER_OPERATOR, center_a)
    for guess in range(4):
        login(client, "victima_1", f"clave-{guess}", "198.51.100.20")
    # The attacker's own account logs in, which must not erase the failures on the others.
    assert login(client, "cuenta_propia", PASSWORD, "198.51.100.20").status_code == 302
    client.logout()
    for guess in range(4):
        login(client, "victima_2", f"clave-{guess}", "198.51.100.20")
    assert login(client, "victima_1", PASSWORD, "198.51.100.20").status_code == 429
