"""Statistics through the API equal analytics.queries.figures(); small cells are withheld."""

import csv
import io

import pytest

from citesmart.analytics import disclosure
from citesmart.analytics.queries import Filters, figures

pytestmark = pytest.mark.django_db


def test_totals_equal_figures(client, world):
    body = client.get("/api/v1/estadisticas/", {"anio": 2025}).json()
    expected = figures(Filters(years=[2025]))
    assert not expected.totals["flagged"]
    assert body["totals"]["services"] == expected.totals["services"] == 14
    assert body["totals"]["units"] == expected.totals["units"] == 14
    assert body["totals"]["reports"] == expected.totals["reports"] == 3
    assert body["totals"]["amount"] == f"{expected.totals['amount']}"
    assert body["fresh_as_of"]


def test_a_crossing_is_perturbed_within_the_bound_and_marked(client, world, center_a):
    params = {"centro": center_a.code, "por": "month", "medida": ["services", "units"]}
    body = client.get("/api/v1/estadisticas/", params).json()
    expected = figures(
        Filters(centers=[center_a.code]), by=["month"], measures=["services", "units"]
    )
    assert body["perturbed"] is True and body["totals"]["perturbed"] is True
    assert expected.totals["services"] == 12
    assert 0 < abs(body["totals"]["services"] - 12) <= 2  # its own cell, never exact
    assert [r["month"] for r in body["rows"]] == [r["month"] for r in expected.rows]
    for row, exact in zip(body["rows"], expected.rows, strict=True):
        assert row["perturbed"] is True and 0 < abs(row["services"] - exact["services"]) <= 2
    assert set(body["rows"][0]) == {
        "month",
        "month_label",
        "services",
        "units",
        "flagged",
        "suppressed",
        "perturbed",
    }
    again = client.get("/api/v1/estadisticas/", params).json()
    assert again["rows"] == body["rows"]  # the same cell, the same answer


def test_small_cells_follow_the_disclosure_rule(client, world, center_b):
    body = client.get("/api/v1/estadisticas/", {"por": "center", "anio": 2025}).json()
    assert body["perturbed"] is False  # an official table: exact
    small = next(r for r in body["rows"] if r["center"] == center_b.code)
    assert small["flagged"] is True and small["suppressed"] is True
    assert small["services"] is None and small["units"] is None and small["amount"] is None
    big = next(r for r in body["rows"] if r["center"] != center_b.code)
    # The only other cell is suppressed too (complementary), else total - big = small.
    assert big["flagged"] is False and big["suppressed"] is True and big["services"] is None
    assert body["totals"]["services"] == 14 and body["rules"]
    expected = disclosure.protect(figures(Filters(years=[2025]), by=["center"]))
    assert [r["services"] for r in body["rows"]] == [r["services"] for r in expected.rows]
    # Every year by center is a crossing: the small cell is suppressed, the other perturbed.
    body = client.get("/api/v1/estadisticas/", {"por": "center"}).json()
    small = next(r for r in body["rows"] if r["center"] == center_b.code)
    assert small["suppressed"] is True and small["services"] is None
    big = next(r for r in body["rows"] if r["center"] != center_b.code)
    assert big["suppressed"] is False and big["perturbed"] is True
    assert 0 < abs(big["services"] - 12) <= 2


def test_cells_of_legal_entities_only_are_not_suppressed(client, world):
    body = client.get("/api/v1/estadisticas/", {"por": "client_type"}).json()
    company = next(r for r in body["rows"] if r["client_type"] == "empresa_formal")
    assert company["units"] in (2, 3)  # 1, perturbed (a count of 1 only moves up)
    assert company["flagged"] is False and company["suppressed"] is False
    assert company["perturbed"] is True


def test_unknown_codes_and_dimensions_are_400_naming_the_parameter(client, world):
    response = client.get("/api/v1/estadisticas/", {"cadena": "no-existe"})
    assert response.status_code == 400
    assert "cadena" in response.json()["error"]["fields"]
    assert "no-existe" in response.json()["error"]["fields"]["cadena"]
    response = client.get("/api/v1/estadisticas/", {"por": "nada"})
    assert response.status_code == 400 and "por" in response.json()["error"]["fields"]
    response = client.get("/api/v1/estadisticas/", {"desde": "2025-05-01", "hasta": "2025-01-01"})
    assert response.status_code == 400 and "hasta" in response.json()["error"]["fields"]


def test_last_modified_and_conditional_requests(client, world):
    first = client.get("/api/v1/estadisticas/", {"por": "year"})
    assert first["Last-Modified"] and first["ETag"]
    again = client.get(
        "/api/v1/estadisticas/", {"por": "year"}, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]
    )
    assert again.status_code == 304


def test_statistics_without_a_breakdown_as_csv_hold_the_totals(client, world):
    answer = client.get("/api/v1/estadisticas/", {"anio": 2025}).json()
    response = client.get("/api/v1/estadisticas/", {"anio": 2025, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 1
    assert int(rows[0]["services"]) == answer["totals"]["services"] > 0


def test_statistics_as_csv(client, world):
    response = client.get("/api/v1/estadisticas/", {"por": "center", "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {r["center"] for r in rows} >= {"citeagroindustrial-moquegua"}
    assert rows[0].keys() >= {"center", "center_label", "services", "flagged"}
