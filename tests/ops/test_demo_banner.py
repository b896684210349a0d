"""Demo mode: every public page says its figures are demonstration data, every API answer
carries the header; without a demo loader's mark, none does (issue 17, part 6)."""

import pytest
from django.test import Client
from django.urls import get_resolver
from tests.ops import authz_rules
from tests.ops.test_authorization_matrix import concrete_path, walk, world  # noqa: F401
from tests.portal.test_browser import _reference_data_back  # noqa: F401 - after the flush

from citesmart.ops import demo
from citesmart.ops.demo import HEADER, mark_demo
from citesmart.ops.models import DemoData

BANNER = (
    "<strong>Datos de demostración:</strong> las cifras de este sitio son ficticias, generadas "
    "para mostrar el sistema. No son cifras oficiales del ITP."
)


def public_urls(samples) -> list[tuple[str, str]]:
    """(key, path) of every URL an anonymous visitor may read, as the authorization rules say."""
    found = []
    for route, key in walk(get_resolver().url_patterns):
        rules = authz_rules.rule_for(key)
        back_office = key.startswith(("admin:", "accounts:"))  # the login page, not the portal
        readable = rules and "GET" in rules[0].methods
        if readable and rules[0].expect("anonymous", "GET") == "ok" and not back_office:
            found.append((key, concrete_path(route, key, samples)))
    return found


def visit(urls) -> dict[str, tuple[bool, bool]]:
    """key -> (a portal page with the banner?, an API answer with the header?)."""
    client = Client()
    seen = {}
    for key, path in urls:
        response = client.get(path, follow=True)  # a redirect: the page it leads to
        assert response.status_code == 200, (key, path, response.status_code)
        portal_page = "text/html" in response.get("Content-Type", "") and not key.startswith(
            "api-v1:"
        )
        if response.streaming:  # open-data files: read and close them
            body = b"".join(response.streaming_content)
            response.close()
        else:
            body = response.content
        if portal_page:
            page = body.decode()
            # every public page is the portal's, or a survey's light page (no menu, no JS)
            assert '<header class="site">' in page or key.startswith("surveys:"), key
            seen[key] = (BANNER in page, False)
        elif key.startswith("api-v1:openapi-"):
            continue  # the API's documentation: no figures (it documents the header)
        elif key.startswith("api-v1:"):
            seen[key] = (False, response.has_header(HEADER))
    return seen


# Transactional: on PostgreSQL the world fixture leaves the test's connection closed, which
# only a test outside a transaction may reopen; the reference data come back after the flush.
@pytest.mark.django_db(transaction=True)
def test_every_public_page_and_api_answer_says_demo_only_in_demo_mode(world):  # noqa: F811
    urls = public_urls(world)
    keys = {key for key, _ in urls}
    assert {"portal:home", "portal:center_detail", "portal:methodology", "opendata:index"} <= keys
    assert "api-v1:costs" in keys
    assert sum(key.startswith("api-v1:") for key in keys) >= 10
    DemoData.objects.all().delete()  # production: no demo loader ever ran here (a test
    demo.forget()  # that loaded demo data and committed may have left its mark); ask the
    production = visit(urls)  # database itself, as a freshly started server does
    assert not any(banner or header for banner, header in production.values()), production
    pages = {key for key in production if not key.startswith("api-v1:")}
    assert {k for k in keys if k.startswith("portal:")} <= pages  # every portal URL was a page

    mark_demo("demo_data")
    demo.forget()  # a restart: the mark is in the database, not in the environment
    shown = visit(urls)
    assert set(shown) == set(production)
    missing = [
        key
        for key, (banner, header) in shown.items()
        if not (header if key.startswith("api-v1:") else banner)
    ]
    assert not missing, f"sin aviso de datos de demostración: {missing}"
