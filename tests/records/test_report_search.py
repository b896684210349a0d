"""The back office's search of reports: by part of a code or by an attended unit's RUC/DNI,
each word required, within the center; on PostgreSQL a search by code reads an index."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from test_records_scoping import LIST_URL, make_report

from citesmart.records.models import ServiceReport


@pytest.fixture
def reports(center_a, center_b):
    return (
        make_report(center_a, "MOQ-001", name="Pisquera Moqueguana SAC", seed=1),
        make_report(center_a, "MOQ-002", name="Bodega Ilo SAC", seed=3),
        make_report(center_b, "TRU-001", name="Calzados Trujillo SAC", seed=2),
    )


def found(client, q: str) -> list[str]:
    changelist = client.get(LIST_URL, {"q": q}).context["cl"]
    return sorted(report.code for report in changelist.result_list)


def test_a_manager_finds_reports_by_part_of_a_code_or_by_a_units_document(
    client_for, manager_a, reports
):
    client = client_for(manager_a)
    ruc = reports[1].services.get().unit.document_number
    assert found(client, "moq-0") == ["MOQ-001", "MOQ-002"]
    assert found(client, "Q-001") == ["MOQ-001"]
    assert found(client, ruc) == ["MOQ-002"]
    assert found(client, f"MOQ {ruc}") == ["MOQ-002"]  # each word required
    assert found(client, "MOQ-001 " + ruc) == []
    assert found(client, "TRU-001") == []  # another center's


def test_a_search_by_code_reads_the_trigram_index_on_postgresql(manager_a, reports):
    # At 3.4M reports an OR of the code and the units' reports read every report: 0.5 s a
    # search. The code alone, in a UNION, reads migration 0010's trigram index.
    if connection.vendor != "postgresql":
        pytest.skip("the trigram index is PostgreSQL's (pg_trgm)")
    columns = [
        field.column for field in ServiceReport._meta.concrete_fields if not field.primary_key
    ]
    # Other codes (letters a-p only): none has all the trigrams of the one searched.
    other = "translate(md5(g::text), '0123456789', 'ghijklmnop')"
    copied = ", ".join(other if column == "code" else column for column in columns)
    with connection.cursor() as cursor:  # enough reports for an index to be worth reading
        cursor.execute(
            f"INSERT INTO records_servicereport ({', '.join(columns)}) SELECT {copied} "  # noqa: S608
            "FROM records_servicereport, generate_series(1, 20000) g WHERE id = %s",
            [reports[0].pk],
        )
        cursor.execute("ANALYZE records_servicereport")
    request = RequestFactory().get(LIST_URL, {"q": "MOQ-001"})
    request.user = manager_a
    model_admin = admin.site._registry[ServiceReport]
    queryset, _ = model_admin.get_search_results(request, ServiceReport.objects.all(), "MOQ-001")
    assert [report.code for report in queryset] == ["MOQ-001"]
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "report_code_trgm" in plan, plan
