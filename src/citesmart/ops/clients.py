"""The address of the client behind the reverse proxy: one answer for every per-client rule.

Lock-out (django-axes, AXES_CLIENT_IP_CALLABLE), the API's rate limits, the limit on
lookups by tracking code, the request log and /metricas/ all ask `client_ip(request)`.

Behind nginx every request arrives from 127.0.0.1, so REMOTE_ADDR names the proxy, not the
client. `TRUSTED_PROXIES` (addresses or CIDRs) names the proxies whose X-Forwarded-For is
believed: X-Forwarded-For is read from the right (each proxy appends the address it received
the request from), skipping trusted proxies; the first address that is not one of them is
the client. Anything to its left was written by the client and is ignored, so a client cannot
pick its own address by sending the header. With no trusted proxies REMOTE_ADDR is the client.

`API_NUM_PROXIES` (the older setting, a count of proxies) still works when TRUSTED_PROXIES is
empty: the N-th address from the right of X-Forwarded-For.

Access granted by address (/salud/ details, /metricas/) asks `known_client_ip(request)`
instead: a request that came through a proxy (it carries X-Forwarded-For, X-Real-IP or
Forwarded) is from an unknown client unless its peer is a trusted proxy that named the client
in X-Forwarded-For. Otherwise nginx's 127.0.0.1, inside the default METRICS_ALLOWED_IPS, would
open them to every visitor while TRUSTED_PROXIES is unset.
"""

import ipaddress
from collections.abc import Sequence
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_ip(request: HttpRequest) -> str:
    """The client's address as configured by TRUSTED_PROXIES (or API_NUM_PROXIES)."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "") or ""
    trusted = tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ())
    if trusted:
        return client_address(remote, forwarded, _networks(trusted))
    count = int(getattr(settings, "API_NUM_PROXIES", 0) or 0)
    return counted_address(remote, forwarded, count)


FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED")


def known_client_ip(request: HttpRequest) -> str | None:
    """The client's address when it is known for sure, else None: a proxied request whose
    peer is not a trusted proxy, or whose trusted proxy did not name a client before itself
    in X-Forwarded-For (X-Real-IP and Forwarded are not read). For access granted by
    address, never for counting."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    if not any(request.META.get(header) for header in FORWARDING_HEADERS):
        return remote
    trusted = _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))
    peer = _parse(remote)
    if peer is None or not _is_trusted(peer, trusted):
        return None
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "") or ""
    address = client_address(remote, forwarded, trusted)
    return None if address == str(peer) else address


def client_address(remote: str, forwarded: str, trusted: Sequence[Network]) -> str:
    """The first address, from REMOTE_ADDR leftwards through X-Forwarded-For, that is not a
    trusted proxy (or the last trusted one when the chain ends or holds garbage)."""
    address = _parse(remote)
    if address is None:
        return remote
    hops = [part.strip() for part in forwarded.split(",") if part.strip()]
    while _is_trusted(address, trusted) and hops:
        previous = _parse(hops.pop())
        if previous is None:  # not written by a proxy of ours: stop at the last good hop
            break
        address = previous
    return str(address)


def counted_address(remote: str, forwarded: str, count: int) -> str:
    """Behind `count` proxies: the count-th address from the right of X-Forwarded-For."""
    hops = [part.strip() for part in forwarded.split(",") if part.strip()]
    if count <= 0 or not hops:
        return remote
    address = _parse(hops[-min(count, len(hops))])
    return str(address) if address is not None else remote


def in_networks(address: str, networks: Sequence[str]) -> bool:
    """Whether `address` falls in one of `networks` (addresses or CIDRs); False if invalid."""
    parsed = _parse(address)
    return parsed is not None and _is_trusted(parsed, _networks(tuple(networks)))


@lru_cache(maxsize=16)
def _networks(values: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(value.strip(), strict=False) for value in values)


def _parse(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:10.0.0.1 is 10.0.0.1
    return mapped or address


def _is_trusted(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, trusted: Sequence[Network]
) -> bool:
    return any(address.version == net.version and address in net for net in trusted)
