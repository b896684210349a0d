"""Reports: every figure is the analytics answer; PDF text extractable; managers scoped."""

import io
import re
from datetime import date

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader
from tests.analytics.analytics_world import build_world

from citesmart.analytics.disclosure import protect
from citesmart.analytics.public import public_figures
from citesmart.analytics.queries import figures
from citesmart.lib.text import fold
from citesmart.presentation.formatting import number
from citesmart.reports import narrative
from citesmart.reports.build import MEASURES, TABLES, build_report
from citesmart.reports.render import html, render
from citesmart.targets.actions import set_target

CUT = date(2025, 6, 30)


@pytest.fixture
def world(db, read_model):
    return build_world(reports=60)


def _published(filters, measures=MEASURES):
    return public_figures(filters, measures=measures, report=True).totals


def _exact_when_public(published: dict, exact: dict, measures) -> None:
    assert not published["suppressed"]
    assert {m: published[m] for m in measures} == {m: exact[m] for m in measures}


def test_every_figure_is_the_analytics_answer(world, settings):
    # The world's first half of 2025 is small (a few natural persons): with the default
    # threshold its headline is reserved (see the PDF test); with 2 only lone persons are.
    settings.ANALYTICS_DISCLOSURE_THRESHOLD = 2
    report = build_report(2025, CUT)
    # Every figure through the one door for public figures; exact where not reserved.
    assert report.totals == _published(report.filters, [*MEASURES, "reports"])
    assert report.previous_totals == _published(report.previous_filters)
    exact = figures(report.filters, measures=[*MEASURES, "reports"]).totals
    _exact_when_public(report.totals, exact, [*MEASURES, "reports"])
    assert report.reports == exact["reports"]
    before = figures(report.previous_filters, measures=MEASURES).totals
    _exact_when_public(report.previous_totals, before, MEASURES)
    monthly = public_figures(report.filters, by=["month"], measures=["services"], report=True)
    assert [v for v in report.monthly if v] == [
        float(r["services"]) for r in monthly.rows if r["services"]
    ]
    assert report.totals["services"] > 0
    for key, dimension, *_ in TABLES:
        expected = protect(
            figures(report.filters, by=[dimension], measures=MEASURES, order_by="services")
        )
        rows = [r for r in expected.rows if not (key == "programme" and not r["programme"])]
        # A report's tables are official: exact, suppressed as protect() does, not perturbed.
        assert all(row.pop("perturbed") is False for row in report.tables[key].rows)
        assert report.tables[key].rows == rows
    page = html(report)
    assert number(report.totals["services"]) in page
    for row in report.tables["center"].rows:
        if not row["suppressed"]:
            assert (
                f'<td>{row["center_label"]}</td><td class="n">{number(row["services"])}</td>'
                in page
            )
    book = load_workbook(io.BytesIO(render(report, "xlsx")), read_only=True)
    summary = list(book["Resumen"].iter_rows(values_only=True))
    assert summary[1][:2] == ("Servicios", report.totals["services"])
    assert {"Centros", "Categorías", "Cadenas", "Departamentos", "Tipo de cliente"} <= set(
        book.sheetnames
    )


def test_tables_apply_the_disclosure_rule_with_complementary_suppression(world, settings):
    settings.ANALYTICS_DISCLOSURE_THRESHOLD = 1000  # every cell with a natural person is small
    report = build_report(2025, CUT)
    table = report.tables["center"]
    raw = figures(report.filters, by=["center"], measures=MEASURES, order_by="services")
    flagged = [row["center"] for row in raw.rows if row["flagged"]]
    hidden = [row for row in table.rows if row["suppressed"]]
    assert flagged and {row["center"] for row in hidden} >= set(flagged)
    assert len(hidden) != 1 or len(table.rows) == 1  # never a single recoverable cell
    assert all(row[m] is None for row in hidden for m in MEASURES)
    page = html(report)
    for row in hidden:
        assert f"<td>{row['center_label']}</td>" + '<td class="n">*</td>' * 5 in page
    assert "Cifras reservadas por secreto estadístico" in page
    book = load_workbook(io.BytesIO(render(report, "xlsx")), read_only=True)
    sheet = {r[1]: r for r in book["Centros"].iter_rows(min_row=2, values_only=True)}
    for row in hidden:
        assert sheet[row["center"]][2:] == (None, None, None, None, "Sí")


def test_a_center_report_counts_only_that_center(world):
    center = world.centers[2]
    report = build_report(2025, CUT, center)
    assert report.filters.centers == (center.code,)
    assert report.totals == _published(report.filters, [*MEASURES, "reports"])
    exact = figures(report.filters, measures=[*MEASURES, "reports"]).totals
    _exact_when_public(report.totals, exact, [*MEASURES, "reports"])
    assert "center" not in report.tables  # no technical units below it


def test_a_small_center_report_says_its_headline_is_reserved(world, settings, national_admin):
    center = world.centers[2]
    filters = build_report(2024, None, center).filters  # its whole year 2024
    exact = figures(filters, measures=[*MEASURES, "reports"]).totals
    assert exact["services"] > 0
    # Fewer natural persons than the threshold in the center's year: the headline is reserved.
    settings.ANALYTICS_DISCLOSURE_THRESHOLD = exact["units"] + 1
    goal = 10 * exact["services"] + 7  # a target is no figure of persons: it is shown
    set_target(national_admin, center=center, year=2024, indicator="services", value=goal)
    report = build_report(2024, None, center)
    assert report.totals["suppressed"] and report.totals["services"] is None
    assert report.reports is None and report.change("services") is None
    (progress,) = [p for p in report.targets if p.target.center_id == center.pk]
    assert progress.actual == exact["services"] and report.is_reserved(progress)

    text = " ".join(narrative.paragraphs(report))
    assert "reservadas por secreto estadístico" in text
    assert "se alcanzó" not in text and f"fue de {number(goal)}" in text
    # No exact figure of the center in the text (dates and the target aside).
    digits = text.replace(report.period.text, "").replace(number(goal), "")
    for measure in ("services", "units", "new_units", "reports"):
        assert not re.search(rf"(?<![\d.,]){re.escape(number(exact[measure]))}(?![\d.,])", digits)

    page = html(report)
    assert '<span class="v">reservado</span>' in page
    assert "cifra reservada por secreto estadístico" in page
    assert f'<td class="n">{number(goal)}</td><td class="n">reservado</td>' in page
    book = load_workbook(io.BytesIO(render(report, "xlsx")), read_only=True)
    summary = {r[0]: r for r in book["Resumen"].iter_rows(min_row=2, values_only=True)}
    assert summary["Servicios"][1] == "reservado" and summary["Servicios"][3] is None
    assert summary["Informes de servicio"][1] == "reservado"
    (target_row,) = list(book["Metas"].iter_rows(min_row=2, values_only=True))
    assert target_row[2] == goal and target_row[3:] == ("reservado",) * 5
    # Year to date: no advance "a la fecha" either.
    midyear = build_report(2024, date(2024, 6, 30), center)
    assert midyear.totals["suppressed"]
    assert f'<td class="n">{number(goal)}</td><td class="n">reservado</td>' in html(midyear)
    assert " a la fecha" not in html(midyear).split('class="targets"')[1].split("</table>")[0]


@pytest.mark.browser
def test_the_pdf_renders_and_its_text_can_be_read(world, national_admin, tmp_path):
    set_target(national_admin, center=None, year=2025, indicator="services", value=50)
    output = tmp_path / "informe.pdf"
    call_command("report", year=2025, until="2025-06-30", format="pdf", output=str(output))
    reader = PdfReader(output)
    assert len(reader.pages) >= 3
    text = " ".join(page.extract_text() for page in reader.pages)
    report = build_report(2025, CUT)
    assert "Informe de avance 2025" in text
    # A few natural persons in the network's first half of 2025: the headline is reserved.
    assert report.totals["suppressed"] and "reservado" in text
    assert "cifras de servicios, informes, unidades productivas" in " ".join(text.split())
    assert "Metas y avance" in text and "Nota metodológica" in text
    assert f"Página 1 de {len(reader.pages)}" in text


def _form(client, **params):
    return client.get(reverse("reports:form"), params)


def test_a_manager_only_reports_on_their_own_center(
    client_for, manager_a, operator_a, center_a, center_b, read_model
):
    client = client_for(manager_a)
    own = _form(client, year=2025, center=center_a.pk, format="html")
    assert own.status_code == 200 and own["Content-Type"].startswith("text/html")
    assert f"Informe anual 2025 — {center_a.name}" in own.content.decode()
    other = _form(client, year=2025, center=center_b.pk, format="html")
    assert "Informe anual 2025 —" not in other.content.decode()
    assert "errorlist" in other.content.decode()
    network = _form(client, year=2025, format="html")
    assert "Red CITE</h1>" not in network.content.decode()
    assert _form(client_for(operator_a), year=2025, center=center_a.pk).status_code == 403


def test_national_staff_report_on_the_network(client_for, analyst, read_model):
    answer = _form(client_for(analyst), year=2025, format="xlsx")
    assert answer.status_code == 200
    assert answer["Content-Disposition"] == 'attachment; filename="informe-red-cite-2025.xlsx"'


def test_the_command_explains_bad_options(read_model, db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="debe estar dentro del año 2025"):
        call_command("report", year=2025, until="2024-09-30", format="html", output="x.html")
    with pytest.raises(CommandError, match="No existe el centro"):
        call_command("report", year=2025, center="no-existe", format="html", output="x.html")


def test_year_to_september_names_the_four_published_leaders(db, read_model):
    """The demo history (small scale keeps the published ranking) and the year-to-date text."""
    call_command("demo_data", years="2024-2025", scale=0.02, seed=7, stdout=io.StringIO())
    report = build_report(2025, date(2025, 9, 30))
    text = " ".join(narrative.paragraphs(report))
    leaders = [
        "CITEmadera y del Mueble Lima",
        "CITEcuero y calzado Trujillo",
        "CITEtextil camélidos Cusco",
        "CITEforestal Pucallpa",
    ]
    positions = [fold(text).find(fold(name)) for name in leaders]
    assert all(p > 0 for p in positions) and positions == sorted(positions)
    sentence = next(p for p in narrative.paragraphs(report) if "centros con más" in p)
    for name, row in zip(leaders, report.tables["center"].rows[:4], strict=True):
        assert fold(row["center_label"]) == fold(name)
        assert f"({number(row['services'])})" in sentence


def test_a_reserved_month_is_left_out_of_the_chart():
    from citesmart.presentation.charts import line_chart

    svg = line_chart([("2025", [1.0, 2.0, None, 4.0], "line-current")], label="Servicios por mes")
    assert svg.count('<polyline class="line-current"') == 2  # the line breaks at the gap
    assert "None" not in svg
