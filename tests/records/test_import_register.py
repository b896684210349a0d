"""Check first, then register the checked file without uploading it again; odd rows warned."""

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook
from tests.conftest import make_user
from tests.records.test_import_admin import UPLOAD, csv_file, upload

from citesmart.accounts.roles import Role
from citesmart.network.models import Chain
from citesmart.records.models import ImportBatch, ServiceReport
from citesmart.records.template import HEADERS


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def register_url(batch: ImportBatch) -> str:
    return reverse("admin:records_importbatch_register", args=[batch.pk])


def checked(client, center, rows=None) -> ImportBatch:
    response = upload(client, center, rows or [{}], dry_run="on")
    assert "Verificación sin registrar" in response.text
    assert "Registrar este archivo" in response.text
    return ImportBatch.objects.get(status=ImportBatch.Status.DRY_RUN)


def test_the_upload_page_checks_first_by_default(client_for, operator_a):
    page = client_for(operator_a).get(UPLOAD).text
    checkbox = page[page.index('name="dry_run"') - 80 : page.index('name="dry_run"') + 80]
    assert "checked" in checkbox


def test_a_checked_file_is_registered_without_uploading_it_again(client_for, operator_a, center_a):
    client = client_for(operator_a)
    batch = checked(client, center_a)
    assert not ServiceReport.objects.exists()
    response = client.post(register_url(batch), follow=True)
    assert "Importación registrada: 1 fila, 1 informe válido" in response.text
    committed = ImportBatch.objects.get(status=ImportBatch.Status.COMMITTED)
    assert committed.pk != batch.pk and committed.created_by == operator_a
    assert committed.filename == batch.filename == "servicios.csv"
    assert list(ServiceReport.objects.values_list("code", flat=True)) == ["INF-001"]
    assert response.redirect_chain[-1][0] == reverse(
        "admin:records_importbatch_change", args=[committed.pk]
    )
    # The committed batch offers nothing more to register; the checked one stays as it was.
    assert "Registrar este archivo" not in response.text
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DRY_RUN and default_storage.exists(batch.file.name)


def test_a_file_changed_since_the_check_is_not_registered(client_for, operator_a, center_a):
    client = client_for(operator_a)
    batch = checked(client, center_a)
    with default_storage.open(batch.file.name, "wb") as stored:
        stored.write(csv_file([{"codigo_informe": "OTRO"}]).read())
    page = client.get(reverse("admin:records_importbatch_change", args=[batch.pk])).text
    assert "Registrar este archivo" not in page
    response = client.post(register_url(batch), follow=True)
    assert "cambió desde la verificación; vuelva a subirlo" in response.text
    assert not ServiceReport.objects.exists()
    assert not ImportBatch.objects.filter(status=ImportBatch.Status.COMMITTED).exists()


def test_who_may_register_a_checked_file(client_for, operator_a, manager_a, operator_b, center_a):
    batch = checked(client_for(operator_a), center_a)
    colleague = make_user("operador_a2", Role.CENTER_OPERATOR, center_a)
    assert client_for(colleague).post(register_url(batch)).status_code == 403
    assert client_for(operator_b).post(register_url(batch)).status_code == 404
    assert client_for(operator_a).get(register_url(batch)).status_code == 405
    assert not ServiceReport.objects.exists()
    response = client_for(manager_a).post(register_url(batch), follow=True)
    assert "Importación registrada" in response.text
    assert ServiceReport.objects.get().created_by == manager_a


def test_a_committed_batch_is_not_registered_again(client_for, operator_a, center_a):
    client = client_for(operator_a)
    upload(client, center_a, [{}])
    batch = ImportBatch.objects.get()
    response = client.post(register_url(batch), follow=True)
    assert "Este lote no es una verificación" in response.text
    assert ImportBatch.objects.count() == 1


def test_errors_in_the_check_can_be_left_out_when_registering(client_for, operator_a, center_a):
    client = client_for(operator_a)
    batch = checked(client, center_a, [{}, {"codigo_informe": "B", "ubigeo": "99"}])
    response = client.post(register_url(batch), {"accept_valid": "on"}, follow=True)
    assert "Importación registrada" in response.text
    assert list(ServiceReport.objects.values_list("code", flat=True)) == ["INF-001"]


def xlsx_file(rows: list[dict]) -> SimpleUploadedFile:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    base = {
        "fecha_inicio": "03/03/2025",
        "fecha_fin": "07/03/2025",
        "categoria_servicio": "Capacitación",
        "ubigeo": "180101",
        "razon_social": "Unidad",
        "monto_soles": 50,
    }
    for values in rows:
        merged = base | values
        sheet.append([merged.get(name) for name in HEADERS])
    buffer = io.BytesIO()
    book.save(buffer)
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return SimpleUploadedFile("servicios.xlsx", buffer.getvalue(), content_type=kind)


def test_odd_rows_are_accepted_with_warnings(client_for, operator_a, center_a):
    foreign = Chain.objects.exclude(centers=center_a).exclude(centers=center_a.parent).first()
    served = center_a.chains.first()
    assert foreign is not None and served is not None
    rows = [
        {"codigo_informe": "A", "cadena": foreign.name, "tipo_documento": "RUC",
         "numero_documento": "20131312955"},
        {"codigo_informe": "B", "cadena": served.name, "ubigeo": "18", "tipo_documento": "RUC",
         "numero_documento": "20131312955"},
        {"codigo_informe": "C", "tipo_documento": "DNI", "numero_documento": 1234567},
        {"codigo_informe": "D", "tipo_documento": "DNI", "numero_documento": 41234567},
    ]  # fmt: skip
    data = {"center": center_a.pk, "file": xlsx_file(rows)}
    response = client_for(operator_a).post(UPLOAD, data, follow=True)
    text = response.text
    assert "Importación registrada: 4 filas, 4 informes válidos" in text
    assert (
        f"fila 2, columna cadena: el centro no atiende la cadena «{foreign.name}»; "
        "se registró igual"
    ) in text.replace("&#x27;", "'")
    assert "fila 3, columna ubigeo: el ubigeo 18 es del departamento de Moquegua" in text
    assert (
        "fila 4, columna numero_documento: el DNI 1234567 tenía 7 dígitos; se completó con "
        "ceros a la izquierda como 01234567; se registró igual"
    ) in text
    assert "fila 5" not in text and "fila 3, columna cadena" not in text
    assert ServiceReport.objects.count() == 4
    warnings = [m for m in ImportBatch.objects.get().messages if m["level"] == "warning"]
    assert len(warnings) == 3
