"""Typing another center's unit's document on the entry form reveals nothing about it.

An operator of center A types the DNI of a person only center B registered and served,
with a made-up name: the form asks for it as for a new unit, the report points to the
existing unit (a document is one unit), and nowhere in A's back office does B's stored
name appear until a service of A to that unit that names the person as registered is
validated (accounts.access)."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from citesmart.network.models import ServiceCategory
from citesmart.records.models import ReportStatus, ServiceReport
from citesmart.records.unit_actions import get_or_create_unit

pytestmark = pytest.mark.django_db

DNI = "41234567"
STORED = "Rosalinda Cáceres Ttito"
TYPED = "Cliente Inventado"
ADD_URL = reverse("admin:records_servicereport_add")
TODAY = date.today()


@pytest.fixture
def b_unit(center_b):
    return get_or_create_unit(
        document_type="dni",
        document_number=DNI,
        name=STORED,
        client_type="emprendedor",
        center=center_b,
    )[0]


def entry(center, **row) -> dict:
    data = {
        "center": center.pk,
        "code": "INF-A-1",
        "category": 1,
        "start_date": f"{TODAY - timedelta(days=3):%d/%m/%Y}",
        "end_date": f"{TODAY - timedelta(days=1):%d/%m/%Y}",
        "unidades-TOTAL_FORMS": 1,
        "unidades-INITIAL_FORMS": 0,
        "unidades-MIN_NUM_FORMS": 0,
        "unidades-MAX_NUM_FORMS": 1000,
        "unidades-0-document_type": "dni",
        "unidades-0-document_number": DNI,
        "unidades-0-amount": "0",
    }
    data["category"] = ServiceCategory.objects.get(code="asistencia-tecnica").pk
    data.update({f"unidades-0-{key}": value for key, value in row.items()})
    return data


def hides_b(text: str) -> bool:
    return "Cáceres" not in text and "Rosalinda" not in text


def test_the_form_asks_for_the_name_as_for_a_new_unit(client_for, operator_a, center_a, b_unit):
    response = client_for(operator_a).post(ADD_URL, entry(center_a))
    assert response.status_code == 200
    assert "Unidad productiva nueva: indique su razón social o nombre." in response.text
    assert "Unidad productiva nueva: indique el tipo de cliente." in response.text
    assert "Ya registrada" not in response.text and hides_b(response.text)
    assert not ServiceReport.objects.exists()


def test_after_saving_nowhere_shows_the_stored_name(
    client_for, operator_a, manager_a, center_a, b_unit
):
    client = client_for(operator_a)
    saved = client.post(ADD_URL, entry(center_a, name=TYPED, client_type="emprendedor"))
    assert saved.status_code == 302, saved.content.decode()[-2000:]
    report = ServiceReport.objects.get(code="INF-A-1")
    service = report.services.get()
    assert service.unit == b_unit and service.typed_name == TYPED  # one unit per document
    b_unit.refresh_from_db()
    assert b_unit.name == STORED  # the typed name does not overwrite B's data

    change = client.get(reverse("admin:records_servicereport_change", args=[report.pk]))
    assert change.status_code == 200 and TYPED in change.text and hides_b(change.text)
    units = reverse("admin:units_productiveunit_changelist")
    assert hides_b(client.get(units).text) and hides_b(client.get(f"{units}?q={DNI}").text)
    detail = client.get(reverse("admin:units_productiveunit_change", args=[b_unit.pk]))
    assert detail.status_code == 404 and hides_b(detail.text)
    # An error elsewhere: the row renders again with the name typed, not the stored one.
    again = client.post(
        reverse("admin:records_servicereport_change", args=[report.pk]),
        entry(center_a, name=TYPED) | {"start_date": "", "unidades-INITIAL_FORMS": 1},
    )
    assert again.status_code == 200 and hides_b(again.text)
    # The manager's export before validating: the typed name as well.
    export = client_for(manager_a).get(
        reverse("admin:records_servicereport_export") + "?formato=csv"
    )
    body = b"".join(export.streaming_content).decode() if export.streaming else export.text
    assert TYPED in body and hides_b(body)


def test_a_validated_service_shows_the_unit_only_to_a_center_that_named_it(
    client_for, operator_a, manager_a, center_a, b_unit
):
    """Validation alone is no proof of knowing a person: with the made-up name, the unit
    stays hidden after the manager validates; typed as registered, it shows."""
    client = client_for(operator_a)
    detail_url = reverse("admin:units_productiveunit_change", args=[b_unit.pk])
    for code, name in (("INF-A-1", TYPED), ("INF-A-2", STORED)):
        client.post(ADD_URL, entry(center_a, name=name, client_type="emprendedor") | {"code": code})
        report = ServiceReport.objects.get(code=code)
        validate = reverse("admin:records_servicereport_validate", args=[report.pk])
        client_for(manager_a).post(validate)
        report.refresh_from_db()
        assert report.status == ReportStatus.VALIDATED
        detail = client.get(detail_url)
        if name == TYPED:
            assert detail.status_code == 404
            assert hides_b(client.get(reverse("admin:records_servicereport_changelist")).text)
    assert detail.status_code == 200 and STORED in detail.text
