"""The audit trail in the back office: who changed what, when and why (read-only, scoped)."""

from decimal import Decimal

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Field
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from citesmart.accounts.admin_mixins import CenterScopedAdmin
from citesmart.records.models import AuditEntry, ServiceReport
from citesmart.units.models import ProductiveUnit

OBJECT_TYPES = {"servicereport": ServiceReport, "productiveunit": ProductiveUnit}


def soles(amount) -> str:
    """An amount as the back office writes it."""
    return f"S/ {amount or 0:,.2f}"


class ObjectTypeFilter(admin.SimpleListFilter):
    title = "tipo de objeto"
    parameter_name = "object_type"

    def lookups(self, request, model_admin):
        return [(name, model._meta.verbose_name) for name, model in OBJECT_TYPES.items()]

    def queryset(self, request, queryset):
        return queryset.filter(object_type=self.value()) if self.value() else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(CenterScopedAdmin):
    """Who changed what, when and why: read-only, scoped to the user's centers."""

    list_display = [
        "created_at",
        "action",
        "source",
        "object_type_label",
        "object_link",
        "center",
        "actor",
        "reason",
    ]
    list_filter = [
        "action",
        "source",
        ObjectTypeFilter,
        ("center", admin.RelatedOnlyFieldListFilter),
        "created_at",
        ("actor", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["center", "actor"]
    search_fields = ["object_repr", "=object_id", "reason"]
    search_help_text = "Busque por el objeto (código del informe, nombre o documento) o su id."
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = [
        "created_at",
        "action",
        "source",
        "object_type_label",
        "object_link",
        "center",
        "batch",
        "actor",
        "reason",
        "changes_table",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="tipo de objeto", ordering="object_type")
    def object_type_label(self, entry: AuditEntry) -> str:
        model = OBJECT_TYPES.get(entry.object_type)
        return str(model._meta.verbose_name) if model else entry.object_type

    @admin.display(description="objeto", ordering="object_repr")
    def object_link(self, entry: AuditEntry) -> str:
        model = OBJECT_TYPES.get(entry.object_type)
        if model is None:
            return entry.object_repr
        url = reverse(
            f"admin:{model._meta.app_label}_{model._meta.model_name}_change",
            args=[entry.object_id],
        )
        return format_html('<a href="{}">{}</a>', url, entry.object_repr)

    @admin.display(description="cambios")
    def changes_table(self, entry: AuditEntry) -> str:
        rows = describe_changes(entry)
        if not rows:
            return "—"
        body = format_html_join(
            "",
            "<tr><th>{}</th><td>{}</td><td>→</td><td>{}</td></tr>",
            rows,
        )
        return format_html(
            '<table class="audit-changes"><thead><tr><th>Campo</th><th>Antes</th><th></th>'
            "<th>Después</th></tr></thead><tbody>{}</tbody></table>",
            body,
        )


def describe_changes(entry: AuditEntry) -> list[tuple[str, str, str]]:
    """(field label, before, after) in Spanish for each changed field of an entry."""
    model = OBJECT_TYPES.get(entry.object_type)
    return [
        (_field_label(model, name), _value(model, name, old), _value(model, name, new))
        for name, (old, new) in (entry.changes or {}).items()
    ]


def _field(model, name: str) -> Field | None:
    """The model field an entry names; None if unknown or renamed since it was written."""
    try:
        return model._meta.get_field(name) if model is not None else None
    except FieldDoesNotExist:
        return None


def _field_label(model, name: str) -> str:
    if name == "services":
        return "Unidades atendidas (monto)"
    field = _field(model, name)
    return str(field.verbose_name).capitalize() if field is not None else name


def _value(model, name: str, value) -> str:
    if value is None or value == "":
        return "—"
    if name == "services":
        units = ProductiveUnit.objects.in_bulk([unit_id for unit_id, _amount in value])
        return "; ".join(
            f"{units[uid].document_label if uid in units else uid} ({soles(Decimal(amount))})"
            for uid, amount in value
        )
    if isinstance(value, bool):
        return "Sí" if value else "No"
    field = _field(model, name)
    if field is None:
        return str(value)
    if field.is_relation:
        related = field.related_model.objects.filter(pk=value).first()
        return str(related) if related else f"#{value}"
    return str(dict(field.flatchoices).get(value, value)) if field.choices else str(value)
