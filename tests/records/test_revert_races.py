"""A validation and a batch revert of the same report, at the same time, on PostgreSQL
(issue 15): both take the reports' rows before the month's, so they serialize instead of
deadlocking, and neither write is lost.
"""

import threading
import time
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from tests.conftest import make_user
from tests.records.test_closing_races import (  # noqa: F401 (the fixture)
    ON_POSTGRES,
    _reference_data,
    in_thread,
)

from citesmart.accounts.roles import Role
from citesmart.network.models import Center, ServiceCategory
from citesmart.records import closing
from citesmart.records.actions import (
    AttendedUnit,
    record_service_report,
    revert_batch,
    set_report_status,
)
from citesmart.records.models import AuditEntry, ImportBatch, ReportStatus, ServiceReport
from citesmart.records.unit_actions import get_or_create_unit

pytestmark = [
    pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL (DATABASE_URL)"),
    pytest.mark.django_db(transaction=True),
]


def imported(center, batch, code: str, number: str) -> ServiceReport:
    unit, _ = get_or_create_unit(
        document_type="ruc", document_number=number, name="Empresa", client_type="empresa_formal"
    )
    return record_service_report(
        center=center,
        code=code,
        start_date=date(2025, 3, 10),
        end_date=date(2025, 3, 10),
        units=[AttendedUnit(unit, Decimal(0))],
        category=ServiceCategory.objects.order_by("order").first(),
        status=ReportStatus.REGISTERED,
        batch=batch,
    ).report


def slowed(monkeypatch, first: str, holder: threading.Event) -> None:
    """The first thread holds its locks a while at its first month lock: the validation
    before taking the month (it holds the report), the revert after (it holds both)."""
    original = closing.lock_month

    def slow_lock(*args, **kwargs):
        mine = threading.current_thread().name == first and not holder.is_set()
        if mine and first == "validation":
            holder.set()
            time.sleep(0.6)
        row = original(*args, **kwargs)
        if mine and first == "revert":
            holder.set()
            time.sleep(0.6)
        return row

    monkeypatch.setattr(closing, "lock_month", slow_lock)


@pytest.mark.parametrize("first", ["validation", "revert"])
def test_a_validation_and_a_batch_revert_of_the_same_report_serialize(monkeypatch, first):
    assert connection.vendor == "postgresql"
    center = Center.objects.get(code="citeagroindustrial-moquegua")
    manager = make_user("gestor_reversion", Role.CENTER_MANAGER, center)
    batch = ImportBatch.objects.create(
        center=center, filename="lote.csv", status=ImportBatch.Status.COMMITTED
    )
    # The revert walks its reports newest first: it reaches the validated one last.
    target = imported(center, batch, "LOTE-1", "20100070970")
    imported(center, batch, "LOTE-2", "20131312955")
    holder = threading.Event()
    slowed(monkeypatch, first, holder)
    results: dict = {}
    jobs = {
        "validation": in_thread(
            lambda: set_report_status(report=target, status=ReportStatus.VALIDATED, actor=manager),
            results,
            "validation",
        ),
        "revert": in_thread(lambda: revert_batch(batch=batch, actor=manager), results, "revert"),
    }
    jobs[first].start()
    assert holder.wait(10)
    jobs["revert" if first == "validation" else "validation"].start()
    for job in jobs.values():
        job.join(30)
    assert isinstance(results["revert"], ImportBatch), results  # no deadlock, no error
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.REVERTED
    statuses = ServiceReport.objects.filter(code__in=["LOTE-1", "LOTE-2"])
    assert set(statuses.values_list("status", flat=True)) == {ReportStatus.CANCELLED}
    trail = list(
        AuditEntry.objects.filter(object_type="servicereport", object_id=target.pk)
        .order_by("id")
        .values_list("action", flat=True)
    )
    if first == "validation":  # validated, then cancelled by the revert: both kept
        assert isinstance(results["validation"], ServiceReport), results
        assert trail[-2:] == [AuditEntry.Action.VALIDATE, AuditEntry.Action.CANCEL]
    else:  # cancelled first: the validation waits, then refuses
        assert isinstance(results["validation"], ValidationError), results
        assert "está anulado" in str(results["validation"])
        assert AuditEntry.Action.VALIDATE not in trail and trail[-1] == AuditEntry.Action.CANCEL
