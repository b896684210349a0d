"""schemathesis against /api/v1/openapi.json: no 5xx, no response that breaks the schema.

The examples are bounded (a few per operation) so the suite stays fast; the API runs in
process through its WSGI application, on the test database with a small world of records.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Django's WSGI handler closes the connection after each request (request_finished);
    the test client turns that off, and so must a test calling the WSGI app directly, or
    the test transaction is lost on PostgreSQL."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_token(world, manager_a, center_a):
    from citesmart.api.tokens import create_token

    return create_token(center=center_a, name="schemathesis", actor=manager_a)[1]


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms_to_its_openapi_document(case, api_token, settings):
    settings.API_ALLOW_HTTP_TOKENS = True
    # Codes (centers, chains, ubigeo...) come from the registry, not from the document: a
    # well-formed but unknown code is rightly a 400, so "positive data acceptance" is off.
    case.call_and_validate(
        # The WSGI transport does not decompress: ask for plain bodies (GZipMiddleware).
        headers={"Authorization": f"Bearer {api_token}", "Accept-Encoding": "identity"},
        excluded_checks=[schemathesis.checks.positive_data_acceptance],
    )


def test_document_is_complete_and_in_spanish(client):
    document = client.get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    for path in (
        "/api/v1/centros/",
        "/api/v1/centros/{code}/",
        "/api/v1/cadenas/",
        "/api/v1/categorias/",
        "/api/v1/programas/",
        "/api/v1/catalogo/",
        "/api/v1/departamentos/",
        "/api/v1/departamentos.geojson",
        "/api/v1/provincias/",
        "/api/v1/distritos/",
        "/api/v1/estadisticas/",
        "/api/v1/informes/",
        "/api/v1/informes/{codigo}/",
    ):
        assert path in paths, path
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert operation.get("summary"), (method, path)
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    assert parameter.get("description"), (path, parameter["name"])
            assert "400" in operation["responses"], (method, path)
