"""Whole-page cache of the public dashboard and center pages, over HTTP."""

import gzip
import io
import os
import re
import threading
import time
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection as connection_for_queries
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from citesmart.analytics import connection, queries, refresh
from citesmart.analytics.queries import Filters, figures
from citesmart.network.models import CatalogueService, Center, ServiceCategory
from citesmart.portal import pagecache
from citesmart.presentation.formatting import number
from citesmart.records.actions import AttendedUnit, record_service_report
from citesmart.records.models import ReportStatus
from citesmart.records.unit_actions import get_or_create_unit

pytestmark = pytest.mark.django_db

HOME = reverse("portal:home")
TRUJILLO = "citecuero-y-calzado-trujillo"
CENTER = reverse("portal:center_detail", args=[TRUJILLO])


def add_report(
    number_: int,
    year: int,
    units: int = 1,
    status: str = ReportStatus.VALIDATED,
    center: str = TRUJILLO,
    documents: list[str] | None = None,
) -> None:
    documents = documents or [f"{41_000_000 + 100 * number_ + i}" for i in range(units)]
    attended = [
        AttendedUnit(
            get_or_create_unit(
                document_type="dni", document_number=document, name=f"Unidad {document}"
            )[0],
            Decimal(0),
        )
        for document in documents
    ]
    record_service_report(
        center=Center.objects.get(code=center),
        code=f"PAG-{number_}",
        start_date=date(year, 5, 1),
        end_date=date(year, 5, 3),
        units=attended,
        category=ServiceCategory.objects.order_by("order").first(),
        status=status,
        today=date(2025, 6, 30),
    )


@pytest.fixture
def records(db):
    for index, year in enumerate([2023, 2024, 2024, 2025, 2025, 2025]):
        add_report(index, year, units=index % 3 + 1)


def _no_attach(*args):
    raise AssertionError("attached a generation")


def rendered(response) -> bool:
    """Whether the view rendered a template for this response (not served from the cache)."""
    return bool(response.templates)


def services_shown(html: str) -> str:
    return re.search(r'data-kpi="services">([^<]*)<', html).group(1)


def test_anonymous_pages_are_rendered_once_then_served_from_the_shared_cache(records, client):
    first = client.get(HOME, {"anio": "2024", "mapa": ""})
    assert first.status_code == 200 and rendered(first)
    # Another worker process: no answer in memory, only the shared cache.
    queries.clear_cache()
    again = client.get(HOME, {"mapa": "", "anio": "2024"})  # same query, other order
    assert again.status_code == 200 and not rendered(again)
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"] and "X-Partial" in again["Vary"]
    same = client.get(HOME, {"anio": "2024", "mapa": ""})
    assert not rendered(same) and same["ETag"] == first["ETag"]
    assert same["Last-Modified"] == first["Last-Modified"]
    revalidated = client.get(HOME, {"anio": "2024", "mapa": ""}, HTTP_IF_NONE_MATCH=same["ETag"])
    assert revalidated.status_code == 304
    # Each CSP header carries its own request's nonce; the body never had one.
    assert again["Content-Security-Policy"] != first["Content-Security-Policy"]

    # The fragment, the CSV and the center page are entries of their own.
    for query, headers, marker in [
        ({"anio": "2024"}, {"HTTP_X_PARTIAL": "1"}, b'data-kpi="services"'),
        ({"anio": "2024", "csv": "centros"}, {}, b"Centro"),
    ]:
        made = client.get(HOME, query, **headers)
        served = client.get(HOME, query, **headers)
        assert made.status_code == served.status_code == 200
        assert rendered(made) or "csv" in query
        assert served.content == made.content and marker in served.content
        assert b"<html" not in served.content
        assert served["Content-Type"] == made["Content-Type"]
        assert served.get("Content-Disposition") == made.get("Content-Disposition")
    center = client.get(CENTER)
    assert rendered(center) and not rendered(client.get(CENTER))
    assert client.get(CENTER).content == center.content
    # Invalid queries are answered each time (not cached) and still say why.
    for _ in range(2):
        wrong = client.get(HOME, {"anio": "dosmil"})
        assert wrong.status_code == 400 and rendered(wrong)


def test_a_page_this_process_made_is_served_from_its_memory_for_the_same_lifetime(
    records, client, settings, monkeypatch
):
    first = client.get(HOME)
    assert rendered(first)
    for entry in os.scandir(settings.CACHES["analytics"]["LOCATION"]):
        os.remove(entry.path)  # the shared cache emptied: the process still has the page
    second = client.get(HOME)
    assert not rendered(second) and second.content == first.content
    later = time.time() + pagecache.seconds() + 1  # past the lifetime of both caches
    monkeypatch.setattr(pagecache.time, "time", lambda: later)
    assert rendered(client.get(HOME))


def test_cached_pages_are_compressed_once_and_sent_as_gzip_to_clients_that_accept_it(
    records, client
):
    plain = client.get(HOME, {"anio": "2025"})
    made = client.get(HOME, {"anio": "2025"}, HTTP_ACCEPT_ENCODING="gzip, br")
    served = client.get(HOME, {"anio": "2025"}, HTTP_ACCEPT_ENCODING="gzip")
    assert rendered(plain) and not rendered(made) and not rendered(served)
    for response in (made, served):
        assert response["Content-Encoding"] == "gzip"
        assert gzip.decompress(response.content) == plain.content
        assert int(response["Content-Length"]) == len(response.content) < len(plain.content)
        assert response["ETag"] == "W/" + plain["ETag"]  # weak, as for any gzipped body
        assert "Accept-Encoding" in response["Vary"]
    assert not plain.has_header("Content-Encoding") and "Accept-Encoding" in plain["Vary"]
    # A browser revalidating with the weak tag gets a 304.
    again = client.get(
        HOME, {"anio": "2025"}, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=served["ETag"]
    )
    assert again.status_code == 304


def test_a_new_generation_never_serves_the_old_page(records, client, settings):
    settings.ANALYTICS_AUTO_REFRESH = False  # only the command publishes
    call_command("analytics", "rebuild", stdout=io.StringIO())
    before = client.get(HOME, {"anio": "2024"})
    partial = client.get(HOME, {"anio": "2024"}, HTTP_X_PARTIAL="1")
    assert services_shown(before.text) == services_shown(partial.text) == number(5)
    add_report(50, 2024, units=2)
    assert services_shown(client.get(HOME, {"anio": "2024"}).text) == number(5)  # not published
    call_command("analytics", "refresh", stdout=io.StringIO())
    after = client.get(HOME, {"anio": "2024"})
    assert after.status_code == 200 and services_shown(after.text) == number(7)
    assert after["ETag"] != before["ETag"]
    fragment = client.get(HOME, {"anio": "2024"}, HTTP_X_PARTIAL="1")
    assert services_shown(fragment.text) == number(7)
    assert figures(Filters(years=[2024])).totals["services"] == 7


def test_a_generation_of_registered_reports_only_keeps_the_cached_pages(
    records, client, settings, monkeypatch
):
    settings.ANALYTICS_AUTO_REFRESH = False
    call_command("analytics", "rebuild", stdout=io.StringIO())
    before = client.get(HOME, {"anio": "2024"})
    assert rendered(before) and services_shown(before.text) == number(5)
    # An operator imports reports not yet validated: a new generation, same public figures.
    add_report(60, 2024, units=2, status=ReportStatus.REGISTERED)
    call_command("analytics", "refresh", stdout=io.StringIO())
    queries.clear_cache()
    # Served without attaching the new generation (each worker, at each publication): its
    # content version and freshness are read from CURRENT. (This process's refresh left its
    # reader attached to it: as another worker's, it starts with none; and this second's
    # watermark check was another process's.)
    connection.forget_readers()
    with monkeypatch.context() as patched:
        patched.setattr(refresh, "_due", lambda directory: False)
        patched.setattr(connection.Reader, "_attach_current", _no_attach)
        kept = client.get(HOME, {"anio": "2024"})
    assert not rendered(kept) and kept.content == before.content
    assert kept["Last-Modified"] != before["Last-Modified"] or kept["ETag"] != before["ETag"]
    # Once validated, the page is made again with the new figure.
    add_report(61, 2024, units=2)
    call_command("analytics", "refresh", stdout=io.StringIO())
    after = client.get(HOME, {"anio": "2024"})
    assert rendered(after) and services_shown(after.text) == number(7)


def validate_at(center: Center, number_: int, document: str) -> None:
    """A report validated at `center` in May 2025 for the person with DNI `document`."""
    add_report(number_, 2025, center=center.code, documents=[document])
    call_command("analytics", "refresh", stdout=io.StringIO())
    queries.clear_cache()


def test_a_center_page_moves_with_its_own_figures_and_its_technical_units_only(
    records, client, settings
):
    settings.ANALYTICS_AUTO_REFRESH = False
    call_command("analytics", "rebuild", stdout=io.StringIO())
    moquegua = Center.objects.get(code="citeagroindustrial-moquegua")
    tacna = moquegua.technical_units.get()
    cite_page = reverse("portal:center_detail", args=[moquegua.code])
    pages = [HOME, CENTER, cite_page]
    before = {page: client.get(page) for page in pages}
    assert all(rendered(response) for response in before.values())

    # At the CITE's technical unit, for a person served at Trujillo in 2023: no first service
    # moves, so Trujillo's figures stay as they were in every year.
    validate_at(tacna, 80, "41000000")
    again = {page: client.get(page) for page in pages}
    assert rendered(again[HOME]) and rendered(again[cite_page])
    assert not rendered(again[CENTER]) and again[CENTER].content == before[CENTER].content

    # A person served for the first time: new units move, at any center they may count in.
    validate_at(tacna, 81, "42999999")
    assert rendered(client.get(CENTER))


def test_logged_in_users_neither_get_nor_fill_the_page_cache(records, client, national_admin):
    assert rendered(client.get(HOME))
    assert not rendered(client.get(HOME))
    client.force_login(national_admin)
    assert rendered(client.get(HOME))
    assert rendered(client.get(HOME, {"anio": "2023"}))
    assert rendered(client.get(HOME, {"anio": "2023"}))  # they did not store it either
    client.logout()
    assert rendered(client.get(HOME, {"anio": "2023"}))
    assert not rendered(client.get(HOME, {"anio": "2023"}))


def test_a_registry_edit_shows_at_once_on_the_center_page(
    records, client, django_capture_on_commit_callbacks
):
    assert "Diagnóstico de eficiencia energética" not in client.get(CENTER).text  # now cached
    with django_capture_on_commit_callbacks(execute=True):  # each edit commits
        service = CatalogueService.objects.create(
            center=Center.objects.get(code=TRUJILLO),
            name="Diagnóstico de eficiencia energética",
            description="Curtiembres",
            category=ServiceCategory.objects.get(code="asistencia-tecnica"),
            is_free=True,
        )
    assert "Diagnóstico de eficiencia energética" in client.get(CENTER).text
    assert not rendered(client.get(CENTER))
    with django_capture_on_commit_callbacks(execute=True):
        service.name = "Auditoría energética de curtiembres"
        service.save()
    page = client.get(CENTER)
    assert rendered(page) and "Auditoría energética de curtiembres" in page.text


@pytest.mark.parametrize(
    "content",
    [
        '<script nonce="{{ request.csp_nonce }}">window.x = 1;</script>',
        "<form method=post>{% csrf_token %}</form>",
    ],
)
def test_a_page_carrying_a_per_request_value_is_never_stored(
    records, client, settings, tmp_path, content
):
    (tmp_path / "portal").mkdir()
    (tmp_path / "portal" / "home.html").write_text(
        '{% extends "portal/base.html" %}{% block content %}' + content + "{% endblock %}"
    )
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [engine | {"DIRS": [tmp_path, *engine["DIRS"]]}]
    first, second = client.get(HOME), client.get(HOME)
    assert rendered(first) and rendered(second)
    if "nonce" in content:
        for page in (first, second):
            nonce = re.search(r'nonce="([^"]+)"', page.text).group(1)
            assert f"'nonce-{nonce}'" in page["Content-Security-Policy"]
    else:
        token = 'name="csrfmiddlewaretoken"'
        assert token in first.text and token in second.text


@pytest.mark.parametrize("breakage", ["a file instead of a directory", "corrupt entries"])
def test_a_broken_cache_directory_never_breaks_the_page(
    records, client, settings, tmp_path, breakage
):
    expected = number(figures(Filters(years=[2025])).totals["services"])
    if breakage == "corrupt entries":
        assert client.get(HOME).status_code == 200
        location = settings.CACHES["analytics"]["LOCATION"]
        for entry in os.scandir(location):
            with open(entry.path, "wb") as handle:
                handle.write(b"garbage")
        queries.clear_cache()  # as another process: only the shared cache holds the page
        pagecache.forget()
    else:
        blocker = tmp_path / "blocker"
        blocker.write_text("not a directory")
        settings.CACHES = settings.CACHES | {
            "analytics": settings.CACHES["analytics"] | {"LOCATION": str(blocker / "cache")}
        }
    first, second = client.get(HOME), client.get(HOME)
    for page in (first, second):
        assert page.status_code == 200 and services_shown(page.text) == expected
    assert rendered(first)  # nothing could be read
    assert not rendered(second)  # the page this process keeps in front of the shared cache
    # Without it: a corrupt entry was simply replaced; a directory that cannot exist is never
    # used, so the page is made again.
    pagecache.forget()
    third = client.get(HOME)
    assert services_shown(third.text) == expected
    assert rendered(third) == (breakage == "a file instead of a directory")


def test_a_page_asked_by_many_at_once_is_made_once_and_served_to_all(rf, monkeypatch):
    # After a validation every visitor of the dashboard misses the cache at the same moment.
    monkeypatch.setattr(pagecache, "page_key", lambda request: "page:test:many-at-once")
    made: list[int] = []

    @pagecache.cached_page
    def slow(request):
        made.append(1)
        time.sleep(0.3)
        return HttpResponse(b"<p>" + b"cifras " * 100 + b"</p>")

    answers: list[bytes] = []
    threads = [
        threading.Thread(target=lambda: answers.append(slow(rf.get(HOME)).content))
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(answers) == 6 and len(set(answers)) == 1
    assert len(made) == 1


def test_a_cached_center_page_asks_the_database_no_more_than_a_cached_dashboard(records, client):
    # Its key names the center's own versions: found in the registry, not by a second query.
    for path in (HOME, CENTER):
        assert rendered(client.get(path))
    asked = {}
    for path in (HOME, CENTER):
        with CaptureQueriesContext(connection_for_queries) as queries_made:
            assert not rendered(client.get(path))
        asked[path] = len(queries_made)
    assert asked[CENTER] <= asked[HOME], asked
