"""`/api/v1/estadisticas/?publicacion=`: the figures exactly as a publication announced them
(issue 15), after the records changed; other questions to a publication are refused."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from citesmart.publications.actions import publish
from citesmart.records.actions import AttendedUnit, cancel_report, record_service_report
from citesmart.records.models import ReportStatus, ServiceReport

pytestmark = pytest.mark.django_db

URL = "/api/v1/estadisticas/"
BREAKDOWNS = ([], ["month"], ["center"], ["department"], ["chain"], ["category"])
# What a publication answers itself (its date, its official months); the rest must match.
OWN = {"publication", "fresh_as_of", "official_through", "official_note"}


def ask(client, **params):
    response = client.get(URL, {"anio": 2025, **params})
    assert response.status_code == 200, response.content
    return response.json()


def figures_of(body: dict) -> dict:
    return {key: value for key, value in body.items() if key not in OWN}


def change_the_records(world, center_a, national_admin):
    """After publishing: a report cancelled, a new one recorded and validated."""
    cancel_report(
        report=ServiceReport.objects.get(code="A-001"),
        reason="Informe duplicado",
        actor=national_admin,
    )
    record_service_report(
        center=center_a,
        code="A-009",
        start_date=date(2025, 5, 18),
        end_date=date(2025, 5, 20),
        units=[AttendedUnit(u, Decimal("75")) for u in world["many"][:8]],
        category=world["category"],
        status=ReportStatus.VALIDATED,
        today=date(2025, 6, 30),
    )


def test_a_publication_answers_what_was_shown_when_it_was_published(
    client, world, center_a, national_admin
):
    shown = {tuple(by): ask(client, por=by) for by in BREAKDOWNS}
    publication = publish(slug="2025-anual", title="2025, anual", kind="anual", years=[2025])
    change_the_records(world, center_a, national_admin)
    now = ask(client)
    assert now["totals"]["services"] != shown[()]["totals"]["services"]
    assert now["publication"] is None
    for by in BREAKDOWNS:
        body = ask(client, por=by, publicacion="2025-anual")
        assert figures_of(body) == figures_of(shown[tuple(by)]), by
        assert body["perturbed"] is False
        assert body["fresh_as_of"][:19] == publication.fresh_as_of.isoformat()[:19]
        assert body["publication"]["slug"] == "2025-anual"
        assert body["publication"]["title"] == "2025, anual"
        assert body["publication"]["url"] == "/publicaciones/2025-anual/"
        assert body["official_note"].startswith("Cifras preliminares")  # none approved then
    # The month the cancelled report counted in: still published, gone from today's figures.
    published = ask(client, por=["month"], publicacion="2025-anual", medida=["services"])
    assert published["measures"] == ["services"]
    march = {r["month"]: r for r in published["rows"]}["2025-03"]
    assert set(march) == {"month", "month_label", "services", "flagged", "suppressed", "perturbed"}
    current = {r["month"] for r in ask(client, por=["month"])["rows"]}
    assert "2025-03" not in current


def test_a_publication_answers_in_csv_too(client, world):
    publish(slug="2025-t2", title="2025, segundo trimestre", kind="trimestre", years=[2025])
    response = client.get(
        URL, {"anio": 2025, "por": "center", "publicacion": "2025-t2", "format": "csv"}
    )
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("center,center_label,services")
    assert 'filename="estadisticas-2025-t2.csv"' in response["Content-Disposition"]


@pytest.mark.parametrize(
    "params, parameter",
    [
        ({"anio": 2025, "centro": "X"}, "centro"),
        ({"anio": 2025, "incluir_registrados": "true"}, "incluir_registrados"),
        ({"anio": 2025, "desde": "2025-01-01"}, "desde"),
        ({"anio": 2025, "por": ["center", "month"]}, "por"),
        ({"anio": 2025, "por": "client_type"}, "por"),
        ({"anio": 2025, "limite": 3}, "limite"),
        ({}, "anio"),
        ({"anio": [2024, 2025]}, "anio"),
        ({"anio": 2024}, "anio"),
    ],
)
def test_other_questions_to_a_publication_are_400_in_spanish(client, world, params, parameter):
    publish(slug="2025-anual", title="2025, anual", kind="anual", years=[2025])
    response = client.get(URL, {**params, "publicacion": "2025-anual"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "consulta_invalida"
    assert "guarda solo sus cuadros oficiales" in error["message"]
    assert "(2025)" in error["message"] and "department" in error["message"]
    assert parameter in error["fields"]


def test_an_unknown_publication_is_404_in_spanish(client, world):
    response = client.get(URL, {"anio": 2025, "publicacion": "2031-anual"})
    assert response.status_code == 404
    assert "No existe la publicación «2031-anual»" in response.json()["error"]["message"]


def test_the_portal_stamp_links_the_newest_publication(client, world):
    assert client.get("/publicaciones/ultima/").url == "/publicaciones/"
    assert 'href="/publicaciones/ultima/"' in client.get("/").content.decode()
    publish(slug="2025-t1", title="2025, primer trimestre", kind="trimestre", years=[2025])
    publish(slug="2025-t2", title="2025, segundo trimestre", kind="trimestre", years=[2025])
    assert client.get("/publicaciones/ultima/").url == "/publicaciones/2025-t2/"


def test_reserved_addresses_are_not_publication_names(world):
    for slug in ("ultima", "revisiones"):
        with pytest.raises(ValidationError):
            publish(slug=slug, title="x", kind="otra", years=[2025])
