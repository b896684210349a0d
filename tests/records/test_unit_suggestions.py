"""The entry screen's unit suggestions (by document or name) answer only with the units the
user may see (accounts.access through records.queries.units_for_user): an operator never
learns another center's unit name from them."""

import pytest
from django.urls import reverse
from tests.records.test_unit_details_privacy import ADD_URL, DNI, STORED, TYPED, b_unit, entry

from citesmart.records.unit_actions import get_or_create_unit

SEARCH = reverse("admin:records_servicereport_units")
__all__ = ["b_unit"]  # the fixture, used by name below


def labels(client, q: str) -> list[str]:
    response = client.get(SEARCH, {"q": q})
    assert response.status_code == 200
    return [item["label"] for item in response.json()["results"]]


@pytest.fixture
def a_unit(center_a):
    return get_or_create_unit(
        document_type="ruc",
        document_number="20131312955",
        name="Agroexportadora Moqueguana SAC",
        client_type="empresa_formal",
        center=center_a,
    )[0]


def test_an_operator_finds_its_center_units_only(
    client_for, operator_a, manager_b, national_admin, a_unit, b_unit
):
    client = client_for(operator_a)
    assert labels(client, "2013131") == ["RUC 20131312955 · Agroexportadora Moqueguana SAC"]
    assert labels(client, "moqueguana") == ["RUC 20131312955 · Agroexportadora Moqueguana SAC"]
    item = client.get(SEARCH, {"q": "201313"}).json()["results"][0]
    assert (item["value"], item["kind"]) == ("20131312955", "ruc")
    # B's unit: neither by its DNI nor by its name.
    assert labels(client, DNI[:5]) == [] and labels(client, "Rosalinda") == []
    assert labels(client_for(manager_b), "Rosalinda") == [f"DNI {DNI} · {STORED}"]
    assert labels(client_for(manager_b), "moqueguana") == []
    assert labels(client_for(national_admin), "Rosalinda") == [f"DNI {DNI} · {STORED}"]
    assert labels(client_for(operator_a), "20") == []  # too short to ask


def test_typing_b_units_document_on_a_report_reveals_nothing_in_suggestions(
    client_for, operator_a, center_a, b_unit
):
    client = client_for(operator_a)
    saved = client.post(ADD_URL, entry(center_a, name=TYPED, client_type="emprendedor"))
    assert saved.status_code == 302
    # Served on a registered (not validated) report: still not A's to see.
    assert labels(client, DNI) == [] and labels(client, "Cáceres") == []


def test_the_entry_form_asks_for_suggestions(client_for, operator_a):
    page = client_for(operator_a).get(ADD_URL).text
    assert f'data-suggest="{SEARCH}"' in page
    assert 'data-suggest-kind="id_unidades-0-document_type"' in page
