"""The uploaded files of imports: none is left on disk without a batch that names it.

An import keeps a copy of its file (which can hold personal data) under `imports/` in the
default storage, before reading it, and names it on its ImportBatch when the batch is saved
(in the write transaction for a real import). An import that fails removes its copy at once
(`discard_unreferenced`). One killed midway (SIGKILL, out of memory, a machine restart)
cannot: its copy is found by `sweep_orphans`, run at the start of every import and by
`citesmart sweep_uploads` (cron, docs/DEPLOYMENT.md), which removes the files under
`imports/` older than IMPORT_ORPHAN_MINUTES (60) that no batch names (its file or its rows
to fix). The age spares the copies of imports still running.
"""

import logging
import posixpath
from contextlib import suppress
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import DatabaseError
from django.utils import timezone

from citesmart.records.imports.report import rejected_file_name
from citesmart.records.models import ImportBatch

logger = logging.getLogger(__name__)
ROOT = "imports"


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


def sweep_orphans(*, older_than_minutes: float | None = None) -> list[str]:
    """Delete the files under imports/ older than the age given that no batch names."""
    minutes = orphan_minutes() if older_than_minutes is None else older_than_minutes
    cutoff = timezone.now() - timedelta(minutes=minutes)
    candidates = [name for name in _files(ROOT) if _modified(name) <= cutoff]
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


def _referenced() -> set[str]:
    names: set[str] = set()
    for batch in ImportBatch.objects.exclude(file="").only("file"):
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
