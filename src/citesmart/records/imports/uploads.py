"""The uploaded files of imports: none is left on disk without a batch that names it.

An import keeps a copy of its file (which can hold personal data) under `imports/` in the
default storage, before reading it, and names it on its ImportBatch when the batch is saved
(in the write transaction for a real import). An import that fails removes its copy at once
(`discard_unreferenced`). One killed midway (SIGKILL, out of memory, a machine restart)
cannot: its copy is found by `sweep_orphans`, run by `citesmart sweep_uploads` (hourly timer,
docs/DEPLOYMENT.md) and by an import at most once per IMPORT_SWEEP_INTERVAL_MINUTES (60,
`sweep_if_due`: a sweep lists every upload, too much for every import and API call). It
removes the files under `imports/` older than IMPORT_ORPHAN_MINUTES (60) that no batch names
(its file or its rows to fix) and that no import in progress holds. A check's ("solo
verificación") file is kept IMPORT_CHECK_HOURS (72) to be registered without a new upload,
then swept too.

An import in progress holds its copy with a lease (`Lease`): a small file under
`import-leases/` written when the copy is stored and renewed every minute by a thread of the
importing process, so a bulk import that runs for hours keeps its file whatever the age
threshold. A lease is dead when it has not been renewed for LEASE_STALE_MINUTES (the process
or its machine died) or, at once, when it names a process of this machine that no longer
exists (an import killed with SIGKILL).
"""

import hashlib
import logging
import os
import posixpath
import socket
import threading
from contextlib import suppress
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError
from django.utils import timezone

from citesmart.records.models import ImportBatch

logger = logging.getLogger(__name__)
ROOT = "imports"
LEASES = "import-leases"
HEARTBEAT_SECONDS = 60.0
LEASE_STALE_MINUTES = 5.0  # five missed renewals: the importing process is gone
SWEEP_DUE_KEY = "records:imports:sweep-due"


def orphan_minutes() -> float:
    return float(getattr(settings, "IMPORT_ORPHAN_MINUTES", 60))


def discard_unreferenced(*, name: str) -> None:
    """Remove the copy of a failed import unless a committed batch names it (keep it when
    the database cannot say: the sweep will decide later)."""
    if not name:
        return
    try:
        named = ImportBatch.objects.filter(file=name).exists()
    except DatabaseError:
        return
    if not named:
        with suppress(OSError):
            default_storage.delete(name)


def sweep_if_due() -> list[str]:
    """`sweep_orphans` at most once per IMPORT_SWEEP_INTERVAL_MINUTES across the processes
    sharing the default cache (none when the cache fails: the timer's command sweeps)."""
    interval = float(getattr(settings, "IMPORT_SWEEP_INTERVAL_MINUTES", 60))
    try:
        due = cache.add(SWEEP_DUE_KEY, timezone.now().isoformat(), timeout=int(interval * 60))
    except Exception:  # a broken cache must not break an import
        logger.warning("No se pudo consultar la caché para barrer archivos sin lote.")
        return []
    return sweep_orphans() if due else []


def sweep_orphans(*, older_than_minutes: float | None = None) -> list[str]:
    """Delete the files under imports/ older than the age given that no batch names and no
    import in progress holds (see Lease); dead leases go too."""
    minutes = orphan_minutes() if older_than_minutes is None else older_than_minutes
    cutoff = timezone.now() - timedelta(minutes=minutes)
    candidates = [name for name in _files(ROOT) if _modified(name) <= cutoff]
    held = _held()
    candidates = [name for name in candidates if _lease_key(name) not in held]
    if not candidates:
        return []
    referenced = _referenced()
    removed = []
    for name in candidates:
        if name not in referenced:
            with suppress(OSError):
                default_storage.delete(name)
                removed.append(name)
    if removed:
        logger.warning("Se eliminaron %s archivos de importaciones sin lote.", len(removed))
    return removed


def rejected_file_name(batch: ImportBatch) -> str:
    """Where the rows to fix and re-import are kept, next to the batch's file."""
    stem, ext = os.path.splitext(batch.file.name)
    return f"{stem}-rechazadas{ext.lower() if ext.lower() in ('.csv', '.xlsx') else '.csv'}"


def check_hours() -> float:
    """How long a checked file may be registered (or checked again) without a new upload;
    past that the sweep removes it (it may hold personal data)."""
    return float(getattr(settings, "IMPORT_CHECK_HOURS", 72))


def _referenced() -> set[str]:
    names: set[str] = set()
    expired = timezone.now() - timedelta(hours=check_hours())
    batches = ImportBatch.objects.exclude(file="").exclude(
        status=ImportBatch.Status.DRY_RUN, created_at__lt=expired
    )
    for batch in batches.only("file"):
        names |= {batch.file.name, rejected_file_name(batch)}
    return names


def _files(directory: str) -> list[str]:
    try:
        folders, files = default_storage.listdir(directory)
    except (FileNotFoundError, NotADirectoryError):
        return []
    found = [posixpath.join(directory, name) for name in files]
    for folder in folders:
        found += _files(posixpath.join(directory, folder))
    return found


def _modified(name: str) -> datetime:
    try:
        return default_storage.get_modified_time(name)
    except OSError:  # removed meanwhile: never older than the cutoff
        return timezone.now()


class Lease:
    """Holds an import's copy while the import runs: renewed by a daemon thread every
    HEARTBEAT_SECONDS, removed by `release` (an import that ends, well or not)."""

    def __init__(self) -> None:
        self.name = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._written: str = ""

    def hold(self, name: str) -> None:
        if not name or self.name:
            return
        self.name = name
        self._renew()
        self._thread = threading.Thread(target=self._beat, name="import-lease", daemon=True)
        self._thread.start()

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self._written:
            with suppress(OSError):
                default_storage.delete(self._written)

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            with suppress(OSError):
                self._renew()

    def _renew(self) -> None:
        # A new file, then the old one goes: there is always a fresh lease on disk.
        owner = f"{socket.gethostname()} {os.getpid()} {timezone.now().isoformat()}"
        folder = posixpath.join(LEASES, _lease_key(self.name))
        written = default_storage.save(posixpath.join(folder, "lease"), ContentFile(owner))
        previous, self._written = self._written, written
        if previous:
            with suppress(OSError):
                default_storage.delete(previous)


def _lease_key(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:32]


def _held() -> set[str]:
    """The keys of the copies a live import holds; dead leases are removed on the way."""
    stale = timezone.now() - timedelta(minutes=LEASE_STALE_MINUTES)
    live: set[str] = set()
    for lease in _files(LEASES):
        if _modified(lease) > stale and not _owner_is_gone(lease):
            live.add(posixpath.basename(posixpath.dirname(lease)))
        else:
            with suppress(OSError):
                default_storage.delete(lease)
    return live


def _owner_is_gone(lease: str) -> bool:
    """Whether the lease names a process of this machine that no longer runs."""
    try:
        with default_storage.open(lease, "rb") as handle:
            host, pid, _ = handle.read(300).decode("utf-8", "replace").split(" ", 2)
    except (OSError, ValueError):
        return False
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists, owned by another user
        return False
    return False
