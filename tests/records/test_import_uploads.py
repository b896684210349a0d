"""No uploaded import file (it may hold personal data) stays on disk without a batch."""

import os
import time

import pytest
from django.core.management import call_command
from django.urls import reverse
from tests.records.test_import_admin import UPLOAD, csv_file

from citesmart.records.models import ImportBatch

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.IMPORT_ORPHAN_MINUTES = 60


def _files(settings) -> set[str]:
    root = settings.MEDIA_ROOT / "imports"
    return {str(p.relative_to(settings.MEDIA_ROOT)) for p in root.rglob("*") if p.is_file()}


def _orphan(settings, name: str, *, minutes_old: float) -> str:
    path = settings.MEDIA_ROOT / "imports" / "2026" / "01" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("codigo_informe,numero_documento\nX,41234567\n", encoding="utf-8")
    then = time.time() - minutes_old * 60
    os.utime(path, (then, then))
    return str(path.relative_to(settings.MEDIA_ROOT))


def test_an_import_that_fails_midway_leaves_no_file(
    client_for, operator_a, center_a, settings, monkeypatch
):
    client = client_for(operator_a)
    client.raise_request_exception = False

    def broken(*args, **kwargs):  # a fault while writing (the file is already stored)
        raise RuntimeError("the disk went away while writing")

    monkeypatch.setattr("citesmart.records.imports.pipeline.write_plan", broken)
    response = client.post(UPLOAD, {"center": center_a.pk, "file": csv_file([{}])})
    assert response.status_code == 500
    assert not ImportBatch.objects.exists()
    assert _files(settings) == set(), "the copy of the file went with the import"


def test_the_sweep_removes_old_files_no_batch_names(client_for, manager_a, center_a, settings):
    client = client_for(manager_a)
    rows = [{}, {"codigo_informe": "B", "numero_documento": "20131312956"}]  # one bad RUC
    client.post(UPLOAD, {"center": center_a.pk, "file": csv_file(rows), "accept_valid": "on"})
    batch = ImportBatch.objects.get()
    kept = _files(settings)
    assert batch.file.name in kept and len(kept) == 2, "the file and its rows to fix"
    for name in kept:  # old, but named by the batch
        os.utime(settings.MEDIA_ROOT / name, (time.time() - 7200, time.time() - 7200))
    old = _orphan(settings, "matado.csv", minutes_old=90)
    young = _orphan(settings, "en-curso.csv", minutes_old=5)
    call_command("sweep_uploads")
    assert _files(settings) == kept | {young}, "only the old orphan goes"
    call_command("sweep_uploads", "--minutos", "0")
    assert _files(settings) == kept
    assert old not in _files(settings)


def test_the_next_import_sweeps_what_a_killed_one_left(client_for, operator_a, center_a, settings):
    left = _orphan(settings, "interrumpido.csv", minutes_old=61)
    response = client_for(operator_a).post(
        UPLOAD, {"center": center_a.pk, "file": csv_file([{}])}, follow=True
    )
    assert response.status_code == 200
    batch = ImportBatch.objects.get()
    assert _files(settings) == {batch.file.name}
    assert left not in _files(settings)
    assert response.redirect_chain[-1][0] == reverse(
        "admin:records_importbatch_change", args=[batch.pk]
    )


def _backdate_everything(settings, minutes: float) -> None:
    then = time.time() - minutes * 60
    for path in (settings.MEDIA_ROOT / "imports").rglob("*"):
        if path.is_file():
            os.utime(path, (then, then))


def test_an_import_running_for_hours_keeps_its_file_whatever_the_sweep(
    client_for, operator_a, center_a, settings, monkeypatch
):
    """A long bulk import: its copy is hours old while it still runs. Neither the timer's
    sweep nor an impatient `--minutos 0` may take it (the batch would name a missing file)."""
    from citesmart.records.imports import pipeline

    read_rows = pipeline.read_rows

    def slow(*args, **kwargs):
        _backdate_everything(settings, minutes=180)  # as if it had been reading for hours
        call_command("sweep_uploads")
        call_command("sweep_uploads", "--minutos", "0")
        return read_rows(*args, **kwargs)

    monkeypatch.setattr(pipeline, "read_rows", slow)
    client_for(operator_a).post(UPLOAD, {"center": center_a.pk, "file": csv_file([{}])})
    batch = ImportBatch.objects.get()
    assert _files(settings) == {batch.file.name}, "the running import kept its copy"
    assert not (settings.MEDIA_ROOT / "import-leases").exists() or not [
        p for p in (settings.MEDIA_ROOT / "import-leases").rglob("*") if p.is_file()
    ], "the lease went with the import"


def test_imports_sweep_at_most_once_an_interval(client_for, operator_a, center_a, settings):
    """A sweep lists every upload: not on every import or API call."""
    settings.IMPORT_SWEEP_INTERVAL_MINUTES = 60
    client = client_for(operator_a)
    first = _orphan(settings, "interrumpido-1.csv", minutes_old=90)
    client.post(UPLOAD, {"center": center_a.pk, "file": csv_file([{}])})
    assert first not in _files(settings)
    second = _orphan(settings, "interrumpido-2.csv", minutes_old=90)
    rows = [{"codigo_informe": "OTRO-2"}]
    client.post(UPLOAD, {"center": center_a.pk, "file": csv_file(rows)})
    assert second in _files(settings), "the second import within the hour does not sweep"
    call_command("sweep_uploads")
    assert second not in _files(settings), "the timer's command always does"


def test_a_lease_no_longer_renewed_frees_its_file(settings):
    """An import on a machine that died: its lease stops being renewed, and after
    LEASE_STALE_MINUTES its copy is swept like any orphan."""
    from citesmart.records.imports.uploads import LEASE_STALE_MINUTES, Lease

    orphan = _orphan(settings, "maquina-caida.csv", minutes_old=120)
    lease = Lease()
    lease.hold(orphan)
    call_command("sweep_uploads")
    assert orphan in _files(settings), "held"
    lease._stop.set()  # the machine died: no more renewals, nobody releases it
    leases = [p for p in (settings.MEDIA_ROOT / "import-leases").rglob("*") if p.is_file()]
    then = time.time() - (LEASE_STALE_MINUTES + 1) * 60
    for path in leases:
        os.utime(path, (then, then))
    call_command("sweep_uploads")
    assert orphan not in _files(settings)
    assert not [p for p in leases if p.exists()], "the dead lease went too"
