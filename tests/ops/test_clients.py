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
