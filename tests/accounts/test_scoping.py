"""Center staff reach their own center (and its technical units) only, also through crafted URLs."""

from decimal import Decimal

import pytest
from django.urls import reverse

from citesmart.accounts.access import accessible_centers
from citesmart.network.models import CatalogueService, Center, ServiceCategory


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


@pytest.fixture
def service_b(center_b):
    return CatalogueService.objects.create(
        center=center_b,
        name="Ensayo de calzado",
        category=ServiceCategory.objects.get(code="ensayos-laboratorio"),
        tariff=Decimal("80.00"),
    )


def test_manager_reaches_own_center_and_its_technical_units(manager_a, center_a):
    names = set(accessible_centers(manager_a).values_list("name", flat=True))
    assert names == {
        "CITEagroindustrial Moquegua",
        "Unidad Técnica Tacna (CITEagroindustrial Moquegua)",
    }


def test_national_staff_reach_every_center(national_admin, analyst):
    # 48 in the reference list, plus the two technical units the 2026-01-05 note names
    # without a parent (network/data/events.csv).
    assert accessible_centers(national_admin).count() == Center.objects.count() == 50
    assert accessible_centers(analyst).count() == 50


def test_manager_can_open_own_center_change_page(client_for, manager_a, center_a):
    response = client_for(manager_a).get(change_url(center_a))
    assert response.status_code == 200
    assert "CITEagroindustrial Moquegua" in response.text


@pytest.mark.parametrize("who", ["manager_a", "operator_a"])
def test_center_staff_get_404_on_another_centers_pages(
    request, client_for, who, center_b, service_b
):
    client = client_for(request.getfixturevalue(who))
    for url in [
        change_url(center_b),
        change_url(service_b),
        reverse("admin:network_center_history", args=[center_b.pk]),
    ]:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"name": "hackeado"}).status_code in {403, 404}, url
    center_b.refresh_from_db()
    assert center_b.name == "CITEcuero y calzado Trujillo"


def test_other_center_is_absent_from_lists_and_autocomplete(
    client_for, manager_a, center_b, service_b
):
    client = client_for(manager_a)
    centers = client.get(reverse("admin:network_center_changelist"))
    assert centers.status_code == 200
    assert "CITEagroindustrial Moquegua" in centers.text
    assert "Trujillo" not in centers.text
    catalogue = client.get(reverse("admin:network_catalogueservice_changelist"))
    assert "Ensayo de calzado" not in catalogue.text
    autocomplete = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "network",
            "model_name": "catalogueservice",
            "field_name": "center",
            "term": "cuero",
        },
    )
    assert autocomplete.status_code == 200
    assert autocomplete.json()["results"] == []


def test_manager_cannot_add_a_catalogue_service_to_another_center(client_for, manager_a, center_b):
    response = client_for(manager_a).post(
        reverse("admin:network_catalogueservice_add"),
        {
            "center": center_b.pk,
            "name": "Intruso",
            "category": ServiceCategory.objects.first().pk,
            "tariff": "10",
            "chains": [],
        },
    )
    assert response.status_code == 200  # the form comes back with an error
    assert "Escoja una opción válida" in response.text
    assert not CatalogueService.objects.filter(name="Intruso").exists()


def test_manager_adds_a_catalogue_service_to_own_center(client_for, manager_a, center_a):
    response = client_for(manager_a).post(
        reverse("admin:network_catalogueservice_add"),
        {
            "center": center_a.pk,
            "name": "Análisis fisicoquímico",
            "description": "",
            "category": ServiceCategory.objects.get(code="ensayos-laboratorio").pk,
            "tariff": "150.00",
            "unit_of_sale": "por muestra",
            "is_public": "on",
        },
    )
    assert response.status_code == 302, response.text
    assert CatalogueService.objects.get(name="Análisis fisicoquímico").center == center_a


def test_bulk_delete_action_cannot_reach_another_centers_rows(client_for, manager_a, service_b):
    client_for(manager_a).post(
        reverse("admin:network_catalogueservice_changelist"),
        {"action": "delete_selected", "_selected_action": [service_b.pk], "post": "yes"},
    )
    assert CatalogueService.objects.filter(pk=service_b.pk).exists()


def test_manager_cannot_change_what_itp_decides_about_the_center(client_for, manager_a, center_a):
    response = client_for(manager_a).get(change_url(center_a))
    form_fields = response.context["adminform"].form.fields
    assert "kind" not in form_fields and "parent" not in form_fields and "code" not in form_fields
    assert "email" in form_fields


def test_analyst_reads_everything_and_changes_nothing(client_for, analyst, center_b):
    client = client_for(analyst)
    assert client.get(change_url(center_b)).status_code == 200
    client.post(change_url(center_b), {"name": "cambiado"})
    center_b.refresh_from_db()
    assert center_b.name == "CITEcuero y calzado Trujillo"
    assert client.get(reverse("admin:network_catalogueservice_add")).status_code == 403


def test_manager_sees_only_own_staff_and_can_grant_only_center_roles(
    client_for, manager_a, operator_a, operator_b, national_admin
):
    client = client_for(manager_a)
    users = client.get(reverse("admin:auth_user_changelist")).text
    assert "operador_a" in users
    assert "operador_b" not in users and "itp_admin" not in users
    assert client.get(change_url(operator_b)).status_code == 404
    assert client.get(change_url(national_admin)).status_code == 404
    add_page = client.get(reverse("admin:auth_user_add")).text
    assert "gestor_centro" in add_page and "admin_nacional" not in add_page
