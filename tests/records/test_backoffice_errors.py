"""Ordinary back-office addresses with odd parameters answer clearly, never with a 500."""

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from citesmart.network.models import ServiceCategory
from citesmart.records.actions import AttendedUnit, record_service_report
from citesmart.records.unit_actions import get_or_create_unit
from citesmart.targets.actions import set_target
from citesmart.targets.models import Target

HUGE = "9" * 20


@pytest.fixture
def client_for_raising(client_for):
    """A client whose server errors fail the test instead of becoming a 500 page."""

    def login(user) -> Client:
        client = client_for(user)
        client.raise_request_exception = True
        return client

    return login


def test_a_target_recorded_by_the_system_shows_its_history(
    client_for_raising, national_admin, center_a, read_model
):
    set_target(None, center=center_a, year=2026, indicator="services", value=100)
    target = Target.objects.get()
    response = client_for_raising(national_admin).get(
        reverse("admin:targets_target_change", args=[target.pk])
    )
    assert response.status_code == 200 and "sistema" in response.text


def test_an_unknown_export_format_is_a_clear_400(client_for_raising, national_admin):
    response = client_for_raising(national_admin).get(
        reverse("admin:records_servicereport_export") + "?formato=pdf"
    )
    assert response.status_code == 400
    assert "Formato de exportación desconocido «pdf»: use xlsx o csv." in response.text


@pytest.fixture
def a_report(center_a):
    """One report, so the list offers its year filter (Django hides a filter with no choices)."""
    unit, _ = get_or_create_unit(
        document_type="ruc",
        document_number="20100070970",
        name="Empresa de Prueba S.A.C.",
        client_type="empresa_formal",
        center=center_a,
    )
    return record_service_report(
        center=center_a,
        code="ERR-1",
        start_date=date(2025, 3, 1),
        end_date=date(2025, 3, 2),
        units=[AttendedUnit(unit, Decimal(0))],
        category=ServiceCategory.objects.order_by("order").first(),
    ).report


@pytest.mark.usefixtures("a_report")
@pytest.mark.parametrize("year", ["0", HUGE, "-1", "20x5"])
@pytest.mark.parametrize("view", ["changelist", "export"])
def test_a_year_no_calendar_has_is_an_invalid_filter(
    client_for_raising, national_admin, year, view
):
    url = reverse(f"admin:records_servicereport_{view}") + f"?anio={year}"
    response = client_for_raising(national_admin).get(url)
    assert response.status_code == 302 and response["Location"].endswith("?e=1")


@pytest.mark.parametrize(
    "query", [f"created_at__year={HUGE}", f"created_at__year=2025&created_at__month={HUGE}"]
)
def test_audit_and_request_lists_refuse_impossible_dates(
    client_for_raising, national_admin, manager_a, query
):
    for user, page in [
        (national_admin, "admin:records_auditentry_changelist"),
        (manager_a, "admin:service_requests_servicerequest_changelist"),
    ]:
        response = client_for_raising(user).get(f"{reverse(page)}?{query}")
        assert response.status_code == 302 and response["Location"].endswith("?e=1"), page
