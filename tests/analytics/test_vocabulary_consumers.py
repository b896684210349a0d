"""Every dimension and filter analytics.vocabulary declares is offered where it says it is.

docs/ARCHITECTURE.md, "Adding a breakdown dimension": a dimension declared once must reach
the query interface, the cube, the API, the portal and the open data. These tests read the
declarations and ask each consumer through its own door (figures(), the cube of a built
generation, the API's OpenAPI document and answers, the dashboard's HTML, the open data
catalog and the microdata rows), so a consumer that forgets one fails here.
"""

import random
from dataclasses import fields
from datetime import date

import pytest
from analytics_world import build_world, record
from django.urls import reverse

from citesmart.analytics import cube, cubeanswer, microdata, refresh, vocabulary
from citesmart.analytics.filters import Filters
from citesmart.analytics.queries import figures
from citesmart.geo.models import District
from citesmart.lib.identity import random_ruc
from citesmart.opendata.catalog import BY_NAME
from citesmart.records.unit_actions import get_or_create_unit
from citesmart.units.models import ClientType, SizeClass

DIMENSIONS = list(vocabulary.DIMENSIONS.values())
NAMES = [d.name for d in DIMENSIONS]
API_PATH = "/api/v1/estadisticas/"


@pytest.fixture
def world(db, read_model):
    return build_world()


def test_every_field_of_filters_that_selects_services_is_declared():
    options = {"date_from", "date_to", "with_technical_units", "include_registered"}
    declared = set(vocabulary.FILTERS)
    assert {f.name for f in fields(Filters)} - options == declared
    for dimension in DIMENSIONS:
        assert dimension.filter in declared, dimension.name


def test_every_dimension_is_a_breakdown_of_figures(world):
    for name in NAMES:
        answer = figures(Filters(include_registered=True), by=[name], measures=["services"])
        assert answer.rows and all(row[f"{name}_label"] for row in answer.rows), name
        assert sum(row["services"] for row in answer.rows) == answer.totals["services"], name


def test_dimensions_kept_in_the_cube_have_its_cells_and_are_answered_from_it(world):
    reader = refresh.ensure_fresh()
    with reader.cursor() as cursor:
        stored = {dim for (dim,) in cursor.execute("SELECT DISTINCT dim FROM cube").fetchall()}
        present = cube.present(cursor)
    kept = [d.name for d in DIMENSIONS if d.cube]
    assert kept, "the cube keeps some dimension"
    for name in kept:
        assert name in cube.CODES and name in stored, name
        assert cubeanswer.fits(Filters(years=(2024,)), (name,), ("services", "units"), present)


def _statistics_parameters(client) -> dict[str, dict]:
    document = client.get("/api/v1/openapi.json").json()
    parameters = document["paths"][API_PATH]["get"]["parameters"]
    return {p["name"]: p for p in parameters}


def _enum(parameter: dict) -> list[str]:
    schema = parameter["schema"]
    for option in schema.get("anyOf", [schema]):
        items = option.get("items", {})
        if "enum" in items:
            return items["enum"]
    raise AssertionError(f"no enum in {parameter}")


def test_the_api_offers_every_dimension_and_filter(client, world):
    parameters = _statistics_parameters(client)
    assert _enum(parameters["por"]) == NAMES
    for declared in vocabulary.FILTERS.values():
        assert declared.api in parameters, declared.field
    for name in NAMES:
        answer = client.get(API_PATH, {"por": name, "incluir_registrados": "true"})
        assert answer.status_code == 200 and answer.json()["rows"], name


def test_every_coded_filter_of_the_api_reaches_the_query(client, world):
    for declared in vocabulary.CODED_FILTERS.values():
        value = "999999" if declared.field == "catalogue_services" else "no-existe"
        answer = client.get(API_PATH, {declared.api: value})
        assert answer.status_code == 400, declared.api
        assert declared.api in answer.json()["error"]["fields"], declared.api


def test_the_dashboard_offers_what_the_vocabulary_says(client, world):
    page = client.get(reverse("portal:home")).content.decode()
    offered = [d for d in DIMENSIONS if d.portal]
    assert offered, "the dashboard shows some breakdown"
    for dimension in offered:
        assert f'id="{dimension.portal}"' in page, dimension.name
    for declared in vocabulary.FILTERS.values():
        if declared.portal:
            assert f'name="{declared.portal}"' in page, declared.field


def test_every_coded_filter_of_the_dashboard_reaches_the_query(client, world):
    for declared in vocabulary.CODED_FILTERS.values():
        if declared.portal:
            answer = client.get(reverse("portal:home"), {declared.portal: "no-existe"})
            assert answer.status_code == 400, declared.portal
            assert "no-existe" in answer.content.decode(), declared.portal


def _companies(world) -> list:
    """Legal entities (RUC 20) in one district: their services show every detail."""
    district = District.objects.filter(department__code="18").first()
    units = [
        get_or_create_unit(
            document_type="ruc",
            document_number=random_ruc(random.Random(number), "20"),
            name=f"Empresa {number} SAC",
            client_type=ClientType.FORMAL_ENTERPRISE,
            size_class=SizeClass.SMALL,
            district=district,
        )[0]
        for number in range(3)
    ]
    end = date(2024, 6, 30)
    record(world.centers[1], "VOC-1", units, end=end, chain=world.chains[0])
    record(world.centers[0], "VOC-2", units, end=end, is_free=True, programme=world.programmes[0])
    return units


def test_the_open_data_microdata_carry_every_dimension(world):
    _companies(world)
    columns = BY_NAME["servicios"].columns
    assert list(microdata.COLUMNS) == columns
    rows = [
        dict(zip(columns, row, strict=True))
        for batch in microdata.rows(pseudonym=lambda kind, key: f"{kind}-{key}", threshold=1)
        for row in batch
    ]
    assert rows
    for dimension in DIMENSIONS:
        assert dimension.opendata, f"{dimension.name}: no open data column declared"
        for column in dimension.opendata:
            assert column in columns, (dimension.name, column)
            assert any(row[column] not in (None, "") for row in rows), (dimension.name, column)
