"""Center staff reach their own center's reports only: lists, pages, actions and crafted URLs."""

from datetime import date, timedelta
from decimal import Decimal
from random import Random

import pytest
from django.urls import reverse

from citesmart.lib.identity import random_ruc
from citesmart.network.models import ServiceCategory
from citesmart.records.actions import AttendedUnit, record_service_report, set_report_status
from citesmart.records.models import ReportStatus, ServiceReport
from citesmart.records.queries import (
    catalogue_for_user,
    reports_for_user,
    units_for_user,
)
from citesmart.records.unit_actions import get_or_create_unit

LIST_URL = reverse("admin:records_servicereport_changelist")
YESTERDAY = date.today() - timedelta(days=1)


def make_report(center, code: str, *, name: str, seed: int) -> ServiceReport:
    unit, _ = get_or_create_unit(
        document_type="ruc",
        document_number=random_ruc(Random(seed)),
        name=name,
        client_type="empresa_formal",
        center=center,
    )
    return record_service_report(
        center=center,
        code=code,
        start_date=YESTERDAY,
        end_date=YESTERDAY,
        units=[AttendedUnit(unit, Decimal("10"))],
        category=ServiceCategory.objects.get(code="capacitacion"),
    ).report


@pytest.fixture
def report_a(center_a) -> ServiceReport:
    return make_report(center_a, "MOQ-001", name="Pisquera Moqueguana SAC", seed=1)


@pytest.fixture
def report_b(center_b) -> ServiceReport:
    return make_report(center_b, "TRU-001", name="Calzados Trujillo SAC", seed=2)


def report_url(name: str, report) -> str:
    return reverse(f"admin:records_servicereport_{name}", args=[report.pk])


def test_operator_list_shows_only_own_center_reports(client_for, operator_a, report_a, report_b):
    page = client_for(operator_a).get(LIST_URL).content.decode()
    assert "MOQ-001" in page
    assert "TRU-001" not in page and "Trujillo" not in page


def test_searching_another_centers_unit_document_finds_nothing(
    client_for, operator_a, report_a, report_b
):
    document = report_b.services.get().unit.document_number
    page = client_for(operator_a).get(LIST_URL, {"q": document}).content.decode()
    assert "TRU-001" not in page


@pytest.mark.parametrize("page", ["change", "history", "cancel"])
def test_operator_gets_404_on_another_centers_report_pages(client_for, operator_a, report_b, page):
    assert client_for(operator_a).get(report_url(page, report_b)).status_code == 404


def test_operator_cannot_change_cancel_or_validate_another_centers_report(
    client_for, operator_a, manager_a, report_b
):
    client = client_for(operator_a)
    assert client.post(report_url("change", report_b), {"notes": "x"}).status_code == 404
    cancel = client.post(report_url("cancel", report_b), {"confirmar": "1", "reason": "x"})
    assert cancel.status_code == 404
    assert client_for(manager_a).post(report_url("validate", report_b)).status_code == 404
    report_b.refresh_from_db()
    assert report_b.status == ReportStatus.REGISTERED and report_b.notes == ""


@pytest.mark.parametrize("action", ["cancel_reports", "validate_reports", "export_csv"])
def test_bulk_actions_cannot_reach_another_centers_reports(
    client_for, manager_a, report_a, report_b, action
):
    response = client_for(manager_a).post(
        LIST_URL,
        {
            "action": action,
            "_selected_action": [report_b.pk],
            "confirmar": "1",
            "reason": "fuera de alcance",
        },
    )
    if action == "export_csv":  # an export of nothing: B's id is not in the list
        content = b"".join(response.streaming_content).decode()
        assert "TRU-001" not in content and "Calzados" not in content
    else:
        assert response.status_code == 302
    report_b.refresh_from_db()
    assert report_b.status == ReportStatus.REGISTERED


def test_an_operator_cannot_cancel_from_the_list(client_for, operator_a, report_a):
    response = client_for(operator_a).post(
        LIST_URL,
        {
            "action": "cancel_reports",
            "_selected_action": [report_a.pk],
            "confirmar": "1",
            "reason": "Registrado por error",
        },
    )
    assert response.status_code in (200, 302)
    report_a.refresh_from_db()
    assert report_a.status == ReportStatus.REGISTERED


def test_bulk_cancel_of_own_reports_asks_for_a_reason_first(client_for, manager_a, report_a):
    client = client_for(manager_a)
    asked = client.post(LIST_URL, {"action": "cancel_reports", "_selected_action": [report_a.pk]})
    assert asked.status_code == 200 and "Motivo de la anulación" in asked.content.decode()
    report_a.refresh_from_db()
    assert report_a.status == ReportStatus.REGISTERED
    done = client.post(
        LIST_URL,
        {
            "action": "cancel_reports",
            "_selected_action": [report_a.pk],
            "confirmar": "1",
            "reason": "Registrado por error",
        },
    )
    assert done.status_code == 302
    report_a.refresh_from_db()
    assert report_a.status == ReportStatus.CANCELLED


def test_operator_cannot_post_a_report_for_another_center(
    client_for, operator_a, center_b, report_b
):
    response = client_for(operator_a).post(
        reverse("admin:records_servicereport_add"),
        {
            "center": center_b.pk,
            "code": "INTRUSO",
            "category": report_b.category_id,
            "start_date": f"{YESTERDAY:%d/%m/%Y}",
            "end_date": f"{YESTERDAY:%d/%m/%Y}",
            "unidades-TOTAL_FORMS": 0,
            "unidades-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert "Escoja una opción válida" in response.content.decode()
    assert not ServiceReport.objects.filter(code="INTRUSO").exists()


def test_queries_scope_reports_units_and_catalogue(
    operator_a, national_admin, analyst, report_a, report_b
):
    assert list(reports_for_user(operator_a)) == [report_a]
    assert set(reports_for_user(analyst)) == {report_a, report_b}
    assert [u.name for u in units_for_user(operator_a)] == ["Pisquera Moqueguana SAC"]
    assert units_for_user(national_admin).count() == 2
    assert not catalogue_for_user(operator_a).filter(center=report_b.center).exists()


def test_a_unit_served_by_both_centers_is_visible_to_both(
    operator_a, operator_b, center_a, report_b
):
    shared = report_b.services.get().unit
    report = record_service_report(
        center=center_a,
        code="MOQ-002",
        start_date=YESTERDAY,
        end_date=YESTERDAY,
        units=[AttendedUnit(shared)],
        category=report_b.category,
    ).report
    # Center A sees B's unit only once its own service to it is validated (accounts.access).
    assert shared not in units_for_user(operator_a) and shared in units_for_user(operator_b)
    set_report_status(report=report, status=ReportStatus.VALIDATED, actor=None)
    assert shared in units_for_user(operator_a) and shared in units_for_user(operator_b)


def _quote_and_validate(center, code: str, person, typed_name: str, manager) -> ServiceReport:
    report = record_service_report(
        center=center,
        code=code,
        start_date=YESTERDAY,
        end_date=YESTERDAY,
        units=[AttendedUnit(person, typed_name=typed_name)],
        category=ServiceCategory.objects.get(code="capacitacion"),
    ).report
    set_report_status(report=report, status=ReportStatus.VALIDATED, actor=manager)
    return report


def test_quoting_a_persons_dni_on_a_validated_report_does_not_reveal_their_record(
    client_for, manager_a, center_a, center_b
):
    """A manager who validates a report quoting the DNI of a person another center
    registered sees the person's name and phone only if the report named them as
    registered: a DNI alone is no proof of knowing the person (user-path review)."""
    person, _ = get_or_create_unit(
        document_type="dni",
        document_number="16322964",
        name="Abel Aguilar Cahuana",
        client_type="persona_natural_negocio",
        center=center_b,
    )
    person.phone = "916237686"
    person.save()
    unit_url = reverse("admin:units_productiveunit_change", args=[person.pk])
    client = client_for(manager_a)

    guessed = _quote_and_validate(center_a, "ORACULO-1", person, "Nombre Inventado", manager_a)
    assert person not in units_for_user(manager_a)
    assert client.get(unit_url).status_code == 404
    page = client.get(report_url("change", guessed)).content.decode()
    assert "Nombre Inventado" in page
    assert "Aguilar" not in page and "916237686" not in page

    # The person in front of the operator gives their name: now the center may see them.
    _quote_and_validate(center_a, "ATENDIDO-1", person, "abel aguilar CAHUANA", manager_a)
    assert person in units_for_user(manager_a)
    assert client.get(unit_url).status_code == 200


def test_analyst_sees_every_report_but_cannot_change_them(client_for, analyst, report_a):
    client = client_for(analyst)
    assert "MOQ-001" in client.get(LIST_URL).content.decode()
    page = client.get(report_url("change", report_a)).content.decode()
    assert 'name="unidades-0-document_number"' not in page
    assert "Pisquera Moqueguana SAC" in page
    assert client.post(report_url("change", report_a), {"notes": "x"}).status_code == 403


def test_the_report_list_takes_the_same_queries_for_3_or_13_reports(client_for, national_admin):
    """No query per row: units and amounts come with the page, related names joined."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from citesmart.network.models import Center

    centers = list(Center.objects.order_by("code")[:13])
    client = client_for(national_admin)

    def list_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(LIST_URL).status_code == 200
        return len(captured)

    for index, center in enumerate(centers[:3]):
        make_report(center, f"N1-{index}", name=f"Empresa {index} SAC", seed=100 + index)
    few = list_queries()
    for index, center in enumerate(centers[3:], start=3):
        make_report(center, f"N1-{index}", name=f"Empresa {index} SAC", seed=100 + index)
    response = client.get(LIST_URL)
    assert response.text.count("S/ 10.00") == 13  # each row: its amount, from the subquery
    assert list_queries() == few
