"""The portal's Spanish API guide (issue 19e): linked from the footer and the API's docs, and
every curl example it shows answers as the guide says (the guide cannot drift)."""

import html
import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from citesmart.analytics import queries, refresh

pytestmark = pytest.mark.django_db


def test_the_guide_is_linked_from_the_footer_and_from_the_api_docs(client):
    guide = reverse("portal:api_guide")
    assert f'href="{guide}"' in client.get(reverse("portal:home")).text
    assert f'href="{guide}"' in client.get(reverse("portal:catalogue")).text
    openapi = client.get("/api/v1/openapi.json").json()
    assert guide in openapi["info"]["description"]


def test_the_guide_explains_the_disclosure_marks_and_official_through(client):
    page = client.get(reverse("portal:api_guide"))
    assert page.status_code == 200
    text = page.text
    for word in ("suppressed", "perturbed", "flagged", "official_through", "curl -s"):
        assert word in text, word
    for name in (*queries.DIMENSIONS, *queries.MEASURES):  # read from the code, not copied
        assert f"<code>{name}</code>" in text, name
    assert 'href="/api/v1/docs/"' in text


def test_every_curl_example_of_the_guide_answers(client):
    refresh.rebuild()  # the statistics need a read model, even an empty one
    page = client.get(reverse("portal:api_guide")).text
    urls = [
        html.unescape(u) for u in re.findall(r"curl -s &quot;([^&]+(?:&amp;[^&]+)*)&quot;", page)
    ]
    urls = urls or [html.unescape(u) for u in re.findall(r'curl -s "([^"]+)"', page)]
    assert len(urls) >= 5
    for url in urls:
        parts = urlsplit(url)
        assert parts.path.startswith("/api/v1/"), url
        answer = client.get(f"{parts.path}?{parts.query}")
        assert answer.status_code == 200, (url, answer.content[:300])
        if "format=csv" in parts.query:
            assert answer["Content-Type"].startswith("text/csv")
        elif "/estadisticas/" in parts.path:
            body = answer.json()
            assert {"official_through", "rows", "totals", "rules"} <= set(body)
