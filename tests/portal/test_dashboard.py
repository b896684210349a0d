"""The national dashboard and center pages over HTTP: every figure is figures()' answer."""

import csv
import gzip
import io
import re
from datetime import date
from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import reverse

from citesmart.analytics.public import is_official, public_figures
from citesmart.analytics.queries import Filters, figures, freshness
from citesmart.demo.store import AUDIT_TYPE, CATALOGUE_MARK, delete_demo_data
from citesmart.network.models import CatalogueService
from citesmart.ops.models import DemoData
from citesmart.presentation.formatting import number, stamp
from citesmart.records.models import AuditEntry

pytestmark = pytest.mark.django_db

HOME = reverse("portal:home")
PAGE_BUDGET = 60 * 1024  # issues 5 and 19: first load of the home page, compressed


@pytest.fixture(scope="module", autouse=True)
def small_history(django_db_setup, django_db_blocker):
    """A small deterministic demo history (2024-2025) shared by this module, removed after."""
    with django_db_blocker.unblock():
        call_command("demo_data", years="2024-2025", scale=0.01, seed=11, stdout=io.StringIO())
        yield
        delete_demo_data()
        CatalogueService.objects.filter(description=CATALOGUE_MARK).delete()
        AuditEntry.objects.filter(object_type=AUDIT_TYPE).delete()
        DemoData.objects.all().delete()  # the loader's demo mark (ops.demo) goes with them


class Tables(HTMLParser):
    """Collects each <figure id=...>'s data table as rows of cell texts."""

    def __init__(self):
        super().__init__()
        self.tables, self.figure, self.row, self.cell = {}, None, None, None

    def handle_starttag(self, tag, attrs):
        if tag == "figure":
            self.figure = dict(attrs).get("id")
            self.tables[self.figure] = []
        elif tag == "tr" and self.figure:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append(self.cell.strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.tables[self.figure].append(self.row)
            self.row = None
        elif tag == "figure":
            self.figure = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def tables_of(html: str) -> dict[str, list[list[str]]]:
    parser = Tables()
    parser.feed(html)
    return parser.tables


def kpis(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-kpi="(\w+)">([^<]*)<', html))


@pytest.mark.parametrize(
    ("query", "filters"),
    [
        ({"anio": "2025"}, Filters(years=(2025,))),
        ({"anio": "2024", "cadena": "cuero"}, Filters(years=(2024,), chains=("cuero",))),
        (
            {"desde": "2025-03-01", "hasta": "2025-08-31", "departamento": "15"},
            Filters(
                date_from=__import__("datetime").date(2025, 3, 1),
                date_to=__import__("datetime").date(2025, 8, 31),
                departments=("15",),
            ),
        ),
    ],
)
def test_headline_figures_are_the_analytics_answer(client, query, filters):
    page = client.get(HOME, query)
    assert page.status_code == 200
    shown = kpis(page.text)
    totals = figures(filters).totals
    assert totals["services"] > 0
    centers = figures(filters, by=["center"], measures=["services"]).rows
    assert shown["centers"] == number(len(centers))
    if is_official(filters, ()):  # a year, or one cell of an official table: exact
        reserved = public_figures(filters).totals["suppressed"]  # few natural persons
        for key in ("services", "units", "new_units"):
            assert shown[key] == ("reservado" if reserved else number(totals[key])), key
        assert 'class="perturbed"' not in page.text.split('class="headline"')[1].split("</ul>")[0]
        if reserved:
            announce = page.text.split('class="announce"')[1].split("</p>")[0]
            assert "reservadas por secreto estadístico" in announce and "brindó" not in announce
            return
        services, units = totals["services"], totals["units"]
    else:  # a date range within a department: a crossing, perturbed and marked
        for key in ("services", "units"):
            value = int(re.sub(r"\D", "", shown[key]))
            assert 0 < abs(value - totals[key]) <= 2, key
        services, units = (public_figures(filters).totals[k] for k in ("services", "units"))
        assert 'class="perturbed"' in page.text and "Cifras perturbadas" in page.text
    assert f"brindó {number(services)} servicios a {number(units)}" in page.text


def test_the_latest_year_is_the_default_and_the_sentence_reads_like_an_announcement(client):
    page = client.get(HOME).text
    assert page.count('data-kpi="') == 5
    assert "En 2025 la red CITE brindó" in page
    assert kpis(page)["services"] == number(figures(Filters(years=(2025,))).totals["services"])


def test_filters_live_in_the_url_and_are_shown_selected(client):
    page = client.get(HOME, {"anio": "2024", "cadena": "cuero", "mapa": "unidades"}).text
    assert '<option value="2024" selected>' in page
    assert '<option value="cuero" selected>' in page
    assert '<option value="unidades" selected>' in page
    assert "anio=2024&amp;cadena=cuero&amp;mapa=unidades&amp;csv=mensual" in page
    assert "Unidades productivas por departamento" in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"anio": "dosmil"}, "Año inválido «dosmil»"),
        ({"anio": "1850"}, "Año fuera de rango"),
        ({"desde": "2025-13-01"}, "Fecha inválida «2025-13-01»: use aaaa-mm-dd."),
        ({"desde": "2025-09-01", "hasta": "2025-01-31"}, "es posterior a la final"),
        ({"cadena": "no-existe"}, "no-existe"),
        ({"centro": "no-existe"}, "no-existe"),
    ],
)
def test_invalid_filters_get_a_spanish_error_not_a_500(client, query, message):
    page = client.get(HOME, query)
    assert page.status_code == 400
    assert "No se pudo aplicar el filtro" in page.text and message in page.text
    assert 'role="alert"' in page.text
    assert 'name="anio"' in page.text  # the filter form is still there to correct it


def test_every_chart_has_a_data_table_and_a_csv_with_exactly_its_rows(client):
    query = {"anio": "2025", "departamento": "13"}
    page = client.get(HOME, query).text
    tables = tables_of(page)
    keys = re.findall(r'<figure class="chart[^"]*" id="(\w+)"', page)
    assert keys == [
        "departamentos",  # first: on a phone the map is reached without a long scroll
        "mensual",
        "anual",
        "categorias",
        "cadenas",
        "centros",
        "clientes",
        "gratuidad",
    ]
    today = date.today()
    for key in keys:
        download = client.get(HOME, query | {"csv": key})
        assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
        # The file names its filters and the day it was downloaded, in its name and above
        # the table.
        name = f"citesmart-{key}-2025-la-libertad-{today:%Y-%m-%d}.csv"
        assert f'filename="{name}"' in download["Content-Disposition"], key
        lines = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
        assert lines[0][0].startswith("CITESmart: ")
        assert lines[1] == ["Selección: 2025 · La Libertad"]
        assert lines[2][0].startswith(f"Descargado el {today:%d/%m/%Y}; datos al ")
        assert lines[3] == []
        rows = lines[4:]
        shown = [r for r in tables[key] if "Sin servicios" not in r[0]]
        assert [[c.replace("\u202f", "").replace("\xa0", "") for c in r] for r in rows] == [
            [c.replace("\u202f", "").replace("\xa0", "").replace(".", "") for c in r] for r in shown
        ], key
    assert client.get(HOME, query | {"csv": "otra"}).status_code == 404


def test_each_figure_links_to_its_definition(client):
    page = client.get(HOME).text
    for anchor in ("servicios", "unidades", "nuevas", "centros-activos", "departamentos"):
        assert f'href="/metodologia/#{anchor}"' in page
        assert f'id="{anchor}"' in client.get(reverse("portal:methodology")).text


def test_freshness_stamp_and_http_caching(client):
    page = client.get(HOME, {"anio": "2025"}, HTTP_ACCEPT_ENCODING="gzip")
    assert f"Datos al {stamp(freshness())}" in gzip.decompress(page.content).decode()
    etag, modified = page["ETag"], page["Last-Modified"]
    assert "X-Partial" in page["Vary"]
    again = client.get(HOME, {"anio": "2025"}, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and not again.content
    assert client.get(HOME, {"anio": "2025"}, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    other = client.get(HOME, {"anio": "2024"}, HTTP_IF_NONE_MATCH=etag)
    assert other.status_code == 200 and other["ETag"] != etag
    partial = client.get(HOME, {"anio": "2025"}, HTTP_X_PARTIAL="1")
    assert (
        partial["ETag"] != etag
        and "<html" not in partial.text
        and 'data-kpi="services"' in partial.text
    )


def test_center_page_draws_one_map_with_its_seat_and_the_same_figures(client):
    code = "citecuero-y-calzado-trujillo"
    page = client.get(reverse("portal:center_detail", args=[code]), {"anio": "2025"})
    assert page.status_code == 200 and page["ETag"]
    html = page.text
    assert html.count('<svg class="map') == 1
    assert html.count('class="center"') == 1  # its own seat, not the whole network
    totals = figures(Filters(years=(2025,), centers=(code,))).totals
    assert kpis(html)["services"] == number(totals["services"])
    assert 'name="centro"' not in html  # the center is fixed by the page


def test_home_page_first_load_fits_the_budget_compressed(client):
    """HTML (gzip, as served) plus every stylesheet, script and image it references."""
    page = client.get(HOME, HTTP_ACCEPT_ENCODING="gzip")
    assert page["Content-Encoding"] == "gzip"
    html = gzip.decompress(page.content).decode()
    assets = re.findall(r'(?:src|href)="/static/([^"?]+)"', html)
    assert "citesmart/portal.css" in assets and "citesmart/live.js" in assets
    total = len(page.content)
    for name in assets:
        path = finders.find(name)
        assert path, name
        with open(path, "rb") as handle:
            total += len(gzip.compress(handle.read()))  # whitenoise serves the .gz it made
    assert total <= PAGE_BUDGET, f"{total / 1024:.0f} KB"


def test_small_cells_with_natural_persons_are_reserved_in_tables_and_csv(client, settings):
    # analytics.public: the portal applies the same rule as the API and the open data.
    from citesmart.analytics.queries import clear_cache

    filters = Filters(years=(2025,))
    top = figures(filters, by=["center"], measures=["services", "units"], order_by="services")
    # A threshold among the ten centers' sizes at which some are reserved, some published.
    for threshold in sorted({row["units"] for row in top.rows[:10]}, reverse=True):
        settings.ANALYTICS_DISCLOSURE_THRESHOLD = threshold
        clear_cache()
        answer = public_figures(
            filters, by=["center"], measures=["services"], order_by="services", limit=10
        )
        hidden = {row["center_label"] for row in answer.rows if row["suppressed"]}
        if hidden and len(hidden) < len(answer.rows):
            break
    assert hidden and len(hidden) < len(answer.rows)  # some reserved, some published
    page = client.get(HOME, {"anio": "2025"}).text
    shown = {row[0]: row[1] for row in tables_of(page)["centros"][1:]}
    for row in answer.rows:
        expected = "reservado" if row["suppressed"] else number(row["services"])
        assert shown[row["center_label"]] == expected, row["center_label"]
    assert "secreto estadístico" in page
    download = client.get(HOME, {"anio": "2025", "csv": "centros"}).content.decode("utf-8-sig")
    assert download.count("reservado") == len(hidden)
    clear_cache()


def test_headline_figures_follow_the_disclosure_rule_too(client, settings):
    # With a threshold above every count, the totals of the period are a small cell with
    # natural persons: the headline and its sentence must not publish them.
    from citesmart.analytics.queries import clear_cache

    totals = figures(Filters(years=(2025,)), measures=["services", "units"]).totals
    settings.ANALYTICS_DISCLOSURE_THRESHOLD = totals["units"] + 1
    clear_cache()
    page = client.get(HOME, {"anio": "2025"}).text
    kpis = dict(re.findall(r'data-kpi="(\w+)">([^<]*)<', page))
    assert kpis["services"] == kpis["units"] == kpis["new_units"] == "reservado"
    assert number(totals["services"]) not in page.split('class="announce"')[1].split("</p>")[0]
    assert "reservadas por secreto estadístico" in page
    clear_cache()
