"""Bad input in back-office forms comes back with Spanish messages and saves nothing."""

from django.urls import reverse

from citesmart.network.models import CatalogueService, Programme, ServiceCategory


def test_a_free_service_with_a_tariff_is_refused_in_spanish(client_for, national_admin, center_a):
    response = client_for(national_admin).post(
        reverse("admin:network_catalogueservice_add"),
        {
            "center": center_a.pk,
            "name": "Diagnóstico energético",
            "category": ServiceCategory.objects.first().pk,
            "is_free": "on",
            "tariff": "50",
        },
    )
    assert response.status_code == 200
    assert "Un servicio gratuito no tiene tarifa" in response.text
    assert "Por favor, corrija" in response.text
    assert not CatalogueService.objects.filter(name="Diagnóstico energético").exists()


def test_a_negative_tariff_is_refused_in_spanish(client_for, national_admin, center_a):
    response = client_for(national_admin).post(
        reverse("admin:network_catalogueservice_add"),
        {
            "center": center_a.pk,
            "name": "Ensayo",
            "category": ServiceCategory.objects.first().pk,
            "tariff": "-5",
        },
    )
    assert "Asegúrese de que este valor es mayor o igual a 0" in response.text
    assert not CatalogueService.objects.filter(name="Ensayo").exists()


def test_a_programme_ending_before_it_starts_is_refused(client_for, national_admin):
    response = client_for(national_admin).post(
        reverse("admin:network_programme_add"),
        {
            "code": "al-reves",
            "name": "Al revés",
            "starts_on": "01/07/2026",
            "ends_on": "30/06/2026",
        },
    )
    assert "no puede terminar antes de empezar" in response.text
    assert not Programme.objects.filter(code="al-reves").exists()


def test_admin_speaks_spanish(client_for, national_admin):
    page = client_for(national_admin).get(reverse("admin:index")).text
    assert "Red CITE" in page and "Catálogo de servicios" in page and "Cerrar sesión" in page
