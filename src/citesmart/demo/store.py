"""Writing and removing the demo history: bulk inserts, no per-row actions or audit entries.

Demo data is recognisable without touching anything else: report codes start with "DEMO-",
units carry DEMO_MARK as their consent channel, catalogue rows CATALOGUE_MARK as description,
and each load leaves one AuditEntry (source "sistema", object type "demo_data") per year.
"""

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Model

from citesmart.demo import profiles
from citesmart.demo.calibration import base_weight
from citesmart.demo.reports import CODE_PREFIX, PlanReport
from citesmart.demo.units import PlanUnit
from citesmart.demo.world import CatalogueItem, CenterInfo, Vocabulary
from citesmart.network.models import CatalogueService
from citesmart.records.models import AuditEntry, Service, ServiceReport
from citesmart.service_requests.models import ServiceRequest
from citesmart.units.models import ProductiveUnit

DEMO_MARK = "Datos de demostración (demo_data)"
CATALOGUE_MARK = (
    "Servicio de demostración generado por «citesmart demo_data»; no es parte del tarifario real."
)
AUDIT_TYPE = "demo_data"
BATCH = 2000


@dataclass(frozen=True)
class YearSummary:
    year: int
    services: int  # validated, i.e. counted
    reports: int  # validated
    units: int  # distinct units among validated services
    registered: int
    cancelled: int

    def line(self) -> str:
        extra = f"{self.registered:,} registrados y {self.cancelled:,} anulados, que no cuentan"
        return (
            f"{self.year}: {self.services:,} servicios en {self.reports:,} informes validados, "
            f"{self.units:,} unidades productivas distintas (además {extra})."
        )


def summarise(year: int, reports: Sequence[PlanReport]) -> YearSummary:
    validated = [r for r in reports if r.status == "validado"]
    return YearSummary(
        year=year,
        services=sum(len(r.units) for r in validated),
        reports=len(validated),
        units=len({u.key for r in validated for u in r.units}),
        registered=sum(r.status == "registrado" for r in reports),
        cancelled=sum(r.status == "anulado" for r in reports),
    )


# --- loading state ---------------------------------------------------------------------------


def demo_reports():
    return ServiceReport.objects.filter(code__startswith=f"{CODE_PREFIX}-")


def already_loaded(params: dict) -> bool:
    """True when the last load had these parameters, finished, and is still all there."""
    last = AuditEntry.objects.filter(object_type=AUDIT_TYPE).order_by("-id").first()
    if last is None or not last.after or last.after.get("params") != params:
        return False
    run = last.after["run"]
    entries = [
        e.after
        for e in AuditEntry.objects.filter(object_type=AUDIT_TYPE, after__run=run)
        if e.after
    ]
    years = sorted(e["year"] for e in entries)
    expected = list(range(params["years"][0], params["years"][1] + 1))
    return years == expected and demo_reports().count() == sum(e["all_reports"] for e in entries)


def delete_demo_data() -> tuple[int, int]:
    """Remove earlier demo reports (with their services) and the demo units left without any.

    A full history is a quarter of a million reports: Django's delete() would load every row
    to cascade in Python, so the dependants are removed first and the rest in one statement.
    """
    with transaction.atomic():
        reports = demo_reports()
        ServiceRequest.objects.filter(report__in=reports).update(report=None)
        Service.objects.filter(report__in=reports).delete()  # no dependants: one statement
        # Table names come from the models' meta; values go as parameters.
        removed_reports = _execute(
            f"DELETE FROM {_table(ServiceReport)} WHERE code LIKE %s",  # noqa: S608
            [f"{CODE_PREFIX}-%"],
        )
        units = ProductiveUnit.objects.filter(
            consent_channel=DEMO_MARK, services__isnull=True, merged_units__isnull=True
        )
        ProductiveUnit.chains.through.objects.filter(productiveunit__in=units).delete()
        removed_units = _execute(
            f"DELETE FROM {_table(ProductiveUnit)} WHERE consent_channel = %s"  # noqa: S608
            f" AND NOT EXISTS (SELECT 1 FROM {_table(Service)} s"
            f" WHERE s.unit_id = {_table(ProductiveUnit)}.id)"
            f" AND NOT EXISTS (SELECT 1 FROM {_table(ProductiveUnit)} m"
            f" WHERE m.merged_into_id = {_table(ProductiveUnit)}.id)",
            [DEMO_MARK],
        )
    return removed_reports, removed_units


def refresh_statistics() -> None:
    """ANALYZE the tables a load filled (PostgreSQL): the planner's row estimates are stale
    right after a bulk load until autovacuum gets to it, and the back-office list's search
    and filters pick poor plans meanwhile."""
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(_table(m) for m in (ServiceReport, Service, ProductiveUnit))
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _execute(statement: str, params: list[object]) -> int:
    """One DELETE in SQL, with no cascade in Python (documented raw SQL, no private API).

    Callers remove the dependants first; a row still referenced makes the database refuse
    (foreign keys), so nothing is left dangling.
    """
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def used_documents() -> set[str]:
    """Document numbers and personal DNIs already in the registry, to never reuse them."""
    used: set[str] = set()
    for number, dni in ProductiveUnit.objects.values_list("document_number", "person_dni"):
        used.update(filter(None, (number, dni)))
    return used


# --- catalogue -------------------------------------------------------------------------------


def sync_catalogue(
    centers: Sequence[CenterInfo], vocab: Vocabulary
) -> dict[int, list[CatalogueItem]]:
    """Create or update each center's demo catalogue; real services of the same name win."""
    free_centers = _free_centers(centers, vocab)
    existing = {
        (s.center_id, s.name): s
        for s in CatalogueService.objects.filter(description=CATALOGUE_MARK)
    }
    taken = set(
        CatalogueService.objects.exclude(description=CATALOGUE_MARK).values_list(
            "center_id", "name"
        )
    )
    catalogue: dict[int, list[CatalogueItem]] = {}
    for center in centers:
        items = []
        for values in _catalogue_rows(center, center.id in free_centers, vocab):
            if (center.id, values["name"]) in taken:
                continue
            service = _upsert(existing.get((center.id, values["name"])), center, values)
            items.append(
                CatalogueItem(
                    id=service.pk,
                    category=values["category_code"],
                    tariff=service.tariff,
                    programme_id=service.programme_id,
                    valid_from=service.valid_from,
                )
            )
        catalogue[center.id] = items
    return catalogue


def _free_centers(centers: Sequence[CenterInfo], vocab: Vocabulary) -> set[int]:
    """The programme's public CITEs: the largest ones, as a stand-in for the real twelve."""
    if profiles.PROGRAMME_CODE not in vocab.programmes:
        return set()
    public = sorted((c for c in centers if c.kind == "publico"), key=lambda c: -base_weight(c))
    return {c.id for c in public[: profiles.FREE_CENTERS]}


def _catalogue_rows(center: CenterInfo, free: bool, vocab: Vocabulary) -> Iterable[dict]:
    for category, name, unit_of_sale, tariff in profiles.CATALOGUE[center.family]:
        yield {
            "name": name,
            "category_code": category,
            "category_id": vocab.categories[category],
            "unit_of_sale": unit_of_sale,
            "is_free": False,
            "tariff": Decimal(tariff),
            "programme_id": None,
            "valid_from": None,
        }
    if not free:
        return
    for category, name, unit_of_sale in profiles.FREE_SERVICES:
        yield {
            "name": name,
            "category_code": category,
            "category_id": vocab.categories[category],
            "unit_of_sale": unit_of_sale,
            "is_free": True,
            "tariff": None,
            "programme_id": vocab.programmes[profiles.PROGRAMME_CODE],
            "valid_from": profiles.FREE_FROM,
        }


def _upsert(service: CatalogueService | None, center: CenterInfo, values: dict):
    fields = {k: v for k, v in values.items() if k != "category_code"}
    if service is None:
        service = CatalogueService(center_id=center.id, description=CATALOGUE_MARK, **fields)
        service.full_clean()
        service.save()
    elif any(getattr(service, k) != v for k, v in fields.items()):
        for key, value in fields.items():
            setattr(service, key, value)
        service.full_clean()
        service.save()
    service.chains.set(center.chain_ids)
    return service


# --- one year --------------------------------------------------------------------------------


@transaction.atomic
def write_year(
    *,
    year: int,
    units: Sequence[PlanUnit],
    reports: Sequence[PlanReport],
    centers: dict[int, CenterInfo],
    vocab: Vocabulary,
    params: dict,
    run: str,
) -> YearSummary:
    """Insert the year's new units, its reports and services, and one audit entry."""
    _write_units(units)
    report_rows = [_report_row(r, centers[r.center_id], vocab) for r in reports]
    ServiceReport.objects.bulk_create(report_rows, batch_size=BATCH)
    Service.objects.bulk_create(
        (
            # The operator typed the unit's name, as the entry form and importer keep it: a
            # center sees a person another center registered only when it named them
            # (accounts.access.units_with_visible_details).
            Service(report_id=row.pk, unit_id=_pk(unit), amount=amount, typed_name=unit.name)
            for report, row in zip(reports, report_rows, strict=True)
            for unit, amount in zip(report.units, report.amounts, strict=True)
        ),
        batch_size=BATCH,
    )
    summary = summarise(year, reports)
    AuditEntry.objects.create(
        action=AuditEntry.Action.CREATE,
        source=AuditEntry.Source.SYSTEM,
        object_type=AUDIT_TYPE,
        object_id=year,
        object_repr=f"Datos de demostración {year}",
        after={
            "run": run,
            "params": params,
            **asdict(summary),
            "all_reports": len(reports),
            "new_units": len(units),
        },
        reason=f"Carga de datos de demostración (citesmart demo_data): {summary.line()}"[:300],
    )
    return summary


def _pk(unit: PlanUnit) -> int:
    if unit.pk is None:
        raise ValueError(f"La unidad {unit.key} aún no se ha guardado.")
    return unit.pk


def _write_units(units: Sequence[PlanUnit]) -> None:
    rows = [
        ProductiveUnit(
            document_type=u.document_type,
            document_number=u.document_number,
            person_dni=u.person_dni,
            name=u.name,
            client_type=u.client_type,
            size_class=u.size_class,
            taxpayer_type=u.taxpayer_type,
            ciiu=u.ciiu,
            department_id=u.department_id,
            district_id=u.district_id,
            registered_by_id=u.home,
            phone=u.phone,
            consent_date=u.first_date,
            consent_channel=DEMO_MARK,
        )
        for u in units
    ]
    ProductiveUnit.objects.bulk_create(rows, batch_size=BATCH)
    for unit, row in zip(units, rows, strict=True):
        unit.pk = row.pk
    through = ProductiveUnit.chains.through
    through.objects.bulk_create(
        (through(productiveunit_id=u.pk, chain_id=u.chain_id) for u in units if u.chain_id),
        batch_size=BATCH,
    )


def _report_row(report: PlanReport, center: CenterInfo, vocab: Vocabulary) -> ServiceReport:
    return ServiceReport(
        center_id=report.center_id,
        code=report.code,
        catalogue_service_id=report.catalogue.id if report.catalogue else None,
        category_id=vocab.categories[report.category],
        chain_id=report.chain_id,
        start_date=report.start,
        end_date=report.end,
        delivery_district_id=center.district_id,
        status=report.status,
        is_free=report.is_free,
        programme_id=report.programme_id,
        participants=report.participants,
        hours=report.hours,
        cancel_reason=report.cancel_reason,
        notes="Informe de demostración generado por «citesmart demo_data».",
    )
