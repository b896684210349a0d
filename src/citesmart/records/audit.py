"""Writing audit entries: every action that changes units or reports calls record_audit."""

from django.urls import reverse
from django.utils.http import urlencode

from citesmart.records.models import AuditEntry
from citesmart.records.snapshots import diff


def record_audit(
    *,
    action: str,
    source: str,
    obj,
    actor=None,
    center=None,
    batch=None,
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
) -> AuditEntry:
    return AuditEntry.objects.create(
        action=action,
        source=source,
        object_type=obj._meta.model_name,
        object_id=obj.pk,
        object_repr=str(obj)[:250],
        center=center,
        batch=batch,
        before=before,
        after=after,
        changes=diff(before, after) if after is not None else {},
        reason=reason[:300],
        actor=actor,
    )


def audit_url(obj) -> str:
    """The audit list filtered to one report or unit: its history."""
    query = urlencode({"object_type": obj._meta.model_name, "object_id": obj.pk})
    return f"{reverse('admin:records_auditentry_changelist')}?{query}"
