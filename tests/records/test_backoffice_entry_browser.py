"""The report entry screen, the report list, the import page and a manager's Metas, Informes
and Solicitudes pages in real Chromium at 375 px and 1280 px: no sideways scroll, every input
labelled, axe without serious or critical findings, at most 200 KB compressed; the district
suggestions and a report entered by hand.
Screenshots in var/screenshots/backoffice-*.png."""

import gzip
import io
from datetime import date, timedelta

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse
from tests.conftest import make_user
from tests.portal.test_browser import (  # noqa: F401 - the module fixture puts reference data back
    ARGS,
    AXE,
    CHROMIUM,
    DESKTOP,
    OVERFLOW_JS,
    PHONE,
    Visit,
    _reference_data_back,
)
from tests.records.test_entry_screen import new_person_row, report_data
from tests.records.test_import_layouts import OWN, book, table
from tests.records.test_import_pipeline import row

from citesmart.accounts.roles import Role
from citesmart.geo.loading import load_geography
from citesmart.network.models import Center
from citesmart.network.reference import load_network
from citesmart.records import imports
from citesmart.records.models import ServiceReport

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BUDGET = 200 * 1024
AXE_SERIOUS = """async () => {
  const result = await axe.run(document, {runOnly: {type: "tag",
      values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}});
  return result.violations.filter(v => ["serious", "critical"].includes(v.impact))
    .map(v => `${v.id}: ${v.nodes.length} × ${v.nodes[0].target} ${v.nodes[0].failureSummary}`);
}"""
# Form controls a screen reader would announce without a name (buttons are named by their
# text; links, images and icons are axe's to judge).
UNLABELLED_JS = """() => Array.from(document.querySelectorAll("input, select, textarea"))
  .filter(el => !["hidden", "submit", "button", "reset"].includes(el.type))
  .filter(el => !el.closest("template"))
  .filter(el => !el.labels.length && !el.getAttribute("aria-label")
    && !el.getAttribute("aria-labelledby"))
  .map(el => `${el.tagName} ${el.name}`)"""
PAGES = {
    "informe-nuevo": reverse("admin:records_servicereport_add"),
    "informes": reverse("admin:records_servicereport_changelist"),
    "importar": reverse("admin:records_importbatch_upload"),
}


def checked_batch(center, user) -> str:
    """A check of a file with the center's own headers: its page asks to map them."""
    data = book({"Servicios": [["Informe de marzo"], *table([row()], headers=OWN)]})
    result = imports.import_file(
        io.BytesIO(data), center=center, filename="propio.xlsx", user=user, dry_run=True
    )
    assert result.unknown_headers, result.fatal
    return reverse("admin:records_importbatch_change", args=[result.batch.pk])


@pytest.fixture
def backoffice(live_server, monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setitem(connections["default"].settings_dict, "CONN_MAX_AGE", 0)
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    load_geography()
    load_network()
    center = Center.objects.get(code="citeagroindustrial-moquegua")
    operator = make_user("operador_navegador", Role.CENTER_OPERATOR, center)
    PAGES["lote-verificado"] = checked_batch(center, operator)
    manager = make_user("gestor_navegador", Role.CENTER_MANAGER, center)
    cookies = {}
    for user in (operator, manager):
        client = Client()
        client.force_login(user)
        cookies[user.username] = client.cookies[settings.SESSION_COOKIE_NAME].value
        if user is operator:
            saved = client.post(PAGES["informe-nuevo"], report_data(center, new_person_row()))
            assert saved.status_code == 302  # the list has a report to show
    playwright_sync = pytest.importorskip("playwright.sync_api")
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)

        def visit(viewport, as_user: str = "operador_navegador"):
            v = Visit(browser, live_server.url, viewport)
            cookie = {"name": settings.SESSION_COOKIE_NAME, "value": cookies[as_user]}
            v.context.add_cookies([cookie | {"url": live_server.url}])
            return v

        yield visit
        browser.close()


def _weight(responses) -> int:
    total = 0
    for response in responses:
        if 300 <= response.status < 400:
            continue  # no body
        body = response.body()
        encoded = response.headers.get("content-encoding")
        # Static files are compressed by whitenoise in production, plain from the test server.
        total += (
            response.request.sizes()["responseBodySize"] if encoded else len(gzip.compress(body))
        )
    return total


# A center manager's other pages: targets, the published report's form, service requests.
MANAGERS_PAGES = {
    "metas": reverse("admin:targets_target_changelist"),
    "informe-publicado": reverse("reports:form"),
    "solicitudes": reverse("admin:service_requests_servicerequest_changelist"),
}


@pytest.mark.parametrize(("size", "viewport"), [("375", PHONE), ("1280", DESKTOP)])
def test_backoffice_pages_fit_the_screen_are_labelled_and_light(backoffice, size, viewport):
    pages = [(name, path, "operador_navegador") for name, path in PAGES.items()]
    pages += [(name, path, "gestor_navegador") for name, path in MANAGERS_PAGES.items()]
    for name, path, user in pages:
        visit = backoffice(viewport, user)
        responses = []
        visit.page.on("response", lambda r, out=responses: out.append(r))
        visit.open(path)
        visit.page.wait_for_load_state("networkidle")
        assert visit.page.evaluate(OVERFLOW_JS) == [], (name, size)
        assert visit.page.evaluate(UNLABELLED_JS) == [], (name, size)
        if name == "informes":  # the status is seen without scrolling sideways
            status = visit.page.locator("#result_list td.field-status").first
            assert status.inner_text() == "Registrado"
            assert status.bounding_box()["x"] + status.bounding_box()["width"] <= viewport["width"]
        # Before axe: its own fetch of @import-ed stylesheets and injected styles are
        # (rightly) refused by the content security policy and logged.
        assert visit.errors == [], (name, size, "\n".join(visit.errors))
        if AXE.exists():
            visit.page.evaluate(f"{AXE.read_text()}\n;true")
            assert visit.page.evaluate(AXE_SERIOUS) == [], (name, size)
        weight = _weight(responses)
        assert weight <= BUDGET, f"{name} {size}: {weight / 1024:.0f} KB"
        visit.shot(f"backoffice-{name}-{size}")
        # A page that only shows what a check found is not a form with errors to correct.
        assert "corrija" not in visit.page.content(), (name, size)
        visit.context.close()


def test_a_report_is_entered_on_a_phone_with_suggested_unit_and_district(backoffice):
    visit = backoffice(PHONE)
    page = visit.page
    visit.open(PAGES["informe-nuevo"])
    page.get_by_label("Código del informe").fill("INF-NAV-1")
    page.get_by_label("Categoría").select_option(label="Asistencia técnica")
    yesterday = date.today() - timedelta(days=1)
    page.get_by_label("Fecha de inicio").fill(f"{yesterday:%d/%m/%Y}")
    page.get_by_label("Fecha de fin").fill(f"{yesterday:%d/%m/%Y}")
    units = page.locator("fieldset.unidad")
    # A unit of the center: suggested by the start of its DNI, which also sets the type.
    known = units.nth(0)
    number = known.get_by_label("Número")
    number.press_sequentially("41234", delay=20)
    suggested = page.locator("#id_unidades-0-document_number-sugerencias option")
    suggested.first.wait_for(state="attached")
    assert suggested.first.get_attribute("label") == "DNI 41234567 · María Quispe"
    number.fill(suggested.first.get_attribute("value"))
    number.dispatch_event("change")
    assert known.get_by_label("Tipo de documento").input_value() == "dni"
    # A new one, in a district chosen among the suggestions.
    unit = units.nth(1)
    unit.get_by_label("Tipo de documento").select_option("dni")
    unit.get_by_label("Número").fill("45678912")
    unit.get_by_label("Razón social o nombre (si es nueva)").fill("Juana Mamani")
    unit.get_by_label("Tipo de cliente").select_option("emprendedor")
    district = unit.get_by_label("Distrito")
    district.press_sequentially("Santa Rosa, El Co", delay=20)
    options = page.locator("#id_unidades-1-district-sugerencias option")
    options.first.wait_for(state="attached")
    chosen = options.first.get_attribute("value")
    assert chosen.startswith("Santa Rosa, El Collao, Puno (ubigeo ")
    district.fill(chosen)
    unit.get_by_label("Monto (S/)").fill("50")
    assert page.evaluate(OVERFLOW_JS) == []
    button = page.get_by_role("button", name="Guardar", exact=True)
    with page.expect_navigation():
        button.click()
    connections["default"].close_if_unusable_or_obsolete()
    errors = page.locator(".errornote, .errorlist").all_inner_texts()
    assert ServiceReport.objects.filter(code="INF-NAV-1").exists(), errors
    visit.shot("backoffice-informe-guardado-375")
    report = ServiceReport.objects.get(code="INF-NAV-1")
    assert sorted(report.services.values_list("unit__document_number", flat=True)) == [
        "41234567",
        "45678912",
    ]
    unit_saved = report.services.get(unit__document_number="45678912").unit
    assert (unit_saved.district.name, unit_saved.district.province.name) == (
        "Santa Rosa",
        "El Collao",
    )
    # The list shows the report's status without scrolling sideways, on the phone too.
    visit.open(PAGES["informes"])
    assert "Registrado" in page.locator("#result_list").inner_text()
    assert page.evaluate(OVERFLOW_JS) == []
    assert visit.errors == []
    visit.context.close()
