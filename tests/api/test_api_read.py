"""The read API through HTTP: lists, filters, pagination, ordering, CSV, ETag, errors."""

import csv
import io

import pytest

pytestmark = pytest.mark.django_db


def test_centers_list_has_registry_fields(client):
    response = client.get("/api/v1/centros/", {"page_size": 5})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] >= 40 and body["pages"] == -(-body["count"] // 5)
    first = body["results"][0]
    for key in ("technical_units", "territory", "chains", "legal_acts", "department", "parent"):
        assert key in first
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "max-age" in response["Cache-Control"]


def test_center_detail_and_technical_units(client, center_a):
    body = client.get(f"/api/v1/centros/{center_a.code}/").json()
    assert body["code"] == center_a.code
    assert body["technical_units"], "Moquegua has the Tacna technical unit"
    units = client.get("/api/v1/centros/", {"cite": center_a.code}).json()["results"]
    assert {c["code"] for c in units} == {center_a.code, *body["technical_units"]}


def test_unknown_center_is_404_in_the_error_body(client):
    response = client.get("/api/v1/centros/no-existe/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "no_encontrado"
    assert "no-existe" in response.json()["error"]["message"]


def test_filters_and_ordering(client):
    names = [
        c["name"]
        for c in client.get("/api/v1/centros/", {"ordering": "-name", "page_size": 500}).json()[
            "results"
        ]
    ]
    assert names == sorted(names, reverse=True)
    private = client.get("/api/v1/centros/", {"tipo": "privado", "page_size": 500}).json()
    assert private["count"] > 0 and {c["kind"] for c in private["results"]} == {"privado"}


def test_pagination_walks_every_item_once(client):
    first = client.get("/api/v1/distritos/", {"departamento": "18", "page_size": 10}).json()
    seen = []
    for page in range(1, first["pages"] + 1):
        seen += [
            d["code"]
            for d in client.get(
                "/api/v1/distritos/", {"departamento": "18", "page_size": 10, "page": page}
            ).json()["results"]
        ]
    assert len(seen) == len(set(seen)) == first["count"]
    past = client.get("/api/v1/distritos/", {"departamento": "18", "page": first["pages"] + 1})
    assert past.status_code == 404 and "page" in past.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"page": "x"}, "page"), ({"page_size": 0}, "page_size"), ({"ordering": "zzz"}, "ordering")],
)
def test_bad_parameters_name_the_field_in_spanish(client, params, field):
    response = client.get("/api/v1/cadenas/", params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "parametro_invalido"
    assert field in error["fields"]
    assert error["fields"][field].startswith(("Debe", "Valor"))


def test_etag_gives_304(client):
    first = client.get("/api/v1/categorias/")
    again = client.get("/api/v1/categorias/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    changed = client.get("/api/v1/categorias/", HTTP_IF_NONE_MATCH='"otra"')
    assert changed.status_code == 200


def test_csv_by_parameter_and_by_accept(client):
    response = client.get("/api/v1/cadenas/", {"format": "csv", "page_size": 500})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows and set(rows[0]) == {"code", "name"}
    json_count = client.get("/api/v1/cadenas/", {"page_size": 500}).json()["count"]
    assert len(rows) == json_count
    accepted = client.get("/api/v1/programas/", HTTP_ACCEPT="text/csv")
    assert accepted["Content-Type"].startswith("text/csv")


def test_geography(client):
    provinces = client.get("/api/v1/provincias/", {"departamento": "15", "page_size": 500})
    assert provinces.json()["count"] == 10  # Lima's provinces
    geo = client.get("/api/v1/departamentos.geojson")
    assert geo["Content-Type"] == "application/geo+json"
    body = geo.json()
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 25
    assert any(f["geometry"] for f in body["features"])
    assert client.get("/api/v1/departamentos/").json()["count"] == 25


def test_catalogue(client, world):
    response = client.get("/api/v1/catalogo/", {"gratuito": "false"})
    assert response.status_code == 200
    assert all(not s["is_free"] for s in response.json()["results"])


def test_head_gives_the_headers_of_get(client):
    get = client.get("/api/v1/cadenas/")
    head = client.head("/api/v1/cadenas/")
    assert head.status_code == 200 and head.content == b""
    assert head["ETag"] == get["ETag"]


def test_method_not_allowed_and_cors_preflight(client):
    response = client.delete("/api/v1/cadenas/")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "metodo_no_permitido"
    missing = client.get("/api/v1/no-hay-tal-cosa/")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "no_encontrado"
    preflight = client.options("/api/v1/cadenas/", HTTP_ORIGIN="https://example.org")
    assert preflight.status_code == 204
    assert "GET" in preflight["Access-Control-Allow-Methods"]
    assert "POST" not in preflight["Access-Control-Allow-Methods"]


def test_docs_page_loads_nothing_external(client):
    page = client.get("/api/v1/docs/").content.decode()
    assert "swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "https://" not in page and "http://" not in page
    assert '"validatorUrl": null' in page


def test_csv_neutralises_formulas(client):
    from citesmart.network.models import Chain

    Chain.objects.create(code="formula", name='=HYPERLINK("x")')
    response = client.get("/api/v1/cadenas/", {"format": "csv", "page_size": 500})
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert next(r for r in rows if r["code"] == "formula")["name"].startswith("'=")


def test_center_scope_and_modalities_carry_their_dates_and_the_scope_filter_is_today(client):
    from datetime import date, timedelta

    from citesmart.network.models import CenterTerritory

    body = client.get("/api/v1/centros/citeagroindustrial-moquegua/").json()
    tacna = [p for p in body["territory_periods"] if p["code"] == "23"]
    assert tacna and tacna[0]["since"] == "2025-01-01" and tacna[0]["source"].startswith("https")
    assert sorted(body["territory"]) == ["18", "23"]
    cusco = client.get("/api/v1/centros/citetextil-camelidos-cusco/").json()
    assert cusco["modalities"] == ["cdpd"] and cusco["modality_periods"][0]["since"] == "2025-01-01"
    in_tacna = {
        c["code"] for c in client.get("/api/v1/centros/", {"ambito": "23"}).json()["results"]
    }
    assert "citeagroindustrial-moquegua" in in_tacna
    period = CenterTerritory.objects.get(
        center__code="citeagroindustrial-moquegua", department="23"
    )
    period.until = date.today() - timedelta(days=1)  # what the back office's inline saves
    period.save()
    in_tacna = {
        c["code"] for c in client.get("/api/v1/centros/", {"ambito": "23"}).json()["results"]
    }
    assert "citeagroindustrial-moquegua" not in in_tacna
