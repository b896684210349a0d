"""Client addresses behind the trusted proxy: one per client for every per-client rule."""

import logging

import pytest
from django.test import RequestFactory
from django.urls import reverse

from citesmart.ops.clients import client_ip

pytestmark = pytest.mark.django_db
PROXY = "127.0.0.1"


def _request(remote: str, forwarded: str | None = None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


def test_without_trusted_proxies_the_client_is_remote_addr(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip(_request("10.0.0.5", "203.0.113.9")) == "10.0.0.5"


def test_behind_a_trusted_proxy_the_rightmost_untrusted_address_is_the_client(settings):
    settings.TRUSTED_PROXIES = [PROXY, "10.0.0.0/8"]
    # nginx appends what it saw to what the client sent: only the appended part is believed.
    assert client_ip(_request(PROXY, "198.51.100.7")) == "198.51.100.7"
    assert client_ip(_request(PROXY, "1.2.3.4, 198.51.100.7")) == "198.51.100.7"
    # A load balancer (10.x, trusted) in front of nginx: one more hop to skip.
    assert client_ip(_request(PROXY, "1.2.3.4, 198.51.100.7, 10.1.2.3")) == "198.51.100.7"
    # A request straight to the app, not through a proxy: its header is not believed.
    assert client_ip(_request("203.0.113.50", "198.51.100.7")) == "203.0.113.50"
    # Garbage where a proxy of ours would have written an address: stop at the last good hop.
    assert client_ip(_request(PROXY, "nonsense, 10.1.2.3")) == "10.1.2.3"
    assert client_ip(_request(PROXY, "::ffff:198.51.100.8")) == "198.51.100.8"
    assert client_ip(_request(PROXY)) == PROXY


def test_the_older_proxy_count_still_works_when_no_proxy_is_named(settings):
    settings.TRUSTED_PROXIES = []
    settings.API_NUM_PROXIES = 1
    assert client_ip(_request(PROXY, "1.2.3.4, 198.51.100.7")) == "198.51.100.7"


def test_lookups_by_tracking_code_are_limited_per_client_behind_the_proxy(client, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    url = reverse("portal:request_status", args=["SOL-AAAAAAAAAA"])
    for _ in range(20):
        answer = client.get(url, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1")
        assert answer.status_code == 404
    walker = client.get(url, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="9.9.9.9, 198.51.100.1")
    assert walker.status_code == 429, "a forged header does not give a new budget"
    other = client.get(url, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert other.status_code == 404, "another client behind the same proxy keeps its own"


def test_api_limits_are_per_client_behind_the_proxy(client, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    settings.API_ANON_RATE = "2/min"
    for _ in range(2):
        client.get("/api/v1/cadenas/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1")
    spent = client.get("/api/v1/cadenas/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert spent.status_code == 429
    other = client.get("/api/v1/cadenas/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert other.status_code == 200


def test_the_request_log_and_metrics_see_the_client(client, settings, caplog):
    settings.TRUSTED_PROXIES = [PROXY]
    settings.METRICS_ALLOWED_IPS = ["10.9.0.0/16"]
    with caplog.at_level(logging.INFO, logger="citesmart.access"):
        client.get("/centros/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.4")
    line = next(r for r in caplog.records if r.name == "citesmart.access")
    assert line.client == "198.51.100.4"
    # nginx's own address no longer lets everybody behind it read the metrics.
    outsider = client.get("/metricas/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.4")
    assert outsider.status_code == 403
    monitor = client.get("/metricas/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="10.9.1.1")
    assert monitor.status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        {"HTTP_X_FORWARDED_FOR": "203.0.113.9"},
        {"HTTP_X_REAL_IP": "203.0.113.9"},
        {"HTTP_FORWARDED": "for=203.0.113.9;proto=https"},
    ],
)
def test_behind_an_untrusted_proxy_nobody_reads_health_details_or_metrics_by_address(
    client, settings, header
):
    """TRUSTED_PROXIES unset (the default) behind nginx: every request arrives from
    127.0.0.1, inside the default METRICS_ALLOWED_IPS; the address must not open them."""
    settings.TRUSTED_PROXIES = []
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1/32", "::1/128"]
    settings.METRICS_TOKEN = "token-de-monitoreo-de-prueba"
    health = client.get("/salud/", REMOTE_ADDR=PROXY, **header)
    assert set(health.json()) == {"status"}
    assert client.get("/metricas/", REMOTE_ADDR=PROXY, **header).status_code == 403
    # The token still opens both through the proxy.
    bearer = {"HTTP_AUTHORIZATION": "Bearer token-de-monitoreo-de-prueba"}
    assert "checks" in client.get("/salud/", REMOTE_ADDR=PROXY, **header, **bearer).json()
    assert client.get("/metricas/", REMOTE_ADDR=PROXY, **header, **bearer).status_code == 200
    # A monitor on the same host asking the application directly (no proxy) still gets in.
    assert "checks" in client.get("/salud/", REMOTE_ADDR=PROXY).json()
    assert client.get("/metricas/", REMOTE_ADDR=PROXY).status_code == 200


def test_behind_a_trusted_proxy_only_a_known_monitoring_client_reads_the_details(client, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1/32", "10.9.0.0/16"]
    settings.METRICS_TOKEN = ""
    monitor = client.get("/salud/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="10.9.1.1")
    assert "checks" in monitor.json()
    outsider = client.get("/salud/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.4")
    assert set(outsider.json()) == {"status"}
    # A proxy that says who the client is only in X-Real-IP or Forwarded (which are not
    # read): the client is unknown, not the proxy's own loopback address.
    for header in ({"HTTP_X_REAL_IP": "198.51.100.4"}, {"HTTP_FORWARDED": "for=198.51.100.4"}):
        assert set(client.get("/salud/", REMOTE_ADDR=PROXY, **header).json()) == {"status"}
        assert client.get("/metricas/", REMOTE_ADDR=PROXY, **header).status_code == 403
    # An X-Forwarded-For naming the proxy itself does not make a client the proxy.
    forged = client.get("/metricas/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert forged.status_code == 403


def test_a_monitor_behind_a_trusted_load_balancer_still_reads_the_metrics(client, settings):
    """The documented TRUSTED_PROXIES=127.0.0.1,10.0.0.0/8 with the monitoring server in
    10.x: its address is known (nginx appended it) even though it is a trusted network."""
    settings.TRUSTED_PROXIES = [PROXY, "10.0.0.0/8"]
    settings.METRICS_ALLOWED_IPS = ["10.9.1.1/32"]
    settings.METRICS_TOKEN = ""
    monitor = client.get("/metricas/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="10.9.1.1")
    assert monitor.status_code == 200
    other = client.get("/metricas/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="10.9.1.2")
    assert other.status_code == 403
