"""`citesmart demo_data`: a deterministic, calibrated demo history that replaces itself."""

from collections import Counter
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, F
from django.utils import timezone
from stdnum.pe import ruc

from citesmart.demo.calibration import published_targets
from citesmart.demo.run import DemoParams, build_year, open_world, plan_counts
from citesmart.demo.store import (
    AUDIT_TYPE,
    CATALOGUE_MARK,
    DEMO_MARK,
    delete_demo_data,
)
from citesmart.lib.identity import DocumentType, clean_document, dni_from_ruc
from citesmart.lib.text import fold
from citesmart.network.models import CatalogueService, Center, ServiceCategory
from citesmart.publications.models import Publication
from citesmart.publications.queries import revisions
from citesmart.records.models import (
    AuditEntry,
    MonthClosing,
    MonthStatus,
    ReportStatus,
    Service,
    ServiceReport,
)
from citesmart.units.models import ProductiveUnit

SMALL = {"years": "2024-2025", "scale": 0.02, "seed": 7}
TOP_FOUR = [
    ("CITEmadera y del Mueble Lima", 4914),
    ("CITEcuero y calzado Trujillo", 4864),
    ("CITEtextil camélidos Cusco", 4352),
    ("CITEforestal Pucallpa", 3862),
]


def demo(**options) -> str:
    out = StringIO()
    call_command("demo_data", stdout=out, **{**SMALL, **options})
    return out.getvalue()


@pytest.fixture(scope="module")
def small_history(django_db_setup, django_db_blocker):
    """One small history shared by the read-only tests of this module, removed afterwards."""
    with django_db_blocker.unblock():
        demo()
        yield
        delete_demo_data()
        CatalogueService.objects.filter(description=CATALOGUE_MARK).delete()
        AuditEntry.objects.filter(object_type=AUDIT_TYPE).delete()


def snapshot() -> list[tuple]:
    """Every demo service as comparable values (no database ids)."""
    return list(
        Service.objects.filter(report__code__startswith="DEMO-")
        .order_by("report__center__code", "report__code", "unit__document_number", "unit__name")
        .values_list(
            "report__center__code",
            "report__code",
            "report__category__code",
            "report__chain__code",
            "report__start_date",
            "report__end_date",
            "report__status",
            "report__catalogue_service__name",
            "unit__document_type",
            "unit__document_number",
            "unit__name",
            "unit__district_id",
            "amount",
        )
    )


def validated_2025():
    return Service.objects.filter(
        report__status=ReportStatus.VALIDATED, report__end_date__year=2025
    )


@pytest.mark.django_db
def test_same_seed_gives_the_same_history_and_a_rerun_skips():
    output = demo(seed=11)
    assert "2024:" in output and "2025:" in output
    first = snapshot()
    assert len(first) > 1000

    again = demo(seed=11)
    assert "ya están cargados" in again
    assert snapshot() == first

    demo(seed=11, force=True)
    assert snapshot() == first


@pytest.mark.django_db
def test_reload_with_another_seed_replaces_demo_data_but_keeps_real_records():
    center = Center.objects.get(code="citepesquero-callao")
    real_unit = ProductiveUnit.objects.create(
        document_type=DocumentType.RUC,
        document_number="20131312955",
        name="Empresa Real S.A.C.",
        client_type="empresa_formal",
    )
    real_report = ServiceReport.objects.create(
        center=center,
        code="INF-2025-000001",
        category=ServiceCategory.objects.get(code="ensayos-laboratorio"),
        start_date=date(2025, 3, 1),
        end_date=date(2025, 3, 2),
        status=ReportStatus.VALIDATED,
    )
    Service.objects.create(report=real_report, unit=real_unit, amount=Decimal("150"))
    demo(seed=12)
    first_units = ProductiveUnit.objects.filter(consent_channel=DEMO_MARK).count()

    output = demo(seed=13)

    assert "Se eliminaron" in output
    assert ServiceReport.objects.filter(pk=real_report.pk).exists()
    assert real_report.services.get().unit == real_unit
    demo_units = ProductiveUnit.objects.filter(consent_channel=DEMO_MARK)
    assert not demo_units.filter(services__isnull=True).exists()  # no orphans left behind
    assert abs(demo_units.count() - first_units) < first_units * 0.2
    last = AuditEntry.objects.filter(object_type=AUDIT_TYPE, source="sistema").latest("id")
    assert last.after["params"]["seed"] == 13
    assert AuditEntry.objects.filter(after__run=last.after["run"]).count() == 2  # one a year


@pytest.mark.django_db
def test_documents_have_valid_check_digits(small_history):
    units = ProductiveUnit.objects.filter(consent_channel=DEMO_MARK)
    kinds = Counter(units.values_list("document_type", flat=True))
    assert kinds["ruc"] and kinds["dni"] and kinds["ninguno"]
    for kind, number, person_dni in units.values_list(
        "document_type", "document_number", "person_dni"
    ):
        if kind == "ruc":
            assert clean_document(DocumentType.RUC, number) == number
            assert ruc.is_valid(number)
            if number.startswith("10"):
                assert dni_from_ruc(number) == person_dni
        elif kind == "dni":
            assert clean_document(DocumentType.DNI, number) == number == person_dni
        else:
            assert number == "" and person_dni == ""
    numbers = [n for n in units.values_list("document_number", flat=True) if n]
    assert len(numbers) == len(set(numbers))


@pytest.mark.django_db
def test_clients_have_itp_types_plausible_names_and_places_near_the_center(small_history):
    units = ProductiveUnit.objects.filter(consent_channel=DEMO_MARK)
    types = Counter(units.values_list("client_type", flat=True))
    assert types.most_common(1)[0][0] in ("persona_natural_negocio", "emprendedor")
    assert types["empresa_formal"] and types["asociacion_cooperativa"]
    formal = units.filter(client_type="empresa_formal").values_list("name", flat=True)
    assert all(name.endswith(("S.A.C.", "E.I.R.L.", "S.R.L.", "S.A.")) for name in formal)
    assert all(
        n.startswith(("Asociación", "Cooperativa"))
        for n in units.filter(client_type="asociacion_cooperativa").values_list("name", flat=True)
    )
    seated = units.filter(registered_by__department__isnull=False)
    same = seated.filter(department=F("registered_by__department")).count()
    assert same / seated.count() > 0.75
    assert not units.filter(district__isnull=True).exists()


@pytest.mark.django_db
def test_reports_follow_their_center_and_never_lie_in_the_future(small_history):
    reports = ServiceReport.objects.filter(code__startswith="DEMO-").select_related("center")
    today = timezone.localdate()
    assert not reports.filter(end_date__gt=min(today, date(2025, 12, 31))).exists()
    assert not reports.filter(start_date__gt=F("end_date")).exists()
    chains = {c.pk: set(c.chains.values_list("pk", flat=True)) for c in Center.objects.all()}
    for center_id, chain_id in reports.values_list("center_id", "chain_id").distinct():
        assert chain_id in chains[center_id]
    codes = reports.values_list("center_id", "code")
    assert len(codes) == len(set(codes))
    assert reports.filter(code__regex=r"^DEMO-INF-20\d\d-\d{6}$").count() == reports.count()


@pytest.mark.django_db
def test_statuses_trainings_catalogue_and_amounts(small_history):
    reports = ServiceReport.objects.filter(code__startswith="DEMO-")
    statuses = Counter(reports.values_list("status", flat=True))
    assert statuses["validado"] > 0.95 * sum(statuses.values())
    assert statuses["anulado"] > 0
    registered = reports.filter(status=ReportStatus.REGISTERED)
    assert registered.exists()
    assert not registered.filter(end_date__lt=date(2025, 12, 1)).exists()

    trainings = reports.filter(category__code="capacitacion").annotate(n=Count("services"))
    assert max(t.n for t in trainings) >= 5
    assert all(t.participants >= t.n and t.hours for t in trainings)
    singles = reports.exclude(category__code__in=["capacitacion", "certificacion-competencias"])
    sizes = Counter(singles.annotate(n=Count("services")).values_list("n", flat=True))
    assert sizes[1] > 0.8 * sum(sizes.values())

    catalogue = CatalogueService.objects.filter(description=CATALOGUE_MARK)
    assert catalogue.values("center").distinct().count() == Center.objects.count()
    assert catalogue.filter(is_free=True).values("center").distinct().count() == 12
    paid = Service.objects.filter(report__in=reports, report__is_free=False).exclude(
        report__catalogue_service=None
    )
    at_tariff = paid.filter(amount=F("report__catalogue_service__tariff")).count()
    assert at_tariff > 0.8 * paid.count()
    free = Service.objects.filter(report__in=reports, report__is_free=True)
    assert free.exists()
    assert not free.exclude(amount=0).exists()
    assert not free.filter(report__programme__isnull=True).exists()


@pytest.mark.django_db
def test_small_scale_keeps_the_published_shape(small_history):
    targets = published_targets().scaled(SMALL["scale"])
    assert validated_2025().count() == targets.services
    assert validated_2025().values("unit").distinct().count() == targets.units
    ranking = _ranking_jan_sep()
    assert [(fold(n), c) for n, c in ranking[:4]] == [(fold(n), c) for n, c in targets.top_jan_sep]
    assert ranking[4][1] < ranking[3][1]


def _ranking_jan_sep() -> list[tuple[str, int]]:
    rows = (
        validated_2025()
        .filter(report__end_date__lte=date(2025, 9, 30))
        .values("report__center__name")
        .annotate(n=Count("id"))
        .order_by("-n", "report__center__name")
    )
    return [(row["report__center__name"], row["n"]) for row in rows]


@pytest.mark.django_db
def test_full_scale_plan_hits_the_published_figures():
    """The pure plan at full scale: counts per center and month, then clients and reports."""
    params = DemoParams(first_year=2025, last_year=2025)
    world = open_world(params, catalogue={})
    counts = plan_counts(world, 2025, params)
    by_center = {c.id: c.name for c in world.centers}
    jan_sep = {by_center[c]: sum(months[:9]) for c, months in counts.items()}
    ranking = sorted(jan_sep.items(), key=lambda item: -item[1])
    assert [(fold(n), c) for n, c in ranking[:4]] == [(fold(n), c) for n, c in TOP_FOUR]
    assert ranking[4][1] < 3862
    assert sum(jan_sep.values()) == 67_459

    plan = build_year(world, 2025, params)
    validated = [r for r in plan.reports if r.status == "validado"]
    services = sum(len(r.units) for r in validated)
    units = {u.key for r in validated for u in r.units}
    assert 85_800 <= services < 86_000
    assert 13_000 <= len(units) < 13_500


@pytest.mark.django_db
def test_full_2025_in_the_database_lands_on_the_published_figures():
    """About 20 s on SQLite: the figures as the counting rule reads them from the records."""
    call_command("demo_data", years="2025", stdout=StringIO())
    assert validated_2025().count() >= 85_800
    assert validated_2025().values("unit").distinct().count() >= 13_000
    ranking = _ranking_jan_sep()
    assert sum(n for _, n in ranking) == 67_459
    assert [(fold(n), c) for n, c in ranking[:4]] == [(fold(n), c) for n, c in TOP_FOUR]
    assert ranking[4][1] < 3862


@pytest.mark.django_db
def test_demo_closings_approve_the_history_and_show_every_state_at_the_end(small_history):
    out = StringIO()
    call_command("demo_closings", stdout=out)
    assert "meses aprobados" in out.getvalue()
    states = set(
        MonthClosing.objects.filter(year=2025, month__gte=10).values_list("status", flat=True)
    )
    assert {MonthStatus.CLOSED, MonthStatus.APPROVED} <= states
    assert MonthClosing.objects.filter(year=2024, status=MonthStatus.APPROVED).count() == (
        12 * MonthClosing.objects.values("center").distinct().count()
    )
    assert (
        not MonthClosing.objects.filter(year=2025, month=12)
        .exclude(status=MonthStatus.OPEN)
        .exists()
    )
    call_command("demo_closings", stdout=out)  # a rerun keeps what exists
    assert "se conservan" in out.getvalue()


@pytest.mark.django_db
def test_demo_publications_are_revised_between_the_third_quarter_and_the_year(
    small_history, read_model
):
    call_command("demo_closings", stdout=StringIO())
    out = StringIO()
    call_command("demo_publications", stdout=out)
    assert "«2025-t3» y «2025-anual»" in out.getvalue()
    quarter, year = (
        Publication.objects.get(slug="2025-t3"),
        Publication.objects.get(slug="2025-anual"),
    )
    assert "demostración" in year.note
    changes = revisions(quarter, year)
    reasons = [reason for r in changes for reason in r.reasons]
    assert changes and any(" de mes " in reason for reason in reasons)
    assert not any("demostración" in reason for reason in reasons)  # no free text in public
