"""The entry form after the review: a notes-only edit does not make the editor the
report's recorder (four eyes), and a month closed while the form was open gives a
Spanish error on the form, not a 500."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from citesmart.network.models import ServiceCategory
from citesmart.records.actions import AttendedUnit, record_service_report
from citesmart.records.closing import close_month
from citesmart.records.forms import ServiceReportForm
from citesmart.records.models import MonthClosing, MonthStatus, ReportStatus
from citesmart.records.unit_actions import get_or_create_unit

pytestmark = pytest.mark.django_db
RUC = "20131312955"


def recorded(center, actor, status=ReportStatus.REGISTERED):
    unit = get_or_create_unit(document_type="ruc", document_number=RUC, name="Empresa Uno")[0]
    return record_service_report(
        center=center,
        code="INF-001",
        start_date=date(2025, 3, 3),
        end_date=date(2025, 3, 7),
        units=[AttendedUnit(unit, Decimal("50"))],
        category=ServiceCategory.objects.get(code="asistencia-tecnica"),
        status=status,
        actor=actor,
    ).report


def change_data(report, *, amount="50", notes="") -> dict:
    return {
        "category": report.category_id,
        "start_date": "03/03/2025",
        "end_date": "07/03/2025",
        "notes": notes,
        "unidades-TOTAL_FORMS": 1,
        "unidades-INITIAL_FORMS": 1,
        "unidades-MIN_NUM_FORMS": 0,
        "unidades-MAX_NUM_FORMS": 1000,
        "unidades-0-document_type": "ruc",
        "unidades-0-document_number": RUC,
        "unidades-0-amount": amount,
    }


def test_a_manager_editing_only_the_notes_may_still_validate_under_four_eyes(
    settings, client_for, manager_a, operator_a, center_a
):
    settings.RECORDS_FOUR_EYES = True
    report = recorded(center_a, operator_a)
    client = client_for(manager_a)
    url = reverse("admin:records_servicereport_change", args=[report.pk])
    response = client.post(url, change_data(report, notes="Revisado por el gestor"))
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.notes == "Revisado por el gestor"
    assert report.recorded_by == operator_a

    client.post(reverse("admin:records_servicereport_validate", args=[report.pk]))
    report.refresh_from_db()
    assert report.status == ReportStatus.VALIDATED


def test_changing_an_amount_makes_the_editor_the_recorder(
    settings, client_for, manager_a, operator_a, center_a
):
    settings.RECORDS_FOUR_EYES = True
    report = recorded(center_a, operator_a)
    url = reverse("admin:records_servicereport_change", args=[report.pk])
    assert client_for(manager_a).post(url, change_data(report, amount="80")).status_code == 302
    report.refresh_from_db()
    assert report.recorded_by == manager_a


def test_a_month_closed_while_the_form_was_open_is_a_spanish_error_on_the_form(
    client_for, monkeypatch, manager_a, center_a
):
    report = recorded(center_a, None, status=ReportStatus.VALIDATED)
    clean = ServiceReportForm.clean

    def clean_then_close(form):
        data = clean(form)
        if not MonthClosing.objects.filter(center=center_a, status=MonthStatus.CLOSED).exists():
            # Someone closes March right after this form was checked, before it is saved.
            close_month(center=center_a, year=2025, month=3, actor=None)
        return data

    monkeypatch.setattr(ServiceReportForm, "clean", clean_then_close)
    url = reverse("admin:records_servicereport_change", args=[report.pk])
    response = client_for(manager_a).post(url, change_data(report, amount="80"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "marzo de 2025" in page and "está cerrado" in page
    assert report.services.get().amount == Decimal("50.00")
