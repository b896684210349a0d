"""JSON snapshots of reports and units for the audit trail and for reverting import batches.

Snapshots read attributes directly (foreign keys as ids) rather than through model_to_dict:
the importer takes one per written row, and comparing a snapshot with the previous one is how
"nothing changed" is decided, so amounts and hours are written in their stored precision.
"""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from citesmart.records.models import ServiceReport
from citesmart.units.models import ProductiveUnit

REPORT_FIELDS = [
    "catalogue_service",
    "category",
    "chain",
    "start_date",
    "end_date",
    "delivery_district",
    "status",
    "is_free",
    "programme",
    "participants",
    "hours",
    "notes",
    "cancel_reason",
]
UNIT_FIELDS = [
    "document_type",
    "document_number",
    "person_dni",
    "name",
    "client_type",
    "size_class",
    "taxpayer_type",
    "ciiu",
    "department",
    "district",
    "merged_into",
]
_CENTS = Decimal("0.01")
_TENTHS = Decimal("0.1")


def _attnames(model: Any, names: list[str]) -> list[tuple[str, str]]:
    return [(name, model._meta.get_field(name).attname) for name in names]


_REPORT_ATTNAMES = _attnames(ServiceReport, REPORT_FIELDS)
_UNIT_ATTNAMES = _attnames(ProductiveUnit, UNIT_FIELDS)


def _jsonable(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def money(amount: Any) -> str:
    """An amount as the database stores it (two decimals), for snapshots and comparisons."""
    return str(Decimal(amount).quantize(_CENTS))


def snapshot_report(
    report: ServiceReport, services: Iterable[tuple[int, Any]] | None = None
) -> dict[str, Any]:
    """Fields (foreign keys as ids) plus the attended units and amounts, sorted.

    `services` ((unit id, amount) pairs) stands for the report's services when the caller
    already has them (or is about to write them); by default they are read.
    """
    data = {name: _jsonable(getattr(report, attname)) for name, attname in _REPORT_ATTNAMES}
    if data["hours"] is not None:
        data["hours"] = str(Decimal(data["hours"]).quantize(_TENTHS))
    if services is None:
        services = report.services.values_list("unit_id", "amount")
    data["services"] = sorted([unit_id, money(amount)] for unit_id, amount in services)
    return data


def diff(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields that changed."""
    if not before:  # a creation: every field set is a change
        return {k: [None, v] for k, v in after.items() if v is not None}
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def unit_snapshot(unit) -> dict[str, Any]:
    return {name: _jsonable(getattr(unit, attname)) for name, attname in _UNIT_ATTNAMES}


# What is not the report's content: its status (and cancel reason) and the free-text notes.
# Changing only these does not make the editor the report's recorder (four eyes): the
# content is what counts in figures (services, units, amounts, dates, category...).
NOT_CONTENT = frozenset({"status", "cancel_reason", "notes"})


def same_content(before: dict[str, Any] | None, after: dict[str, Any]) -> bool:
    """Whether two report snapshots differ at most in the status (and its cancel reason)
    and the notes."""
    if before is None:
        return False
    return all(before.get(k) == v for k, v in after.items() if k not in NOT_CONTENT)
