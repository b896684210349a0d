"""A visitor asks for a service and follows it by code; the center's staff answer it."""

import pytest
from django.core import mail
from django.urls import reverse

from citesmart.service_requests.models import RequestStatus, ServiceRequest

VALID = {
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


def send(client, **changes):
    return client.post(reverse("portal:request_new"), VALID | changes)


@pytest.fixture
def sent(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client)
    assert response.status_code == 302, response.text
    return ServiceRequest.objects.get()


pytestmark = pytest.mark.django_db


def test_a_request_gets_a_tracking_code_a_status_page_and_an_email(client, sent):
    assert sent.tracking_code.startswith("SOL-") and len(sent.tracking_code) == 14
    page = client.get(reverse("portal:request_status", args=[sent.tracking_code])).text
    assert "Recibida" in page and "CITEmadera y del Mueble Lima" in page
    assert "Muebles Ayni" not in page and "20131312955" not in page  # no personal data on the page
    assert len(mail.outbox) == 1 and sent.tracking_code in mail.outbox[0].subject


def test_invalid_ruc_is_refused_with_a_spanish_message(client):
    response = send(client, document_number="20131312954")
    assert response.status_code == 200
    assert "dígito verificador" in response.text
    assert not ServiceRequest.objects.exists()


def test_consent_is_required(client):
    response = send(client, consent="")
    assert "Debe autorizar el tratamiento de sus datos" in response.text
    assert not ServiceRequest.objects.exists()


def test_district_by_name_or_code(client):
    assert send(client, district="Villa El Salvador").status_code == 302
    assert "No encontramos ese distrito" in send(client, district="Atlántida").text


def test_honeypot_discards_bots_silently(client):
    assert send(client, website="http://spam.example").status_code == 302
    assert not ServiceRequest.objects.exists()


def test_too_many_requests_for_one_document_are_refused(client):
    for _ in range(5):
        assert send(client).status_code == 302
    response = send(client)
    assert response.status_code == 429 and "Inténtelo mañana" in response.text


def test_unknown_tracking_codes_are_404_and_lookups_are_rate_limited(client, monkeypatch):
    clock = [1_800_000_015.0]  # 15 s into a minute
    monkeypatch.setattr("citesmart.portal.views.requests.clock", lambda: clock[0])
    for _ in range(20):
        assert (
            client.get(reverse("portal:request_status", args=["SOL-AAAAAAAAAA"])).status_code == 404
        )
    response = client.get(reverse("portal:request_status", args=["SOL-AAAAAAAAAB"]))
    assert response.status_code == 429 and response["Retry-After"] == "45"
    clock[0] += 44  # still that minute: still refused, however long the entry itself lives
    assert client.get(reverse("portal:request_status", args=["SOL-B"])).status_code == 429
    clock[0] += 1  # the next minute: a new budget
    assert client.get(reverse("portal:request_status", args=["SOL-B"])).status_code == 404


def test_center_staff_answer_and_the_requester_is_told(
    client_for, sent, django_capture_on_commit_callbacks
):
    from citesmart.accounts.actions import create_staff_user
    from citesmart.accounts.roles import Role

    manager = create_staff_user(
        username="gestor_madera", password="x" * 12, role=Role.CENTER_MANAGER, center=sent.center
    )
    staff = client_for(manager)
    url = reverse("admin:service_requests_servicerequest_change", args=[sent.pk])
    assert "Muebles Ayni" in staff.get(url).text  # staff see the requester
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            url,
            {
                "status": RequestStatus.IN_PROGRESS,
                "answer": "Le llamaremos el lunes.",
                "decline_reason": "",
                "events-TOTAL_FORMS": "0",
                "events-INITIAL_FORMS": "0",
            },
        )
    assert response.status_code == 302, response.text
    sent.refresh_from_db()
    assert sent.status == RequestStatus.IN_PROGRESS and sent.assigned_to == manager
    assert "En proceso" in mail.outbox[-1].subject
    declined = staff.post(
        url,
        {
            "status": RequestStatus.DECLINED,
            "answer": "",
            "decline_reason": "",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
        },
    )
    assert "Indique el motivo" in declined.text
    sent.refresh_from_db()
    assert sent.status == RequestStatus.IN_PROGRESS


def test_other_centers_staff_cannot_see_the_request(client_for, sent, manager_b):
    url = reverse("admin:service_requests_servicerequest_change", args=[sent.pk])
    assert client_for(manager_b).get(url).status_code == 404
    listing = client_for(manager_b).get(reverse("admin:service_requests_servicerequest_changelist"))
    assert sent.tracking_code not in listing.text


def test_too_many_requests_from_one_connection_are_refused(client):
    for n in range(10):
        assert send(client, document_type="dni", document_number=f"4123456{n}").status_code == 302
    response = send(client, document_type="dni", document_number="41234570")
    assert response.status_code == 429 and "dentro de una hora" in response.text
    other = client.post(reverse("portal:request_new"), VALID, REMOTE_ADDR="10.9.8.7")
    assert other.status_code == 302  # another connection is not affected


def test_size_limits_are_enforced_with_a_spanish_message(client, settings):
    response = send(client, need="x" * 2001)
    assert response.status_code == 200 and not ServiceRequest.objects.exists()
    assert "menos de 2000 caracteres (tiene 2001)" in response.text
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    assert send(client, need="x" * 20_000).status_code == 400
    assert not ServiceRequest.objects.exists()


def test_the_form_is_protected_by_csrf():
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    assert browser.post(reverse("portal:request_new"), VALID).status_code == 403
    form = browser.get(reverse("portal:request_new"))
    token = form.text.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    response = browser.post(reverse("portal:request_new"), VALID | {"csrfmiddlewaretoken": token})
    assert response.status_code == 302 and ServiceRequest.objects.count() == 1


def test_a_visitor_follows_a_request_by_typing_its_code(client, sent):
    lookup = reverse("portal:request_lookup")
    assert "Código de seguimiento" in client.get(lookup).text
    found = client.get(lookup, {"codigo": f" {sent.tracking_code.lower()} "})
    assert found.status_code == 302
    assert found["Location"] == reverse("portal:request_status", args=[sent.tracking_code])
    missing = client.get(lookup, {"codigo": "SOL-AAAAAAAAAA"})
    assert missing.status_code == 404 and "No encontramos una solicitud" in missing.text


def test_lookups_by_form_and_by_url_share_one_budget(client):
    lookup = reverse("portal:request_lookup")
    for _ in range(10):
        assert client.get(lookup, {"codigo": "SOL-AAAAAAAAAA"}).status_code == 404
        assert client.get(reverse("portal:request_status", args=["SOL-B"])).status_code == 404
    assert client.get(lookup, {"codigo": "SOL-AAAAAAAAAC"}).status_code == 429
