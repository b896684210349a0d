"""Planning: what writing the valid drafts will do, resolved against the database in bulk."""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import BooleanField, Model, QuerySet
from django.db.models.expressions import RawSQL

from citesmart.lib.identity import (
    DocumentType,
)
from citesmart.network.models import Center
from citesmart.records.actions import decide_status
from citesmart.records.imports.drafts import Draft, service_amount
from citesmart.records.imports.results import CHUNK, Context, ImportResult
from citesmart.records.imports.rows import Row
from citesmart.records.models import AuditEntry, ReportStatus, Service, ServiceReport
from citesmart.records.snapshots import snapshot_report, unit_snapshot
from citesmart.units.models import ProductiveUnit, SizeClass
from citesmart.units.queries import survivor


@dataclass
class _UnitAudit:
    unit: ProductiveUnit
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any]
    text: str
    reason: str = ""


@dataclass
class ReportPlan:
    draft: Draft
    values: dict[str, Any]
    units: list[ProductiveUnit]
    report: ServiceReport | None
    before: dict[str, Any] | None
    after: dict[str, Any]
    outcome: str  # "created" | "updated" | "unchanged", as RecordResult.outcome
    current: list["_Current"] = field(default_factory=list)
    # Why the report lands "registrado" instead of the status asked for ("" if it does not).
    kept: str = ""
    content_changed: bool = True  # the writer becomes the report's recorder
    requested: str = ""  # the status asked for (values["status"] is the one it lands with)


class _Current(NamedTuple):
    """A service the report has in the database."""

    pk: int
    unit_id: int
    amount: Decimal


@dataclass
class Plan:
    reports: list[ReportPlan] = field(default_factory=list)
    new_units: list[ProductiveUnit] = field(default_factory=list)
    upgraded_units: list[ProductiveUnit] = field(default_factory=list)
    unit_audits: list[_UnitAudit] = field(default_factory=list)


class Planner:
    """Resolves units and reports against the database, replaying the actions' rules in memory."""

    def __init__(self, ctx: Context) -> None:
        self.center = ctx.center
        self.ctx = ctx
        self.decisions: dict = {}  # decide_status's answers for this actor and center

    def plan(self, drafts: list[Draft], *, lock: bool) -> Plan:
        plan = Plan()
        existing, services = self._existing_reports([d.code for d in drafts], lock=lock)
        units = _UnitIndex(self.center, [row for draft in drafts for row in draft.rows])
        for draft in drafts:
            attended = [units.resolve(row, plan) for row in draft.rows]
            report = existing.get(draft.code)
            current = services.get(report.pk, []) if report is not None else []
            plan.reports.append(self._report_plan(draft, attended, report, current))
        return plan

    def _existing_reports(
        self, codes: list[str], *, lock: bool
    ) -> tuple[dict[str, ServiceReport], dict[int, list["_Current"]]]:
        """The center's reports with these codes, and their services as plain tuples."""
        found: dict[str, ServiceReport] = {}
        query = ServiceReport.objects.filter(center=self.center)
        if lock:  # as record_service_report does; in id order, as actions.lock_reports
            query = query.select_for_update().order_by("pk")
        center_field = ServiceReport._meta.get_field("center")
        for chunk in _any_of(query, "code", codes):
            for report in chunk:
                center_field.set_cached_value(report, self.center)  # str(report) names it
                found[report.code] = report
        services: dict[int, list[_Current]] = defaultdict(list)
        ids = [r.pk for r in found.values()]
        rows = Service.objects.values_list("pk", "report_id", "unit_id", "amount")
        for chunk in _any_of(rows, "report_id", ids):
            for pk, report_id, unit_id, amount in chunk:
                services[report_id].append(_Current(pk, unit_id, amount))
        return found, services

    def _report_plan(
        self,
        draft: Draft,
        units: list[ProductiveUnit],
        report: ServiceReport | None,
        current: list["_Current"],
    ) -> ReportPlan:
        values = _report_values(draft, report, self.center)
        amounts = [service_amount(row, values["is_free"]) for row in draft.rows]
        services = sorted(
            ([_unit_key(u), str(a)] for u, a in zip(units, amounts, strict=True)),
            key=lambda s: (isinstance(s[0], str), s[0], s[1]),
        )
        before = (
            snapshot_report(report, [(c.unit_id, c.amount) for c in current])
            if report is not None
            else None
        )
        after = _snapshot(values, services, cancel_reason=_cancel_reason(report, values))
        requested = values["status"]
        decision = decide_status(
            actor=self.ctx.user,
            center=self.center,
            requested=requested,
            before=before,
            after=after,
            recorded_by_id=report.recorded_by_id if report is not None else None,
            by_token=self.ctx.by_token,
            memo=self.decisions,
        )
        if decision.status != requested:
            values["status"] = decision.status
            after = {**after, "status": str(decision.status)}
        outcome = "created" if before is None else "unchanged" if before == after else "updated"
        kept = ""
        if decision.refusal:
            from_file = draft.first.report["status"] is not None
            kept = kept_message(decision.refusal, requested, from_file, self.ctx.by_token)
        plan = ReportPlan(draft, values, units, report, before, after, outcome, current, kept)
        plan.content_changed, plan.requested = decision.content_changed, requested
        return plan


def kept_message(refusal: str, requested: str, from_file: bool, by_token: bool) -> str:
    """Why a report lands "registrado": the status asked for and who may set it."""
    label = str(ReportStatus(requested).label).lower()
    if from_file:
        where = "de la solicitud" if by_token else "del archivo"
        return f"el estado «{label}» {where} se ignoró: {refusal}"
    return f"el informe estaba «{label}» y cambió, así que vuelve a «registrado»: {refusal}"


def _any_of(query: QuerySet, name: str, values: list[Any]) -> Iterator[QuerySet]:
    """`query` filtered on `name` IN `values`, as few queries as the database allows.

    PostgreSQL takes the whole list as one array parameter (`= ANY(%s)`): one query, and no
    per-value work in Django's lookup machinery; elsewhere the list goes in chunks.
    """
    if not values:
        return
    if connection.vendor == "postgresql":
        column = query.model._meta.get_field(name).column
        table = query.model._meta.db_table
        # Identifiers come from the model's meta, the values go as one parameter.
        condition = RawSQL(f'"{table}"."{column}" = ANY(%s)', (values,), BooleanField())  # noqa: S611
        yield query.filter(condition)
        return
    for start in range(0, len(values), CHUNK):
        yield query.filter(**{f"{name}__in": values[start : start + CHUNK]})


def _unit_key(unit: ProductiveUnit) -> Any:
    # New units have no id yet: a unique stand-in makes their reports compare as changed.
    return unit.pk if unit.pk is not None else f"nueva:{id(unit)}"


def _cancel_reason(report: ServiceReport | None, values: dict[str, Any]) -> str:
    if report is None or report.status == ReportStatus.CANCELLED:
        return ""  # a cancelled report brought back loses its reason, as in the action
    return report.cancel_reason


def _report_values(draft: Draft, report: ServiceReport | None, center: Center) -> dict[str, Any]:
    """The values record_service_report receives; what the file does not carry is kept."""
    fields = draft.first.report
    catalogue = fields["catalogue"]
    programme = fields["programme"]
    if programme is None and catalogue is not None and catalogue.is_free:
        programme = catalogue.programme
    status = fields["status"]
    if status is None:
        keep = report is not None and report.status != ReportStatus.CANCELLED
        status = report.status if report is not None and keep else ReportStatus.REGISTERED
    return {
        "category": fields["category"] or catalogue.category,
        "catalogue_service": catalogue,
        "chain": fields["chain"],
        "start_date": fields["start_date"],
        "end_date": fields["end_date"],
        "delivery_district_id": (
            report.delivery_district_id
            if report is not None and report.delivery_district_id
            else center.district_id
        ),
        "status": status,
        "is_free": draft.is_free,
        "programme": programme,
        "participants": report.participants if report else None,
        "hours": report.hours if report else None,
        "notes": report.notes if report else "",
    }


def _snapshot(values: dict[str, Any], services: list[list[Any]], *, cancel_reason: str) -> dict:
    """What records.snapshots.snapshot_report will return once `values` are saved."""
    return {
        "catalogue_service": pk_of(values["catalogue_service"]),
        "category": pk_of(values["category"]),
        "chain": pk_of(values["chain"]),
        "start_date": values["start_date"].isoformat(),
        "end_date": values["end_date"].isoformat(),
        "delivery_district": values["delivery_district_id"],
        "status": str(values["status"]),
        "is_free": values["is_free"],
        "programme": pk_of(values["programme"]),
        "participants": values["participants"],
        "hours": str(values["hours"]) if values["hours"] is not None else None,
        "notes": values["notes"],
        "cancel_reason": cancel_reason,
        "services": services,
    }


def pk_of(obj: Any) -> Any:
    return obj.pk if obj is not None else None


class _Known:
    """Units by document, by the person behind a DNI or RUC 10, and (undocumented) by name."""

    def __init__(self) -> None:
        self.by_document: dict[tuple[str, str], ProductiveUnit] = {}
        self.by_person: dict[str, list[ProductiveUnit]] = defaultdict(list)
        self.by_name: dict[tuple[str, str | None], ProductiveUnit] = {}

    def add(self, unit: ProductiveUnit) -> None:
        if unit.document_type == DocumentType.NONE:
            self.by_name.setdefault((unit.name.upper(), unit.district_id), unit)
            return
        known = self.by_document.setdefault((unit.document_type, unit.document_number), unit)
        if known is unit and unit.person_dni and unit not in self.by_person[unit.person_dni]:
            self.by_person[unit.person_dni].append(unit)

    def find(self, row: Row) -> ProductiveUnit | None:
        kind, number = row.document_type, row.document_number
        if kind == DocumentType.NONE:
            return self.by_name.get((row.name.upper(), row.district.code if row.district else None))
        found = self.by_document.get((kind, number))
        if found is None and row.identity[0] == "persona":
            people = self.by_person.get(row.identity[1])
            found = people[0] if people else None
        return found


class _UnitIndex:
    """units.queries.find_unit and records.unit_actions.get_or_create_unit, replayed over dicts."""

    def __init__(self, center: Center, rows: list[Row]) -> None:
        self.center = center
        self.live, self.merged = _Known(), _Known()
        self._survivors: dict[int, ProductiveUnit] = {}
        numbers = sorted({r.document_number for r in rows if r.document_number})
        people = sorted({r.identity[1] for r in rows if r.identity[0] == "persona"})
        undocumented = any(r.document_type == DocumentType.NONE for r in rows)
        units = ProductiveUnit.objects.order_by("name", "pk")
        for known, query in (
            (self.live, units.filter(merged_into__isnull=True)),
            (self.merged, units.filter(merged_into__isnull=False)),
        ):
            chunks = [*_any_of(query, "document_number", numbers)]
            chunks += [*_any_of(query, "person_dni", people)]
            if undocumented:
                chunks.append(query.filter(document_type=DocumentType.NONE, registered_by=center))
            for chunk in chunks:  # documents first, as find_unit looks
                for unit in chunk:
                    known.add(unit)
        for people_units in self.live.by_person.values():
            people_units.sort(key=lambda u: (u.name, u.pk))

    def _add(self, unit: ProductiveUnit) -> None:
        self.live.add(unit)

    def find(self, row: Row) -> ProductiveUnit | None:
        found = self.live.find(row)
        if found is not None:
            return found
        merged = self.merged.find(row)
        if merged is None:
            return None
        if merged.pk not in self._survivors:  # rare: one query per merge followed
            self._survivors[merged.pk] = self._live_twin(survivor(merged))
        return self._survivors[merged.pk]

    def _live_twin(self, unit: ProductiveUnit) -> ProductiveUnit:
        """The survivor as this index holds it, so a RUC 10 upgrade is seen by later rows."""
        if unit.document_type == DocumentType.NONE:
            return unit
        known = self.live.by_document.setdefault((unit.document_type, unit.document_number), unit)
        if known is unit and unit.person_dni:
            self.live.by_person[unit.person_dni].append(unit)
        return known

    def resolve(self, row: Row, plan: Plan) -> ProductiveUnit:
        unit = self.find(row)
        if unit is None:
            unit = self._new(row)
            plan.new_units.append(unit)
            plan.unit_audits.append(
                _UnitAudit(unit, AuditEntry.Action.CREATE, None, unit_snapshot(unit), str(unit))
            )
        elif (
            unit.document_type == DocumentType.DNI
            and row.document_type == DocumentType.RUC
            and row.identity == ("persona", unit.person_dni)
        ):
            before = unit_snapshot(unit)
            self.live.by_document.pop((unit.document_type, unit.document_number), None)
            unit.document_type, unit.document_number = DocumentType.RUC, row.document_number
            self.live.by_document[(unit.document_type, unit.document_number)] = unit
            if unit.pk is not None and unit not in plan.upgraded_units:
                plan.upgraded_units.append(unit)
            plan.unit_audits.append(
                _UnitAudit(
                    unit,
                    AuditEntry.Action.UPDATE,
                    before,
                    unit_snapshot(unit),
                    str(unit),
                    "RUC 10 de la misma persona",
                )
            )
        return unit

    def _new(self, row: Row) -> ProductiveUnit:
        person = row.identity[1] if row.identity[0] == "persona" else ""
        unit = new_instance(
            ProductiveUnit,
            document_type=row.document_type,
            document_number=row.document_number,
            person_dni=person,
            name=row.name,
            client_type=row.client_type,
            size_class=SizeClass.UNKNOWN,
            district_id=row.district.pk if row.district else None,
            department_id=row.department.pk if row.department else None,
            registered_by_id=self.center.pk,
        )
        self._add(unit)
        return unit


def new_instance(model: type[Model], **values: Any) -> Any:
    """model(**values) by attribute name (foreign keys as ids), several times faster.

    Positional construction skips the keyword path (related descriptors, routers), which
    dominated building the tens of thousands of rows a large import writes.
    """
    defaults = _DEFAULTS.get(model)
    if defaults is None:
        fields = model._meta.concrete_fields
        defaults = _DEFAULTS[model] = {f.attname: f.get_default() for f in fields}
    unknown = values.keys() - defaults.keys()
    if unknown:
        raise TypeError(f"{model.__name__} has no attributes {sorted(unknown)}")
    return model(*{**defaults, **values}.values())


_DEFAULTS: dict[type[Model], dict[str, Any]] = {}


def count_outcomes(result: ImportResult, plan: Plan) -> None:
    result.created = sum(p.outcome == "created" for p in plan.reports)
    result.updated = sum(p.outcome == "updated" for p in plan.reports)
    result.unchanged = sum(p.outcome == "unchanged" for p in plan.reports)
    result.units_created = len(plan.new_units)
    result.forget_kept()
    for report_plan in plan.reports:
        if report_plan.kept:
            result.note_kept(report_plan.kept, len(report_plan.draft.rows))
