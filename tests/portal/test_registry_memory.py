"""The registry pages read the registry from memory, and show a back-office edit at once.

Each process keeps the public registry in memory (network/registry.py) and checks one
database row per request; these tests hold the pages to that (so an N+1 cannot come back)
and check that every kind of edit reaches the pages already rendered from memory.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from citesmart.network import registry
from citesmart.network.models import (
    CatalogueService,
    Center,
    CenterName,
    Chain,
    LegalAct,
    ServiceCategory,
)

pytestmark = pytest.mark.django_db

REGISTRY_PAGES = [
    "/servicios/",
    "/servicios/?q=ensayo",
    "/servicios/?q=capacitación",
    "/servicios/?gratuitos=on",
    "/servicios/?departamento=13&cadena=cuero",
    "/servicios/?categoria=no-existe",  # 400: an unknown code is said, not a result
    "/centros/",
]


def queries_of(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def add_services(center: Center, n: int) -> None:
    category = ServiceCategory.objects.get(code="ensayos-laboratorio")
    chain = Chain.objects.get(code="cuero")
    for i in range(n):
        service = CatalogueService.objects.create(
            center=center, name=f"Ensayo {i}", category=category, tariff=Decimal(10 + i)
        )
        service.chains.add(chain)


def test_registry_pages_read_one_row_when_nothing_changed(
    client, catalogue, django_assert_max_num_queries
):
    pages = [*REGISTRY_PAGES, reverse("portal:catalogue_service", args=[catalogue[0].pk])]
    for url in pages:
        client.get(url)
    for url in pages:
        with django_assert_max_num_queries(1):  # the registry version
            assert client.get(url).status_code == (400 if "no-existe" in url else 200)


def test_building_the_registry_costs_the_same_queries_for_any_catalogue_size(client, catalogue):
    small = queries_of(client, "/servicios/")
    for center in Center.objects.all()[:12]:
        add_services(center, 5)  # 60 more services, each with a chain: a new version
    big = queries_of(client, "/servicios/")
    assert big == small <= 15
    assert "62 servicios" in client.get("/servicios/").text


def test_center_page_queries_do_not_grow_with_its_registry_entries(client, center_a):
    empty = Center.objects.get(code="citemadera-y-del-mueble-lima")
    client.get(reverse("portal:center_detail", args=[empty.code]))  # build read model, registry
    before = queries_of(client, reverse("portal:center_detail", args=[empty.code]))
    add_services(center_a, 10)
    for year in range(2010, 2015):
        LegalAct.objects.create(
            center=center_a, kind="creacion", number=f"RE {year}", date=f"{year}-01-02"
        )
        CenterName.objects.create(
            center=center_a, name=f"Nombre {year}", valid_from=f"{year}-01-01"
        )
    client.get(reverse("portal:center_detail", args=[empty.code]))  # rebuild after the edits
    assert queries_of(client, reverse("portal:center_detail", args=[empty.code])) == before
    page = client.get(reverse("portal:center_detail", args=[center_a.code]))
    assert "Ensayo 9" in page.text and "RE 2014" in page.text and "Nombre 2013" in page.text
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("portal:center_detail", args=[center_a.code]))
    assert len(captured) == before


def test_a_tariff_edited_in_the_back_office_shows_at_once(client_for, national_admin, catalogue):
    service = catalogue[0]
    visitor = client_for(national_admin)
    assert "S/ 85,50" in visitor.get("/servicios/?q=humedad").text
    assert "S/ 85,50" in visitor.get(reverse("portal:catalogue_service", args=[service.pk])).text
    response = visitor.post(
        reverse("admin:network_catalogueservice_change", args=[service.pk]),
        {
            "center": service.center_id,
            "name": service.name,
            "description": service.description,
            "category": service.category_id,
            "tariff": "99.90",
            "unit_of_sale": "por muestra",
            "is_public": "on",
        },
    )
    assert response.status_code == 302, response.text
    assert "S/ 99,90" in visitor.get("/servicios/?q=humedad").text
    assert "S/ 99,90" in visitor.get(reverse("portal:catalogue_service", args=[service.pk])).text
    page = visitor.get(reverse("portal:center_detail", args=[service.center.code])).text
    assert "S/ 99,90" in page and "S/ 85,50" not in page


def test_a_renamed_center_shows_on_every_registry_page(client, catalogue):
    center = catalogue[0].center
    for url in REGISTRY_PAGES:
        client.get(url)
    center.name = "CITEmadera renombrado"
    center.save()
    assert "CITEmadera renombrado" in client.get("/centros/").text
    assert "CITEmadera renombrado" in client.get("/servicios/?q=humedad").text
    assert "CITEmadera renombrado" in client.get("/servicios/?q=renombrado").text  # searchable
    assert "CITEmadera renombrado" in client.get(f"/centros/{center.code}/").text


def test_linked_chains_and_territory_show_at_once(client, catalogue):
    center, ayacucho = catalogue[0].center, "05"
    assert "Ensayo de humedad" not in client.get(f"/servicios/?departamento={ayacucho}").text
    assert "Ensayo de humedad" not in client.get("/servicios/?cadena=pisco").text
    center.territory.add(ayacucho)  # what the admin's form does for many-to-many fields
    center.chains.add(Chain.objects.get(code="pisco"))
    assert "Ensayo de humedad" in client.get(f"/servicios/?departamento={ayacucho}").text
    assert "Ensayo de humedad" in client.get("/servicios/?cadena=pisco").text
    table = client.get("/centros/").text.split("<table")[1]  # below the map of the year
    row = table.split(center.name)[1].split("</tr>")[0]
    assert "Pisco" in row
    center.chains.clear()
    assert "Ensayo de humedad" not in client.get("/servicios/?cadena=pisco").text


def test_a_withdrawn_service_disappears_and_its_page_is_gone(client, catalogue):
    service = catalogue[1]
    url = reverse("portal:catalogue_service", args=[service.pk])
    assert client.get(url).status_code == 200
    service.is_public = False
    service.save()
    assert client.get(url).status_code == 404
    assert "Diagnóstico de eficiencia" not in client.get("/servicios/").text
    catalogue[0].delete()
    assert "0 servicios" in client.get("/servicios/").text


def test_a_write_from_elsewhere_shows_once_its_change_is_noted(client, catalogue):
    """Another server, a bulk load or raw SQL sends no signal here: the noted change in the
    database is what every process compares with."""
    client.get("/centros/")
    Center.objects.filter(pk=catalogue[0].center_id).update(name="Cambiado sin señales")
    registry.note_change(what="test")
    assert "Cambiado sin señales" in client.get("/centros/").text


def test_new_categories_and_programmes_appear_in_the_search_form(client, catalogue):
    assert "Metrología" not in client.get("/servicios/").text
    ServiceCategory.objects.create(code="metrologia", name="Metrología")
    assert '<option value="metrologia">Metrología</option>' in client.get("/servicios/").text
    ServiceCategory.objects.filter(code="metrologia").update(is_active=False)
    registry.note_change(what="test")
    assert "Metrología" not in client.get("/servicios/").text
