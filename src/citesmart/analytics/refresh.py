"""Building and refreshing the read model from the records, and keeping it fresh.

Freshness by push (push.py): a committed write notifies each app server, whose listener
refreshes at once, with or without traffic. Behind it, as a safety net (listener down, a
server started without it), every query calls `ensure_fresh()`. At most once per
`check_interval` per app server (1 s; 30 s in a process whose push listener runs) it reads
the watermark of the records (watermark.windows: count, max and checksum of `updated_at` of
reports and units after an anchor) and compares it with the one stored in the current
generation. When it moved, the query runs an incremental refresh itself, unless another
process of this server is already writing one (then it answers from the current generation
and the new one shows up within a second or two). No hook in the actions is needed: every
write path (back office, importer, API, merges, batch reverts) saves a report or a unit, and
`auto_now` moves its `updated_at`.

Recovery: a generation that cannot be read (none yet, deleted, damaged) is replaced by a
rebuild (`recover`); a damaged one is first set aside as `.corrupt`. Writing a generation is
build.py's.
"""

import functools
import json
import logging
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

import duckdb
from django import db

from citesmart.analytics import (
    aggregates,
    build,
    conf,
    connection,
    recordkey,
    schema,
    surveyunits,
    watermark,
)
from citesmart.analytics.build import Outcome


def _driver_errors() -> tuple[type[BaseException], ...]:
    """psycopg's own errors: the records' COPY (analytics.source) runs on the raw connection,
    so a database gone in the middle of it raises them unwrapped by Django."""
    try:
        import psycopg
    except ImportError:  # SQLite only
        return ()
    return (psycopg.OperationalError, psycopg.InterfaceError)


DATABASE_AWAY = (db.OperationalError, db.InterfaceError, *_driver_errors())
"""The errors of a database that is away (a restart, a failover): expected, not bugs."""

logger = logging.getLogger(__name__)


def rebuild(*, wait: bool = True) -> Outcome:
    """Build a new generation from scratch and publish it (the `analytics rebuild` command)."""
    directory = conf.directory()
    with connection.writer_lock(directory, wait=wait):
        return build.rebuild_locked(directory)


def refresh(*, wait: bool = True) -> Outcome:
    """Apply what changed in the records since the current generation, copy-on-write.

    Rebuilds instead when there is no generation yet or its schema is out of date. With
    `wait=False`, raises connection.Busy rather than queue behind another writer.
    """
    directory = conf.directory()
    with connection.writer_lock(directory, wait=wait):
        current = connection.current_path(directory)
        try:
            meta = build.read_meta(current) if current and current.exists() else {}
        except duckdb.Error as error:
            if not connection.is_corruption(error):
                raise
            _set_aside(directory, current, error)  # damaged: start again from the records
            meta = {}
        if (
            meta.get("schema") != schema.VERSION
            or meta.get("record_keys") != recordkey.fingerprint()
        ):
            return build.rebuild_locked(directory)  # new tables, or keys of another secret
        try:
            return build.refresh_locked(directory, meta)
        except duckdb.Error as error:
            if not connection.is_corruption(error):
                raise
            _set_aside(directory, current, error)
            return build.rebuild_locked(directory)


def replace_unreadable(generation: str = "", *, wait: bool = True) -> Outcome:
    """Build a generation when there is none that can be read: CURRENT missing, naming a
    missing file, or naming `generation`, found damaged by a reader (then set aside first).
    Does nothing when another process already replaced it while this one waited."""
    directory = conf.directory()
    with connection.writer_lock(directory, wait=wait):
        current = connection.current_path(directory)
        if current is not None and generation and current.name == generation:
            _set_aside(directory, current, None)
            current = None
        if current is not None and current.exists():
            return Outcome("", "unchanged", 0, 0, 0.0)
        return build.rebuild_locked(directory)


def _set_aside(directory: Path, current: Path | None, error: BaseException | None) -> None:
    if current is None:
        return
    aside = connection.set_aside(directory, current)
    detail = (str(error).strip().splitlines() or ["?"])[0] if error else "hallada por un lector"
    logger.error("analytics: generación dañada apartada como %s (%s)", aside.name, detail)


# --- freshness on the query path -----------------------------------------------------------

_checked_at = float("-inf")  # never: the first query of a process checks
_check_lock = threading.Lock()
pushed_here = False  # set by push.start(): this process listens for committed writes


def ensure_fresh() -> connection.Reader:
    """The reader of this process, refreshed first when the records moved (throttled).

    Called by analytics.queries before answering. Cost when nothing changed: one stat() per
    query, and per second per server one watermark check: the records' windows (two
    index/scan aggregates), ITP's tables' version and the surveys' (one count each). With
    ANALYTICS_BACKGROUND_REFRESH (set by `citesmart serve`) the watermark check and the
    refresh run in a thread of their own: a web request never waits for them, and answers
    from the current generation until the next one is published (a second or two later).
    """
    directory = conf.directory()
    reader = connection.reader(directory, conf.duckdb_config())
    if not _due(directory):
        return reader
    try:
        with reader.cursor():
            pass  # attaches the newest generation and loads its meta
    except connection.Unavailable as error:
        recover(error)
        return reader
    if conf.background_refresh() or pushed_here:
        # With push the listener's refresh is usually under way or done already: a request
        # must not queue behind it, nor run a refresh of its own.
        _start_background(functools.partial(_check, reader))
    else:
        _check(reader)
    return reader


def recover(error: connection.Unavailable, *, background: bool | None = None) -> None:
    """No readable generation (none yet, deleted, or damaged): build one.

    In the foreground (commands, tests, the first query of a server without background
    refresh) the caller waits for it and then answers. In the background thread (under
    `citesmart serve`, or `background=True`) the error is raised again at once: the request
    answers 503 ("las cifras se están recalculando") until the new generation is published.
    Without auto-refresh, a damaged generation is only set aside (for `analytics watch` or
    the next `analytics refresh` to rebuild) and the error is raised again.
    """
    damaged = error.path.name if isinstance(error, connection.Corrupt) else ""
    job = functools.partial(replace_unreadable, damaged)
    if not conf.auto_refresh():
        if damaged:
            _try(functools.partial(set_aside_damaged, damaged))
        raise error
    if conf.background_refresh() if background is None else background:
        _start_background(job)
        raise error
    job()


def set_aside_damaged(generation: str, *, wait: bool = True) -> Outcome:
    """Only set a damaged current generation aside (a web worker without auto-refresh)."""
    directory = conf.directory()
    with connection.writer_lock(directory, wait=wait):
        current = connection.current_path(directory)
        if current is not None and current.name == generation:
            _set_aside(directory, current, None)
    return Outcome("", "unchanged", 0, 0, 0.0)


def _check(reader: connection.Reader) -> None:
    if not conf.auto_refresh():
        return  # another process (`analytics watch`, cron) keeps the read model fresh
    meta = reader.meta
    if (
        watermark.windows(json.loads(meta["anchors"])) != json.loads(meta["windows"])
        or aggregates.version() != meta.get("aggregates", "")
        or surveyunits.version() != meta.get("surveys", "")
    ):
        _try(refresh)


_background: threading.Thread | None = None


def _start_background(job: Callable[[], Any]) -> None:
    """At most one check, refresh or rebuild in flight per process."""
    global _background
    with _check_lock:
        if _background is not None and _background.is_alive():
            return
        _background = threading.Thread(
            target=_in_thread, args=(job,), name="analytics-refresh", daemon=True
        )
        _background.start()


def _in_thread(job: Callable[[], Any]) -> None:
    try:
        job()
    except DATABASE_AWAY as error:
        # The database is away (restart, dropped connection): an expected outage, not a bug.
        # The next check retries; queries keep answering from the current generation.
        first_line = (str(error).strip().splitlines() or ["?"])[0]
        logger.warning("analytics: base de datos no disponible para la revisión: %s", first_line)
    except Exception:
        logger.exception("analytics: fallo la revisión o el refresco en segundo plano")
    finally:
        db.connections.close_all()  # this thread's own connections only


def wait_for_background_check(timeout: float = 30) -> None:
    """Block until the background check of this process (if any) is over (tests, shutdown)."""
    thread = _background
    if thread is not None:
        thread.join(timeout)


def _due(directory: Path) -> bool:
    """True for the one caller per interval (per process, then per server) that must check."""
    global _checked_at
    interval = conf.check_interval(pushed=pushed_here)
    now = time.monotonic()
    with _check_lock:
        if now - _checked_at < interval:
            return False
        _checked_at = now
    # The processes of one server share a stamp file: the first to find it old enough checks.
    stamp = directory / "checked"
    try:
        if time.time() - stamp.stat().st_mtime < interval:
            return False
    except FileNotFoundError:
        directory.mkdir(parents=True, exist_ok=True)
    stamp.touch()
    return True


def _try(action: Callable[..., Outcome]) -> None:
    # Busy: another process of this server is writing the next generation right now.
    with suppress(connection.Busy):
        action(wait=False)


def reset_throttle() -> None:
    """Forget the last check time (tests, and after a write in the same process)."""
    global _checked_at
    with _check_lock:
        _checked_at = float("-inf")
