"""A new request from the portal e-mails the managers of its center (issue 19d)."""

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.urls import reverse
from tests.conftest import PASSWORD

from citesmart.accounts.actions import create_staff_user
from citesmart.accounts.roles import Role
from citesmart.network.models import Center
from citesmart.service_requests.models import ServiceRequest

pytestmark = pytest.mark.django_db
FORM = {
    "document_type": "ruc",
    "document_number": "20131312955",
    "name": "Muebles Ayni S.A.C.",
    "email": "gerencia@ayni.pe",
    "phone": "987654321",
    "district": "150142",
    "chain": "madera",
    "center": "citemadera-y-del-mueble-lima",
    "need": "Ensayos de humedad para un lote de tablas.",
    "consent": "on",
    "website": "",
}


def _staff(username: str, role: Role, center: Center | None, email: str) -> User:
    return create_staff_user(
        username=username, password=PASSWORD, role=role, center=center, email=email
    )


@pytest.fixture
def madera(db) -> Center:
    return Center.objects.get(code="citemadera-y-del-mueble-lima")


def test_a_new_request_e_mails_the_centers_managers_without_the_requesters_data(
    client, madera, center_b, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _staff("gestora_madera", Role.CENTER_MANAGER, madera, "gestora@citemadera.pe")
    _staff("gestor2_madera", Role.CENTER_MANAGER, madera, "gestor2@citemadera.pe")
    _staff("operador_madera", Role.CENTER_OPERATOR, madera, "operador@citemadera.pe")
    _staff("gestor_otro", Role.CENTER_MANAGER, center_b, "gestor@citecuero.pe")
    _staff("gestor_sin_correo", Role.CENTER_MANAGER, madera, "")
    gone = _staff("gestor_cesado", Role.CENTER_MANAGER, madera, "cesado@citemadera.pe")
    User.objects.filter(pk=gone.pk).update(is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("portal:request_new"), FORM).status_code == 302
    created = ServiceRequest.objects.get()
    to_managers = [m for m in mail.outbox if m.to != ["gerencia@ayni.pe"]]
    assert sorted(m.to[0] for m in to_managers) == [
        "gestor2@citemadera.pe",
        "gestora@citemadera.pe",
    ], "each active manager of the center, one message each (no one sees the others)"
    message = to_managers[0]
    assert "Nueva solicitud de servicio" in message.subject
    assert created.tracking_code in message.subject + message.body
    admin_url = reverse("admin:service_requests_servicerequest_change", args=[created.pk])
    assert admin_url in message.body
    assert "Villa El Salvador" in message.body and "CITEmadera" in message.body
    # The requester's data stays in the back office, not in a manager's mailbox.
    for private in ("Muebles Ayni", "20131312955", "gerencia@ayni.pe", "987654321"):
        assert private not in message.body and private not in message.subject


def test_a_request_to_a_technical_unit_reaches_the_managers_of_its_cite(
    client, center_a, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    unit = Center.objects.filter(parent=center_a).first()
    _staff("gestor_cite", Role.CENTER_MANAGER, center_a, "gestor@citeagro.pe")
    chain = unit.chains.first() or center_a.chains.first()
    form = FORM | {"center": unit.code, "chain": chain.code if chain else "madera"}
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(reverse("portal:request_new"), form)
    assert answer.status_code == 302, answer.text[:3000]
    assert "gestor@citeagro.pe" in [m.to[0] for m in mail.outbox]


def test_the_form_says_the_answer_time_and_names_the_districts_a_name_could_mean(client, settings):
    settings.SERVICE_REQUEST_ANSWER_DAYS = 7
    form = client.get(reverse("portal:request_new")).text
    assert "plazo de 7 días hábiles" in form
    # "Santa Rosa" is a district in several provinces: each is named with its code.
    answer = client.post(reverse("portal:request_new"), FORM | {"district": "Santa Rosa"})
    assert answer.status_code == 200 and "Hay varios distritos con ese nombre" in answer.text
    assert "Santa Rosa (" in answer.text and not ServiceRequest.objects.exists()
    code = re.search(r"Santa Rosa \([^)]+\): (\d{6})", answer.text).group(1)
    assert client.post(reverse("portal:request_new"), FORM | {"district": code}).status_code == 302
