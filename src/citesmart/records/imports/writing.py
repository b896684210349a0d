"""Writing a plan in one transaction: through the actions (small files) or in bulk."""

import datetime
import operator
from enum import Enum
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import Model
from django.utils import timezone
from psycopg import sql
from psycopg.types.json import Jsonb

from citesmart.network.models import Center
from citesmart.records.actions import (
    KEEP,
    AttendedUnit,
    record_service_report,
)
from citesmart.records.closing import check_months_open
from citesmart.records.imports.drafts import Draft, attach, collect_rejections, service_amount
from citesmart.records.imports.planning import (
    Plan,
    Planner,
    ReportPlan,
    count_outcomes,
    new_instance,
    pk_of,
)
from citesmart.records.imports.report import save_batch, update_batch
from citesmart.records.imports.results import CHUNK, Context, Progress
from citesmart.records.models import AuditEntry, ImportBatch, Service, ServiceReport
from citesmart.records.snapshots import diff
from citesmart.records.unit_actions import get_or_create_unit
from citesmart.units.models import ProductiveUnit

BULK_MIN_ROWS = 500
"""From this many rows to write, the bulk writer is used instead of one action per report."""


class _Abort(Exception):
    """Raised inside the write transaction to roll everything back."""


def write_plan(ctx: Context, drafts: list[Draft], *, bulk: bool, progress: Progress | None) -> None:
    """Validation is done: write the valid reports in one transaction, and record the batch."""
    result = ctx.result
    valid = [draft for draft in drafts if draft.valid]
    try:
        with transaction.atomic():
            # One import at a time per center: a plan reads what another import would write.
            list(Center.objects.select_for_update().filter(pk=ctx.center.pk).values_list("pk"))
            batch = save_batch(ctx)
            plan = Planner(ctx).plan(valid, lock=True)
            if bulk:
                if not _months_open(ctx, plan):
                    collect_rejections(result, drafts)  # a report in a closed month
                    if not result.accept_valid or not plan.reports:
                        raise _Abort
                _BulkWriter(ctx, batch).write(plan, progress)
                count_outcomes(result, plan)
            elif not _write_with_actions(ctx, plan, batch, progress):
                collect_rejections(result, drafts)  # a report the actions refused
                if not result.accept_valid or not result.reports:
                    raise _Abort
            result.written = True
            update_batch(batch, result)
            result.batch = batch
    except _Abort:
        result.created = result.updated = result.unchanged = result.units_created = 0
        result.forget_kept()
        result.batch = save_batch(ctx)
    except DatabaseError as error:
        result.fatal = (
            "No se pudo registrar la importación por un problema de la base de datos "
            f"({error.__class__.__name__}); no se registró nada. Inténtelo de nuevo."
        )
        result.created = result.updated = result.unchanged = result.units_created = 0
        result.forget_kept()
        result.batch = save_batch(ctx)


def _months_open(ctx: Context, plan: Plan) -> bool:
    """The monthly closing's lock for the bulk writer (the actions check it themselves): a
    report that would change a closed or approved month is refused on its rows and left out
    of the plan. False when any was."""
    kept = []
    for report_plan in plan.reports:
        if report_plan.outcome != "unchanged":
            before = report_plan.before
            old_end = datetime.date.fromisoformat(before["end_date"]) if before else None
            try:
                check_months_open(ctx.center, [report_plan.values["end_date"], old_end])
            except ValidationError as error:
                attach(report_plan.draft, error, ctx.columns)
                continue
        kept.append(report_plan)
    refused = len(kept) < len(plan.reports)
    plan.reports = kept
    return not refused


def _write_with_actions(
    ctx: Context, plan: Plan, batch: ImportBatch, progress: Progress | None
) -> bool:
    """One get_or_create_unit per row, one record_service_report per report; False if refused."""
    result, all_written = ctx.result, True
    for done, report_plan in enumerate(plan.reports, start=1):
        try:
            with transaction.atomic():
                outcome, created_units, refusal = _record_with_actions(ctx, report_plan, batch)
        except ValidationError as error:
            attach(report_plan.draft, error, ctx.columns)
            all_written = False
            continue
        if refusal:  # the action decided as the planner did: its message says why
            result.note_kept(report_plan.kept or refusal, len(report_plan.draft.rows))
        setattr(result, outcome, getattr(result, outcome) + 1)
        result.units_created += created_units
        if progress and done % 100 == 0:
            progress("registro", done, len(plan.reports))
    return all_written


def _record_with_actions(
    ctx: Context, report_plan: ReportPlan, batch: ImportBatch
) -> tuple[str, int, str]:
    draft, values = report_plan.draft, report_plan.values
    attended, created_units = [], 0
    for row in draft.rows:
        unit, created = get_or_create_unit(
            document_type=row.document_type,
            document_number=row.document_number,
            name=row.name,
            client_type=row.client_type,
            district=row.district,
            department=row.department,
            center=ctx.center,
            actor=ctx.user,
            source=AuditEntry.Source.IMPORT,
            batch=batch,
        )
        created_units += created
        attended.append(AttendedUnit(unit, service_amount(row, values["is_free"])))
    recorded = record_service_report(
        center=ctx.center,
        code=draft.code,
        start_date=values["start_date"],
        end_date=values["end_date"],
        units=attended,
        category=values["category"],
        catalogue_service=values["catalogue_service"],
        chain=values["chain"],
        delivery_district=KEEP,  # the planner's values keep these four, as the action does
        status=report_plan.requested,  # the action applies the same rule as the planner
        is_free=values["is_free"],
        programme=values["programme"],
        participants=KEEP,
        hours=KEEP,
        notes=KEEP,
        actor=ctx.user,
        by_token=ctx.by_token,
        source=AuditEntry.Source.IMPORT,
        batch=batch,
        today=ctx.today,
    )
    return recorded.outcome, created_units, recorded.status_refusal


class _BulkWriter:
    """Writes a plan in a few queries: the same rows and audit entries as the actions."""

    def __init__(self, ctx: Context, batch: ImportBatch) -> None:
        self.center, self.actor, self.batch = ctx.center, ctx.user, batch
        # Who a written report's content is recorded by (API tokens and the system: none).
        self.recorder_id = None if ctx.by_token or ctx.user is None else ctx.user.pk
        self.now = timezone.now()

    def write(self, plan: Plan, progress: Progress | None) -> None:
        total = len(plan.reports)
        _insert(ProductiveUnit, plan.new_units, self.now)
        for unit in plan.upgraded_units:
            unit.updated_at = self.now
        ProductiveUnit.objects.bulk_update(
            plan.upgraded_units,
            ["document_type", "document_number", "updated_at"],
            batch_size=CHUNK,
        )
        audits = plan.unit_audits
        entries = [
            self._entry(a.action, a.unit, a.text, a.before, a.after, a.reason) for a in audits
        ]
        _insert_rows(AuditEntry, _AUDIT_COLUMNS, entries, self.now)
        if progress:
            progress("registro", 0, total)
        changed = [p for p in plan.reports if p.outcome != "unchanged"]
        self._save_reports(changed)
        self._save_services(changed)
        _insert_rows(
            AuditEntry,
            _AUDIT_COLUMNS,
            [
                self._entry(_AUDIT_ACTIONS[p.outcome], p.report, str(p.report), p.before, p.after)
                for p in changed
            ],
            self.now,
        )
        if progress:
            progress("registro", total, total)

    def _entry(self, action, obj, text, before, after, reason="") -> tuple:
        """An AuditEntry as record_audit writes it, as a row of _AUDIT_COLUMNS."""
        return (
            str(action),
            str(AuditEntry.Source.IMPORT),
            obj._meta.model_name,
            obj.pk,
            text[:250],
            self.center.pk,
            self.batch.pk,
            before,
            after,
            diff(before, after),
            reason[:300],
            self.actor.pk if self.actor else None,
        )

    def _save_reports(self, plans: list[ReportPlan]) -> None:
        new: list[ServiceReport] = []
        for plan in plans:
            if plan.report is None:
                plan.report = new_instance(
                    ServiceReport,
                    center_id=self.center.pk,
                    code=plan.draft.code,
                    created_by_id=self.actor.pk if self.actor else None,
                    recorded_by_id=self.recorder_id,
                    import_batch_id=self.batch.pk,
                    **{
                        _ATTNAMES.get(k, k): pk_of(v) if k in _ATTNAMES else v
                        for k, v in plan.values.items()
                    },
                )
                _CENTER.set_cached_value(plan.report, self.center)  # str(report) names it
                new.append(plan.report)
                continue
            for name, value in plan.values.items():
                setattr(plan.report, name, value)
            plan.report.cancel_reason = plan.after["cancel_reason"]
            if plan.content_changed:
                plan.report.recorded_by_id = self.recorder_id
            plan.report.updated_at = self.now
        _insert(ServiceReport, new, self.now)
        updated = [p.report for p in plans if p.before is not None]
        ServiceReport.objects.bulk_update(updated, _UPDATED_FIELDS, batch_size=CHUNK)

    def _save_services(self, plans: list[ReportPlan]) -> None:
        create, update, delete = [], [], []
        for plan in plans:
            report = plan.report
            wanted = {
                unit.pk: service_amount(row, plan.values["is_free"])
                for unit, row in zip(plan.units, plan.draft.rows, strict=True)
            }
            current = {s.unit_id: s for s in plan.current}
            delete += [s.pk for unit_id, s in current.items() if unit_id not in wanted]
            for unit_id, amount in wanted.items():
                service = current.get(unit_id)
                if service is None:
                    create.append((report.pk, unit_id, amount))
                elif service.amount != amount:
                    update.append(Service(pk=service.pk, amount=amount))
            # New units have their ids now: the audit snapshot gets them.
            plan.after = {**plan.after, "services": sorted([u, str(a)] for u, a in wanted.items())}
        for start in range(0, len(delete), CHUNK):
            Service.objects.filter(pk__in=delete[start : start + CHUNK]).delete()
        _insert_rows(Service, ("report_id", "unit_id", "amount"), create, self.now)
        Service.objects.bulk_update(update, ["amount"], batch_size=CHUNK)


def _insert(model: type[Model], objects: list[Any], now: datetime.datetime) -> None:
    """bulk_create, or on PostgreSQL a COPY with ids taken from the table's sequence.

    Django's bulk insert adapts every value of every row in Python; COPY streams the rows
    and is several times faster for the tens of thousands of rows a large import writes.
    """
    if not objects:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objects, batch_size=CHUNK)
        return
    meta = model._meta
    fields = list(meta.concrete_fields)
    stamped = [
        f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objects)],
        )
        for obj, (pk,) in zip(objects, cursor.fetchall(), strict=True):
            obj.pk = pk
            for field in stamped:
                setattr(obj, field.attname, now)
            obj._state.adding, obj._state.db = False, connection.alias
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(meta.db_table),
            sql.SQL(", ").join(sql.Identifier(f.column) for f in fields),
        )
        values = operator.attrgetter(*(f.attname for f in fields))  # one C call per row
        # Only choice fields can hold an Enum (psycopg would write its name) and only JSON
        # fields need wrapping: the other values go as they are.
        special = [
            index
            for index, f in enumerate(fields)
            if f.choices or f.get_internal_type() == "JSONField"
        ]
        with cursor.cursor.copy(statement) as copy:
            for obj in objects:
                row = list(values(obj))
                for index in special:
                    row[index] = _db_value(fields[index], row[index])
                copy.write_row(row)


def _insert_rows(
    model: type[Model], names: tuple[str, ...], rows: list[tuple], now: datetime.datetime
) -> None:
    """Insert plain rows (attribute names -> values) whose ids are not needed afterwards."""
    if not rows:
        return
    meta = model._meta
    fields = [meta.get_field(name) for name in names]
    stamped = [f for f in meta.concrete_fields if getattr(f, "auto_now_add", False)]
    if connection.vendor != "postgresql":
        _insert_rows_executemany(meta, fields, stamped, rows, now)
        return
    json = [f.get_internal_type() == "JSONField" for f in fields]
    columns = [f.column for f in fields + stamped]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(meta.db_table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            values = [
                Jsonb(v) if j and v is not None else v for v, j in zip(row, json, strict=True)
            ]
            copy.write_row([*values, *[now] * len(stamped)])


def _insert_rows_executemany(
    meta: Any, fields: list[Any], stamped: list[Any], rows: list[tuple], now: datetime.datetime
) -> None:
    """Other databases: one prepared INSERT run over the rows, values adapted by each field
    as bulk_create would, without building and pre-saving a model instance per row."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields + stamped)
    marks = ", ".join(["%s"] * (len(fields) + len(stamped)))
    statement = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
    prepare = [partial(f.get_db_prep_save, connection=connection) for f in fields]
    stamps = [f.get_db_prep_save(now, connection=connection) for f in stamped]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            cursor.executemany(
                statement,
                [
                    [*(p(v) for p, v in zip(prepare, row, strict=True)), *stamps]
                    for row in rows[start : start + CHUNK]
                ],
            )


def _db_value(field: Any, value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if field.get_internal_type() == "JSONField" and value is not None:
        return Jsonb(value)
    return value


_CENTER = ServiceReport._meta.get_field("center")
# plan.values' related objects -> the attribute holding their id.
_ATTNAMES = {
    "category": "category_id",
    "catalogue_service": "catalogue_service_id",
    "chain": "chain_id",
    "programme": "programme_id",
}
_AUDIT_COLUMNS = (
    "action", "source", "object_type", "object_id", "object_repr", "center_id", "batch_id",
    "before", "after", "changes", "reason", "actor_id",
)  # fmt: skip


_AUDIT_ACTIONS = {"created": AuditEntry.Action.CREATE, "updated": AuditEntry.Action.UPDATE}


_UPDATED_FIELDS = [
    "category",
    "catalogue_service",
    "chain",
    "start_date",
    "end_date",
    "delivery_district_id",
    "status",
    "is_free",
    "programme",
    "participants",
    "hours",
    "notes",
    "cancel_reason",
    "recorded_by",
    "updated_at",
]
