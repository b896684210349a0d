"""The dashboard says what it shows (issue 19): its sentence, chart titles and files follow
the filters, contradictions are said, comparisons are like with like, reserved months are gaps,
the unit's and center's filters of the API are offered, and every chart drills down."""

import re
from datetime import date
from decimal import Decimal
from html import unescape
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from tests.portal.test_dashboard import small_history  # noqa: F401 - the module's demo history

from citesmart.analytics.public import public_figures
from citesmart.analytics.queries import Filters, clear_cache, figures
from citesmart.network import registry
from citesmart.network.models import Center, ServiceCategory
from citesmart.presentation.formatting import number
from citesmart.records.actions import AttendedUnit, record_service_report
from citesmart.records.models import ReportStatus
from citesmart.records.unit_actions import get_or_create_unit

pytestmark = pytest.mark.django_db

HOME = reverse("portal:home")


def kpi(html: str, key: str = "services") -> str:
    return re.search(rf'data-kpi="{key}">([^<]*)<', html).group(1)


def sentence(html: str) -> str:
    return unescape(html.split('class="announce">')[1].split("</p>")[0])


def captions(html: str) -> list[str]:
    return [unescape(c) for c in re.findall(r"<figcaption>(.*?)</figcaption>", html, re.S)]


def busiest(by: str, filters: Filters) -> dict:
    rows = figures(filters, by=[by], measures=["services"], order_by="services").rows
    return next(r for r in rows if r[by])


def test_sentence_and_every_chart_title_follow_the_filters(client):
    department = busiest("department", Filters(years=(2025,)))
    chain = busiest("chain", Filters(years=(2025,), departments=(department["department"],)))
    page = client.get(
        HOME, {"anio": "2025", "departamento": department["department"], "cadena": chain["chain"]}
    ).text
    said = sentence(page)
    # Published or reserved by statistical secrecy, the sentence says what is selected.
    assert said.startswith(("En 2025 la red CITE brindó", "En 2025 las cifras de la red CITE"))
    assert f"de {department['department_label']}" in said
    assert f"en la cadena {chain['chain_label']}" in said
    assert "destacan las cadenas" not in said  # one chain is chosen: nothing to highlight
    shown = captions(page)
    assert len(shown) == 8  # the seven charts of the period, and the yearly series
    for caption in shown:
        assert "2025" in caption and department["department_label"] in caption, caption
        assert f"Cadena: {chain['chain_label']}" in caption, caption


def test_a_center_chosen_on_the_home_page_is_the_subject_of_the_sentence(client):
    center = busiest("center", Filters(years=(2025,)))
    page = client.get(HOME, {"anio": "2025", "centro": center["center"]}).text
    assert sentence(page).startswith(f"En 2025 {center['center_label']} brindó")
    private = client.get(HOME, {"anio": "2025", "tipo_centro": "privado"}).text
    assert sentence(private).startswith("En 2025 los CITE privados brindaron")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"anio": "2025", "desde": "2024-01-01"}, "El año 2025 y la fecha 01/01/2024 se"),
        ({"anio": "2024", "hasta": "2025-03-31"}, "El año 2024 y la fecha 31/03/2025 se"),
    ],
)
def test_a_year_and_dates_outside_it_are_refused_with_a_spanish_message(client, query, message):
    page = client.get(HOME, query)
    assert page.status_code == 400
    assert message in page.text and 'role="alert"' in page.text


def test_dates_within_the_chosen_year_are_used_as_dates(client):
    page = client.get(HOME, {"anio": "2025", "desde": "2025-03-01", "hasta": "2025-05-31"}).text
    assert sentence(page).startswith("Del 01/03/2025 al 31/05/2025")
    assert "frente a 01/03/2024–31/05/2024" in page


def test_a_center_and_a_department_outside_its_scope_are_said_to_contradict(client):
    current = registry.current()
    center = next(
        c for c in current.centers if c.scope_codes and not c.parent_id and c.chains.all()
    )
    outside = next(code for code in current.departments if code not in center.scope_codes)
    page = client.get(HOME, {"anio": "2025", "centro": center.code, "departamento": outside})
    assert page.status_code == 200
    notice = unescape(page.text.split('class="notice"')[1].split("</div>")[0])
    assert f"{center.name} no atiende {current.departments[outside].name}" in notice
    chain = next(c for c in current.chains.values() if c not in center.chains.all())
    other_chain = client.get(HOME, {"anio": "2025", "centro": center.code, "cadena": chain.code})
    assert f"La cadena {chain.name} no figura entre las de {center.name}" in unescape(
        other_chain.text
    )
    kind = next(k for k in ("publico", "privado") if k != center.kind)
    other = client.get(HOME, {"anio": "2025", "centro": center.code, "tipo_centro": kind}).text
    assert "ningún servicio cumple ambos filtros" in unescape(other)


def test_a_range_longer_than_a_year_is_not_compared_with_the_year_before(client):
    page = client.get(HOME, {"desde": "2024-01-01", "hasta": "2025-12-31"}).text
    assert "data-no-comparison" in page
    assert "frente a" not in page
    assert "% más" not in sentence(page) and "% menos" not in sentence(page)


def add_report(code: str, day: date) -> None:
    unit, _ = get_or_create_unit(
        document_type="ruc", document_number="20100047218", name="Empresa de marzo S.A."
    )
    record_service_report(
        center=Center.objects.get(code="citecuero-y-calzado-trujillo"),
        code=code,
        start_date=day,
        end_date=day,
        units=[AttendedUnit(unit, Decimal(0))],
        category=ServiceCategory.objects.order_by("order").first(),
        status=ReportStatus.VALIDATED,
        today=day,
    )


def test_a_year_under_way_is_compared_with_the_same_months_of_the_year_before(client):
    add_report("MAR-2026", date(2026, 3, 10))  # the network's data now stop in March 2026
    page = client.get(HOME).text
    assert sentence(page).startswith("En 2026 la red CITE brindó")
    assert "ene–mar 2026 frente a ene–mar 2025" in page
    same_months = public_figures(Filters(years=(2025,), months=(1, 2, 3))).totals["services"]
    delta = re.search(r'data-kpi="services">.*?class="delta[^"]*">([^<]*)<', page, re.S)
    assert delta.group(1).strip().endswith(f"({number(same_months)})")
    whole = public_figures(Filters(years=(2025,))).totals["services"]
    assert whole != same_months
    # The monthly line of 2026 stops in March: April to December are gaps, not zeros.
    rows = re.findall(r"<tr><th scope=\"row\">(\w+)</th><td class=\"num\">([^<]*)</td>", page)
    monthly = dict(rows[:12])
    assert monthly["abr"] == monthly["dic"] == ""
    # a whole past year is compared with the whole year before it
    assert "frente a 2024" in client.get(HOME, {"anio": "2025"}).text


def test_a_reserved_month_is_a_gap_with_a_mark_and_the_lines_have_a_legend(client, settings):
    filters = Filters(years=(2025,), chains=("cuero",))
    months = figures(filters, by=["month"], measures=["units"]).rows
    settings.ANALYTICS_DISCLOSURE_THRESHOLD = sorted(r["units"] for r in months)[len(months) // 2]
    clear_cache()
    answer = public_figures(filters, by=["month"], measures=["services"])
    reserved = [int(r["month"][5:7]) - 1 for r in answer.rows if r["suppressed"]]
    assert reserved
    page = client.get(HOME, {"anio": "2025", "cadena": "cuero"}).text
    chart = page.split('id="mensual"')[1].split("</figure>")[0]
    months = ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "set", "oct", "nov", "dic"]
    for month in reserved:
        assert f"2025, {months[month]}: reservado</title>" in chart
    assert chart.count('class="gap-mark line-current"') == len(reserved)
    legend = chart.split('class="legend"')[1].split("</ul>")[0]
    assert '"sw line-current"></i>2025' in legend and '"sw line-prev"></i>2024' in legend
    assert "Mes reservado por secreto estadístico" in legend
    clear_cache()


@pytest.mark.parametrize(
    ("param", "field", "value"),
    [
        ("tipo_cliente", "client_types", "empresa_formal"),
        ("tamano", "size_classes", "micro"),
        ("tipo_centro", "center_kinds", "privado"),
        ("provincia", "provinces", "1301"),
    ],
)
def test_the_apis_filters_of_units_and_centers_are_offered(client, param, field, value):
    page = client.get(HOME, {"anio": "2025", param: value}).text
    assert f'<option value="{value}" selected>' in page
    expected = public_figures(Filters(years=(2025,), **{field: (value,)})).totals
    assert kpi(page) == ("reservado" if expected["suppressed"] else number(expected["services"]))
    wrong = client.get(HOME, {"anio": "2025", param: "no-existe"})
    assert wrong.status_code == 400 and "no-existe" in wrong.text


def test_bars_and_departments_drill_down_and_rankings_show_all_on_request(client):
    page = unescape(client.get(HOME, {"anio": "2025"}).text)
    chains = page.split('id="cadenas"')[1].split("</figure>")[0]
    top = busiest("chain", Filters(years=(2025,)))
    assert f'<a href="?anio=2025&cadena={top["chain"]}" data-live-link' in chains
    departments = page.split('id="departamentos"')[1].split("</figure>")[0]
    listed = re.findall(r'<li><a href="\?anio=2025&departamento=(\d\d)"', departments)
    assert len(listed) >= 10 and listed == sorted(listed, key=lambda c: listed.index(c))
    centers = figures(Filters(years=(2025,)), by=["center"], measures=["services"]).rows
    assert len(centers) > 10
    ranking = page.split('id="centros"')[1].split("</figure>")[0]
    assert ranking.count("data-live-link") == 11  # ten bars and "Ver todos"
    assert 'href="?anio=2025&ver=centros#centros"' in ranking
    everything = client.get(HOME, {"anio": "2025", "ver": "centros"}).text
    ranking = everything.split('id="centros"')[1].split("</figure>")[0]
    assert ranking.count("<tr>") == len(centers) + 1  # header and every center
    assert "Ver todos" not in ranking


def test_copy_link_is_a_plain_link_to_the_same_view_and_print_keeps_charts_whole(client):
    page = client.get(HOME, {"anio": "2024", "cadena": "cuero"}).text
    assert 'href="/?anio=2024&amp;cadena=cuero" data-copy-link>Copiar enlace</a>' in page
    assert 'href="/static/citesmart/portal.css"' in page
    printed = Path(finders.find("citesmart/portal.css")).read_text().split("@media print")[1]
    assert "break-inside: avoid" in printed and "print-color-adjust: exact" in printed


def test_a_reserved_department_is_hatched_on_the_map_not_drawn_as_zero(client):
    answer = public_figures(Filters(years=(2025,)), by=["department"], measures=["services"])
    hidden = {r["department"] for r in answer.rows if r["department"] and r["suppressed"]}
    assert hidden  # the small demo history has departments with few units
    chart = client.get(HOME, {"anio": "2025"}).text.split('id="departamentos"')[1]
    chart = chart.split("</figure>")[0]
    drawn = dict(
        re.findall(r'data-dept="(\d\d)"[^>]*><path class="dept" d="[^"]*" fill="([^"]+)"', chart)
    )
    assert len(drawn) == 25
    assert {code for code, fill in drawn.items() if fill == "url(#reservado)"} == hidden
    assert '<i class="sw reserved"></i>reservado (secreto estadístico)' in chart


def test_the_first_year_with_records_is_not_compared_with_an_empty_year(client):
    page = client.get(HOME, {"anio": "2024"}).text  # the demo history starts in 2024
    assert "data-no-comparison" in page and "frente a" not in page
    legend = page.split('id="mensual"')[1].split("</figure>")[0].split('class="legend"')[1]
    assert "2024" in legend and "2023" not in legend
    dated = client.get(HOME, {"desde": "2024-02-01", "hasta": "2024-04-30"}).text
    assert "data-no-comparison" in dated


def test_a_bar_that_selects_nothing_has_no_link():
    from citesmart.presentation.charts import bar_chart

    svg = bar_chart([("Cuero", 5), ("Sin cadena", 3)], label="Cadenas", hrefs=["?cadena=cuero", ""])
    assert svg.count("<a ") == 1 and 'href="?cadena=cuero"' in svg
    assert "Sin cadena" in svg


def test_a_range_over_two_years_draws_each_month_once_in_order(client):
    page = client.get(HOME, {"desde": "2024-07-01", "hasta": "2025-12-31"}).text
    table = page.split('id="mensual"')[1].split("</figure>")[0].split("<tbody>")[1]
    rows = re.findall(r'<th scope="row">([^<]+)</th><td class="num">([^<]*)</td>', table)
    assert [label for label, _ in rows][:2] == ["jul 2024", "ago 2024"]
    assert len(rows) == 18 and rows[-1][0] == "dic 2025"
    answer = public_figures(
        Filters(date_from=date(2024, 7, 1), date_to=date(2025, 12, 31)),
        by=["month"],
        measures=["services"],
    )
    months = ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "set", "oct", "nov", "dic"]
    expected = {
        f"{months[int(r['month'][5:7]) - 1]} {r['month'][:4]}": (
            "reservado" if r["suppressed"] else number(r["services"])
        )
        for r in answer.rows
    }
    assert dict(rows) == expected
