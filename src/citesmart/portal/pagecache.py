"""Whole-page cache of the public dashboard and center pages, shared by the worker processes.

For anonymous GETs the rendered body (page, X-Partial fragment or CSV) is kept in the
analytics shared cache (analytics.sharedcache) under the content version of the validated
figures (sharedcache.content_version: it moves only when a generation changes them, so an
import of registered reports keeps every page; a center's page under its own centers'
versions, sharedcache.center_version, so a report validated elsewhere keeps it), the path,
the query string (parameters sorted by name, each one's values in their order), X-Partial,
the language, the disclosure threshold, the registry version, the version of ITP's tables
(historic.cost.version: the costs), the surveys' version in the generation and the minimum
of respondents (the survey estimates on center pages), the demo mark (ops.demo) and today's
date. Headers are not stored: the middleware (CSP with its per-request nonce, request id),
`condition` (ETag, Last-Modified) and Vary are applied to every response as before.

What the pages show besides figures (centers, catalogue, prices, filter choices) comes from
the registry, whose version (network.registry, kept in the database) is in the key, so an
edit of the registry or geography shows at once on every server; today's date decides which
free programmes are still on. Entries also expire after ANALYTICS_PAGE_CACHE_SECONDS (600 s),
so the freshness stamp a cached page shows is at most that old.

Nothing per-request or per-user goes in: requests from logged-in users never read nor write
the cache, and a response is stored only when the view set no cookie, did not use the CSRF
token nor the session, and its body does not carry this request's CSP nonce.
"""

import contextlib
import fcntl
import functools
import hashlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.text import compress_string

from citesmart.analytics import conf, refresh, sharedcache
from citesmart.historic import cost
from citesmart.lib.lru import LRU
from citesmart.network import registry
from citesmart.ops.demo import is_demo
from citesmart.records import closing

_KEPT_HEADERS = ("Content-Type", "Content-Disposition")

View = Callable[..., HttpResponse]


def cached_page(view: View) -> View:
    """Serve `view`'s 200 responses to anonymous GETs from the shared cache (see module doc)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        name = page_key(request) if _cacheable_request(request) else None
        if name is None:
            return view(request, *args, **kwargs)
        if (entry := _stored(name)) is not None:
            return _response(entry)
        with _making(name):  # the server's other requests for this page wait for this one
            if (entry := _stored(name)) is not None:
                return _response(entry)
            response = view(request, *args, **kwargs)
            if _cacheable_response(request, response):
                entry = _entry(response)
                sharedcache.put(name, entry, timeout=seconds())
                _recent.put(name, entry)
                response.precompressed = entry["gzip"]  # type: ignore[attr-defined]
            return response

    return wrapper


# After a validation every page of the network is made again. Under load many visitors ask
# for the same one at once (the dashboard: a third of the requests); without this each of
# them would compute it, every worker thread and process of the server at the same moment.
# One request makes it; the others wait for it, then read it from the cache. The locks are
# files (fcntl: across the server's worker processes and their threads), one of LOCK_FILES
# by the key's hash; a page that takes longer than MAKING_WAIT seconds is made again by
# whoever waited that long, and a lock that cannot be had (no directory) makes no one wait.
LOCK_FILES = 256
MAKING_WAIT = 5.0


@contextlib.contextmanager
def _making(name: str) -> Iterator[None]:
    directory = _lock_directory()
    path = directory / f"{int(hashlib.sha256(name.encode()).hexdigest(), 16) % LOCK_FILES}.lock"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        yield
        return
    try:
        deadline = time.monotonic() + MAKING_WAIT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    break  # made again here rather than waiting any longer
                time.sleep(0.01)
            except OSError:
                break  # no locks on this file system: everyone makes it
        yield
    finally:
        os.close(fd)  # releases the lock


def seconds() -> int:
    return int(getattr(settings, "ANALYTICS_PAGE_CACHE_SECONDS", 600))


# The pages this process served last, in front of the shared cache: a hit there reads no file
# and decompresses nothing (half a millisecond of a dashboard's three). Same keys, and the
# same lifetime, counted from when the page was made.
RECENT_PAGES = 64
_recent: LRU[dict[str, Any]] = LRU(lambda: RECENT_PAGES)


def forget() -> None:
    """Drop this process's recent pages (tests: each starts with an empty shared cache)."""
    _recent.clear()


def _stored(name: str) -> dict[str, Any] | None:
    entry = _recent.get(name)
    if entry is None:
        entry = sharedcache.get(name)
        if not (isinstance(entry, dict) and "body" in entry):
            return None
        _recent.put(name, entry)
    if time.time() - entry.get("made_at", 0.0) >= seconds():
        return None  # the shared cache lets it go at the same age
    return entry


def _cacheable_request(request: HttpRequest) -> bool:
    if request.method != "GET" or seconds() <= 0:
        return False
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return True  # no session, no login: looking at request.user is not even needed
    user = getattr(request, "user", None)
    return user is not None and not user.is_authenticated


def page_key(request: HttpRequest) -> str:
    """The page's key: everything its body depends on. Computed once per request (the ETag
    is made from it too): it asks the database for the registry's and ITP's tables' versions."""
    key = getattr(request, "_citesmart_page_key", None)
    if key is None:
        key = request._citesmart_page_key = _key(request)  # type: ignore[attr-defined]
    return key


def _key(request: HttpRequest) -> str:
    # The newest generation's meta, without attaching it: a page served from here asks
    # nothing of DuckDB.
    meta = refresh.ensure_fresh().newest_meta()
    current = registry.current()  # its version: one query, asked once per request
    centers = _page_centers(request, current)
    if centers is None:
        content = sharedcache.content_version(meta, None)
    else:  # a center's page moves with its own figures only, not with the network's
        content = sharedcache.center_version(meta, centers)
    # Sorted by name only: a parameter's repeated values keep their order (the last one is
    # the one shown selected).
    query = sorted(request.GET.lists(), key=lambda item: item[0])
    return sharedcache.key(
        "page",
        content,
        current.version,
        cost.version(),  # ITP's tables: the costs on the dashboard and center pages
        is_demo(),  # the demonstration banner
        closing.official_through(),  # approving a month changes the note beside the stamp
        timezone.localdate(),
        translation.get_language(),
        conf.disclosure_threshold(),
        # Center pages show the survey estimates (analytics.surveyresults): the version of the
        # surveys copied into this generation, and the minimum of respondents.
        meta.get("surveys", ""),
        conf.survey_minimum(),
        request.path,
        query,
        request.headers.get("X-Partial", ""),
    )


def _page_centers(request: HttpRequest, current: registry.Registry) -> list[str] | None:
    """The centers whose figures a center's page shows (it and its technical units), or
    None for any other page (the dashboard: the whole network's)."""
    match = request.resolver_match
    if match is None or match.view_name != "portal:center_detail":
        return None
    center = current.center(match.kwargs.get("code", ""))
    if center is None:
        return []  # a 404, never stored
    return [center.code, *(unit.code for unit in current.technical_units(center))]


def _cacheable_response(request: HttpRequest, response: HttpResponse) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):  # the page used {% csrf_token %}
        return False
    session = getattr(request, "session", None)
    if session is not None and session.accessed:  # the page may depend on the session
        return False
    messages = getattr(request, "_messages", None)
    if messages is not None and messages.used:  # it showed this visitor's messages
        return False
    nonce = getattr(request, "csp_nonce", "")
    return not (nonce and nonce.encode() in response.content)


def _entry(response: HttpResponse) -> dict[str, Any]:
    headers = {h: response[h] for h in _KEPT_HEADERS if response.has_header(h)}
    # Compressed once here rather than by GZipMiddleware at every hit (6 ms for a dashboard):
    # ops.middleware.GZipMiddleware sends it to clients that accept gzip. Its random padding
    # (BREACH) is fixed per entry, which is safe: a cached page carries no secret.
    content = response.content
    packed = compress_string(content, max_random_bytes=100) if len(content) >= 200 else None
    return {
        "made_at": time.time(),
        "body": content,
        "gzip": packed if packed is not None and len(packed) < len(content) else None,
        "headers": headers,
        "vary": response.get("Vary", ""),
    }


def _response(entry: dict[str, Any]) -> HttpResponse:
    response = HttpResponse(entry["body"])
    response.precompressed = entry.get("gzip")  # type: ignore[attr-defined]
    for header, value in entry["headers"].items():
        response[header] = value
    if entry["vary"]:
        response["Vary"] = entry["vary"]
    return response


def _lock_directory() -> Path:
    """Beside the shared cache's files; under VAR_DIR when it has none (Redis)."""
    location = str(settings.CACHES.get(sharedcache.ALIAS, {}).get("LOCATION", ""))
    if location and "://" not in location:
        return Path(location).with_name(Path(location).name + "-locks")
    return Path(settings.VAR_DIR) / "cache" / "page-locks"
