"""The entry screen's districts: typed by name (with province and department when shared)
or ubigeo, suggested by a staff-only search; no select of 1,891 options, no select2."""

import pytest
from django.urls import reverse
from tests.records.test_entry_screen import (
    ADD_URL,
    PERSON_DNI,
    field_errors,
    new_person_row,
    report_data,
)

from citesmart.geo.models import District
from citesmart.network import registry
from citesmart.records.imports import rows
from citesmart.records.models import ServiceReport
from citesmart.units.models import ProductiveUnit

SEARCH = reverse("admin:records_servicereport_districts")


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Ilo", "180301"),
        ("Santa Rosa, El Collao, Puno", None),
        ("Moquegua, Mariscal Nieto, Moquegua (ubigeo 180101)", "180101"),
        ("180101", "180101"),
    ],
)
def test_a_unit_district_is_typed_by_name_or_ubigeo(client_for, operator_a, center_a, typed, code):
    response = client_for(operator_a).post(
        ADD_URL, report_data(center_a, new_person_row(district=typed), delivery_district=typed)
    )
    assert response.status_code == 302, field_errors(response, "unidades-0-district")
    person = ProductiveUnit.objects.get(document_number=PERSON_DNI)
    report = ServiceReport.objects.get()
    assert report.delivery_district_id == person.district_id
    if code:
        assert person.district_id == code
    else:
        assert (person.district.name, person.district.province.name) == ("Santa Rosa", "El Collao")


def test_a_shared_or_unknown_district_name_is_a_spanish_error_with_the_candidates(
    client_for, operator_a, center_a
):
    client = client_for(operator_a)
    response = client.post(ADD_URL, report_data(center_a, new_person_row(district="Santa Rosa")))
    assert response.status_code == 200 and not ServiceReport.objects.exists()
    (error,) = field_errors(response, "unidades-0-district")
    assert error.startswith("Hay ") and "distritos llamados «Santa Rosa»" in error
    assert "ubigeo" in error and "p. ej. «Santa Rosa, " in error
    response = client.post(
        ADD_URL, report_data(center_a, new_person_row(), delivery_district="Villa Inexistente")
    )
    (error,) = field_errors(response, "delivery_district")
    assert error.startswith("No hay ningún distrito llamado «Villa Inexistente»")


def test_the_entry_screen_has_no_district_select_and_shows_a_saved_district_by_name(
    client_for, operator_a, center_a
):
    client = client_for(operator_a)
    page = client.get(ADD_URL).text
    assert "select2" not in page and "autocomplete.js" not in page
    assert 'data-suggest="' + SEARCH in page
    client.post(ADD_URL, report_data(center_a, new_person_row(), delivery_district="180301"))
    report = ServiceReport.objects.get()
    page = client.get(reverse("admin:records_servicereport_change", args=[report.pk])).text
    assert 'value="Ilo, Ilo, Moquegua (ubigeo 180301)"' in page
    assert 'value="Moquegua, Mariscal Nieto, Moquegua (ubigeo 180101)"' in page


def test_the_district_search_suggests_by_name_province_or_code(client_for, operator_a, analyst):
    client = client_for(operator_a)
    labels = [r["label"] for r in client.get(SEARCH, {"q": "santa rosa, el c"}).json()["results"]]
    assert labels and all(text.startswith("Santa Rosa, El Collao") for text in labels)
    by_code = client.get(SEARCH, {"q": "1803"}).json()["results"]
    assert by_code and all(r["id"].startswith("1803") for r in by_code)
    assert client.get(SEARCH, {"q": "s"}).json()["results"] == []
    assert len(client.get(SEARCH, {"q": "san"}).json()["results"]) == 15
    client.logout()
    assert client.get(SEARCH, {"q": "ilo"}).status_code == 302  # staff only


@pytest.mark.django_db
def test_imports_reuse_the_geography_until_the_registry_moves(network, django_assert_num_queries):
    first = rows._geography()
    with django_assert_num_queries(1):  # the registry's version only
        assert rows._geography() is first
    district = District.objects.get(code="150101")
    district.name = "Lima Cercado"
    district.save()  # a geography edit: a new registry version
    assert registry.version()
    again = rows._geography()
    assert again is not first and again[0]["150101"].code == "150101"
