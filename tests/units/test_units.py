"""Productive units in the back office: scoped list, search by document, merging duplicates."""

from datetime import date, timedelta
from decimal import Decimal
from random import Random

import pytest
from django.urls import reverse

from citesmart.lib.identity import random_ruc, ruc_for_dni
from citesmart.network.models import ServiceCategory
from citesmart.records.actions import AttendedUnit, record_service_report
from citesmart.records.models import AuditEntry
from citesmart.records.unit_actions import get_or_create_unit
from citesmart.units.models import ProductiveUnit

LIST_URL = reverse("admin:units_productiveunit_changelist")
YESTERDAY = date.today() - timedelta(days=1)
PERSON_RUC = ruc_for_dni("41234567")


def unit_url(unit) -> str:
    return reverse("admin:units_productiveunit_change", args=[unit.pk])


def serve(center, code: str, *units: ProductiveUnit) -> None:
    record_service_report(
        center=center,
        code=code,
        start_date=YESTERDAY,
        end_date=YESTERDAY,
        units=[AttendedUnit(unit, Decimal("10")) for unit in units],
        category=ServiceCategory.objects.get(code="capacitacion"),
    )


def make_unit(center, name: str, number: str, kind: str = "ruc") -> ProductiveUnit:
    return get_or_create_unit(
        document_type=kind,
        document_number=number,
        name=name,
        client_type="empresa_formal",
        center=center,
    )[0]


@pytest.fixture
def served_by_a(center_a) -> ProductiveUnit:
    unit = make_unit(center_a, "Pisquera Moqueguana SAC", random_ruc(Random(1)))
    serve(center_a, "MOQ-001", unit)
    return unit


@pytest.fixture
def served_by_b(center_b) -> ProductiveUnit:
    unit = make_unit(center_b, "Calzados Trujillo SAC", random_ruc(Random(2)))
    serve(center_b, "TRU-001", unit)
    return unit


def test_the_list_shows_document_type_department_and_services(client_for, manager_a, served_by_a):
    response = client_for(manager_a).get(LIST_URL)
    page = response.content.decode()
    assert "Pisquera Moqueguana SAC" in page and f"RUC {served_by_a.document_number}" in page
    assert "Empresa formal" in page
    assert [u._services for u in response.context["cl"].result_list] == [1]


def test_center_staff_see_units_their_center_served_or_registered(
    client_for, operator_a, center_a, served_by_a, served_by_b
):
    registered_only = make_unit(center_a, "Vitivinícola Nueva SAC", random_ruc(Random(3)))
    page = client_for(operator_a).get(LIST_URL).content.decode()
    assert "Pisquera Moqueguana SAC" in page and registered_only.name in page
    assert "Calzados Trujillo SAC" not in page
    assert client_for(operator_a).get(unit_url(served_by_b)).status_code == 404


def test_national_staff_see_every_unit(client_for, analyst, served_by_a, served_by_b):
    page = client_for(analyst).get(LIST_URL).content.decode()
    assert "Pisquera Moqueguana SAC" in page and "Calzados Trujillo SAC" in page


def test_search_by_ruc_and_by_the_dni_inside_a_ruc_10(client_for, analyst, center_a, served_by_a):
    person = make_unit(center_a, "Rosa Mamani", PERSON_RUC)
    client = client_for(analyst)
    by_ruc = client.get(LIST_URL, {"q": served_by_a.document_number}).context["cl"].result_list
    assert list(by_ruc) == [served_by_a]
    by_dni = client.get(LIST_URL, {"q": "41234567"}).context["cl"].result_list
    assert list(by_dni) == [person]
    by_name = client.get(LIST_URL, {"q": "pisquera"}).context["cl"].result_list
    assert list(by_name) == [served_by_a]


def test_center_staff_correct_a_units_data_with_an_audit_entry(client_for, operator_a, served_by_a):
    response = client_for(operator_a).post(
        unit_url(served_by_a),
        {
            "name": "Pisquera Moqueguana S.A.C.",
            "client_type": "empresa_formal",
            "size_class": "pequena",
            "email": "ventas@pisquera.example",
        },
    )
    assert response.status_code == 302
    served_by_a.refresh_from_db()
    assert served_by_a.size_class == "pequena"
    entry = AuditEntry.objects.filter(
        object_id=served_by_a.pk, object_type="productiveunit", action=AuditEntry.Action.UPDATE
    ).get()
    assert entry.changes["size_class"] == ["sin_dato", "pequena"] and entry.actor == operator_a


def test_the_document_cannot_be_changed_on_the_unit_page(client_for, analyst, served_by_a):
    page = client_for(analyst).get(unit_url(served_by_a)).content.decode()
    assert 'name="document_number"' not in page


def merge(client, survivor, duplicate, reason: str = "Registro duplicado"):
    return client.post(
        LIST_URL,
        {
            "action": "merge_selected",
            "_selected_action": [survivor.pk, duplicate.pk],
            "confirmar": "1",
            "survivor": survivor.pk,
            "reason": reason,
        },
    )


def test_national_admin_merges_duplicates_and_services_move(
    client_for, national_admin, center_a, served_by_a
):
    duplicate = make_unit(center_a, "PISQUERA MOQUEGUANA", random_ruc(Random(4)))
    serve(center_a, "MOQ-002", duplicate)
    client = client_for(national_admin)
    asked = client.post(
        LIST_URL, {"action": "merge_selected", "_selected_action": [served_by_a.pk, duplicate.pk]}
    )
    assert "Unidad que se conserva" in asked.content.decode()
    refused = merge(client, served_by_a, duplicate, reason="")
    assert "Indique el motivo de la fusión." in refused.content.decode()
    assert merge(client, served_by_a, duplicate).status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.merged_into == served_by_a
    assert served_by_a.services.count() == 2 and duplicate.services.count() == 0
    page = client.get(unit_url(duplicate)).content.decode()
    assert "Unidad fusionada en" in page and 'name="name"' not in page  # read-only
    listed = client.get(LIST_URL, {"estado": "fusionada"}).context["cl"].result_list
    assert list(listed) == [duplicate]
    history = AuditEntry.objects.filter(object_id=duplicate.pk, object_type="productiveunit")
    assert history.filter(action=AuditEntry.Action.MERGE, reason="Registro duplicado").exists()


def test_merging_needs_exactly_two_live_units(client_for, national_admin, center_a, served_by_a):
    response = client_for(national_admin).post(
        LIST_URL, {"action": "merge_selected", "_selected_action": [served_by_a.pk]}, follow=True
    )
    assert "Seleccione exactamente dos unidades vigentes" in response.content.decode()


@pytest.mark.parametrize("who", ["manager_a", "operator_a", "analyst"])
def test_only_national_admins_merge(request, client_for, center_a, served_by_a, who):
    duplicate = make_unit(center_a, "Duplicada", random_ruc(Random(5)))
    client = client_for(request.getfixturevalue(who))
    assert "merge_selected" not in client.get(LIST_URL).content.decode()
    merge(client, served_by_a, duplicate)
    duplicate.refresh_from_db()
    assert duplicate.merged_into is None


def test_units_are_never_added_or_deleted_by_hand(client_for, national_admin, served_by_a):
    client = client_for(national_admin)
    assert client.get(reverse("admin:units_productiveunit_add")).status_code == 403
    delete = reverse("admin:units_productiveunit_delete", args=[served_by_a.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert ProductiveUnit.objects.filter(pk=served_by_a.pk).exists()


def test_the_unit_page_links_to_its_history_and_reports(client_for, manager_a, served_by_a):
    page = client_for(manager_a).get(unit_url(served_by_a)).content.decode()
    assert f"object_type=productiveunit&amp;object_id={served_by_a.pk}" in page
    assert f"/admin/records/servicereport/?q={served_by_a.document_number}" in page


def test_the_district_autocomplete_works_for_operators(client_for, operator_a):
    response = client_for(operator_a).get(
        reverse("admin:autocomplete"),
        {
            "app_label": "units",
            "model_name": "productiveunit",
            "field_name": "district",
            "term": "ilo",
        },
    )
    assert response.status_code == 200
    assert any("Ilo" in item["text"] for item in response.json()["results"])
