"""Writes of the institutional tables: replacing a scope's rows, reverting a batch.

Every change a committed batch makes is kept as a HistoricChange (key, before, after): that
is the audit trail, and what `revert_batch` undoes. Callers hold a transaction.
"""

import logging
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from citesmart.accounts.access import can_load_historic
from citesmart.historic.models import HistoricBatch, HistoricChange
from citesmart.historic.tables import Part, Record, Scope, TableSpec

log = logging.getLogger("citesmart.historic")


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0

    def add(self, other: "Counts") -> None:
        for name in ("created", "updated", "deleted", "unchanged"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def replace_scope(
    *, spec: TableSpec, batch: HistoricBatch, scope: Scope, records: list[Record], write: bool
) -> Counts:
    """Make the scope's rows exactly `records` (nothing written unless `write`)."""
    counts = Counts()
    for index, part in enumerate(spec.parts):
        mine = [record for record in records if record.part == index]
        counts.add(_replace_part(part, batch, scope, mine, write))
    return counts


def _replace_part(
    part: Part, batch: HistoricBatch, scope: Scope, records: list[Record], write: bool
) -> Counts:
    counts = Counts()
    rows = part.model.objects.filter(**part.scope_filter(scope))
    if write:
        rows = rows.select_for_update()
    existing = {tuple(getattr(row, f) for f in part.key_fields): row for row in rows}
    incoming: dict[tuple, dict[str, Any]] = {}
    for record in records:
        key = part.resolve(record.key) if part.resolve else record.key
        incoming[key] = record.values
    change = _Recorder(part, batch, scope, write)
    for key, values in incoming.items():
        row = existing.pop(key, None)
        if row is None:
            counts.created += 1
            change.create(key, values)
        elif all(getattr(row, name) == values[name] for name in part.value_fields):
            counts.unchanged += 1
        else:
            counts.updated += 1
            change.update(row, values)
    for row in existing.values():
        counts.deleted += 1
        change.delete(row)
    return counts


class _Recorder:
    """Applies one row's change and keeps it as a HistoricChange."""

    def __init__(self, part: Part, batch: HistoricBatch, scope: Scope, write: bool) -> None:
        self.part, self.batch, self.scope, self.write = part, batch, scope, write

    def _values(self, row: models.Model) -> dict[str, Any]:
        return {name: getattr(row, name) for name in (*self.part.value_fields, "batch_id")}

    def _key(self, key: tuple) -> dict[str, Any]:
        return dict(zip(self.part.key_fields, key, strict=True))

    def _keep(self, key: dict, before: dict | None, after: dict | None, center_id: int) -> None:
        HistoricChange.objects.create(
            batch=self.batch,
            model=self.part.model._meta.model_name,
            center_id=center_id,
            scope=str(self.scope[1]),
            key=key,
            before=before,
            after=after,
        )

    def create(self, key: tuple, values: dict[str, Any]) -> None:
        if not self.write:
            return
        fields = self._key(key)
        row = self.part.model.objects.create(**fields, **values, batch=self.batch)
        self._keep(fields, None, self._values(row), self.scope[0])

    def update(self, row: models.Model, values: dict[str, Any]) -> None:
        if not self.write:
            return
        before = self._values(row)
        for name, value in values.items():
            setattr(row, name, value)
        row.batch = self.batch
        row.save()
        key = {f: getattr(row, f) for f in self.part.key_fields}
        self._keep(key, before, self._values(row), self.scope[0])

    def delete(self, row: models.Model) -> None:
        if not self.write:
            return
        key = {f: getattr(row, f) for f in self.part.key_fields}
        before = self._values(row)
        row.delete()
        self._keep(key, before, None, self.scope[0])


def scopes_of(batch: HistoricBatch) -> set[tuple[int, str]]:
    return set(batch.changes.values_list("center_id", "scope").distinct())


def revert_blockers(batch: HistoricBatch) -> list[HistoricBatch]:
    """Later committed loads of the same table over a scope this batch changed."""
    mine = scopes_of(batch)
    later = HistoricChange.objects.filter(
        batch__kind=batch.kind,
        batch__status=HistoricBatch.Status.COMMITTED,
        batch__pk__gt=batch.pk,
    ).values_list("batch_id", "center_id", "scope")
    ids = {batch_id for batch_id, center_id, scope in later if (center_id, scope) in mine}
    return list(HistoricBatch.objects.filter(pk__in=ids).order_by("pk"))


def revert_batch(*, user, batch: HistoricBatch) -> int:
    """Restore what every row held before `batch`; returns the number of rows restored.

    Only a committed batch that is still the latest load of each of its scopes can be
    reverted (revert the later ones first). Raises PermissionDenied or ValidationError.
    """
    if not can_load_historic(user):
        raise PermissionDenied(_("Solo la administración nacional (ITP) revierte cargas."))
    with transaction.atomic():
        batch = HistoricBatch.objects.select_for_update().get(pk=batch.pk)
        _check_revertible(batch)
        changes = list(batch.changes.order_by("-pk"))
        for change in changes:
            _undo(change)
        batch.status = HistoricBatch.Status.REVERTED
        batch.reverted_by = user
        batch.reverted_at = timezone.now()
        batch.save(update_fields=["status", "reverted_by", "reverted_at"])
    log.info("historic batch %s reverted (%s rows)", batch.pk, len(changes))
    return len(changes)


def _check_revertible(batch: HistoricBatch) -> None:
    if batch.status != HistoricBatch.Status.COMMITTED:
        raise ValidationError(
            _("Solo se revierte una carga registrada; esta está «%s».") % batch.get_status_display()
        )
    blockers = revert_blockers(batch)
    if blockers:
        numbers = ", ".join(f"n.º {b.pk}" for b in blockers)
        raise ValidationError(
            _(
                "Hay cargas posteriores del mismo cuadro para los mismos centros y años "
                "(%(numbers)s). Reviértalas primero, de la más reciente a la más antigua."
            )
            % {"numbers": numbers}
        )


def _undo(change: HistoricChange) -> None:
    model = apps.get_model("historic", change.model)
    rows = model.objects.filter(**change.key)
    if change.before is None:
        rows.delete()
    elif change.after is None:
        model.objects.create(**change.key, **_typed(model, change.before))
    else:
        rows.update(**_typed(model, change.before))


def _typed(model: type[models.Model], values: dict[str, Any]) -> dict[str, Any]:
    """JSON values (decimals and dates as text) back to what the fields hold."""
    typed = {}
    for name, value in values.items():
        is_id = name.endswith("_id")
        typed[name] = value if is_id else model._meta.get_field(name).to_python(value)
    return typed
