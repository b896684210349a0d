"""The dashboard's series over ITP's historic aggregates and the records, over HTTP (issue 17,
part 2): the historic years are there and marked, and what the aggregates cannot answer
reads «no disponible», never a number."""

import re

import pytest
from django.db import connection
from django.urls import reverse
from tests.historic.series_world import build_series_world
from tests.portal.test_dashboard import kpis, tables_of

from citesmart.network.models import Chain
from citesmart.presentation.formatting import number

pytestmark = pytest.mark.django_db

HOME = reverse("portal:home")


@pytest.fixture(autouse=True)
def _world(read_model, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_series_world()


def historic_services(year: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT SUM(services) FROM historic_historicservices WHERE year = %s", [year]
        )
        return int(cursor.fetchone()[0])


def plain(text: str) -> str:
    return text.replace("\u202f", "").replace("\xa0", "").replace(".", "")


def test_yearly_series_reaches_back_into_the_historic_years_marked(client):
    page = client.get(HOME).text
    years = {row[0]: row[1:] for row in tables_of(page)["anual"][1:]}
    assert list(years) == ["2018", "2019", "2020"]
    assert plain(years["2018"][0]) == str(historic_services(2018))
    assert years["2018"][1] == "agregados históricos del ITP"
    assert years["2019"][1] == "agregados históricos del ITP + informes de servicio"
    assert years["2020"][1] == "informes de servicio"
    assert "2018–2019: agregados históricos del ITP" in page
    # The year selector offers the historic years too.
    assert re.search(r'<option value="2018"', page)
    methodology = client.get(reverse("portal:methodology")).text
    assert 'id="serie-historica"' in methodology and "no disponible" in methodology


def test_a_historic_year_shows_services_and_no_disponible_for_the_rest(client):
    page = client.get(HOME, {"anio": "2018"}).text
    shown = kpis(page)
    assert plain(shown["services"]) == str(historic_services(2018))
    assert shown["units"] == shown["new_units"] == "no disponible"
    assert shown["departments"] == "no disponible"
    tables = tables_of(page)
    assert tables["categorias"][1:] == [["No disponible"]]
    assert "no tienen este desglose" in page or "sin este desglose" in page
    months = tables["mensual"][1:]
    assert all(row[1] != "0" for row in months)  # every 2018 month is ITP's


def test_a_filter_the_aggregates_lack_reads_no_disponible(client):
    chain = Chain.objects.order_by("code").first().code
    page = client.get(HOME, {"anio": "2018", "cadena": chain}).text
    assert kpis(page)["services"] == "no disponible"
    years = {row[0]: row[1] for row in tables_of(page)["anual"][1:]}
    assert years["2018"] == years["2019"] == "no disponible"
    assert all(row[1] == "no disponible" for row in tables_of(page)["mensual"][1:])
    assert "no distinguen cadena" in page
    assert number(historic_services(2018)) not in page


def test_a_center_page_shows_its_historic_years(client, _world):
    page = client.get(reverse("portal:center_detail", args=[_world.historic_only.code])).text
    years = {row[0]: row[1:] for row in tables_of(page)["anual"][1:]}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT h.year, SUM(h.services) FROM historic_historicservices h "
            "JOIN network_center c ON c.id = h.center_id WHERE c.code = %s GROUP BY h.year",
            [_world.historic_only.code],
        )
        expected = {str(year): int(n) for year, n in cursor.fetchall()}
    assert {year: plain(row[0]) for year, row in years.items()} == {
        y: str(n) for y, n in expected.items()
    }
    assert {row[1] for row in years.values()} == {"agregados históricos del ITP"}
