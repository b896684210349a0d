"""The catalogue pages its results on the server; page links keep the filters (issue 19a)."""

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from citesmart.network.models import CatalogueService, Center, ServiceCategory
from citesmart.portal.views.registry import CATALOGUE_PAGE_SIZE

pytestmark = pytest.mark.django_db


@pytest.fixture
def many_services(db) -> int:
    madera = Center.objects.get(code="citemadera-y-del-mueble-lima")
    category = ServiceCategory.objects.get(code="ensayos-laboratorio")
    count = 2 * CATALOGUE_PAGE_SIZE + 5
    for number in range(count):
        CatalogueService.objects.create(
            center=madera, name=f"Ensayo de lote {number:03d}", category=category, is_free=True
        )
    return count


def _cards(page: str) -> list[str]:
    return re.findall(r'<li class="card">\s*<h3><a href="[^"]+">([^<]+)</a>', page)


def _page_links(page: str) -> dict[str, dict[str, list[str]]]:
    nav = page.split('class="pager"')[1].split("</nav>")[0]
    links = re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav)
    return {text.strip(): parse_qs(urlsplit(html.unescape(href)).query) for href, text in links}


def test_the_catalogue_shows_one_page_at_a_time_and_the_links_keep_the_filters(
    client, many_services
):
    url = reverse("portal:catalogue")
    first = client.get(url, {"q": "lote", "gratuitos": "on"}).text
    assert f"{many_services} servicios" in first, "the count is of every result"
    assert len(_cards(first)) == CATALOGUE_PAGE_SIZE
    assert "Página 1 de 3" in first
    links = _page_links(first)
    assert links["Siguiente"] == {"q": ["lote"], "gratuitos": ["on"], "pagina": ["2"]}
    second = client.get(url, {"q": "lote", "gratuitos": "on", "pagina": "2"}).text
    assert len(_cards(second)) == CATALOGUE_PAGE_SIZE
    assert not set(_cards(first)) & set(_cards(second)), "no service on two pages"
    assert _page_links(second)["Anterior"]["pagina"] == ["1"]
    last = client.get(url, {"q": "lote", "gratuitos": "on", "pagina": "3"}).text
    assert len(_cards(last)) == 5 and "Siguiente" not in _page_links(last)
    shown = set(_cards(first)) | set(_cards(second)) | set(_cards(last))
    assert len(shown) == many_services, "every result on some page"


def test_a_page_out_of_range_or_not_a_number_shows_a_real_page(client, many_services):
    url = reverse("portal:catalogue")
    too_far = client.get(url, {"q": "lote", "pagina": "99"})
    assert too_far.status_code == 200 and "Página 3 de 3" in too_far.text
    garbage = client.get(url, {"q": "lote", "pagina": "dos"})
    assert garbage.status_code == 200 and "Página 1 de 3" in garbage.text


def test_a_short_result_has_no_pager(client, many_services):
    page = client.get(reverse("portal:catalogue"), {"q": "lote 007"}).text
    assert len(_cards(page)) == 1 and 'class="pager"' not in page
