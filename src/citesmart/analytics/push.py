"""Freshness by push: a committed write makes each app server refresh its read model at once.

Without it the read model is refreshed when traffic asks (refresh.ensure_fresh): on a quiet
server the first visitor after an import saw the old figures, or waited for the refresh.

The notice. On PostgreSQL, statement-level triggers on the tables the read model reads
(reports, services, units, the registry and geography, `RegistryChange`) call
`pg_notify('citesmart_changes', <table>)`. A notification raised inside a transaction is
delivered when it commits, and never if it rolls back, and identical ones are folded: an
import of 10,000 rows sends one notice per table. A statement on reports or services that
wrote no row of a validated report (an import of registered reports, a registered report
cancelled), and a new unit, say so: `<table>:quiet` (the triggers read the rows written).
No validated (public) figure moved; at most the provisional ones that count registered
reports (`incluir_registrados`) did. Triggers cover every write path (actions,
importer, API, merges, batch reverts, bulk updates, raw SQL) with no hook in the actions;
they are (re)installed after every `migrate` (post_migrate), from the models' table names.
SQLite has no notifications: the listener polls `PRAGMA data_version` (moves when another
connection commits to the file; one cheap call) every half second.

The listener. One thread per app server listens: the process holding `push.lock` in the read
model's directory (an fcntl lock, released by the kernel when the process dies; the other
processes retry every few seconds, so a recycled worker's place is taken at once). It is
started by the WSGI/ASGI entry points (gunicorn under `citesmart serve`, `runserver` under
`make demo`) and by `citesmart analytics watch`, never by other management commands or tests
(`ANALYTICS_PUSH = False` turns it off). When its connection dies (PostgreSQL restarted,
backend terminated) it reconnects with a backoff of 0.5 s doubling to 30 s, and refreshes
once after each (re)connection: notices sent while nobody listened are lost.

The refresh. A notice only pokes the `Refresher`: one thread per process that runs
`refresh.refresh()` (watermark, registry digest, incremental refresh) and then warms the
dashboard. Single-flight with coalescing: pokes during a refresh cause one more refresh after
it, not one per poke. Quiet notices are folded further: at most one refresh per
FOLD_SECONDS for them, so that operators importing all day do not keep the refresher busy
when a validation comes (at 10M services each refresh reads the facts for 0.4 s or more).
The other worker processes of the server see the new generation at their next query (they
stat CURRENT), so the first visitor after a write gets its figures.
"""

import contextlib
import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django import db
from django.apps import AppConfig
from django.conf import settings
from django.db.models import Model

from citesmart.analytics import aggregates, conf, refresh, sharedcache, surveyunits, watermark

logger = logging.getLogger(__name__)

CHANNEL = "citesmart_changes"
LOCK = "push.lock"
SQLITE_POLL_SECONDS = 0.5
STANDBY_SECONDS = 2.0  # how often a process without the lock tries to take it
MAX_BACKOFF_SECONDS = 30.0
WARM_SECONDS = 30.0
FOLD_SECONDS = 5.0  # quiet pokes: at most one refresh per this many seconds (Refresher)


def enabled() -> bool:
    """ANALYTICS_PUSH (default on): whether the server entry points start the listener."""
    return bool(getattr(settings, "ANALYTICS_PUSH", True))


# --- the notice (PostgreSQL triggers) ------------------------------------------------------


def notifying_models() -> list[type[Model]]:
    """The models whose rows the read model reads: a write to any of them may move a figure."""
    from citesmart.geo.models import Department, District, Province
    from citesmart.network.models import (
        CatalogueService,
        Center,
        Chain,
        Programme,
        RegistryChange,
        ServiceCategory,
    )
    from citesmart.records.models import Service

    dimensions = [Center, Chain, ServiceCategory, Programme]
    geography = [CatalogueService, Department, Province, District]
    # Apps above this one name theirs: ITP's historic tables through analytics.aggregates,
    # the surveys through analytics.surveyunits.
    above = [*aggregates.models(), *surveyunits.models()]
    return [*watermark.WATCHED.values(), Service, RegistryChange, *dimensions, *geography, *above]


QUIET = ":quiet"
"""A notice's ending when its statement wrote no row of a validated report (an import of
registered reports): no validated figure moved. See Refresher."""

_FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION citesmart_notify_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME);
    RETURN NULL;
END $$
"""
_TRIGGER_SQL = (
    "CREATE OR REPLACE TRIGGER citesmart_notify_change "
    "AFTER {events} ON {table} "
    "FOR EACH STATEMENT EXECUTE FUNCTION citesmart_notify_change()"
)
# Statements that may be quiet read the rows they wrote (transition tables: one event per
# trigger). PL/pgSQL plans a statement when it first runs it, so the branch of another event
# never names a table its trigger lacks.
_QUIET_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION citesmart_notify_written() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    moved boolean := false;  -- it wrote a validated report, or a validated report's services
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') AND TG_TABLE_NAME = '{reports}' THEN
        moved := EXISTS (SELECT 1 FROM new_rows WHERE status = '{validated}');
    ELSIF TG_OP IN ('INSERT', 'UPDATE') AND TG_TABLE_NAME = '{services}' THEN
        moved := EXISTS (SELECT 1 FROM {reports} WHERE status = '{validated}'
                           AND id IN (SELECT report_id FROM new_rows));
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND TG_TABLE_NAME = '{reports}' THEN
        moved := moved OR EXISTS (SELECT 1 FROM old_rows WHERE status = '{validated}');
    ELSIF TG_OP IN ('UPDATE', 'DELETE') AND TG_TABLE_NAME = '{services}' THEN
        moved := moved OR EXISTS (SELECT 1 FROM {reports} WHERE status = '{validated}'
                                      AND id IN (SELECT report_id FROM old_rows));
    END IF;
    -- (units: INSERT only, and a new unit has no service yet)
    PERFORM pg_notify('{channel}', TG_TABLE_NAME || CASE WHEN moved THEN '' ELSE '{quiet}' END);
    RETURN NULL;
END $$
"""
_QUIET_TRIGGER_SQL = (
    "CREATE OR REPLACE TRIGGER citesmart_notify_{event} AFTER {event} ON {table} "
    "REFERENCING {transitions} FOR EACH STATEMENT EXECUTE FUNCTION citesmart_notify_written()"
)
_TRANSITIONS = {
    "INSERT": "NEW TABLE AS new_rows",
    "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "OLD TABLE AS old_rows",
}
_EVENTS = ("INSERT", "UPDATE", "DELETE", "TRUNCATE")


def _quiet_events() -> dict[type[Model], list[str]]:
    """The events that may be quiet, by model: what an import of registered reports does.
    Any other write (a unit changed, a registry's, a TRUNCATE) sends a plain notice."""
    from citesmart.records.models import Service, ServiceReport
    from citesmart.units.models import ProductiveUnit

    written = ["INSERT", "UPDATE", "DELETE"]
    return {ServiceReport: written, Service: written, ProductiveUnit: ["INSERT"]}


def install_triggers(*, using: str = db.DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """Create or replace the notifying triggers (PostgreSQL only; a post_migrate receiver)."""
    wrapper = db.connections[using]
    if wrapper.vendor != "postgresql":
        return
    existing = set(wrapper.introspection.table_names())
    quiet = _quiet_events()
    with wrapper.cursor() as cursor:
        cursor.execute(_FUNCTION_SQL)
        cursor.execute(_written_function_sql())
        for model in notifying_models():
            table = model._meta.db_table
            if table not in existing:  # a partial migrate (or to zero) may not have it
                continue
            quoted = wrapper.ops.quote_name(table)
            plain = [event for event in _EVENTS if event not in quiet.get(model, [])]
            cursor.execute(_TRIGGER_SQL.format(events=" OR ".join(plain), table=quoted))
            for event in _TRANSITIONS:
                if event not in quiet.get(model, []):  # left by an earlier version, if any
                    cursor.execute(f"DROP TRIGGER IF EXISTS citesmart_notify_{event} ON {quoted}")
                    continue
                transitions = _TRANSITIONS[event]
                cursor.execute(
                    _QUIET_TRIGGER_SQL.format(event=event, table=quoted, transitions=transitions)
                )


def _written_function_sql() -> str:
    from citesmart.records.models import ReportStatus, Service, ServiceReport
    from citesmart.units.models import ProductiveUnit

    return _QUIET_FUNCTION_SQL.format(
        units=ProductiveUnit._meta.db_table,
        services=Service._meta.db_table,
        reports=ServiceReport._meta.db_table,
        validated=ReportStatus.VALIDATED.value,
        channel=CHANNEL,
        quiet=QUIET,
    )


def connect_installer(records: AppConfig) -> None:
    """Called from AnalyticsConfig.ready(): install after the records app is migrated."""
    from django.db.models.signals import post_migrate

    post_migrate.connect(install_triggers, sender=records, dispatch_uid="citesmart-push")


# --- the refresh ---------------------------------------------------------------------------


class Refresher:
    """One background refresh at a time; pokes during one cause exactly one more after it.

    A quiet poke (registered reports imported: no validated figure moved) waits until
    `fold_seconds` after the last refresh ended: while operators import all day, their
    refreshes are folded into one every few seconds instead of one per import, and a
    validation seldom finds the refresher busy with them. A plain poke refreshes at once
    (with whatever quiet changes wait).
    """

    def __init__(self, *, warm: bool = True, fold_seconds: float | None = None) -> None:
        self.warm = warm
        self.fold_seconds = FOLD_SECONDS if fold_seconds is None else fold_seconds
        self.refreshes = 0  # completed refresh calls (whatever their outcome)
        self._wake = threading.Condition()
        self._wanted = False  # a plain poke waits
        self._quiet = False  # a quiet poke waits
        self._ended = float("-inf")  # when the last refresh ended
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="analytics-push", daemon=True)

    def start(self) -> "Refresher":
        self._thread.start()
        return self

    def poke(self, *, quiet: bool = False) -> None:
        with self._wake:
            if quiet:
                self._quiet = True
            else:
                self._wanted = True
            self._wake.notify()

    def stop(self, timeout: float = 30) -> None:
        """Stop after the current step (a refresh, or one warmer), waiting at most `timeout`."""
        self._stop.set()
        self.poke()
        self._thread.join(timeout)

    def _due(self) -> bool:
        """Wait until a refresh is due (a plain poke, or quiet ones folded long enough), and
        take the pokes it answers. False when stopping."""
        with self._wake:
            while not self._stop.is_set() and not self._wanted:
                if not self._quiet:
                    self._wake.wait()
                    continue
                left = self._ended + self.fold_seconds - time.monotonic()
                if left <= 0:
                    break
                self._wake.wait(left)
            self._wanted = self._quiet = False
        return not self._stop.is_set()

    def _pending(self) -> bool:
        with self._wake:
            return self._wanted

    def _run(self) -> None:
        # Imported by pyarrow on first use (~0.5 s): not on the first write's clock.
        import pyarrow.compute  # noqa: F401

        while self._due():
            try:
                self._refresh()
            except refresh.DATABASE_AWAY as error:
                # The database is away: the listener reconnects and pokes again.
                logger.warning("analytics: refresco por aviso no posible: %s", _first_line(error))
            except Exception:
                logger.exception("analytics: falló el refresco por aviso")
            finally:
                self._ended = time.monotonic()
                self.refreshes += 1
                db.connections.close_all()  # this thread's own connections only

    def _refresh(self) -> None:
        outcome = refresh.refresh(wait=True)  # behind another writer of this server, if any
        if outcome.kind == "unchanged":
            return
        warmed = ""
        # Not when another refresh is due (warm that one), nor when every public answer
        # cached for the previous generation still serves (registered reports imported).
        if self.warm and outcome.public_moved and not self._pending():
            started = time.perf_counter()
            _warm(self._stop)
            warmed = f"; precálculo {time.perf_counter() - started:.2f} s"
        logger.info(
            "analytics: %s publicada por aviso (%s, %.2f s%s%s)",
            outcome.generation,
            outcome.kind,
            outcome.seconds,
            f": {outcome.phases}" if outcome.phases else "",
            warmed,
        )


def _warm(stop: threading.Event) -> None:
    deadline = time.monotonic() + WARM_SECONDS
    for warmer in sharedcache.warmers:
        if stop.is_set():  # a retiring worker: the next generation's warm-up is another's
            return
        if warmer in sharedcache.not_after_push:
            continue
        try:
            warmer(deadline)
        except Exception as error:  # the generation is published either way
            logger.warning("analytics: no se pudo precalcular el tablero: %s", error)


# --- the listener --------------------------------------------------------------------------


class Listener:
    """Waits for notices (PostgreSQL) or commits (SQLite) and pokes `on_change`."""

    def __init__(self, on_change: Callable[..., None], directory: Path | None = None) -> None:
        self.on_change = on_change
        self.directory = directory or conf.directory()
        self.backend_pid = 0  # PostgreSQL: the listening connection's server process
        self.connected = threading.Event()  # listening (PostgreSQL) or polling (SQLite)
        self.connections = 0  # successful (re)connections
        self._stop = threading.Event()
        self._lock_fd = -1
        self._thread = threading.Thread(target=self._run, name="analytics-listen", daemon=True)

    def start(self) -> "Listener":
        self._thread.start()
        return self

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        try:
            while not self._stop.is_set() and not self._take_lock():
                self._stop.wait(STANDBY_SECONDS)  # another process of this server listens
            if self._stop.is_set():
                return
            backoff = 0.5
            while not self._stop.is_set():
                try:
                    self._listen()
                    backoff = 0.5  # stopped, or lost after having worked: retry soon
                except Exception as error:
                    logger.warning(
                        "analytics: escucha de cambios interrumpida (%s); reintento en %.1f s",
                        _first_line(error),
                        backoff,
                    )
                finally:
                    self.connected.clear()
                    _close_quietly()
                self._stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
        finally:
            if self._lock_fd >= 0:
                os.close(self._lock_fd)  # releases the lock for another process

    def _take_lock(self) -> bool:
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.directory / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._lock_fd = fd
        return True

    def _listen(self) -> None:
        wrapper = db.connections[db.DEFAULT_DB_ALIAS]  # this thread's own connection
        wrapper.ensure_connection()
        if wrapper.vendor == "postgresql":
            self._listen_postgresql(wrapper.connection)
        else:
            self._poll_sqlite(wrapper)

    def _listen_postgresql(self, raw: Any) -> None:
        raw.execute(f"LISTEN {CHANNEL}")
        self.backend_pid = raw.info.backend_pid
        self._connected()
        while not self._stop.is_set():
            # Wakes for each notice, or after a second to look at the stop flag. A dead
            # connection raises psycopg.OperationalError here (terminated backend, restart).
            for notice in raw.notifies(timeout=1.0, stop_after=1):
                self.on_change(quiet=notice.payload.endswith(QUIET))

    def _poll_sqlite(self, wrapper: Any) -> None:
        last = None
        self._connected()
        while not self._stop.is_set():
            with wrapper.cursor() as cursor:
                cursor.execute("PRAGMA data_version")
                (version,) = cursor.fetchone()
            if last is not None and version != last:
                self.on_change()
            last = version
            self._stop.wait(SQLITE_POLL_SECONDS)

    def _connected(self) -> None:
        self.connections += 1
        self.connected.set()
        self.on_change()  # what committed while nobody listened


def _close_quietly() -> None:
    # A dead connection may fail to close; it is dropped either way.
    with contextlib.suppress(Exception):
        db.connections[db.DEFAULT_DB_ALIAS].close()


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


# --- this process's pair -------------------------------------------------------------------


class Push:
    """A listener and a refresher running together (what a server process starts)."""

    def __init__(self, *, warm: bool = True, directory: Path | None = None) -> None:
        self.refresher = Refresher(warm=warm)
        self.listener = Listener(self.refresher.poke, directory)

    def start(self) -> "Push":
        self.refresher.start()
        self.listener.start()
        return self

    def stop(self, timeout: float = 30) -> None:
        """Stop both, waiting at most `timeout` seconds in all."""
        deadline = time.monotonic() + timeout
        self.listener.stop(min(timeout, 10))
        self.refresher.stop(max(deadline - time.monotonic(), 0))


_running: Push | None = None
_running_lock = threading.Lock()


def start() -> Push:
    """Start this process's listener and refresher (once; later calls return the same)."""
    global _running
    with _running_lock:
        if _running is None:
            _running = Push().start()
            refresh.pushed_here = True
        return _running


def start_for_server() -> None:
    """The WSGI/ASGI entry points' call: start unless ANALYTICS_PUSH is off."""
    if enabled():
        start()


def stop(timeout: float = 30) -> None:
    """Stop this process's listener and refresher, if started (a retiring server worker)."""
    global _running
    with _running_lock:
        running, _running = _running, None
    if running is not None:
        running.stop(timeout)


def _forget_after_fork() -> None:
    # Threads do not survive fork(): a forked worker starts its own (gunicorn --preload).
    global _running
    _running = None
    refresh.pushed_here = False


os.register_at_fork(after_in_child=_forget_after_fork)
