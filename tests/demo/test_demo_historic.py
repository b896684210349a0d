"""`citesmart demo_historic`: 2016–2018 tables consistent with the demo records of 2019."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from citesmart.demo.historic import GROWTH
from citesmart.historic.models import (
    Budget,
    BudgetExecution,
    HistoricBatch,
    HistoricClients,
    HistoricServices,
    InvestmentProject,
    Staff,
    TableKind,
)
from citesmart.network.models import Center
from citesmart.records.models import ReportStatus, Service

pytestmark = pytest.mark.django_db


def test_demo_needs_the_2019_records():
    with pytest.raises(CommandError, match="demo_data"):
        call_command("demo_historic", stdout=StringIO())


def test_demo_tables_follow_2019_and_a_rerun_changes_nothing(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("demo_data", years="2019", scale=0.02, seed=3, stdout=StringIO())
    call_command("demo_historic", stdout=StringIO())
    batches = HistoricBatch.objects.filter(is_demo=True, status=HistoricBatch.Status.COMMITTED)
    assert sorted(batches.values_list("kind", flat=True)) == sorted(TableKind.values)
    assert set(batches.values_list("filename", flat=True)) == {"demostración"}
    base = Service.objects.filter(
        report__status=ReportStatus.VALIDATED, report__end_date__year=2019
    )
    expected = base.count() * GROWTH[2018] / GROWTH[2019]
    total_2018 = HistoricServices.objects.filter(year=2018).aggregate(n=Sum("services"))["n"]
    assert 0.85 * expected <= total_2018 <= 1.15 * expected
    assert sorted(HistoricServices.objects.values_list("year", flat=True).distinct()) == [
        2016,
        2017,
        2018,
    ]
    assert HistoricClients.objects.filter(year=2016).exists()
    public = set(Center.objects.filter(kind=Center.Kind.PUBLIC).values_list("pk", flat=True))
    assert set(Budget.objects.values_list("center_id", flat=True)) <= public
    assert Staff.objects.filter(year=2018).exists()
    assert InvestmentProject.objects.filter(aspects__aspect="Infraestructura").exists()
    # Budgets of a public CITE's size (S/ 1–10 million), spent at most in full.
    for budget in Budget.objects.all():
        assert 1_000_000 <= budget.pim <= 10_000_000
        spent = BudgetExecution.objects.filter(center=budget.center, year=budget.year)
        assert Decimal("0.8") * budget.pim <= spent.aggregate(s=Sum("amount"))["s"] <= budget.pim
    out = StringIO()
    call_command("demo_historic", stdout=out)
    assert "0 valores nuevos, 0 cambiados, 0 reemplazados" in out.getvalue()
