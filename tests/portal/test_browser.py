"""The portal in real Chromium (Debian's, driven by Playwright): what a visitor sees and does.

These tests run against pytest-django's live server, so they use transactional databases that
are flushed after each test, reference data included: each test loads the geography, the
network and a small deterministic demo history itself, and the module puts the reference data
back when it ends so the rest of the suite finds it as the session left it.
Screenshots of every page (desktop and 375 px) are saved under var/screenshots/.
"""

import gzip
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections

from citesmart.analytics.public import public_figures
from citesmart.analytics.queries import Filters
from citesmart.geo.loading import load_geography
from citesmart.network.queries import public_centers
from citesmart.network.reference import load_network
from citesmart.presentation.formatting import number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(settings.BASE_DIR).parent.parent / "var" / "screenshots"
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
PAGE_BUDGET = 60 * 1024  # issue 19: every public page, compressed, on first load
# axe-core, installed from npm by `make test` (package.json), injected from disk: no network.
AXE = Path(settings.BASE_DIR).parent.parent / "node_modules" / "axe-core" / "axe.min.js"
AXE_RUN = """async () => {
  const result = await axe.run(document, {runOnly: {type: "tag",
      values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}});
  return result.violations.map(v => `${v.id}: ${v.nodes.length} × ${v.nodes[0].target}`);
}"""

# Text whose contrast against its effective background is below WCAG 2.1 AA.
CONTRAST_JS = """() => {
  const lum = (c) => { const [r, g, b] = c.map(v => { v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const rgba = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgba(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const bad = [];
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest("svg, .sr-only, .hp, details:not([open]) > :not(summary)")) continue;
    const text = Array.from(el.childNodes).filter(n => n.nodeType === 3)
      .map(n => n.textContent.trim()).join("");
    if (!text || !el.getClientRects().length) continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden") continue;
    const fg = rgba(style.color).slice(0, 3), bg = background(el);
    const [l1, l2] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    if (ratio < (large ? 3 : 4.5))
      bad.push(`${el.tagName} «${text.slice(0, 30)}» ${ratio.toFixed(2)}`);
  }
  return bad;
}"""

# Controls without a label, images without a text alternative, charts without a name.
LABELS_JS = """() => {
  const bad = [];
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type === "hidden" || el.closest(".hp")) continue;
    if (!el.labels.length && !el.getAttribute("aria-label")) bad.push(`${el.tagName} ${el.name}`);
  }
  for (const img of document.querySelectorAll("img:not([alt])")) bad.push(`img ${img.src}`);
  for (const svg of document.querySelectorAll("svg")) {
    if (svg.parentElement.closest("svg")) continue;
    if (svg.getAttribute("aria-hidden") === "true") continue;
    const role = svg.getAttribute("role");
    if (!["img", "group"].includes(role) || !svg.getAttribute("aria-label")) bad.push("svg");
  }
  for (const a of document.querySelectorAll("a, button")) {
    const name = (a.getAttribute("aria-label") || a.textContent || "").trim();
    if (!name && !a.querySelector("title")) bad.push(`${a.tagName} ${a.getAttribute("href")}`);
  }
  return bad;
}"""


# Elements that stick out of a narrow screen (the page would scroll sideways).
OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width) return [];
  return Array.from(document.querySelectorAll("body *"))
    .filter(el => el.getBoundingClientRect().right > width + 1)
    .filter(el => !el.parentElement.closest(".table-wrap") && !el.closest(".hp"))
    .map(el => `${el.tagName}.${el.className} ${Math.round(el.getBoundingClientRect().right)}`)
    .slice(0, 8).concat([`scrollWidth ${document.documentElement.scrollWidth} > ${width}`]);
}"""


@pytest.fixture(scope="module", autouse=True)
def _reference_data_back(django_db_blocker, _live_sessions_ended):
    """Live-server tests flush every table: give the next modules their reference data back."""
    yield
    with django_db_blocker.unblock():
        load_geography()
        load_network()


@pytest.fixture
def site(live_server, read_model, monkeypatch):
    """The live portal with the reference data and a small deterministic demo history."""
    # The live server keeps one thread per kept-alive browser connection; with persistent
    # database connections (CONN_MAX_AGE) such a thread would keep a PostgreSQL session open
    # past the test, and the test database could not be dropped at the end of the run.
    monkeypatch.setitem(connections["default"].settings_dict, "CONN_MAX_AGE", 0)
    # On PostgreSQL an earlier browser module's teardown may have ended this thread's
    # session (seen in the full run): reconnect if it did.
    connections["default"].close_if_unusable_or_obsolete()
    load_geography()
    load_network()
    call_command("demo_data", years="2024-2025", scale=0.01, seed=11, stdout=io.StringIO())
    return live_server.url


@pytest.fixture
def browser(site, monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls made here between
    # browser steps are ordinary blocking calls (the live server answers from its own thread).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    playwright_sync = pytest.importorskip("playwright.sync_api")
    with playwright_sync.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield chromium
        chromium.close()


class Visit:
    """One browser page that records console errors and takes screenshots."""

    def __init__(self, browser, base: str, viewport: dict):
        self.context = browser.new_context(viewport=viewport, locale="es-PE")
        self.page = self.context.new_page()
        self.base = base
        self.errors: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def open(self, path: str):
        response = self.page.goto(self.base + path)
        assert response.status == 200, path
        return response

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=SHOTS / f"{name}.png", full_page=True)

    def kpi(self, key: str = "services") -> str:
        return self.page.locator(f'[data-kpi="{key}"]').inner_text()

    def check_quality(self, name: str) -> None:
        """Labels, text alternatives and contrast on whatever the page shows now."""
        assert self.page.evaluate(LABELS_JS) == [], name
        assert self.page.evaluate(CONTRAST_JS) == [], name
        if AXE.exists():  # always with `make test`; a bare pytest run may lack node_modules
            # Evaluated through the DevTools protocol: a <script> tag would (rightly) be
            # refused by the pages' Content-Security-Policy.
            self.page.evaluate(f"{AXE.read_text()}\n;true")
            assert self.page.evaluate(AXE_RUN) == [], name
        assert self.errors == [], name


@pytest.fixture
def desktop(browser, site):
    visit = Visit(browser, site, DESKTOP)
    yield visit
    assert visit.errors == []
    visit.context.close()


def services(**filters) -> str:
    """The services the headline must show: the published figure (a reserved one says so)."""
    totals = public_figures(Filters(**filters)).totals
    return "reservado" if totals["suppressed"] else number(totals["services"])


def test_dashboard_filters_update_in_place_and_match_the_analytics_answer(desktop):
    page = desktop.page
    desktop.open("/")
    desktop.shot("inicio-escritorio")
    desktop.check_quality("inicio")
    assert desktop.kpi() == services(years=(2025,))
    assert not page.get_by_role("button", name="Aplicar").is_visible()  # filters apply live
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads

    page.select_option("#f-anio", "2024")
    page.wait_for_url("**/?anio=2024")
    page.wait_for_function("!document.getElementById('results').hasAttribute('aria-busy')")
    year_only = desktop.kpi()
    assert year_only == services(years=(2024,)) != services(years=(2025,))

    page.select_option("#f-cadena", "cuero")
    page.wait_for_url("**/?anio=2024&cadena=cuero")
    page.wait_for_function(
        "(v) => document.querySelector('[data-kpi=services]').textContent !== v", arg=year_only
    )
    assert desktop.kpi() == services(years=(2024,), chains=("cuero",))
    assert page.evaluate("window.__sameDocument") is True  # no full page reload

    page.go_back()
    page.wait_for_url("**/?anio=2024")
    page.wait_for_function(
        "(v) => document.querySelector('[data-kpi=services]').textContent === v", arg=year_only
    )
    assert page.input_value("#f-cadena") == "" and page.input_value("#f-anio") == "2024"
    page.go_forward()
    page.wait_for_url("**/?anio=2024&cadena=cuero")
    page.wait_for_function("() => document.getElementById('f-cadena').value === 'cuero'")
    assert desktop.kpi() == services(years=(2024,), chains=("cuero",))


def test_the_map_shows_25_departments_and_the_centers_and_filters_by_click(desktop):
    page = desktop.page
    desktop.open("/?anio=2025")
    assert page.locator("#departamentos svg.map path.dept").count() == 25
    mapped = [c for c in public_centers() if c.map_point]
    assert page.locator("#departamentos svg.map circle.center").count() == len(mapped) > 20
    page.locator('#departamentos a[data-dept="13"]').click()
    page.wait_for_url("**/?anio=2025&departamento=13")
    page.wait_for_function("() => document.getElementById('f-departamento').value === '13'")
    assert desktop.kpi() == services(years=(2025,), departments=("13",))
    desktop.shot("inicio-la-libertad")


def test_center_page_catalogue_search_and_a_service_request_followed_by_its_code(desktop):
    page = desktop.page
    desktop.open("/centros/")
    desktop.shot("centros-escritorio")
    page.get_by_role("link", name="CITEcuero y calzado Trujillo").first.click()
    page.wait_for_url("**/centros/citecuero-y-calzado-trujillo/")
    assert page.locator("svg.map").count() == 1  # one map of Peru, with the seat on it
    assert desktop.kpi() == services(years=(2025,), centers=("citecuero-y-calzado-trujillo",))
    desktop.shot("centro-escritorio")
    desktop.check_quality("centro")

    desktop.open("/servicios/")
    page.select_option("#id_departamento", "13")
    page.get_by_role("button", name="Buscar").click()
    page.wait_for_url("**/servicios/?*departamento=13*")
    serving = page.locator("ol.serving li").all_inner_texts()
    assert serving and "Trujillo" in serving[0]
    desktop.shot("servicios-la-libertad-escritorio")
    desktop.check_quality("servicios")

    page.locator(".cards h3 a").first.click()
    page.get_by_role("link", name="Solicitar este servicio").click()
    page.wait_for_url("**/solicitudes/nueva/?servicio=*")
    desktop.check_quality("solicitud")
    page.select_option("#id_document_type", "ruc")
    page.fill("#id_document_number", "20131312955")
    page.fill("#id_name", "Curtiembre Andina S.A.C.")
    page.fill("#id_email", "gerencia@curtiembre.pe")
    page.fill("#id_district", "130101")
    page.fill("#id_need", "Diagnóstico de eficiencia energética en la planta.")
    page.check("#id_consent")
    desktop.shot("solicitud-escritorio")
    page.get_by_role("button", name="Enviar").click()
    page.wait_for_url("**/solicitudes/SOL-*/")
    code = page.locator("h1 code").inner_text()
    assert code.startswith("SOL-") and "Recibida" in page.content()
    desktop.shot("solicitud-estado-escritorio")

    desktop.open("/")
    page.get_by_role("link", name="Seguir mi solicitud").click()
    page.fill("#f-codigo", code.lower())
    page.get_by_role("button", name="Ver estado").click()
    page.wait_for_url(f"**/solicitudes/{code}/")
    assert page.locator("h1 code").inner_text() == code


PAGES = {
    "inicio": "/",
    "centros": "/centros/",
    "cambios": "/centros/cambios/",
    "centro": "/centros/citeagroindustrial-moquegua/",
    "servicios": "/servicios/?departamento=18",
    "metodologia": "/metodologia/",
    "privacidad": "/privacidad/",
    "solicitud": "/solicitudes/nueva/?centro=citeagroindustrial-moquegua",
    "seguir": "/solicitudes/",
}


def test_every_page_on_a_phone_fits_the_screen_and_passes_the_checks(browser, site):
    phone = Visit(browser, site, PHONE)
    for name, path in PAGES.items():
        phone.open(path)
        phone.shot(f"{name}-telefono")
        assert phone.page.evaluate(OVERFLOW_JS) == [], f"{name}: desborde horizontal"
        phone.check_quality(name)
    phone.context.close()


def test_every_page_is_keyboard_navigable(desktop):
    page = desktop.page
    refetched = []  # the live region fetched again (X-Partial): a jump to #main must not
    page.on("request", lambda r: refetched.append(r.url) if "x-partial" in r.headers else None)
    for name, path in PAGES.items():
        desktop.open(path)
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip", name
        page.keyboard.press("Enter")
        page.wait_for_url("**#main")
        page.wait_for_timeout(300)  # long enough for a fetch the jump would have started
        assert refetched == [], (name, refetched)
        seen = set()
        for _ in range(12):
            page.keyboard.press("Tab")
            seen.add(page.evaluate("document.activeElement.tagName"))
            visible = page.evaluate(
                "(() => { const r = document.activeElement.getBoundingClientRect();"
                " return r.width > 0 && r.height > 0; })()"
            )
            assert visible, f"{name}: focus on an invisible element"
        assert seen - {"BODY"}, name
        desktop.shot(f"{name}-escritorio")
        desktop.check_quality(name)


def test_home_page_first_load_is_at_most_60_kb_compressed(browser, site):
    visit = Visit(browser, site, DESKTOP)
    responses = []
    visit.page.on("response", lambda r: responses.append(r))
    visit.open("/")
    visit.page.wait_for_load_state("networkidle")
    total = 0
    for response in responses:
        encoded = response.headers.get("content-encoding")
        body = response.body()
        # Pages come gzipped from the middleware; static files are gzipped ahead of time by
        # whitenoise in production, the live test server sends them plain, so gzip them here.
        total += (
            response.request.sizes()["responseBodySize"] if encoded else len(gzip.compress(body))
        )
    kinds = {r.request.resource_type for r in responses}
    assert {"document", "stylesheet", "script"} <= kinds
    assert responses[0].headers.get("content-encoding") == "gzip"
    assert total <= PAGE_BUDGET, f"{total / 1024:.0f} KB"
    visit.context.close()


def test_the_network_map_year_control_shows_the_growth_in_place(desktop):
    from citesmart.network import registry, timeline

    page = desktop.page
    desktop.open("/centros/")
    assert not page.get_by_role("button", name="Ver").is_visible()  # the year applies live
    page.evaluate("window.__sameDocument = true")
    counts = {}
    for year in ("2016", "2025"):
        page.select_option("#anio", year)
        page.wait_for_url(f"**/centros/?anio={year}")
        page.wait_for_function(
            "(y) => document.querySelector('[data-year]').dataset.year === y", arg=year
        )
        growth = timeline.growth(registry.current(), int(year))
        summary = page.locator(".year-summary").inner_text()
        assert f"{growth.technical_units} unidades técnicas" in summary
        assert f"{len(growth.departments)} departamentos" in summary
        counts[year] = page.locator("#results svg.map circle.center").count()
        assert counts[year] == sum(1 for c in growth.centers if c.map_point)
        desktop.shot(f"centros-mapa-{year}")
        desktop.check_quality(f"centros {year}")
    assert counts["2025"] > counts["2016"]  # the 2025 units and Huallaga appear
    assert page.evaluate("window.__sameDocument") is True
