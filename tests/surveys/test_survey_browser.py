"""The answer page in real Chromium at 375 px: readable, labelled, no sideways scroll, and
answered with the thumb; screenshots in var/screenshots/encuesta-*.png."""

import pytest
from django.core import mail
from django.db import connections
from django.utils import timezone
from tests.portal.test_browser import (  # noqa: F401 - the module fixture puts reference data back
    ARGS,
    CHROMIUM,
    OVERFLOW_JS,
    PHONE,
    Visit,
    _reference_data_back,
)
from tests.surveys.survey_world import person, served

from citesmart.geo.loading import load_geography
from citesmart.network.models import Center
from citesmart.network.reference import load_network
from citesmart.surveys import actions
from citesmart.surveys.models import Response

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(live_server, monkeypatch):
    monkeypatch.setitem(connections["default"].settings_dict, "CONN_MAX_AGE", 0)
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    load_geography()
    load_network()
    center = Center.objects.get(code="citeagroindustrial-moquegua")
    served(center, [person("Rosa Quispe", email="rosa@example.pe")], end=timezone.now().date())
    actions.send_surveys(base_url=live_server.url)
    token = mail.outbox[-1].body.split("/encuesta/")[1].split("/")[0]
    playwright_sync = pytest.importorskip("playwright.sync_api")
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        visit = Visit(browser, live_server.url, PHONE)
        yield visit, token
        visit.context.close()
        browser.close()


def test_a_unit_answers_on_a_375_px_phone(phone):
    visit, token = phone
    sizes = []
    visit.page.on("response", lambda r: sizes.append(len(r.body())))
    visit.open(f"/encuesta/{token}/")
    assert visit.page.evaluate(OVERFLOW_JS) == []
    visit.check_quality("encuesta")
    assert sum(sizes) <= 30 * 1024  # everything the first load fetched, uncompressed even
    visit.shot("encuesta-375")
    # Submitting with a question left out: a Spanish message, nothing stored.
    visit.page.get_by_role("button", name="Enviar respuesta").click()
    assert "Revise las preguntas marcadas." in visit.page.content()
    # On PostgreSQL, after tests/portal/test_browser.py ran in the same session, this thread's
    # session was found ended by then (seen in the full run only): reconnect if it was.
    connections["default"].close_if_unusable_or_obsolete()
    assert not Response.objects.exists()
    for group in visit.page.locator("fieldset").all():
        group.locator("label").last.click()  # 5, or "No" for the recommendation
    visit.page.get_by_label("Comentario (opcional)").fill("Todo bien.")
    visit.page.get_by_role("button", name="Enviar respuesta").click()
    assert "¡Gracias! Su respuesta fue registrada." in visit.page.content()
    visit.shot("encuesta-375-gracias")
    response = Response.objects.get()
    assert (response.q_attention, response.q_usefulness, response.recommend) == (5, 5, False)
