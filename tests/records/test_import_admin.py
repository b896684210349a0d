"""The back-office upload page, batch pages, downloads and revert, through HTTP."""

import csv
import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from citesmart.records import admin_imports
from citesmart.records.models import ImportBatch, ReportStatus, ServiceReport
from citesmart.records.template import HEADERS

UPLOAD = reverse("admin:records_importbatch_upload")
RUC_A, RUC_BAD = "20131312955", "20131312956"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def csv_file(rows: list[dict[str, str]], name: str = "servicios.csv") -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADERS)
    writer.writeheader()
    for values in rows:
        writer.writerow(
            dict.fromkeys(HEADERS, "")
            | {
                "codigo_informe": "INF-001",
                "fecha_inicio": "03/03/2025",
                "fecha_fin": "07/03/2025",
                "categoria_servicio": "Capacitación",
                "ubigeo": "180101",
                "tipo_documento": "RUC",
                "numero_documento": RUC_A,
                "razon_social": "Empresa Uno",
                "monto_soles": "50",
            }
            | values
        )
    return SimpleUploadedFile(name, out.getvalue().encode("utf-8"), content_type="text/csv")


def upload(client, center, rows, **options):
    data = {"center": center.pk, "file": csv_file(rows), **options}
    return client.post(UPLOAD, data, follow=True)


def test_operator_uploads_a_valid_file_and_sees_the_batch(client_for, operator_a, center_a):
    response = upload(client_for(operator_a), center_a, [{}])
    assert response.status_code == 200
    batch = ImportBatch.objects.get()
    assert response.redirect_chain[-1][0] == reverse(
        "admin:records_importbatch_change", args=[batch.pk]
    )
    assert "Importación registrada: 1 fila, 1 informe válido" in response.text
    assert batch.status == ImportBatch.Status.COMMITTED and batch.created_by == operator_a
    with batch.file.open("rb") as stored:
        assert stored.read().startswith(b"codigo_informe")


def test_errors_are_shown_by_row_and_column_and_downloadable(client_for, manager_a, center_a):
    client = client_for(manager_a)
    response = upload(client, center_a, [{}, {"codigo_informe": "B", "numero_documento": RUC_BAD}])
    assert "fila 3, columna numero_documento: el RUC 20131312956 no es válido" in response.text
    assert "&quot;level&quot;" not in response.text, "no raw JSON of the messages"
    assert not ServiceReport.objects.exists()
    batch = ImportBatch.objects.get()
    url = reverse("admin:records_importbatch_download", args=[batch.pk, "errores", "xlsx"])
    sheet = load_workbook(io.BytesIO(b"".join(client.get(url).streaming_content))).active
    assert ("error", 3, "numero_documento") in [r[:3] for r in sheet.values]


def test_accept_valid_offers_the_rejected_rows(client_for, operator_a, center_a):
    client = client_for(operator_a)
    rows = [{}, {"codigo_informe": "B", "ubigeo": "99"}]
    response = upload(client, center_a, rows, accept_valid="on")
    assert "Filas rechazadas para corregir" in response.text
    batch = ImportBatch.objects.get()
    url = reverse("admin:records_importbatch_download", args=[batch.pk, "rechazadas", "archivo"])
    text = b"".join(client.get(url).streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0].endswith(",motivo") and "99" in text
    assert list(ServiceReport.objects.values_list("code", flat=True)) == ["INF-001"]


def test_operator_of_center_a_cannot_import_into_center_b(client_for, operator_a, center_b):
    client = client_for(operator_a)
    page = client.get(UPLOAD)
    assert center_b.name not in page.text
    response = upload(client, center_b, [{}])
    assert "Escoja una opción válida" in response.text
    assert not ImportBatch.objects.exists()


def test_analyst_cannot_reach_the_upload_page(client_for, analyst):
    assert client_for(analyst).get(UPLOAD).status_code == 403


def test_oversized_upload_is_refused_before_reading(client_for, operator_a, center_a, settings):
    settings.DEBUG = False
    limit = 1024
    original = admin_imports.MAX_UPLOAD_BYTES
    admin_imports.MAX_UPLOAD_BYTES = limit
    try:
        big = SimpleUploadedFile("big.csv", b"x" * (200 * 1024), content_type="text/csv")
        response = client_for(operator_a).post(UPLOAD, {"center": center_a.pk, "file": big})
    finally:
        admin_imports.MAX_UPLOAD_BYTES = original
    assert response.status_code == 200
    assert "El archivo pesa más de" in response.text
    assert not ImportBatch.objects.exists()


def test_hostile_upload_shows_the_reason_without_a_traceback(client_for, operator_a, center_a):
    garbage = SimpleUploadedFile("datos.xlsx", bytes(range(256)) * 64)
    response = client_for(operator_a).post(
        UPLOAD, {"center": center_a.pk, "file": garbage}, follow=True
    )
    assert response.status_code == 200
    assert "Archivo no utilizable" in response.text
    assert ImportBatch.objects.get().status == ImportBatch.Status.REJECTED


def test_template_downloads(client_for, operator_a):
    client = client_for(operator_a)
    response = client.get(reverse("admin:records_importbatch_template", args=["xlsx"]))
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == ["Servicios", "Instrucciones"]
    assert [c.value for c in workbook["Servicios"][1]] == list(HEADERS)
    instructions = [tuple(r) for r in workbook["Instrucciones"].values]
    assert ("tipo_cliente", "persona_natural_negocio", "Persona natural con negocio") in (
        instructions
    )
    response = client.get(reverse("admin:records_importbatch_template", args=["csv"]))
    first = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()[0]
    assert first == ";".join(HEADERS)


def test_manager_reverts_a_batch(client_for, manager_a, center_a):
    client = client_for(manager_a)
    upload(client, center_a, [{}])
    batch = ImportBatch.objects.get()
    url = reverse("admin:records_importbatch_revert", args=[batch.pk])
    assert "Se anularán los 1 informes" in client.get(url).text
    response = client.post(url, follow=True)
    assert "El lote fue revertido." in response.text
    assert ServiceReport.objects.get().status == ReportStatus.CANCELLED
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.REVERTED


def test_operator_cannot_revert(client_for, operator_a, center_a):
    client = client_for(operator_a)
    upload(client, center_a, [{}])
    batch = ImportBatch.objects.get()
    page = client.get(reverse("admin:records_importbatch_change", args=[batch.pk]))
    assert page.status_code == 200 and "Revertir" not in page.text
    url = reverse("admin:records_importbatch_revert", args=[batch.pk])
    assert client.post(url).status_code == 403
    assert ServiceReport.objects.get().status == ReportStatus.REGISTERED


def test_batches_of_other_centers_are_out_of_reach(client_for, operator_a, manager_b, center_a):
    upload(client_for(operator_a), center_a, [{}])
    batch = ImportBatch.objects.get()
    client = client_for(manager_b)
    assert batch.filename not in client.get(reverse("admin:records_importbatch_changelist")).text
    change = reverse("admin:records_importbatch_change", args=[batch.pk])
    assert client.get(change).status_code == 404
    assert (
        client.post(reverse("admin:records_importbatch_revert", args=[batch.pk])).status_code == 404
    )
    download = reverse("admin:records_importbatch_download", args=[batch.pk, "archivo", "x"])
    assert client.get(download).status_code == 404


def test_national_admin_lists_every_batch(client_for, national_admin, operator_a, center_a):
    upload(client_for(operator_a), center_a, [{}])
    page = client_for(national_admin).get(reverse("admin:records_importbatch_changelist"))
    assert page.status_code == 200 and "servicios.csv" in page.text
    assert "Importar archivo" in page.text


def test_the_downloaded_template_filled_in_imports_through_the_page(
    client_for, operator_a, center_a
):
    """Done-when of issue 3: the template, filled with a few rows (Excel dates), uploads."""
    client = client_for(operator_a)
    response = client.get(reverse("admin:records_importbatch_template", args=["xlsx"]))
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook["Servicios"]
    example = [cell.value for cell in sheet[2]]
    column = {name: index for index, name in enumerate(HEADERS)}
    filled = []
    for code, number, name in [
        ("PLT-1", "20131312955", "Empresa Uno SAC"),
        ("PLT-1", "20100070970", "Empresa Dos SAC"),
        ("PLT-2", "20131312955", "Empresa Uno SAC"),
    ]:
        row = list(example)
        row[column["codigo_informe"]] = code
        row[column["tipo_documento"]] = "RUC"
        row[column["numero_documento"]] = number
        row[column["razon_social"]] = name
        filled.append(row)
    sheet.delete_rows(2)
    for row in filled:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)

    def send():
        upload = SimpleUploadedFile("plantilla-llena.xlsx", buffer.getvalue())
        return client.post(UPLOAD, {"center": center_a.pk, "file": upload}, follow=True)

    response = send()
    assert "Importación registrada: 3 filas, 2 informes válidos" in response.text
    reports = ServiceReport.objects.filter(center=center_a, code__startswith="PLT-")
    assert sorted(r.code for r in reports) == ["PLT-1", "PLT-2"]
    assert reports.get(code="PLT-1").services.count() == 2
    assert isinstance(example[column["fecha_inicio"]], datetime.datetime)  # an Excel date
    response = send()
    assert ImportBatch.objects.order_by("-pk").first().reports_unchanged == 2
    assert reports.count() == 2
