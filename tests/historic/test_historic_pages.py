"""The back-office doors and the CLI, through HTTP and call_command."""

import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook
from tests.historic.test_loader import LAB, months, services_file

from citesmart.historic.models import HistoricBatch, HistoricServices, TableKind
from citesmart.historic.specs import SPECS
from citesmart.lib.spreadsheets import read_table

pytestmark = pytest.mark.django_db
UPLOAD = "/admin/historic/historicbatch/cargar/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def good_file(tmp_path, name="s.xlsx"):
    return services_file(tmp_path / name, [("CITEagroindustrial Moquegua", 2017, LAB, months(3))])


def upload(client, path, kind="servicios", **extra):
    with open(path, "rb") as handle:
        return client.post(UPLOAD, {"kind": kind, "file": handle, **extra})


def test_upload_page_loads_a_table_and_the_batch_page_reverts_it(
    tmp_path, client_for, national_admin, center_a
):
    client = client_for(national_admin)
    assert "TABLA_03_N01" in client.get(UPLOAD).content.decode()
    response = upload(client, good_file(tmp_path))
    assert response.status_code == 302
    batch = HistoricBatch.objects.get(status=HistoricBatch.Status.COMMITTED)
    assert response["Location"].endswith(f"/historicbatch/{batch.pk}/change/")
    assert batch.created_by == national_admin
    assert HistoricServices.objects.filter(center=center_a, year=2017).count() == 12
    page = client.get(response["Location"]).content.decode()
    assert "Revertir esta carga" in page
    assert "<li>Carga registrada (filas: 1): 12 valores nuevos" in page
    revert = f"/admin/historic/historicbatch/{batch.pk}/revertir/"
    assert "12 valores" in client.get(revert).content.decode()
    assert client.post(revert).status_code == 302
    assert not HistoricServices.objects.exists()
    batch.refresh_from_db()
    assert batch.status == HistoricBatch.Status.REVERTED and batch.reverted_by == national_admin


def test_upload_page_lists_every_error_and_writes_nothing(tmp_path, client_for, national_admin):
    path = services_file(
        tmp_path / "bad.xlsx",
        [
            ("CITE Inexistente Lima", 2017, LAB, months(1)),
            ("CITEagroindustrial Moquegua", 2099, LAB, months(1)),
        ],
    )
    response = upload(client_for(national_admin), path)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Archivo rechazado" in page
    assert "fila 6, columna A (cite)" in page and "fila 7, columna B (anio)" in page
    assert not HistoricServices.objects.exists()


def test_dry_run_from_the_page(tmp_path, client_for, national_admin):
    response = upload(client_for(national_admin), good_file(tmp_path), dry_run="on")
    assert "se registrarían 12 valores nuevos" in response.content.decode()
    assert not HistoricServices.objects.exists()


@pytest.mark.parametrize("kind", TableKind.values)
def test_templates_have_itps_columns_and_read_back(kind, client_for, analyst):
    response = client_for(analyst).get(f"/admin/historic/historicbatch/plantilla.xlsx?tabla={kind}")
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    with read_table(io.BytesIO(content)) as table:
        assert table.headers == SPECS[kind].headers
        assert len(list(table.rows())) == 1
    assert load_workbook(io.BytesIO(content)).sheetnames == [SPECS[kind].itp, "Instrucciones"]


def test_template_example_rows_load(tmp_path, client_for, national_admin, center_a):
    """Each template's example line is a valid line of its table (CSV as downloaded)."""
    client = client_for(national_admin)
    for kind in TableKind.values:
        response = client.get(f"/admin/historic/historicbatch/plantilla.csv?tabla={kind}")
        path = tmp_path / f"{kind}.csv"
        path.write_bytes(b"".join(response.streaming_content))
        call_command("load_historic", str(path), "--tabla", kind, "--solo-verificar")


def test_who_reaches_the_pages(client_for, analyst, manager_a, operator_a):
    changelist = "/admin/historic/historicbatch/"
    assert client_for(analyst).get(changelist).status_code == 200
    assert client_for(analyst).get(UPLOAD).status_code == 403
    for user in (manager_a, operator_a):
        assert client_for(user).get(changelist).status_code == 403
        assert client_for(user).get("/admin/historic/historicservices/").status_code == 403


def test_cli_loads_checks_and_refuses(tmp_path, center_a, capsys):
    path = good_file(tmp_path)
    call_command("load_historic", str(path), "--tabla", "servicios", "--solo-verificar")
    assert "se registrarían 12 valores nuevos" in capsys.readouterr().out
    assert not HistoricServices.objects.exists()
    call_command("load_historic", str(path), "--tabla", "servicios")
    assert HistoricServices.objects.count() == 12
    bad = services_file(tmp_path / "bad.xlsx", [("Moquegua Inexistente", 2017, LAB, months(1))])
    with pytest.raises(CommandError, match="Archivo rechazado") as refused:
        call_command("load_historic", str(bad), "--tabla", "servicios")
    assert refused.value.returncode == 1
    assert "fila 6, columna A (cite)" in capsys.readouterr().err
