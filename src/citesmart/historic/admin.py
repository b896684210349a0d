"""Back office of the institutional tables: loads (upload, templates, revert) and the figures.

Everything here is read-only in the admin sense: rows are written only by the loader and
undone only by reverting their batch. National administrators load and revert; analysts
read; center staff have no access (their roles carry no `historic` permission).
"""

import io

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from citesmart.accounts.access import can_load_historic
from citesmart.historic import models as m
from citesmart.historic.actions import revert_batch, revert_blockers
from citesmart.historic.forms import UploadForm
from citesmart.historic.loader import load_table
from citesmart.historic.models import HistoricBatch, TableKind
from citesmart.historic.specs import SPECS
from citesmart.historic.template import template_filename, write_template

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(HistoricBatch)
class HistoricBatchAdmin(ReadOnlyAdmin):
    list_display = ("pk", "kind", "filename", "status", "rows", "created", "updated", "deleted")
    list_filter = ("kind", "status", "is_demo")
    fields = (
        "kind",
        "filename",
        "status",
        "is_demo",
        "rows",
        ("created", "updated", "deleted", "unchanged"),
        "created_by",
        "created_at",
        "reverted_by",
        "reverted_at",
        "message_list",
    )
    readonly_fields = ("message_list",)
    change_list_template = "historic/batch_change_list.html"

    @admin.display(description=gettext_lazy("mensajes"))
    def message_list(self, batch: HistoricBatch) -> str:
        return format_html(
            "<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((m,) for m in batch.messages))
        )

    change_form_template = "historic/batch_change_form.html"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("cargar/", view(self.upload_view), name="historic_historicbatch_upload"),
            path(
                "plantilla.<str:fmt>",
                view(self.template_view),
                name="historic_historicbatch_template",
            ),
            path(
                "<path:object_id>/revertir/",
                view(self.revert_view),
                name="historic_historicbatch_revert",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra = {"can_load": can_load_historic(request.user), **(extra_context or {})}
        return super().changelist_view(request, extra)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        batch = self.get_object(request, object_id)
        revertible = (
            batch is not None
            and batch.status == HistoricBatch.Status.COMMITTED
            and can_load_historic(request.user)
        )
        extra = {"can_revert": revertible, **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra)

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not can_load_historic(request.user):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            uploaded = form.cleaned_data["file"]
            result = load_table(
                uploaded,
                kind=form.cleaned_data["kind"],
                user=request.user,
                filename=uploaded.name,
                dry_run=form.cleaned_data["dry_run"],
            )
            if result.ok and not result.dry_run:
                self.message_user(request, result.summary, messages.SUCCESS)
                return redirect(
                    reverse("admin:historic_historicbatch_change", args=[result.batch.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Cargar un cuadro histórico del ITP"),
            "opts": self.model._meta,
            "form": form,
            "result": result,
            "tables": [(kind, SPECS[kind]) for kind in TableKind.values],
        }
        return TemplateResponse(request, "historic/upload.html", context)

    def template_view(self, request: HttpRequest, fmt: str) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        kind = request.GET.get("tabla", TableKind.SERVICES)
        if fmt not in CONTENT_TYPES or kind not in SPECS:
            raise Http404
        buffer = io.BytesIO()
        write_template(kind, buffer, fmt)
        buffer.seek(0)
        return FileResponse(
            buffer,
            as_attachment=True,
            filename=template_filename(kind, fmt),
            content_type=CONTENT_TYPES[fmt],
        )

    def revert_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not can_load_historic(request.user):
            raise PermissionDenied
        batch = self.get_object(request, object_id)
        if batch is None:
            raise Http404
        here = reverse("admin:historic_historicbatch_change", args=[batch.pk])
        if request.method == "POST":
            try:
                restored = revert_batch(user=request.user, batch=batch)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("Carga revertida: se restauraron %s valores.") % restored,
                    messages.SUCCESS,
                )
            return redirect(here)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Revertir la carga"),
            "opts": self.model._meta,
            "batch": batch,
            "blockers": revert_blockers(batch),
            "changes": batch.changes.count(),
        }
        return TemplateResponse(request, "historic/revert.html", context)


def _figures(*columns: str, filters: tuple[str, ...] = ("year",)) -> type[ReadOnlyAdmin]:
    class FiguresAdmin(ReadOnlyAdmin):
        list_display = ("center", *columns, "batch")
        list_filter = (*filters, "center")
        list_select_related = ("center", "batch")
        search_fields = ("center__name",)

    return FiguresAdmin


admin.site.register(m.HistoricServices, _figures("year", "month", "category", "services"))
admin.site.register(m.HistoricClients, _figures("year", "month", "client_type", "clients"))
admin.site.register(m.HistoricClientsByClass, _figures("year", "ciiu", "clients"))
admin.site.register(m.HistoricClientsByTaxpayer, _figures("year", "taxpayer_type", "clients"))
admin.site.register(m.Budget, _figures("year", "pim"))
admin.site.register(m.BudgetExecution, _figures("year", "month", "source", "amount"))
admin.site.register(
    m.Staff,
    _figures(
        "year", "modality", "directivo", "tecnico", "operativo", "administrativo", "practicante"
    ),
)


class AspectInline(admin.TabularInline):
    model = m.ProjectAspect
    fields = ("aspect", "status", "date", "batch")
    extra = 0
    verbose_name_plural = gettext_lazy("Estado por aspecto")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(m.InvestmentProject)
class InvestmentProjectAdmin(_figures("cui", "name", "amount", "start", "end", filters=())):
    inlines = [AspectInline]
