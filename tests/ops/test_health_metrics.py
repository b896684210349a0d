"""/salud/, /metricas/, request ids, structured logs, security headers and clean 503s."""

import json
import logging
from unittest import mock

import pytest
from django.db import OperationalError
from django.db import connection as db_connection
from django.test import RequestFactory

from citesmart.analytics import refresh
from citesmart.opendata.publish import publish
from citesmart.ops import errors, logs
from citesmart.ops.middleware import OpsMiddleware
from citesmart.records.unit_actions import get_or_create_unit

pytestmark = pytest.mark.django_db


def _unit(number: int):
    unit, _ = get_or_create_unit(
        document_type="dni", document_number=f"{41_000_000 + number}", name=f"Unidad {number}"
    )
    return unit


def test_health_is_200_with_a_current_read_model(client, read_model, settings, tmp_path):
    refresh.rebuild()
    settings.OPENDATA_DIR = tmp_path / "opendata"
    publish()  # otherwise the open-data check makes it "degraded" (tests/opendata)
    response = client.get("/salud/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["analytics"]["lag_seconds"] == 0
    assert "no-store" in response["Cache-Control"]


def test_health_details_are_for_monitoring_only(client, read_model, settings):
    refresh.rebuild()
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1/32"]
    settings.METRICS_TOKEN = "s3cret-token-for-monitoring"
    anyone = client.get("/salud/", REMOTE_ADDR="203.0.113.5")
    assert anyone.status_code in (200, 503)
    assert set(anyone.json()) == {"status"}, "no engine, row counts or freshness for anyone"
    monitor = client.get(
        "/salud/",
        REMOTE_ADDR="203.0.113.5",
        HTTP_AUTHORIZATION="Bearer s3cret-token-for-monitoring",
    )
    assert monitor.json()["checks"]["database"]["vendor"] == db_connection.vendor
    assert monitor.json()["status"] == anyone.json()["status"]
    assert client.get("/salud/", REMOTE_ADDR="127.0.0.1").json()["checks"]["analytics"]["rows"] >= 0


def test_health_is_503_without_a_read_model(client, read_model):
    response = client.get("/salud/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert "generación" in body["checks"]["analytics"]["error"]


def test_health_is_503_when_the_read_model_lags_too_much(client, read_model, settings):
    refresh.rebuild()
    _unit(1)  # the records move; nothing refreshes (health never refreshes)
    settings.HEALTH_ANALYTICS_MAX_LAG = 3600
    ok = client.get("/salud/").json()["checks"]["analytics"]
    assert ok["ok"] is True and ok["lag_seconds"] > 0
    settings.HEALTH_ANALYTICS_MAX_LAG = 0
    response = client.get("/salud/")
    assert response.status_code == 503
    assert response.json()["checks"]["analytics"]["ok"] is False


def test_health_is_503_json_when_the_database_is_down(client, read_model):
    broken = mock.Mock()
    broken.cursor.side_effect = OperationalError("connection refused")
    with mock.patch("citesmart.ops.queries.connection", broken):
        response = client.get("/salud/")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"] == {"ok": False, "error": "connection refused"}
    assert body["checks"]["analytics"]["ok"] is False


def test_request_id_is_returned_and_logged(client, read_model, caplog):
    refresh.rebuild()
    with caplog.at_level(logging.INFO, logger="citesmart.access"):
        response = client.get("/centros/", HTTP_X_REQUEST_ID="proxy-abc-12345")
        fresh = client.get("/centros/", HTTP_X_REQUEST_ID="bad id with spaces")
    assert response["X-Request-ID"] == "proxy-abc-12345"
    assert fresh["X-Request-ID"] != "bad id with spaces" and len(fresh["X-Request-ID"]) == 32
    lines = [r for r in caplog.records if r.name == "citesmart.access"]
    assert [r.request_id for r in lines] == ["proxy-abc-12345", fresh["X-Request-ID"]]
    assert lines[0].route == "portal:center_list" and lines[0].status == 200


def test_json_log_lines_carry_the_request_id_and_extras():
    token = logs.request_id.set("req-1234567")
    try:
        record = logging.makeLogRecord({"name": "x", "msg": "hola %s", "args": ("ñandú",)})
        logs.RequestIdFilter().filter(record)
        record.route = "portal:home"
        line = json.loads(logs.JsonFormatter().format(record))
    finally:
        logs.request_id.reset(token)
    assert line["message"] == "hola ñandú"
    assert line["request_id"] == "req-1234567"
    assert line["route"] == "portal:home"
    assert line["time"].endswith("Z")


def test_metrics_are_restricted(client, settings):
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1/32"]
    settings.METRICS_TOKEN = "s3cret-token-for-metrics"
    assert client.get("/metricas/", REMOTE_ADDR="10.20.30.40").status_code == 403
    wrong = client.get("/metricas/", REMOTE_ADDR="10.20.30.40", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 403
    token = client.get(
        "/metricas/",
        REMOTE_ADDR="10.20.30.40",
        HTTP_AUTHORIZATION="Bearer s3cret-token-for-metrics",
    )
    assert token.status_code == 200
    assert client.get("/metricas/", REMOTE_ADDR="127.0.0.1").status_code == 200


def test_metrics_count_requests_imports_and_lag(client, read_model):
    refresh.rebuild()
    client.get("/centros/")
    text = client.get("/metricas/").content.decode()
    assert text.startswith("# HELP")
    assert (
        'citesmart_http_requests_total{method="GET",route="portal:center_list",status="200"}'
        in text
    )
    assert "citesmart_http_request_duration_seconds_bucket" in text
    assert "citesmart_import_rows" in text
    assert "citesmart_analytics_refresh_lag_seconds 0.0" in text


def test_security_headers_with_a_nonce_and_no_inline_scripts_or_styles(client, read_model):
    refresh.rebuild()
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    script_src = next(p for p in policy.split(";") if p.strip().startswith("script-src"))
    assert "'nonce-" in script_src
    # No inline script, style element or style attribute without the nonce (issue 19).
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    style_src = next(p for p in policy.split(";") if p.strip().startswith("style-src"))
    assert "'nonce-" in style_src
    assert "frame-ancestors 'none'" in policy
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert b"<script>" not in response.content and b"<style>" not in response.content


def test_database_errors_become_a_503_page_or_json():
    factory = RequestFactory()
    middleware = OpsMiddleware(lambda request: None)
    page = middleware.process_exception(factory.get("/centros/"), OperationalError("gone"))
    assert page.status_code == 503 and page["Retry-After"]
    assert (
        "no está disponible" in page.content.decode() and "Traceback" not in page.content.decode()
    )
    api = middleware.process_exception(
        factory.get("/api/v1/x", HTTP_ACCEPT="application/json"), OperationalError("gone")
    )
    assert api.status_code == 503
    assert json.loads(api.content)["error"]["code"] == "database_unavailable"


def test_handler500_hides_details_and_maps_database_errors():
    request = RequestFactory().get("/")
    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError:
        assert errors.server_error(request).status_code == 503
    try:
        raise ValueError("secret detail")
    except ValueError:
        response = errors.server_error(request)
    assert response.status_code == 500
    assert "secret detail" not in response.content.decode()


def test_the_drivers_own_errors_are_a_503_too():
    # psycopg raises its unwrapped OperationalError where Django closes a server-side cursor
    # (a template iterating a queryset when the connection dies): seen in the fault test.
    driver = db_connection.Database
    middleware = OpsMiddleware(lambda request: None)
    for error in (driver.OperationalError("closed"), driver.InterfaceError("closed")):
        answer = middleware.process_exception(RequestFactory().get("/servicios/"), error)
        assert answer.status_code == 503
    assert middleware.process_exception(RequestFactory().get("/"), ValueError("x")) is None
