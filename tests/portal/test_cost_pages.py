"""The cost per service on the methodology page, the center pages and the dashboard."""

import re

import pytest
from tests.historic.cost_world import build_cost_world, execution, load

from citesmart.historic import cost

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return re.sub(r"[ \t\r\n]+", " ", response.content.decode())  # thin spaces stay


def test_methodology_defines_the_cost_per_service(client):
    page = text(client.get("/metodologia/"))
    assert "Costo por servicio = presupuesto ejecutado / servicios" in page
    assert "Sin presupuesto registrado" in page
    assert "Fuentes" in page and "ejecución presupuestal mensual" in page


def test_center_page_shows_cost_by_year_and_investment(client):
    world = build_cost_world()
    rows = {c.year: c for y in (2023, 2024) for c in cost.costs(y, [world.other.code])}
    page = text(client.get(f"/centros/{world.other.code}/?anio=2024"))
    assert "Presupuesto, costo por servicio e inversión" in page
    for year, row in rows.items():
        assert f'<th scope="row">{year}</th>' in page
        if row.per_service is not None:
            shown = f"{row.per_service:,.2f}".replace(",", "\u202f").replace(".", ",")
            assert f"S/ {shown}" in page
        else:
            assert row.note in page
    cite = text(client.get(f"/centros/{world.cite.code}/"))
    assert "CUI 2234567 — Creación de los servicios del CITE" in cite
    assert "Inversión: S/ 14\u202f250\u202f000,25" in cite
    unfunded = text(client.get(f"/centros/{world.unfunded.code}/"))
    assert "Sin presupuesto registrado" in unfunded


def test_dashboard_shows_the_network_cost_or_says_why_not(client):
    build_cost_world()
    network = cost.network_cost(2024)
    assert network.per_service is not None
    page = text(client.get("/?anio=2024"))
    shown = f"{network.per_service:,.2f}".replace(",", "\u202f").replace(".", ",")
    assert f"<strong>S/ {shown}</strong> por servicio" in page
    filtered = text(client.get("/?anio=2024&cadena=agroindustria"))
    assert "Costo por servicio: no disponible" in filtered
    assert "quite los demás filtros" in filtered
    assert "Costo por servicio: no disponible" in text(client.get("/?anio=2010"))


def test_a_new_budget_load_shows_on_a_cached_page(client):
    world = build_cost_world()
    url = f"/centros/{world.unfunded.code}/?anio=2024"
    assert "Sin presupuesto registrado" in text(client.get(url))
    load("ejecucion", execution(world.unfunded, 2024, {"Recursos ordinarios": ["1,000.00"] * 12}))
    assert "S/ 12\u202f000,00" in text(client.get(url))
