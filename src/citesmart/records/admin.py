from citesmart.records import admin_audit, admin_imports, admin_units  # noqa: F401
from citesmart.records.admin_validation import ValidationScreen

# Admin registrations for the records app. Import batches (upload page, revert) live in
# admin_imports.py, productive units in admin_units.py, the audit trail in admin_audit.py;
# the import above lets Django's
# autodiscovery register them.
#
# The service report screen is the entry screen of center operators: the report and its
# attended units on one page (records/forms.py). Every write goes through records.actions;
# rows come from records.queries and accounts.access, so nothing here decides scope.
# ruff: noqa: I001 - the admin_imports line above stays first, by agreement.

import copy
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _

from citesmart.accounts.access import (
    can_export_records,
    home_center,
    is_national,
    may_validate_reports,
)
from citesmart.accounts.admin_mixins import CenterScopedAdmin
from citesmart.records.actions import cancel_report, set_report_status
from citesmart.records.admin_audit import soles
from citesmart.records.admin_closing import closing_calendar
from citesmart.records.audit import audit_url
from citesmart.records.district_field import DistrictField, district_search, unit_search
from citesmart.records.export import FORMATS, export_response
from citesmart.records.forms import (
    CancelReportForm,
    EntryRefused,
    ServiceReportForm,
    visible_unit_ids,
)
from citesmart.records.models import ReportStatus, Service, ServiceReport
from citesmart.records.queries import catalogue_for_user
from citesmart.units.models import ProductiveUnit

READ_ONLY_ON_CHANGE = ["center", "code", "status", "cancel_reason"]
RECORD_FIELDS = ["import_batch", "created_by", "created_at", "updated_at"]


MIN_YEAR, MAX_YEAR = 1900, 2999  # a year typed in a URL outside these is a wrong address


class EndYearFilter(admin.SimpleListFilter):
    """Year of the end date, the date a service counts in (docs/COUNTING.md)."""

    title = "año"
    parameter_name = "anio"

    def lookups(self, request, model_admin):
        years = model_admin.get_queryset(request).dates("end_date", "year", order="DESC")
        return [(str(day.year), str(day.year)) for day in years]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        year = int(self.value()) if self.value().isdigit() and len(self.value()) <= 4 else 0
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise IncorrectLookupParameters(f"Año fuera de rango: {self.value()}")
        return queryset.filter(end_date__year=year)


@admin.register(ServiceReport)
class ServiceReportAdmin(ValidationScreen, CenterScopedAdmin):
    form = ServiceReportForm
    change_form_template = "records/servicereport_change_form.html"
    change_list_template = "records/servicereport_change_list.html"
    # Status second, so it is seen at 1280 px; the chain and start date are filters or on
    # the report's page (the end date is the one a service counts in).
    list_display = [
        "code",
        "status",
        "center",
        "category",
        "end_date",
        "units_count",
        "amount_total",
    ]
    list_filter = [
        "status",
        ("center", admin.RelatedOnlyFieldListFilter),
        "category",
        ("chain", admin.RelatedOnlyFieldListFilter),
        EndYearFilter,
    ]
    list_select_related = ["center", "category", "chain"]
    search_fields = ["code", "=services__unit__document_number", "=services__unit__person_dni"]
    search_help_text = "Busque por código del informe o por RUC/DNI de una unidad atendida."
    show_full_result_count = False
    actions = ["validate_reports", "cancel_reports", "export_xlsx", "export_csv"]
    fieldsets = [
        (None, {"fields": ["center", "code", "status", "cancel_reason"]}),
        (
            "Servicio",
            {"fields": ["catalogue_service", "category", "chain", "programme", "is_free"]},
        ),
        (
            "Fechas y lugar",
            {"fields": ["start_date", "end_date", "delivery_district", "participants", "hours"]},
        ),
        ("Observaciones", {"fields": ["notes"]}),
        ("Registro", {"fields": RECORD_FIELDS, "classes": ["collapse"]}),
    ]

    # --- rows and permissions ----------------------------------------------------------

    def get_queryset(self, request):
        # Correlated subqueries, not a join + GROUP BY: the database computes them only for
        # the page shown, and the paginator's count and the filters' lookups leave them out.
        services = Service.objects.filter(report=OuterRef("pk")).order_by().values("report")
        return (
            super()
            .get_queryset(request)
            .annotate(
                _units=Coalesce(Subquery(services.annotate(n=Count("pk")).values("n")), 0),
                _amount=Subquery(services.annotate(total=Sum("amount")).values("total")),
            )
        )

    def get_search_results(self, request, queryset, search_term):
        """Code (contains) or an attended unit's RUC/DNI (exact), each word required.

        search_fields describe it; done here with one subquery, the UNION of both matches,
        instead of the admin's join through services and units (a DISTINCT over every
        report) or an OR of the two (which PostgreSQL answers by reading every report: 0.5 s
        a search at 3.4M reports; each side alone has its index, migration 0010).
        """
        for word in search_term.split():
            units = ProductiveUnit.objects.filter(Q(document_number=word) | Q(person_dni=word))
            served = Service.objects.filter(unit__in=units).order_by().values("report_id")
            coded = ServiceReport.objects.filter(code__icontains=word).order_by().values("pk")
            queryset = queryset.filter(pk__in=coded.union(served))
        return queryset, False

    def has_delete_permission(self, request, obj=None):
        return False  # a report is cancelled ("anulado"), never deleted

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status == ReportStatus.CANCELLED:
            return False  # kept as it was, with its history
        return super().has_change_permission(request, obj)

    def has_validate_permission(self, request) -> bool:
        """Validating and cancelling: the center's manager or ITP (accounts.access); the
        actions check the report's center and four eyes."""
        return may_validate_reports(request.user)

    def has_export_permission(self, request) -> bool:
        return can_export_records(request.user)

    # --- the entry form ----------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        if obj is not None:
            return self.fieldsets
        return [(None, {"fields": ["center", "code"]}), *self.fieldsets[1:-1]]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [*READ_ONLY_ON_CHANGE, *RECORD_FIELDS]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        refusal = getattr(request, "_entry_refusal", None)
        return type(form.__name__, (form,), {"actor": request.user, "refusal": refusal})

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except EntryRefused as refused:
            # The action refused what the form had checked (a month closed in between):
            # everything rolled back; show the same form again, with the action's reason.
            request._entry_refusal = refused.error  # type: ignore[attr-defined]
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if not is_national(request.user) and "center" not in initial:
            center = home_center(request.user)
            initial["center"] = center.pk if center else None
        return initial

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "delivery_district":  # a text input with suggestions
            return DistrictField(label=db_field.verbose_name.capitalize(), required=False)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "catalogue_service":
            kwargs["queryset"] = catalogue_for_user(request.user).select_related("center")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        # Not obj.save(): the action validates, records the units and leaves the audit entry.
        result = form.save_entry(refusing=True)
        obj.pk = result.report.pk
        obj._state.adding = False
        obj.refresh_from_db()
        for warning in result.warnings:
            messages.warning(request, warning)
        if result.status_refusal:
            messages.warning(
                request,
                _("El informe queda como «registrado»: %(why)s.") % {"why": result.status_refusal},
            )

    def save_related(self, request, form, formsets, change):
        pass  # the attended units were recorded by save_model's action

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context.update(self._entry_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _entry_context(self, request, obj) -> dict[str, Any]:
        if obj is None:
            return {"units_editable": True}
        return {
            "units_editable": self.has_change_permission(request, obj),
            "services": self._services_shown(request, obj),
            "audit_url": audit_url(obj),
            "can_cancel": self.has_change_permission(request, obj)
            and self.has_validate_permission(request),
            "can_validate": obj.status == ReportStatus.REGISTERED
            and self.has_validate_permission(request),
        }

    def _services_shown(self, request, obj) -> list[Service]:
        """The report's services, each with the unit's name the user may see (`shown_name`:
        the stored name, or the name typed on this report; accounts.access decides)."""
        services = list(obj.services.select_related("unit").order_by("unit__name"))
        visible = visible_unit_ids(request.user, [service.unit for service in services])
        for service in services:
            service.unit_visible = service.unit_id in visible
            service.shown_name = service.unit.name if service.unit_visible else service.typed_name
        return services

    # --- list columns ------------------------------------------------------------------

    @admin.display(description="unidades atendidas", ordering="_units")
    def units_count(self, obj):
        return obj._units

    @admin.display(description="monto total", ordering="_amount")
    def amount_total(self, obj):
        return soles(obj._amount)

    # --- cancel, validate, export ------------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("exportar/", wrap(self.export_view), name="records_servicereport_export"),
            path("distritos/", wrap(district_search), name="records_servicereport_districts"),
            path("unidades/", wrap(unit_search), name="records_servicereport_units"),
            path(
                "cierres/",
                wrap(lambda request: closing_calendar(request, self.admin_site)),
                name="records_servicereport_closing",
            ),
            path(
                "<path:object_id>/anular/",
                wrap(self.cancel_view),
                name="records_servicereport_cancel",
            ),
            path(
                "<path:object_id>/validar/",
                wrap(self.validate_view),
                name="records_servicereport_validate",
            ),
            *self.validation_urls(),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_export": can_export_records(request.user),
            "can_validate": self.has_validate_permission(request),
        }
        return super().changelist_view(request, extra_context)

    def cancel_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        report = self.get_object(request, object_id)
        if not self.has_change_permission(request, report) or not self.has_validate_permission(
            request
        ):
            raise PermissionDenied
        response = self._cancel(request, self.get_queryset(request).filter(pk=report.pk))
        return response or redirect("admin:records_servicereport_change", report.pk)

    @admin.action(description="Anular los informes seleccionados", permissions=["validate"])
    def cancel_reports(self, request, queryset):
        return self._cancel(request, queryset, from_list=True)

    def _cancel(
        self, request: HttpRequest, reports: QuerySet, *, from_list: bool = False
    ) -> HttpResponse | None:
        """Ask for the reason; once given, cancel each report through the action."""
        pending = list(reports.exclude(status=ReportStatus.CANCELLED))
        form = CancelReportForm(request.POST if "confirmar" in request.POST else None)
        if form.is_valid():
            done = 0
            for report in pending:
                try:
                    cancel_report(
                        report=report, reason=form.cleaned_data["reason"], actor=request.user
                    )
                    done += 1
                except ValidationError as error:
                    self.message_user(request, " ".join(error.messages), messages.ERROR)
            self.message_user(request, f"Informes anulados: {done}.", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Anular informes de servicio",
            "reports": pending,
            "form": form,
            "from_list": from_list,
        }
        return TemplateResponse(request, "records/cancel_reports.html", context)

    def validate_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        report = self.get_object(request, object_id)
        if request.method != "POST" or not self.has_validate_permission(request):
            raise PermissionDenied
        self._validate(request, [report])
        return redirect("admin:records_servicereport_change", report.pk)

    @admin.action(description="Validar los informes seleccionados", permissions=["validate"])
    def validate_reports(self, request, queryset):
        self._validate(request, queryset.filter(status=ReportStatus.REGISTERED))

    def _validate(self, request: HttpRequest, reports) -> None:
        done = 0
        for report in reports:
            try:
                set_report_status(report=report, status=ReportStatus.VALIDATED, actor=request.user)
                done += 1
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
        self.message_user(request, f"Informes validados: {done}.", messages.SUCCESS)

    @admin.action(description="Exportar los seleccionados a Excel (xlsx)", permissions=["export"])
    def export_xlsx(self, request, queryset):
        return export_response(request.user, queryset, "xlsx")

    @admin.action(description="Exportar los seleccionados a CSV", permissions=["export"])
    def export_csv(self, request, queryset):
        return export_response(request.user, queryset, "csv")

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """Everything the list shows with its current filters and search, as a download."""
        if not self.has_view_permission(request) or not can_export_records(request.user):
            raise PermissionDenied
        params = request.GET.copy()
        fmt = params.pop("formato", ["xlsx"])[-1]
        if fmt not in FORMATS:
            message = f"Formato de exportación desconocido «{fmt[:20]}»: use xlsx o csv."
            return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
        list_request = copy.copy(request)
        list_request.GET = params
        try:
            changelist = self.get_changelist_instance(list_request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(reverse("admin:records_servicereport_changelist") + "?e=1")
        return export_response(request.user, changelist.get_queryset(list_request), fmt)
