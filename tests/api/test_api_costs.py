"""GET /api/v1/costos/: the cost per service, per center and year, as historic.cost says."""

from decimal import Decimal

import pytest
from tests.historic.cost_world import build_cost_world

from citesmart.historic import cost

pytestmark = pytest.mark.django_db


def test_costs_answer_every_center_of_the_year_with_the_reason_when_missing(client):
    build_cost_world()
    answer = client.get("/api/v1/costos/", {"anio": 2024})
    assert answer.status_code == 200
    body = answer.json()
    expected = cost.costs(2024)
    assert [(r["centro"], r["nota"]) for r in body["filas"]] == [
        (c.center, c.note) for c in expected
    ]
    for row, found in zip(body["filas"], expected, strict=True):
        assert (row["costo_por_servicio"] is None) == (found.per_service is None)
        if found.per_service is not None:
            assert Decimal(row["costo_por_servicio"]) == found.per_service
            assert Decimal(row["ejecutado_soles"]) / row["servicios"] == pytest.approx(
                Decimal(row["costo_por_servicio"]), abs=Decimal("0.005")
            )
    (network,) = body["red"]
    assert Decimal(network["costo_por_servicio"]) == cost.network_cost(2024).per_service
    assert "Costo por servicio: presupuesto ejecutado" in body["definiciones"][0]
    assert body["demostracion"] is False


def test_costs_of_one_center_with_its_investment_and_as_csv(client):
    world = build_cost_world()
    body = client.get("/api/v1/costos/", {"centro": world.cite.code}).json()
    assert {r["anio"] for r in body["filas"]} == {2023, 2024}
    assert {r["centro"] for r in body["filas"]} == {world.cite.code}
    assert body["red"] == []
    (investment,) = body["inversiones"]
    assert Decimal(investment["inversion_soles"]) == Decimal("14250000.25")
    assert [p["cui"] for p in investment["proyectos"]] == ["2234567", "2456789"]
    csv = client.get(
        "/api/v1/costos/", {"centro": world.unfunded.code, "anio": 2023, "format": "csv"}
    )
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("anio,centro,centro_nombre,pim_soles,ejecutado_soles")
    assert "Sin presupuesto registrado" in lines[1]


def test_an_unknown_center_is_refused_in_spanish(client):
    answer = client.get("/api/v1/costos/", {"centro": "no-existe"})
    assert answer.status_code == 400
    assert "Centro desconocido: no-existe" in answer.json()["error"]["fields"]["centro"]


def test_costs_are_documented_in_the_openapi_schema(client):
    document = client.get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/costos/"]["get"]
    assert "presupuesto ejecutado / servicios" in operation["description"]
    assert {p["name"] for p in operation["parameters"]} >= {"anio", "centro", "format"}
    assert "text/csv" in operation["responses"]["200"]["content"]
