"""Publications: the official tables kept as published; revisions between two (issue 15)."""

import csv
import io
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from tests.analytics.analytics_world import build_world, make_unit, record

from citesmart.analytics.public import public_figures
from citesmart.analytics.queries import Filters
from citesmart.opendata import publish as opendata
from citesmart.publications.actions import MEASURES, publish
from citesmart.publications.models import Publication
from citesmart.publications.queries import revisions
from citesmart.records.actions import cancel_report
from citesmart.records.unit_actions import merge_units
from citesmart.reports.build import build_report


@pytest.fixture
def world(db, read_model):
    return build_world()


def published(publication: Publication, table: str, year: int) -> dict:
    return {
        (c.code, c.month): {m: getattr(c, m) for m in ("services", "units", "amount")}
        for c in publication.cells.filter(table=table, year=year)
    }


def answered(dimension: str, year: int) -> dict:
    answer = public_figures(Filters(years=[year]), by=[dimension], measures=MEASURES)
    shown = {}
    for row in answer.rows:
        key = (
            ("", int(str(row["month"])[-2:])) if dimension == "month" else (row[dimension] or "", 0)
        )
        shown[key] = {m: row[m] for m in ("services", "units", "amount")}
    return shown


def test_a_publication_keeps_what_the_public_figures_answered_after_later_changes(
    world, national_admin, manager_a
):
    before = {d: answered(d, 2024) for d in ("center", "department", "month", "category")}
    first = publish(slug="2024-anual", title="2024, anual", kind="anual", years=[2024])
    tables = {"center": "centro", "department": "departamento", "month": "mes"}
    tables["category"] = "categoria"
    for dimension, table in tables.items():
        assert published(first, table, 2024) == before[dimension], table
    # Later: a report cancelled, a new one recorded, two units merged.
    victim = next(r for r in world.reports if r.end_date.year == 2024 and r.status == "validado")
    cancel_report(report=victim, reason="Duplicado de otro informe", actor=national_admin)
    record(world.centers[2], "NUEVO-2024", [make_unit(90)], end=date(2024, 6, 1))
    merge_units(
        survivor=world.units[0], duplicate=world.units[1], actor=national_admin, reason="misma"
    )
    now = public_figures(Filters(years=[2024]), measures=MEASURES).totals
    assert now["services"] != first.cells.get(table="total").services
    for dimension, table in tables.items():
        assert (
            published(Publication.objects.get(slug="2024-anual"), table, 2024)
            == (before[dimension])
        )
    second = publish(slug="2024-revisada", title="2024, revisada", kind="otra", years=[2024])
    changes = revisions(first, second)
    reasons = " ".join(reason for r in changes for reason in r.reasons)
    assert "Anulación de un informe de" in reasons
    # The public page never shows what staff typed (it may name a person) nor report codes.
    assert "Duplicado de otro informe" not in reasons and victim.code not in reasons
    total = next(r for r in changes if r.table == "total")
    assert total.delta("services") == (
        second.cells.get(table="total").services - first.cells.get(table="total").services
    )


def test_only_national_administrators_publish_and_names_are_unique(world, manager_a):
    with pytest.raises(PermissionDenied):
        publish(slug="x", title="x", kind="anual", years=[2024], actor=manager_a)
    publish(slug="x", title="x", kind="anual", years=[2024])
    with pytest.raises(ValidationError, match="Ya existe una publicación «x»"):
        publish(slug="x", title="otra", kind="anual", years=[2024])


def test_the_public_pages_show_download_and_compare_publications(client, world):
    call_command("publish_figures", "2023-anual", titulo="2023, anual", anios="2023,2024")
    call_command("publish_figures", "2023-bis", titulo="2023, de nuevo", anios="2023")
    listing = client.get(reverse("publications:list"))
    assert listing.status_code == 200 and "2023, anual" in listing.text
    page = client.get(reverse("publications:detail", args=["2023-anual"]) + "?anio=2023")
    assert page.status_code == 200 and "Por centro (2023)" in page.text
    data = client.get(reverse("publications:detail", args=["2023-anual"]) + "?formato=json")
    assert data.json()["publicacion"]["anios"] == [2023, 2024]
    download = client.get(reverse("publications:detail", args=["2023-anual"]) + "?formato=csv")
    rows = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert {row["tabla"] for row in rows} >= {"total", "mes", "centro"}
    same = client.get(reverse("publications:revisions") + "?desde=2023-anual&hasta=2023-bis")
    assert "Ninguna cifra oficial cambió" in same.text
    unknown = client.get(reverse("publications:revisions") + "?desde=nada&hasta=2023-bis")
    assert unknown.status_code == 404


def test_the_open_data_and_the_report_name_the_publication_they_come_from(
    world, settings, tmp_path
):
    settings.OPENDATA_DIR = tmp_path / "opendata"
    settings.OPENDATA_PSEUDONYM_KEY = "clave-de-prueba-de-seudonimos"
    publish(slug="2024-anual", title="2024, anual", kind="anual", years=[2024])
    _, manifest = opendata.publish()
    assert manifest["publication"] == {"name": "2024-anual", "title": "2024, anual"}
    assert manifest["official_note"].startswith("Cifras preliminares")
    assert "«2024, anual»" in build_report(2024).official_note
    assert "Publicación de cifras" not in build_report(2023).official_note
