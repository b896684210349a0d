"""Productive units in the back office: a scoped list, their page, merging duplicates.

Units are network-wide records: center staff see those their centers served or registered
(records.queries.units_for_user). Units are created on the service report entry screen
(records.unit_actions.get_or_create_unit); merges go through records.unit_actions.merge_units.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from citesmart.accounts.access import merge_refusal
from citesmart.records.audit import audit_url, record_audit
from citesmart.records.closing import UNIT_FIGURE_FIELDS, check_unit_change
from citesmart.records.forms import MergeUnitsForm
from citesmart.records.models import AuditEntry
from citesmart.records.queries import services_for_user, units_for_user
from citesmart.records.snapshots import unit_snapshot
from citesmart.records.unit_actions import merge_units
from citesmart.units.models import ProductiveUnit

IDENTITY_FIELDS = ["document_type", "document_number", "person_dni", "registered_by"]
TRACE_FIELDS = ["merged_into_link", "created_at", "updated_at"]


class MergedFilter(admin.SimpleListFilter):
    title = "estado"
    parameter_name = "estado"

    def lookups(self, request, model_admin):
        return [("vigente", "Vigentes"), ("fusionada", "Fusionadas en otra")]

    def queryset(self, request, queryset):
        if self.value() == "vigente":
            return queryset.filter(merged_into__isnull=True)
        if self.value() == "fusionada":
            return queryset.filter(merged_into__isnull=False)
        return queryset


class ProductiveUnitForm(forms.ModelForm):
    """A unit's page: a change of what counts in figures is refused while the unit has
    services in an approved month (records.closing.check_unit_change)."""

    def clean(self):
        data = super().clean()
        if self.instance.pk is not None and not self.errors:
            saved = ProductiveUnit.objects.get(pk=self.instance.pk)
            before = unit_snapshot(saved)
            after = before | {
                name: getattr(value, "pk", value)
                for name, value in data.items()
                if name in UNIT_FIGURE_FIELDS
            }
            check_unit_change(saved, before, after)
        return data


@admin.register(ProductiveUnit)
class ProductiveUnitAdmin(admin.ModelAdmin):
    form = ProductiveUnitForm
    change_form_template = "records/productiveunit_change_form.html"
    list_display = [
        "name",
        "document",
        "client_type",
        "size_class",
        "department",
        "services_count",
        "merged_into_link",
    ]
    list_filter = [
        MergedFilter,
        "client_type",
        "size_class",
        ("department", admin.RelatedOnlyFieldListFilter),
        ("registered_by", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["department", "merged_into"]
    search_fields = ["name", "document_number", "=person_dni"]
    search_help_text = "Busque por RUC, DNI o razón social; un DNI encuentra también su RUC 10."
    show_full_result_count = False
    autocomplete_fields = ["department", "district"]
    filter_horizontal = ["chains"]
    actions = ["merge_selected"]
    fieldsets = [
        ("Identidad", {"fields": [*IDENTITY_FIELDS, "name"]}),
        (
            "Clasificación",
            {"fields": ["client_type", "size_class", "taxpayer_type", "ciiu", "chains"]},
        ),
        ("Ubicación", {"fields": ["department", "district"]}),
        (
            "Contacto y consentimiento (datos personales)",
            {"fields": ["email", "phone", "consent_date", "consent_channel"]},
        ),
        ("Trazabilidad", {"fields": TRACE_FIELDS}),
    ]

    def get_queryset(self, request):
        # Counted per unit shown (a scalar subquery), not by grouping every service of the
        # network first: the list took minutes on the demo's 400k services in SQLite.
        counted = (
            services_for_user(request.user)
            .filter(unit=OuterRef("pk"))
            .order_by()
            .values("unit")
            .annotate(n=Count("pk"))
            .values("n")
        )
        services = Coalesce(Subquery(counted, output_field=IntegerField()), 0)
        return units_for_user(request.user).annotate(_services=services)

    def get_object(self, request, object_id, from_field=None):
        unit = super().get_object(request, object_id, from_field)
        if unit is None:
            raise Http404("No existe o no tiene acceso a esta unidad productiva.")
        return unit

    def has_add_permission(self, request):
        return False  # registered on the service report screen, by document

    def has_delete_permission(self, request, obj=None):
        return False  # merged, never deleted: its services count

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.merged_into_id is not None:
            return False  # a merged unit stays as it was, pointing at its survivor
        return super().has_change_permission(request, obj)

    def has_merge_permission(self, request) -> bool:
        return not merge_refusal(request.user)

    def get_readonly_fields(self, request, obj=None):
        return [*IDENTITY_FIELDS, *TRACE_FIELDS]

    def save_model(self, request, obj, form, change):
        # Corrections of a unit's data; identity changes only through get_or_create/merge.
        before = unit_snapshot(ProductiveUnit.objects.get(pk=obj.pk))
        super().save_model(request, obj, form, change)
        record_audit(
            action=AuditEntry.Action.UPDATE,
            source=AuditEntry.Source.SCREEN,
            obj=obj,
            actor=request.user,
            center=obj.registered_by,
            before=before,
            after=unit_snapshot(obj),
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            reports = reverse("admin:records_servicereport_changelist")
            context["audit_url"] = audit_url(obj)
            context["reports_url"] = f"{reports}?{urlencode({'q': obj.document_number})}"
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.display(description="documento", ordering="document_number")
    def document(self, unit: ProductiveUnit) -> str:
        return unit.document_label

    @admin.display(description="servicios", ordering="_services")
    def services_count(self, unit: ProductiveUnit) -> int:
        return unit._services

    @admin.display(description="fusionada en")
    def merged_into_link(self, unit: ProductiveUnit) -> str:
        if unit.merged_into_id is None:
            return "—"
        url = reverse("admin:units_productiveunit_change", args=[unit.merged_into_id])
        return format_html('<a href="{}">{}</a>', url, unit.merged_into)

    @admin.action(description="Fusionar dos unidades duplicadas", permissions=["merge"])
    def merge_selected(self, request, queryset):
        units = list(queryset.order_by("pk")[:3])
        if len(units) != 2 or any(unit.merged_into_id for unit in units):
            self.message_user(
                request,
                "Seleccione exactamente dos unidades vigentes (no fusionadas) para fusionarlas.",
                messages.ERROR,
            )
            return None
        form = MergeUnitsForm(request.POST if "confirmar" in request.POST else None, units=units)
        if form.is_valid():
            return self._merge(request, form)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Fusionar unidades productivas duplicadas",
            "units": units,
            "form": form,
        }
        return TemplateResponse(request, "records/merge_units.html", context)

    def _merge(self, request, form: MergeUnitsForm) -> None:
        survivor, duplicate = form.cleaned_data["survivor"], form.duplicate()
        try:
            merge_units(
                survivor=survivor,
                duplicate=duplicate,
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return
        self.message_user(
            request,
            f"«{duplicate}» quedó fusionada en «{survivor}»; sus servicios pasaron a esta.",
            messages.SUCCESS,
        )
