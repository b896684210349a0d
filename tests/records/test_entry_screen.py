"""The entry screen: a center operator records a service report and its attended units."""

from datetime import date, timedelta
from decimal import Decimal
from random import Random

import pytest
from django.urls import reverse

from citesmart.lib.identity import random_ruc, ruc_for_dni
from citesmart.network.models import CatalogueService, Center, ServiceCategory
from citesmart.records.models import AuditEntry, ReportStatus, ServiceReport
from citesmart.records.unit_actions import get_or_create_unit
from citesmart.units.models import ProductiveUnit

ADD_URL = reverse("admin:records_servicereport_add")
ENTERPRISE_RUC = random_ruc(Random(1), "20")
PERSON_DNI = "41234567"
TODAY = date.today()


def category(code: str = "asistencia-tecnica") -> ServiceCategory:
    return ServiceCategory.objects.get(code=code)


def when(day: date) -> str:
    return f"{day:%d/%m/%Y}"


def unit_row(
    number: str,
    *,
    kind: str = "ruc",
    name: str = "",
    client_type: str = "",
    district: str = "",
    amount: str = "0",
) -> dict[str, str]:
    return {
        "document_type": kind,
        "document_number": number,
        "name": name,
        "client_type": client_type,
        "district": district,
        "amount": amount,
    }


def report_data(center, *rows: dict[str, str], initial: int = 0, **fields) -> dict[str, str]:
    """POST data of the entry form: report fields plus the attended units table."""
    data = {
        "center": center.pk,
        "code": "INF-2025-001",
        "category": category().pk,
        "start_date": when(TODAY - timedelta(days=3)),
        "end_date": when(TODAY - timedelta(days=1)),
        "unidades-TOTAL_FORMS": len(rows),
        "unidades-INITIAL_FORMS": initial,
        "unidades-MIN_NUM_FORMS": 0,
        "unidades-MAX_NUM_FORMS": 1000,
    }
    for index, row in enumerate(rows):
        data.update({f"unidades-{index}-{key}": value for key, value in row.items()})
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def new_person_row(**overrides) -> dict[str, str]:
    values = {
        "kind": "dni",
        "name": "María Quispe",
        "client_type": "emprendedor",
        "district": "180101",
    }
    values.update(overrides)
    return unit_row(PERSON_DNI, **values)


@pytest.fixture
def enterprise(center_a) -> ProductiveUnit:
    unit, _ = get_or_create_unit(
        document_type="ruc",
        document_number=ENTERPRISE_RUC,
        name="Agroexportadora del Sur SAC",
        client_type="empresa_formal",
        center=center_a,
    )
    return unit


@pytest.fixture
def analysis(center_a) -> CatalogueService:
    return CatalogueService.objects.create(
        center=center_a,
        name="Análisis de pisco",
        category=category("ensayos-laboratorio"),
        tariff=Decimal("120.00"),
    )


def test_operator_records_a_report_with_a_known_and_a_new_unit(
    client_for, operator_a, center_a, enterprise
):
    response = client_for(operator_a).post(
        ADD_URL,
        report_data(
            center_a,
            unit_row(ENTERPRISE_RUC, amount="150"),
            new_person_row(amount="50"),
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    report = ServiceReport.objects.get(center=center_a, code="INF-2025-001")
    assert report.status == ReportStatus.REGISTERED
    assert report.created_by == operator_a
    amounts = dict(report.services.values_list("unit__name", "amount"))
    assert amounts == {"Agroexportadora del Sur SAC": Decimal("150"), "María Quispe": Decimal("50")}
    person = ProductiveUnit.objects.get(document_number=PERSON_DNI)
    assert person.registered_by == center_a and person.district_id == "180101"
    assert AuditEntry.objects.filter(
        object_type="servicereport",
        object_id=report.pk,
        action=AuditEntry.Action.CREATE,
        actor=operator_a,
    ).exists()


def change_url(report) -> str:
    return reverse("admin:records_servicereport_change", args=[report.pk])


def assert_refused(response, message: str) -> None:
    """The form came back (no redirect) with the Spanish message, and nothing was written."""
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ServiceReport.objects.exists()
    assert not ProductiveUnit.objects.filter(document_number=PERSON_DNI).exists()
    assert not AuditEntry.objects.filter(object_type="servicereport").exists()


def field_errors(response, field: str) -> list[str]:
    form = response.context["adminform"].form
    if field.startswith("unidades-"):
        _prefix, index, name = field.split("-")
        return form.units.forms[int(index)].errors.get(name, [])
    return form.errors.get(field, [])


@pytest.mark.parametrize(
    ("kind", "number", "message"),
    [
        ("ruc", "20131312956", "el dígito verificador no corresponde"),
        ("ruc", "2013131295", "El RUC debe tener 11 dígitos"),
        ("ruc", "30131312955", "debe empezar con 10, 15, 17 o 20"),
        ("dni", "4123456", "El DNI debe tener 8 dígitos"),
        ("dni", "", "Falta el número de DNI"),
    ],
)
def test_an_invalid_document_is_refused_on_the_document_field(
    client_for, operator_a, center_a, kind, number, message
):
    response = client_for(operator_a).post(
        ADD_URL,
        report_data(
            center_a,
            new_person_row(),
            unit_row(number, kind=kind, name="X", client_type="otros"),
        ),
    )
    assert_refused(response, message)
    assert any(message in error for error in field_errors(response, "unidades-1-document_number"))
    assert "Revise las unidades productivas atendidas" in response.content.decode()


def test_a_valid_ruc_with_spaces_and_dashes_is_accepted(client_for, operator_a, center_a):
    spaced = f"{ENTERPRISE_RUC[:2]}-{ENTERPRISE_RUC[2:10]}-{ENTERPRISE_RUC[10]}"
    response = client_for(operator_a).post(
        ADD_URL,
        report_data(
            center_a,
            unit_row(spaced, name="Bodega Tacama SA", client_type="empresa_formal"),
        ),
    )
    assert response.status_code == 302
    assert ProductiveUnit.objects.get(document_number=ENTERPRISE_RUC).name == "Bodega Tacama SA"


def test_a_new_unit_needs_its_name_and_client_type(client_for, operator_a, center_a):
    response = client_for(operator_a).post(
        ADD_URL, report_data(center_a, new_person_row(name="", client_type=""))
    )
    assert_refused(response, "Unidad productiva nueva: indique su razón social o nombre.")
    assert field_errors(response, "unidades-0-client_type") == [
        "Unidad productiva nueva: indique el tipo de cliente."
    ]


def test_an_end_date_before_the_start_is_refused_on_the_end_date(client_for, operator_a, center_a):
    response = client_for(operator_a).post(
        ADD_URL,
        report_data(
            center_a,
            new_person_row(),
            start_date=when(TODAY - timedelta(days=1)),
            end_date=when(TODAY - timedelta(days=5)),
        ),
    )
    message = "La fecha de fin no puede ser anterior a la fecha de inicio."
    assert_refused(response, message)
    assert field_errors(response, "end_date") == [message]


def test_a_future_date_is_refused(client_for, operator_a, center_a):
    response = client_for(operator_a).post(
        ADD_URL,
        report_data(
            center_a,
            new_person_row(),
            end_date=when(TODAY + timedelta(days=2)),
        ),
    )
    assert_refused(response, "La fecha no puede ser futura")
    assert field_errors(response, "end_date")


def test_a_category_that_contradicts_the_catalogue_service_is_refused(
    client_for, operator_a, center_a, analysis
):
    response = client_for(operator_a).post(
        ADD_URL,
        report_data(
            center_a,
            new_person_row(amount="120"),
            catalogue_service=analysis.pk,
            category=category("capacitacion").pk,
        ),
    )
    assert_refused(response, "La categoría no corresponde al servicio «Análisis de pisco»")
    assert field_errors(response, "category")


def test_a_free_service_must_have_amount_zero(client_for, operator_a, center_a):
    response = client_for(operator_a).post(
        ADD_URL, report_data(center_a, new_person_row(amount="30"), is_free="on")
    )
    assert_refused(response, "Un servicio gratuito tiene monto 0")
    assert field_errors(response, "unidades-0-amount")


def test_a_negative_amount_is_refused(client_for, operator_a, center_a):
    response = client_for(operator_a).post(
        ADD_URL, report_data(center_a, new_person_row(amount="-5"))
    )
    assert_refused(response, "El monto no puede ser negativo.")
    assert field_errors(response, "unidades-0-amount")


def test_a_report_needs_at_least_one_unit(client_for, operator_a, center_a):
    response = client_for(operator_a).post(ADD_URL, report_data(center_a))
    assert_refused(response, "El informe debe atender al menos a una unidad productiva.")


def test_a_unit_is_attended_once_per_report(client_for, operator_a, center_a, enterprise):
    response = client_for(operator_a).post(
        ADD_URL,
        report_data(
            center_a,
            unit_row(ENTERPRISE_RUC),
            new_person_row(),
            unit_row(ENTERPRISE_RUC),
        ),
    )
    assert_refused(response, "La unidad productiva ya figura en la fila 1 de este informe.")
    assert field_errors(response, "unidades-2-document_number")


def test_a_ruc_10_and_the_dni_inside_it_are_the_same_unit_on_one_report(
    client_for, operator_a, center_a
):
    response = client_for(operator_a).post(
        ADD_URL,
        report_data(
            center_a,
            new_person_row(),
            unit_row(
                ruc_for_dni(PERSON_DNI), name="María Quispe", client_type="persona_natural_negocio"
            ),
        ),
    )
    assert_refused(response, "La unidad productiva ya figura en la fila 1 de este informe.")


def test_a_ruc_10_later_finds_the_person_registered_by_dni(client_for, operator_a, center_a):
    client = client_for(operator_a)
    client.post(ADD_URL, report_data(center_a, new_person_row()))
    response = client.post(
        ADD_URL,
        report_data(
            center_a,
            unit_row(ruc_for_dni(PERSON_DNI)),
            code="INF-2025-002",
        ),
    )
    assert response.status_code == 302
    person = ProductiveUnit.objects.get(person_dni=PERSON_DNI)
    assert (person.document_type, person.document_number) == ("ruc", ruc_for_dni(PERSON_DNI))
    assert person.services.count() == 2


def test_a_code_already_used_in_the_center_is_refused(client_for, operator_a, center_a):
    client = client_for(operator_a)
    client.post(ADD_URL, report_data(center_a, new_person_row()))
    response = client.post(
        ADD_URL, report_data(center_a, unit_row(ENTERPRISE_RUC, name="Otra", client_type="otros"))
    )
    assert response.status_code == 200
    assert field_errors(response, "code") == ["Ya existe un informe con ese código en el centro."]
    assert ServiceReport.objects.get().services.count() == 1
    assert not ProductiveUnit.objects.filter(document_number=ENTERPRISE_RUC).exists()


def test_an_amount_different_from_the_tariff_is_a_warning_not_a_block(
    client_for, operator_a, center_a, analysis
):
    response = client_for(operator_a).post(
        ADD_URL,
        report_data(
            center_a,
            new_person_row(amount="100"),
            catalogue_service=analysis.pk,
            category="",
        ),
        follow=True,
    )
    assert response.status_code == 200
    warnings = [m.message for m in response.context["messages"] if m.level_tag == "warning"]
    assert warnings == [
        f"El monto S/ 100.00 difiere de la tarifa del catálogo (S/ 120.00) para DNI {PERSON_DNI}."
    ]
    report = ServiceReport.objects.get()
    assert report.category == analysis.category  # taken from the catalogue service


def test_the_add_page_offers_only_the_operators_centers_and_catalogue(
    client_for, operator_a, center_b, analysis
):
    CatalogueService.objects.create(
        center=center_b,
        name="Ensayo de calzado",
        category=category("ensayos-laboratorio"),
        tariff=Decimal("80"),
    )
    page = client_for(operator_a).get(ADD_URL).content.decode()
    assert "CITEagroindustrial Moquegua" in page and "Unidad Técnica Tacna" in page
    assert "Trujillo" not in page
    assert "Análisis de pisco" in page and "Ensayo de calzado" not in page


def test_a_technical_unit_report_may_use_its_cites_catalogue(
    client_for, operator_a, center_a, analysis
):
    tacna = Center.objects.get(parent=center_a)
    response = client_for(operator_a).post(
        ADD_URL,
        report_data(
            tacna,
            new_person_row(amount="120"),
            catalogue_service=analysis.pk,
            category="",
        ),
    )
    assert response.status_code == 302
    assert ServiceReport.objects.get().center == tacna


def test_editing_a_report_changes_its_units_through_the_action(
    client_for, manager_a, operator_a, center_a, enterprise
):
    client = client_for(operator_a)
    client.post(
        ADD_URL,
        report_data(center_a, unit_row(ENTERPRISE_RUC, amount="150"), new_person_row(amount="50")),
    )
    report = ServiceReport.objects.get()
    report.status = ReportStatus.VALIDATED
    report.save()
    page = client.get(change_url(report))
    assert "Agroexportadora del Sur SAC" in page.content.decode()
    data = report_data(
        center_a,
        unit_row(ENTERPRISE_RUC, name="Agroexportadora del Sur SAC", amount="200"),
        {**new_person_row(amount="50"), "DELETE": "on"},
        initial=2,
    )
    data.pop("center")
    data.pop("code")
    response = client.post(change_url(report), data, follow=True)
    assert response.redirect_chain[-1][1] == 302
    report.refresh_from_db()
    assert list(report.services.values_list("unit__name", "amount")) == [
        ("Agroexportadora del Sur SAC", Decimal("200.00"))
    ]
    # An operator's change is recorded, not validated: the report waits for the manager.
    assert report.status == ReportStatus.REGISTERED and report.recorded_by == operator_a
    assert (
        "El informe queda como «registrado»: solo el gestor del centro puede validar."
        in response.content.decode()
    )
    update = AuditEntry.objects.get(object_id=report.pk, action=AuditEntry.Action.UPDATE)
    assert update.actor == operator_a and "services" in update.changes
    assert update.changes["status"] == ["validado", "registrado"]


def test_a_managers_edit_keeps_a_validated_report_validated_without_four_eyes(
    client_for, manager_a, operator_a, center_a, settings
):
    settings.RECORDS_FOUR_EYES = False
    client_for(operator_a).post(ADD_URL, report_data(center_a, new_person_row(amount="50")))
    report = ServiceReport.objects.get()
    report.status = ReportStatus.VALIDATED
    report.save()
    data = report_data(center_a, {**new_person_row(amount="70")}, initial=1)
    data.pop("center")
    data.pop("code")
    assert client_for(manager_a).post(change_url(report), data).status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.VALIDATED and report.recorded_by == manager_a
    settings.RECORDS_FOUR_EYES = True  # now the manager recorded it: another edit demotes it
    data = report_data(center_a, {**new_person_row(amount="90")}, initial=1)
    data.pop("center")
    data.pop("code")
    assert client_for(manager_a).post(change_url(report), data).status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.REGISTERED


def test_a_unit_without_document_is_identified_by_name_and_district(
    client_for, operator_a, center_a
):
    client = client_for(operator_a)
    row = unit_row(
        "",
        kind="ninguno",
        name="Asociación de Productores de Ilo",
        client_type="asociacion_cooperativa",
        district="180301",
    )
    assert client.post(ADD_URL, report_data(center_a, row)).status_code == 302
    assert client.post(ADD_URL, report_data(center_a, row, code="INF-2")).status_code == 302
    unit = ProductiveUnit.objects.get(name="Asociación de Productores de Ilo")
    assert unit.services.count() == 2


def test_a_report_is_never_deleted(client_for, national_admin, operator_a, center_a):
    client_for(operator_a).post(ADD_URL, report_data(center_a, new_person_row()))
    report = ServiceReport.objects.get()
    delete = reverse("admin:records_servicereport_delete", args=[report.pk])
    assert client_for(operator_a).post(delete, {"post": "yes"}).status_code == 403
    assert client_for(national_admin).post(delete, {"post": "yes"}).status_code == 403
    assert ServiceReport.objects.filter(pk=report.pk).exists()


def test_manager_cancels_a_report_giving_a_reason_and_the_operator_cannot(
    client_for, manager_a, operator_a, center_a
):
    client_for(operator_a).post(ADD_URL, report_data(center_a, new_person_row()))
    report = ServiceReport.objects.get()
    cancel = reverse("admin:records_servicereport_cancel", args=[report.pk])
    assert "Anular</a>" not in client_for(operator_a).get(change_url(report)).content.decode()
    assert client_for(operator_a).post(cancel, {"confirmar": "1", "reason": "x"}).status_code == 403
    report.refresh_from_db()
    assert report.status == ReportStatus.REGISTERED
    client = client_for(manager_a)
    assert "Motivo de la anulación" in client.get(cancel).content.decode()
    refused = client.post(cancel, {"confirmar": "1", "reason": ""})
    assert "Indique el motivo de la anulación." in refused.content.decode()
    response = client.post(cancel, {"confirmar": "1", "reason": "Informe duplicado"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.cancel_reason) == (ReportStatus.CANCELLED, "Informe duplicado")
    page = client.get(change_url(report)).content.decode()
    assert "Informe anulado: Informe duplicado" in page
    assert 'name="unidades-0-document_number"' not in page  # read-only now


def test_manager_validates_a_report_and_the_operator_cannot(
    client_for, manager_a, operator_a, center_a
):
    client_for(operator_a).post(ADD_URL, report_data(center_a, new_person_row()))
    report = ServiceReport.objects.get()
    validate = reverse("admin:records_servicereport_validate", args=[report.pk])
    assert client_for(operator_a).post(validate).status_code == 403
    assert client_for(manager_a).post(validate).status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.VALIDATED


def test_operator_cannot_use_another_centers_catalogue(client_for, operator_a, center_a, center_b):
    shoes = CatalogueService.objects.create(
        center=center_b,
        name="Ensayo de calzado",
        category=category("ensayos-laboratorio"),
        tariff=Decimal("80"),
    )
    response = client_for(operator_a).post(
        ADD_URL, report_data(center_a, new_person_row(), catalogue_service=shoes.pk)
    )
    assert_refused(response, "Escoja una opción válida")
    assert field_errors(response, "catalogue_service")


def test_a_document_typed_by_another_center_shows_no_name(
    client_for, operator_a, operator_b, center_a, center_b
):
    """Security (issue 14): the re-rendered form must not tell another center whose DNI it is."""
    get_or_create_unit(
        document_type="dni",
        document_number=PERSON_DNI,
        name="María Quispe",
        client_type="emprendedor",
        center=center_a,
    )
    # An error elsewhere on the form (no dates) makes it render again with the unit found.
    data = report_data(center_b, unit_row(PERSON_DNI, kind="dni"), start_date="", end_date="")
    response = client_for(operator_b).post(ADD_URL, data)
    assert response.status_code == 200
    assert "Ya registrada en la red" in response.text
    assert "María Quispe" not in response.text and "Quispe" not in response.text
    row = response.text.split('name="unidades-0-document_number"', 1)[1].split("</tr>", 1)[0]
    assert reverse("admin:units_productiveunit_changelist") not in row
    # The center that registered it still sees the name on the same screen.
    own = client_for(operator_a).post(
        ADD_URL, report_data(center_a, unit_row(PERSON_DNI, kind="dni"), start_date="")
    )
    assert own.status_code == 200 and "María Quispe" in own.text
