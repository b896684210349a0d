"""Every public page in Debian's Chromium at 375 px and 1280 px (issue 19): legible charts,
no sideways scroll, the map within reach, drill-down, "copiar enlace", print, page weight.

The fixtures (live server, demo history, browser) are test_browser's; screenshots go to
var/screenshots/ like theirs.
"""

import io

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from tests.portal import test_browser as base
from tests.portal.test_browser import DESKTOP, OVERFLOW_JS, PAGES, PHONE, SHOTS, Visit

from citesmart.analytics.public import public_figures
from citesmart.analytics.queries import Filters
from citesmart.presentation.formatting import number

# test_browser's fixtures: the live site with its demo history, the browser, and the
# reference data put back when the module ends.
site, browser, _reference_data_back = base.site, base.browser, base._reference_data_back

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PUBLIC = {  # test_browser's pages, a filtered dashboard and the API guide
    **PAGES,
    "inicio-filtrado": "/?anio=2024&cadena=cuero&ver=centros",
    "guia-api": "/guia-api/",
}
FIRST_LOAD_BUDGET = 60 * 1024  # compressed, every request of the first load

# Chart text smaller than 11 CSS px once drawn (an SVG scaled down shrinks its text), and
# chart text cut by the edge of its drawing.
SMALL_OR_CLIPPED_JS = """() => {
  const bad = [];
  for (const t of document.querySelectorAll("figure svg text, main svg text")) {
    if (!t.getClientRects().length || getComputedStyle(t).display === "none") continue;
    const size = parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a;
    if (size < 11) bad.push(`${t.textContent.slice(0, 20)} ${size.toFixed(1)}px`);
    const box = t.getBoundingClientRect(), svg = t.ownerSVGElement.getBoundingClientRect();
    if (box.left < svg.left - 1 || box.right > svg.right + 1)
      bad.push(`cortado: ${t.textContent.slice(0, 20)}`);
  }
  for (const el of document.querySelectorAll("figure.chart *:not(svg *)")) {
    const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < 11) bad.push(`${el.tagName} ${el.textContent.slice(0, 20)} ${size}px`);
  }
  return bad;
}"""


@pytest.fixture
def demo_static_files(site, settings, tmp_path, monkeypatch):
    """The live server sends static files as `make demo` does: after collectstatic with the
    demo's settings, through the demo's middleware (whitenoise picks the .gz copy when the
    browser accepts it). pytest-django's live server would send them plain, from the apps'
    folders."""
    settings.STATIC_ROOT = tmp_path / "static"
    call_command("collectstatic", "--noinput", stdout=io.StringIO())
    settings.DEBUG = True  # whitenoise reads it when the handler is built, as in the demo
    demo = WSGIHandler()
    settings.DEBUG = False
    plain = StaticFilesHandler.__call__

    def as_the_demo(handler, environ, start_response):
        if environ["PATH_INFO"].startswith(settings.STATIC_URL):
            return demo(environ, start_response)
        return plain(handler, environ, start_response)

    monkeypatch.setattr(StaticFilesHandler, "__call__", as_the_demo)


def first_load_bytes(visit: Visit, path: str) -> int:
    """The bytes of every response body of the first load as they crossed the wire
    (compressed when the server compressed them), as the browser's network panel counts."""
    responses = []

    def seen(response) -> None:
        responses.append(response)

    visit.page.on("response", seen)
    visit.open(path)
    visit.page.wait_for_load_state("networkidle")
    visit.page.remove_listener("response", seen)
    total = 0
    for response in responses:
        if 300 <= response.status < 400:
            continue  # a redirect has no body
        if response.request.resource_type in ("document", "stylesheet", "script"):
            assert response.headers.get("content-encoding") == "gzip", response.url
        total += response.request.sizes()["responseBodySize"]
    return total


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375px", "1280px"])
def test_every_public_page_is_legible_fits_and_is_light(browser, site, viewport, demo_static_files):
    width = viewport["width"]
    for name, path in PUBLIC.items():
        visit = Visit(browser, site, viewport)  # a new context: nothing cached, a first load
        weight = first_load_bytes(visit, path)
        assert weight <= FIRST_LOAD_BUDGET, f"{name}: {weight / 1024:.0f} KB"
        visit.shot(f"{name}-{width}")
        assert visit.page.evaluate(OVERFLOW_JS) == [], f"{name}: desborde horizontal"
        assert visit.page.evaluate(SMALL_OR_CLIPPED_JS) == [], name
        visit.check_quality(name)
        visit.context.close()


def test_on_a_phone_the_map_is_near_the_top_and_every_department_is_easy_to_tap(browser, site):
    phone = Visit(browser, site, PHONE)
    phone.open("/?anio=2025")
    top = phone.page.evaluate(
        "document.getElementById('departamentos').getBoundingClientRect().top + scrollY"
    )
    assert top < 3000, top
    heights = phone.page.eval_on_selector_all(
        "#departamentos .dept-list a", "links => links.map(a => a.getBoundingClientRect().height)"
    )
    assert len(heights) >= 10 and min(heights) >= 24, heights
    callao = phone.page.locator('#departamentos .dept-list a:text-is("Callao")')
    if callao.count():  # the smallest department on the map: its link in the list
        box = callao.bounding_box()
        assert box["height"] >= 24 and box["width"] >= 24
    phone.shot("inicio-mapa-telefono")
    phone.context.close()


def test_a_bar_drills_down_in_place_and_copy_link_copies_the_view(browser, site):
    visit = Visit(browser, site, DESKTOP)
    visit.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = visit.page
    visit.open("/?anio=2025")
    page.evaluate("window.__sameDocument = true")
    bar = page.locator("#cadenas svg a").first
    code = bar.get_attribute("href").split("cadena=")[1]
    bar.click()
    page.wait_for_url(f"**/?anio=2025&cadena={code}")
    page.wait_for_function(f"() => document.getElementById('f-cadena').value === '{code}'")
    page.wait_for_function("() => !document.getElementById('results').hasAttribute('aria-busy')")
    expected = public_figures(Filters(years=(2025,), chains=(code,))).totals
    assert visit.kpi() == ("reservado" if expected["suppressed"] else number(expected["services"]))
    assert page.evaluate("window.__sameDocument") is True
    page.get_by_role("link", name="Copiar enlace").click()
    page.wait_for_selector("[data-copied]:not([hidden])")
    assert page.evaluate("navigator.clipboard.readText()") == page.url
    visit.shot("inicio-cadena-escritorio")
    visit.context.close()


def test_printing_keeps_each_chart_whole_with_its_legend(browser, site):
    visit = Visit(browser, site, DESKTOP)
    visit.open("/?anio=2025")
    visit.page.emulate_media(media="print")
    styles = visit.page.eval_on_selector_all(
        "figure.chart",
        "figs => figs.map(f => [getComputedStyle(f).breakInside,"
        " f.querySelector('.legend') ? getComputedStyle(f.querySelector('.legend')).display : '',"
        " getComputedStyle(f.querySelector('.links')).display])",
    )
    assert styles and all(s[0] == "avoid" and s[1] != "none" and s[2] == "none" for s in styles)
    assert visit.page.locator("form.filters").is_hidden()
    swatch = visit.page.eval_on_selector(
        "#departamentos .legend .sw.q1", "el => getComputedStyle(el).printColorAdjust"
    )
    assert swatch == "exact"
    SHOTS.mkdir(parents=True, exist_ok=True)
    visit.page.pdf(path=str(SHOTS / "inicio-impreso.pdf"), format="A4")
    visit.context.close()
