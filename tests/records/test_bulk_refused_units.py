"""The bulk import writer writes nothing of a report it refused, not even its new units."""

import io

import pytest
from tests.records.test_validation_by_role import RUC_A, RUC_B, rows_csv

from citesmart.records import imports
from citesmart.records.closing import close_month
from citesmart.records.models import ServiceReport
from citesmart.units.models import ProductiveUnit

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("bulk", [True, False], ids=["bulk", "actions"])
def test_a_report_refused_for_a_closed_month_leaves_no_new_unit(
    center_a, operator_a, bulk, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    close_month(center=center_a, year=2025, month=3, actor=None)
    april = {"fecha_inicio": "01/04/2025", "fecha_fin": "04/04/2025", "estado": "registrado"}
    data = rows_csv(
        {"codigo_informe": "INF-MARZO", "estado": "registrado"},  # March: closed, refused
        {"codigo_informe": "INF-ABRIL", "numero_documento": RUC_B} | april,
    )
    result = imports.import_file(
        io.BytesIO(data),
        center=center_a,
        filename="lote.csv",
        user=operator_a,
        accept_valid=True,
        bulk=bulk,
    )
    assert result.written
    assert list(ServiceReport.objects.values_list("code", flat=True)) == ["INF-ABRIL"]
    assert ProductiveUnit.objects.filter(document_number=RUC_B).exists()
    assert not ProductiveUnit.objects.filter(document_number=RUC_A).exists()
