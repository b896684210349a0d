"""The interactive documentation renders in Chromium and loads nothing from outside."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import sync_playwright


@pytest.fixture
def live_docs(live_server, django_db_blocker):
    """live_server flushes every table afterwards: put the reference data back for the rest."""
    yield live_server
    from citesmart.geo.loading import load_geography
    from citesmart.network.reference import load_network

    with django_db_blocker.unblock():
        load_geography()
        load_network()


@pytest.mark.browser
def test_docs_render_every_operation_without_external_requests(live_docs):
    live_server = live_docs
    own = urlsplit(live_server.url).netloc
    requested: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            headless=True,
            args=["--no-sandbox", "--disable-gpu"],
        )
        try:
            page = browser.new_page()
            page.on("request", lambda request: requested.append(request.url))
            page.goto(f"{live_server.url}/api/v1/docs/")
            page.wait_for_selector(".opblock", timeout=20_000)
            paths = page.locator(".opblock-summary-path").all_inner_texts()
            page.wait_for_load_state("networkidle")
        finally:
            browser.close()
    assert "/api/v1/estadisticas/" in paths and "/api/v1/informes/" in paths
    outside = [url for url in requested if urlsplit(url).netloc not in (own, "")]
    assert not outside, outside
