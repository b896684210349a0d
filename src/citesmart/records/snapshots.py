"""JSON snapshots of reports and units for the audit trail and for reverting import batches."""

from typing import Any

from django.forms.models import model_to_dict

from citesmart.records.models import ServiceReport

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


def _jsonable(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if value.__class__.__name__ == "Decimal":
        return str(value)
    return value


def snapshot_report(report: ServiceReport) -> dict[str, Any]:
    """Fields (foreign keys as ids) plus the attended units and amounts, sorted."""
    data = {k: _jsonable(v) for k, v in model_to_dict(report, fields=REPORT_FIELDS).items()}
    data["services"] = sorted([s.unit_id, str(s.amount)] for s in report.services.all())
    return data


def diff(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields that changed."""
    before = before or {}
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def unit_snapshot(unit) -> dict[str, Any]:
    fields = [
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
    return {k: _jsonable(v) for k, v in model_to_dict(unit, fields=fields).items()}
