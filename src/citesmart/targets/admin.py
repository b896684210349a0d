"""Back-office pages for targets: progress (the list), history and revision, upload, export.

National staff see every center and the national targets; a center's staff see only their
center (and its technical units): the rows come from queries.visible_targets, which applies
accounts.access. Only national administrators set or load targets (actions.can_set_targets).
"""

import io
from datetime import date

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from citesmart.accounts.access import can_set_targets
from citesmart.accounts.admin_mixins import CenterScopedAdmin
from citesmart.analytics.filters import InvalidQuery
from citesmart.lib.values import parse_date
from citesmart.targets import export, importer, queries
from citesmart.targets.actions import set_target
from citesmart.targets.forms import TargetForm, UploadForm
from citesmart.targets.models import Target

_CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
COLUMNS = [
    ("centro", _("Centro")),
    ("meta", _("Meta anual")),
    ("logrado", _("Logrado")),
    ("avance", _("Avance")),
    ("ritmo", _("Sobre meta a la fecha")),
    ("proyeccion", _("Proyección al cierre")),
]


@admin.register(Target)
class TargetAdmin(CenterScopedAdmin):
    def get_queryset(self, request):
        return queries.visible_targets(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return can_set_targets(request.user)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # a revision is a new version (history page), never an edit

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # targets are history

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("exportar.<str:fmt>", view(self.export_view), name="targets_target_export"),
            path("cargar/", view(self.upload_view), name="targets_target_upload"),
            path("plantilla.xlsx", view(self.template_view), name="targets_target_template"),
            *super().get_urls(),
        ]

    # -- the progress page ----------------------------------------------------------------

    def _selection(self, request: HttpRequest):
        years = queries.target_years(request.user)
        fallback = queries.default_year(request.user) or date.today().year
        try:
            year = int(request.GET.get("anio") or fallback)
        except ValueError:
            year = fallback
        as_of, error = None, ""
        if request.GET.get("corte"):
            try:
                as_of = parse_date(request.GET["corte"])
            except ValueError as problem:
                error = f"Fecha de corte: {problem}."
        indicator = request.GET.get("indicador", "services")
        targets = queries.visible_targets(request.user, year)
        if indicator:
            targets = targets.filter(indicator=indicator)
        progress = queries.achievement(targets, as_of)
        order = request.GET.get("orden", "centro")
        descending = request.GET.get("dir") == "desc"
        return (
            years,
            year,
            as_of,
            indicator,
            queries.sort_progress(progress, order, descending),
            order,
            descending,
            error,
        )

    def changelist_view(self, request: HttpRequest, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            years, year, as_of, indicator, rows, order, desc, error = self._selection(request)
        except InvalidQuery as problem:
            years, year, as_of, indicator, rows, order, desc = [], None, None, "", [], "", False
            error = str(problem)
        base = request.GET.copy()
        headers = []
        for key, label in COLUMNS:
            params = base.copy()
            params["orden"] = key
            params["dir"] = "asc" if order == key and desc else "desc" if order == key else "asc"
            if key != "centro" and order != key:
                params["dir"] = "desc"
            state = ("descending" if desc else "ascending") if order == key else None
            headers.append({"label": label, "url": "?" + params.urlencode(), "sort": state})
        export_query = request.GET.urlencode()
        context = {
            **self.admin_site.each_context(request),
            "title": _("Metas y avance"),
            "opts": self.model._meta,
            "years": years,
            "year": year,
            "as_of": as_of or (rows[0].as_of if rows else None),
            "indicator": indicator,
            "indicators": Target._meta.get_field("indicator").choices,
            "rows": rows,
            "headers": headers,
            "error": error,
            "margin": round(queries.behind_margin() * 100),
            "behind_count": sum(1 for r in rows if r.behind),
            "can_set": can_set_targets(request.user),
            "export_query": export_query,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "targets/progress.html", context)

    def export_view(self, request: HttpRequest, fmt: str) -> HttpResponse:
        if fmt not in _CONTENT_TYPES or not self.has_view_permission(request):
            raise Http404
        _years, year, _as_of, _ind, rows, *_rest = self._selection(request)
        buffer = io.BytesIO()
        export.write(rows, buffer, fmt)
        buffer.seek(0)
        return FileResponse(
            buffer,
            as_attachment=True,
            filename=f"avance-metas-{year}.{fmt}",
            content_type=_CONTENT_TYPES[fmt],
        )

    # -- history and revision ---------------------------------------------------------------

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        target = self.get_object(request, object_id)
        # The history page is read-only (a revision goes through add_view): it needs the view
        # permission, which center operators do not have, and accepts no POST.
        if request.method == "POST" or not self.has_view_permission(request, target):
            raise PermissionDenied
        progress = queries.achievement([target])
        context = {
            **self.admin_site.each_context(request),
            "title": str(target),
            "opts": self.model._meta,
            "target": target,
            "versions": target.versions.select_related("created_by").order_by("-number"),
            "progress": progress[0] if progress else None,
            "can_set": can_set_targets(request.user),
        }
        return TemplateResponse(request, "targets/history.html", context)

    def add_view(self, request: HttpRequest, form_url="", extra_context=None):
        if not can_set_targets(request.user):
            raise PermissionDenied
        initial = {}
        if source := request.GET.get("desde"):
            target = self.get_queryset(request).filter(pk=source).first()
            if target and target.current:
                initial = {
                    "center": target.center_id,
                    "year": target.year,
                    "indicator": target.indicator,
                    "value": target.current.value,
                    "phasing": target.current.phasing,
                    "category": target.category_id,
                    "chain": target.chain_id,
                }
        form = TargetForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                version = set_target(
                    request.user,
                    center=data["center"],
                    year=data["year"],
                    indicator=data["indicator"],
                    value=data["value"],
                    phasing=data["phasing"],
                    reason=data["reason"],
                    category=data["category"],
                    chain=data["chain"],
                )
            except ValidationError as error:
                for field, problems in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, problems)
            else:
                self.message_user(
                    request,
                    _("Meta registrada (versión %(n)s).") % {"n": version.number},
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:targets_target_change", args=[version.target_id]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Registrar o revisar una meta"),
            "opts": self.model._meta,
            "form": form,
        }
        return TemplateResponse(request, "targets/target_form.html", context)

    # -- spreadsheet ------------------------------------------------------------------------

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not can_set_targets(request.user):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            uploaded = form.cleaned_data["file"]
            result = importer.import_targets(request.user, uploaded, filename=uploaded.name)
            if result.ok:
                self.message_user(request, result.summary(), messages.SUCCESS)
                return redirect(reverse("admin:targets_target_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Cargar metas desde una hoja de cálculo"),
            "opts": self.model._meta,
            "form": form,
            "result": result,
        }
        return TemplateResponse(request, "targets/upload.html", context)

    def template_view(self, request: HttpRequest) -> HttpResponse:
        if not can_set_targets(request.user):  # only those who may load targets need it
            raise PermissionDenied
        buffer = io.BytesIO()
        importer.write_template(buffer)
        buffer.seek(0)
        return FileResponse(
            buffer,
            as_attachment=True,
            filename="plantilla-metas.xlsx",
            content_type=_CONTENT_TYPES["xlsx"],
        )
