"""The open data's «costos» table (historic.cost), and the demonstration notice of a release."""

import csv
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from tests.historic.cost_world import YEARS, build_cost_world

from citesmart.historic import cost
from citesmart.opendata import publish
from citesmart.ops.demo import NOTICE, mark_demo

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def rows(folder, name: str) -> list[dict[str, str]]:
    with (folder / f"{name}.csv").open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.DictReader(stream))


def text(value: Decimal | int | None) -> str:
    return "" if value is None else str(value)


@pytest.mark.django_db
def test_costs_file_holds_every_center_and_year_as_computed(opendata_dir):
    build_cost_world()
    folder, manifest = publish.publish(now=NOW)
    published = rows(folder, "costos")
    expected = [c for year in YEARS for c in cost.costs(year)]
    assert [(int(r["anio"]), r["centro_codigo"]) for r in published] == [
        (c.year, c.center) for c in expected
    ]
    for row, found in zip(published, expected, strict=True):
        assert row["ejecutado_soles"] == text(found.executed)
        assert row["costo_por_servicio_soles"] == text(found.per_service)
        assert row["servicios"] == text(found.services)
        assert row["nota"] == found.note
    assert manifest["resources"]["costos"]["rows"] == len(expected)
    assert {"costos.json", "costos.xlsx", "costos.parquet"} <= {p.name for p in folder.iterdir()}
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    (described,) = [r for r in package["resources"] if r["name"] == "costos"]
    assert "presupuesto ejecutado / servicios" in described["description"]
    assert not package["description"].startswith("Datos de demostración")
    assert manifest["demo"] is False
    limit = csv.field_size_limit()  # frictionless raises it for the whole process
    from frictionless import validate

    report = validate(str(folder / "datapackage.json"))
    csv.field_size_limit(limit)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


@pytest.mark.django_db
def test_the_dictionary_describes_the_costs(client, opendata_dir):
    page = client.get("/datos/diccionario/").content.decode()
    assert "costo_por_servicio_soles" in page
    assert "Costo por servicio = presupuesto ejecutado / servicios" in page


@pytest.mark.django_db
def test_a_release_of_demonstration_data_says_so(opendata_dir, client):
    build_cost_world()
    mark_demo("prueba")
    folder, manifest = publish.publish(now=NOW)
    assert manifest["demo"] is True
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    assert package["description"].startswith(NOTICE)
    catalogue = json.loads(client.get("/datos/catalog.jsonld").content)
    assert catalogue["dct:description"].startswith(NOTICE)
    assert NOTICE in (folder / "LICENCIA.txt").read_text(encoding="utf-8")
    assert NOTICE in client.get("/datos/").content.decode()
