"""A closing and an import of the same month, at the same time, on PostgreSQL (issue 15).

Whoever takes the month's row first wins; the other waits, then sees what it did: a month
is never left closed with a report still "registrado" in it, and no write is lost.
"""

import os
import threading
import time
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, connections
from tests.conftest import make_user

from citesmart.accounts.roles import Role
from citesmart.geo.loading import load_geography
from citesmart.network.models import Center, ServiceCategory
from citesmart.network.reference import load_network
from citesmart.records import closing
from citesmart.records.actions import AttendedUnit, record_service_report
from citesmart.records.models import MonthClosing, MonthStatus, ReportStatus, ServiceReport
from citesmart.records.unit_actions import get_or_create_unit

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")
pytestmark = [
    pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL (DATABASE_URL)"),
    pytest.mark.django_db(transaction=True),
]
MARCH = {"year": 2025, "month": 3}


@pytest.fixture(autouse=True)
def _reference_data(django_db_blocker):
    """Transactional tests flush every table: each gets the network, and so do later modules."""
    with django_db_blocker.unblock():
        load_geography()
        load_network()
    yield
    with django_db_blocker.unblock():
        load_geography()
        load_network()


def in_thread(work, results: dict, name: str) -> threading.Thread:
    def run():
        try:
            results[name] = work()
        except Exception as error:  # the refusal is the expected outcome for one of them
            results[name] = error
        finally:
            connections.close_all()

    return threading.Thread(target=run, name=name)


def import_registered(center):
    unit, _ = get_or_create_unit(
        document_type="ruc",
        document_number="20100070970",
        name="Empresa",
        client_type="empresa_formal",
    )
    return record_service_report(
        center=center,
        code="CARRERA-1",
        start_date=date(2025, 3, 10),
        end_date=date(2025, 3, 10),
        units=[AttendedUnit(unit, Decimal(0))],
        category=ServiceCategory.objects.order_by("order").first(),
        status=ReportStatus.REGISTERED,
    )


@pytest.mark.parametrize("first", ["closing", "import"])
def test_a_closing_and_an_import_of_the_same_month_serialize(monkeypatch, first):
    assert connection.vendor == "postgresql"
    center = Center.objects.get(code="citeagroindustrial-moquegua")
    manager_a = make_user("gestor_carrera", Role.CENTER_MANAGER, center)
    original = closing.lock_month
    holder = threading.Event()

    def slow_lock(*args, **kwargs):
        row = original(*args, **kwargs)
        if threading.current_thread().name == first:
            holder.set()
            time.sleep(0.5)  # hold the row lock while the other one arrives
        return row

    monkeypatch.setattr(closing, "lock_month", slow_lock)
    results: dict = {}
    jobs = {
        "closing": in_thread(
            lambda: closing.close_month(center=center, actor=manager_a, **MARCH), results, "closing"
        ),
        "import": in_thread(lambda: import_registered(center), results, "import"),
    }
    jobs[first].start()
    assert holder.wait(10)
    other = "import" if first == "closing" else "closing"
    jobs[other].start()
    for job in jobs.values():
        job.join(30)
    month = MonthClosing.objects.get(center=center, **MARCH)
    registered = ServiceReport.objects.filter(
        center=center, end_date__month=3, status=ReportStatus.REGISTERED
    ).count()
    assert not (month.status == MonthStatus.CLOSED and registered), results
    if first == "closing":
        assert month.status == MonthStatus.CLOSED and registered == 0
        assert "está cerrado" in str(results["import"])
    else:
        assert month.status == MonthStatus.OPEN and registered == 1
        assert "quedan 1 informe" in str(results["closing"])
