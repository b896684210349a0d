"""Analytics answers and rendered pages shared by the worker processes of one app server.

Each worker process keeps its own small LRU of answers (queries._LRU); behind it, this cache
(Django's cache alias `analytics`, by default a FileBasedCache under VAR_DIR/cache/analytics)
lets an answer computed by one process serve every other process of the same server, and
`citesmart analytics warm` fill it ahead of the visitors. Keys start with the read model's
*build id*, a random value written into each generation's meta when it is built: generation
file names repeat (another directory, a test), builds do not, and a new generation makes
every older entry unreachable (the size cap culls them).

The cache is an optimisation only: any error reading or writing it (directory missing or
unwritable, a corrupt file, Redis away) is logged, at most once a minute, and the caller
computes the answer as if it had missed.
"""

import functools
import hashlib
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache

from citesmart.analytics import connection

ALIAS = "analytics"
FORMAT = 1  # part of every key: bump it when the shape of what is stored changes
logger = logging.getLogger(__name__)


def new_build_id() -> str:
    """A fresh random id for a generation being built (stored in its meta as `build`)."""
    return secrets.token_hex(16)


def build_id(reader: connection.Reader) -> str:
    """The build of the generation `reader` has attached (after `reader.attach()`)."""
    meta = reader.meta
    if meta.get("build"):
        return str(meta["build"])
    # Generations built before build ids existed: their directory, name and write time.
    legacy = f"{reader.directory}|{reader.generation}|{meta.get('written_at', '')}"
    return hashlib.sha256(legacy.encode()).hexdigest()[:32]


def versions_of(meta: dict[str, str]) -> dict[str, Any]:
    """The content versions in a generation's meta: {"base": ..., "years": {year: ...},
    "centers": {code: ..., "*": ...}}."""
    if meta.get("versions"):
        stored = json.loads(meta["versions"])
        centers = dict(stored.get("centers", {"*": stored["base"]}))  # before centers had theirs
        return {"base": str(stored["base"]), "years": dict(stored["years"]), "centers": centers}
    # Generations written before content versions: everything changes with every build.
    base = str(meta.get("build") or meta.get("written_at", ""))
    return {"base": base, "years": {}, "centers": {"*": base}}


def renewed(
    meta: dict[str, str], years: Iterable[int], centers: Iterable[str] | None
) -> dict[str, Any]:
    """The content versions of `meta` with these years and centers (None: every center)
    renewed, and the new build's id under "build".

    A version names the build that last changed the validated figures of a year (`years`),
    of a center in any year (`centers`; "*" for every center), or of everything (`base`: a
    rebuild, or new labels). Shared cached answers and pages are keyed by the versions they
    depend on instead of the build, so a generation that leaves a year or a center alone
    (registered reports imported, another year corrected, another center's report
    validated) keeps serving their cached answers and pages (`content_version`,
    `center_version`).
    """
    build = new_build_id()
    versions = versions_of(meta)
    versions["years"] |= {str(year): build for year in years}
    versions["centers"] |= {"*": build} if centers is None else dict.fromkeys(centers, build)
    return versions | {"build": build}


def content_version(meta: dict[str, str], years: Iterable[int] | None) -> str:
    """What the validated figures of these years (None: of all years) depend on, from a
    generation's meta (`reader.meta` after `reader.attach()` or inside `reader.cursor()`, or
    `reader.newest_meta()`).

    Equal values mean equal validated rows and first dates in those years, labels included,
    whatever the generations in between did (see renewed).
    """
    versions = versions_of(meta)
    changed = versions["years"]
    if years is None:
        return f"{versions['base']}|{json.dumps(changed, sort_keys=True)}"
    return "|".join([versions["base"], *(changed.get(str(year), "") for year in sorted(years))])


def center_version(meta: dict[str, str], codes: Iterable[str]) -> str:
    """What the validated figures of these centers, in every year, depend on: a center's
    page, which shows its own figures only (those of its technical units included)."""
    versions = versions_of(meta)
    centers = versions["centers"]
    return "|".join(
        [versions["base"], centers.get("*", ""), *(centers.get(c, "") for c in sorted(codes))]
    )


def key(kind: str, *parts: Any) -> str:
    """A valid cache key for any backend: the kind, the format and a hash of the parts.

    The hash also covers the code: after a deploy (same build, new code or templates) no
    answer or page made by the previous version is served.
    """
    digest = hashlib.sha256(repr((code_version(), parts)).encode()).hexdigest()
    return f"{kind}:{FORMAT}:{digest}"


@functools.cache
def code_version() -> str:
    """A digest of the installed citesmart code and templates (read once per process)."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    paths = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [name for name in subfolders if name not in {"__pycache__", "static"}]
        paths += [Path(folder) / name for name in files if name.endswith((".py", ".html"))]
    for path in sorted(paths):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass
class Stats:
    """What this process did with the shared cache (warm reports it)."""

    hits: int = 0
    misses: int = 0
    stores: int = 0
    errors: int = 0


stats = Stats()
_log_lock = threading.Lock()
_logged_at = 0.0


def get(name: str) -> Any | None:
    """The value stored under `name`, or None when absent or unreadable."""
    try:
        value = _backend().get(name)
    except Exception as error:  # a broken cache must never break a query
        _failed("leer", error)
        return None
    if value is None:
        stats.misses += 1
    else:
        stats.hits += 1
    return value


def put(name: str, value: Any, timeout: float | None = DEFAULT_TIMEOUT) -> None:
    """Store `value` under `name` (default lifetime: the alias' TIMEOUT); errors are logged."""
    try:
        _backend().set(name, value, timeout)
    except Exception as error:  # a broken cache must never break a query
        _failed("escribir", error)
        return
    stats.stores += 1


def _backend() -> BaseCache:
    return caches[ALIAS]  # one client per thread, created on first use


def _failed(action: str, error: Exception) -> None:
    global _logged_at
    stats.errors += 1
    with _log_lock:
        now = time.monotonic()
        if _logged_at and now - _logged_at < 60:
            return
        _logged_at = now
    logger.warning(
        "No se pudo %s la caché compartida de analítica (%s: %s); se calcula sin ella.",
        action,
        type(error).__name__,
        error,
    )


# --- warming -------------------------------------------------------------------------------

# A warmer computes, before any visitor asks, the answers of one much-visited page into this
# cache; it gets a deadline (time.monotonic()) and returns one Spanish line saying what it did.
# Apps register theirs in AppConfig.ready() (the portal: its dashboard), so analytics needs
# no import of them. `citesmart analytics rebuild|refresh|watch|warm` runs them.
Warmer = Callable[[float], str]
warmers: list[Warmer] = []
not_after_push: set[Warmer] = set()  # run by the commands only, not after each push refresh


def register_warmer(warmer: Warmer, *, after_push: bool = True) -> None:
    """`after_push=False`: a long warm-up (many pages) that the push refresher must not run
    after every refresh, where it would hold back the next write's refresh."""
    if warmer not in warmers:
        warmers.append(warmer)
    if not after_push:
        not_after_push.add(warmer)
