"""Anonymous rate limits, and no personal data of natural persons in any API response."""

import json
import os
import re
import subprocess
import sys
import threading

import pytest
from django.core.management import call_command
from django.test import RequestFactory

from citesmart.analytics.queries import DIMENSIONS
from citesmart.api.api import AnonymousLimit
from citesmart.demo.store import delete_demo_data
from citesmart.lib.identity import is_personal_document
from citesmart.units.models import ProductiveUnit

pytestmark = pytest.mark.django_db


def test_anonymous_rate_limit_answers_429_with_retry_after(client, settings):
    settings.API_ANON_RATE = "3/min"
    for _ in range(3):
        assert client.get("/api/v1/cadenas/").status_code == 200
    response = client.get("/api/v1/cadenas/")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert response.json()["error"]["code"] == "demasiadas_solicitudes"
    other_ip = client.get("/api/v1/cadenas/", REMOTE_ADDR="10.0.0.9")
    assert other_ip.status_code == 200, "limits are per client address"


def test_worker_processes_share_one_budget_per_client(client, settings):
    """Under `citesmart serve` each worker is a process: what one counted, the others see."""
    settings.API_ANON_RATE = "3/min"
    other_worker = (
        "import django; django.setup()\n"
        "from django.test import RequestFactory\n"
        "from citesmart.api.api import AnonymousLimit\n"
        "request = RequestFactory().get('/api/v1/cadenas/', REMOTE_ADDR='10.0.0.7')\n"
        "print([AnonymousLimit('1/s').allow_request(request) for _ in range(3)])\n"
    )
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "citesmart.settings",
        "CACHE_LOCATION": settings.CACHES["default"]["LOCATION"],
        "API_ANON_RATE": "3/min",
    }
    done = subprocess.run(
        [sys.executable, "-c", other_worker], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "[True, True, True]", done.stderr
    response = client.get("/api/v1/cadenas/", REMOTE_ADDR="10.0.0.7")
    assert response.status_code == 429, "the budget spent in another process counts here"
    assert client.get("/api/v1/cadenas/", REMOTE_ADDR="10.0.0.8").status_code == 200


def test_threads_checking_at_once_keep_each_clients_history_apart(settings):
    # One throttle object serves every thread of a worker; a check by another thread between
    # a refusal and its Retry-After (or a success and its write) must not mix the clients.
    settings.API_ANON_RATE = "2/min"
    limit = AnonymousLimit("1/s")
    crowded, quiet = (RequestFactory().get("/", REMOTE_ADDR=ip) for ip in ("10.2.0.1", "10.2.0.2"))
    assert limit.allow_request(crowded) and limit.allow_request(crowded)
    refused = limit.allow_request(crowded)
    meanwhile = threading.Thread(target=limit.allow_request, args=(quiet,))
    meanwhile.start()
    meanwhile.join()
    assert not refused and limit.wait() > 50, "the refused client's own wait, not the other's"
    assert limit.allow_request(quiet), "the quiet client has used one request of two"


def test_rate_limit_ignores_a_forged_forwarded_for(client, settings):
    settings.API_ANON_RATE = "2/min"
    for n in range(2):
        client.get("/api/v1/cadenas/", HTTP_X_FORWARDED_FOR=f"10.1.1.{n}")
    forged = client.get("/api/v1/cadenas/", HTTP_X_FORWARDED_FOR="10.1.1.99")
    assert forged.status_code == 429


LIST_ENDPOINTS = [
    "/api/v1/centros/",
    "/api/v1/cadenas/",
    "/api/v1/categorias/",
    "/api/v1/programas/",
    "/api/v1/catalogo/",
    "/api/v1/departamentos/",
    "/api/v1/provincias/",
    "/api/v1/distritos/",
]
BREAKDOWNS = list(DIMENSIONS)  # every breakdown the statistics endpoint accepts


def _every_page(client, path, fmt):
    page, pages = 1, 1
    while page <= pages:
        response = client.get(path, {"page": page, "page_size": 500, "format": fmt})
        assert response.status_code == 200, path
        if fmt == "json":
            pages = response.json()["pages"]
        else:
            pages = client.get(path, {"page_size": 500}).json()["pages"]
        yield response.content.decode("utf-8-sig")
        page += 1


@pytest.fixture
def demo_history(world):
    """A small demo history (names, DNI and RUC 10 of invented natural persons) + world."""
    call_command("demo_data", years="2025", scale=0.01, seed=3, verbosity=0)
    yield
    delete_demo_data()


def test_no_personal_data_in_any_api_response(client, demo_history, world):
    persons = [
        u
        for u in ProductiveUnit.objects.all()
        if is_personal_document(u.document_type, u.document_number)
    ]
    assert len(persons) > 20, "the scan needs natural persons to look for"
    documents = {u.document_number for u in persons} | {
        u.person_dni for u in persons if u.person_dni
    }
    names = {u.name for u in persons}
    texts = []
    for path in LIST_ENDPOINTS:
        for fmt in ("json", "csv"):
            texts += list(_every_page(client, path, fmt))
    for code in client.get("/api/v1/centros/", {"page_size": 500}).json()["results"]:
        texts.append(client.get(f"/api/v1/centros/{code['code']}/").content.decode())
    texts.append(client.get("/api/v1/departamentos.geojson").content.decode())
    for dimension in BREAKDOWNS:
        for fmt in ("json", "csv"):
            response = client.get("/api/v1/estadisticas/", {"por": dimension, "format": fmt})
            assert response.status_code == 200, dimension
            texts.append(response.content.decode("utf-8-sig"))
    everything = "\n".join(texts)
    numbers = set(re.findall(r"\d{8,11}", everything))
    assert not numbers & documents, "a DNI or RUC 10 reached the API"
    assert not any(n.startswith("10") and len(n) == 11 for n in numbers)
    leaked = [name for name in names if name in everything]
    assert not leaked, leaked[:5]
    assert json.loads(texts[0])["count"] > 0
