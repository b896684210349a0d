"""Back-office screens for spreadsheet imports: upload page, batch list and page, revert."""

import io
import os

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from citesmart.accounts.access import (
    can_register_batch,
    can_revert_batch,
    can_upload_imports,
    home_center,
    importable_centers,
)
from citesmart.accounts.admin_mixins import CenterScopedAdmin
from citesmart.lib.spreadsheets import DEFAULT_LIMITS
from citesmart.records import imports
from citesmart.records.admin_recheck import RecheckForm
from citesmart.records.models import ImportBatch
from citesmart.records.reverting import revert_batch
from citesmart.records.template import write_template

MAX_UPLOAD_BYTES = DEFAULT_LIMITS.max_bytes
_CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class SizeLimitUploadHandler(FileUploadHandler):
    """Stops receiving a file past the limit, before it is stored or read."""

    def __init__(self, request=None, limit: int = MAX_UPLOAD_BYTES) -> None:
        super().__init__(request)
        self.limit, self.received, self.exceeded = limit, 0, False

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.exceeded = content_length is not None and content_length > self.limit + 64 * 1024

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        if self.exceeded:
            raise StopUpload(connection_reset=False)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def _size_text(size: int) -> str:
    return f"{size // (1024 * 1024)} MB"


class UploadForm(forms.Form):
    center = forms.ModelChoiceField(label=_("Centro"), queryset=None, empty_label=None)
    file = forms.FileField(
        label=_("Archivo"),
        help_text=_("Libro de Excel (.xlsx) o CSV, con los encabezados de la plantilla."),
    )
    dry_run = forms.BooleanField(
        label=_("Solo verificar (no registrar nada todavía)"),
        help_text=_(
            "Después de verificarlo, regístrelo desde la página del lote sin volver a subirlo."
        ),
        required=False,
        initial=True,
    )
    accept_valid = forms.BooleanField(
        label=_("Registrar los informes válidos aunque haya filas con errores"), required=False
    )
    sheet = forms.CharField(
        label=_("Hoja"),
        required=False,
        max_length=100,
        help_text=_(
            "Solo si el libro tiene varias hojas con servicios: el nombre de la que se importa. "
            "Vacío: la hoja cuyos encabezados son los de la plantilla."
        ),
    )

    def __init__(self, *args, user, too_big: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.too_big = too_big
        # A file stopped at the limit never reaches request.FILES: say why, not "required".
        self.fields["file"].required = not too_big
        centers = importable_centers(user)
        self.fields["center"].queryset = centers
        home = home_center(user)
        if home is not None:
            self.fields["center"].initial = home.pk

    def clean_file(self):
        uploaded = self.cleaned_data.get("file")
        if self.too_big or (uploaded is not None and uploaded.size > MAX_UPLOAD_BYTES):
            raise ValidationError(
                _("El archivo pesa más de %(limit)s, el máximo permitido. Divida la información "
                  "en varios archivos e impórtelos por separado."),
                params={"limit": _size_text(MAX_UPLOAD_BYTES)},
            )  # fmt: skip
        return uploaded


@admin.register(ImportBatch)
class ImportBatchAdmin(CenterScopedAdmin):
    list_display = [
        "created_at",
        "center",
        "filename",
        "status",
        "rows",
        "rejected_rows",
        "reports_created",
        "reports_updated",
        "reports_unchanged",
        "created_by",
    ]
    list_filter = ["status", "created_at"]
    search_fields = ["filename", "center__name"]
    list_select_related = ["center", "created_by"]
    date_hierarchy = "created_at"
    change_list_template = "records/import_change_list.html"
    change_form_template = "records/import_batch.html"
    # The messages are listed by row and column under the fields (the template), not as the
    # raw JSON they are stored as.
    exclude = ["messages"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # batches come from the upload page, never from a bare form

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # the page is read-only; reverting has its own view

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # batches are history

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("importar/", view(self.upload_view), name="records_importbatch_upload"),
            path(
                "plantilla.<str:fmt>",
                view(self.template_view),
                name="records_importbatch_template",
            ),
            path("<int:pk>/revertir/", view(self.revert_view), name="records_importbatch_revert"),
            path(
                "<int:pk>/registrar/", view(self.register_view), name="records_importbatch_register"
            ),
            path(
                "<int:pk>/verificar/", view(self.recheck_view), name="records_importbatch_recheck"
            ),
            path(
                "<int:pk>/descargar/<str:kind>.<str:fmt>",
                view(self.download_view),
                name="records_importbatch_download",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context=None):
        extra = {"can_import": can_upload(request.user), **(extra_context or {})}
        return super().changelist_view(request, extra)

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        batch = self.get_object(request, object_id)
        messages_ = batch.messages or []
        usable = can_register(request.user, batch) and not imports.register_refusal(
            batch=batch, user=request.user
        )
        fatal = any(m["level"] == "error" and not m.get("row") for m in messages_)
        extra = {
            "batch": batch,
            "summary": next((m["text"] for m in messages_ if m["level"] == "info"), ""),
            "import_errors": [m for m in messages_ if m["level"] == "error"][:500],
            "warnings": [m for m in messages_ if m["level"] == "warning"][:200],
            "error_count": sum(m["level"] == "error" for m in messages_),
            "can_revert": can_revert(request.user, batch),
            "can_register": usable and not fatal,
            "recheck": RecheckForm(batch=batch) if usable else None,
            "has_rejected_file": bool(batch.file)
            and default_storage.exists(imports.rejected_file_name(batch)),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra)

    # -- upload ----------------------------------------------------------------------------

    @csrf_exempt
    def upload_view(self, request: HttpRequest) -> HttpResponse:
        # The size limit must be in place before the body is parsed, so CSRF (which reads
        # the POST data) is checked just after, in _upload.
        limiter = SizeLimitUploadHandler(request)
        request.upload_handlers.insert(0, limiter)
        return csrf_protect(self._upload)(request, limiter)

    def _upload(self, request: HttpRequest, limiter: SizeLimitUploadHandler) -> HttpResponse:
        if not can_upload(request.user):
            raise PermissionDenied
        if request.method == "POST":
            form = UploadForm(
                request.POST, request.FILES, user=request.user, too_big=limiter.exceeded
            )
            if form.is_valid():
                return self._run_import(request, form)
        else:
            form = UploadForm(user=request.user)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Importar servicios desde una hoja de cálculo"),
            "opts": self.model._meta,
            "form": form,
            "max_size": _size_text(MAX_UPLOAD_BYTES),
        }
        return TemplateResponse(request, "records/import_upload.html", context)

    def _run_import(self, request: HttpRequest, form: UploadForm) -> HttpResponse:
        uploaded = form.cleaned_data["file"]
        try:
            result = imports.import_file(
                uploaded,
                center=form.cleaned_data["center"],
                filename=uploaded.name,
                user=request.user,
                dry_run=form.cleaned_data["dry_run"],
                accept_valid=form.cleaned_data["accept_valid"],
                sheet=form.cleaned_data["sheet"] or None,
            )
        except imports.ImportRefused as refused:
            raise PermissionDenied(refused.message) from refused
        return self._show_result(request, result)

    def _show_result(self, request: HttpRequest, result: imports.ImportResult) -> HttpResponse:
        level = {0: messages.SUCCESS, 1: messages.WARNING}.get(result.exit_code, messages.ERROR)
        self.message_user(request, result.summary, level)
        return redirect(reverse("admin:records_importbatch_change", args=[result.batch.pk]))

    def _kept_batch(self, request: HttpRequest, pk: int) -> ImportBatch | HttpResponse:
        """The checked batch a POST acts on (404 out of reach, 403 without the right)."""
        batch = self.get_object(request, str(pk))
        if batch is None:
            raise Http404
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not can_register(request.user, batch):
            raise PermissionDenied
        return batch

    def register_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Register the file a dry run checked (POST from the batch page), not uploaded again."""
        batch = self._kept_batch(request, pk)
        if isinstance(batch, HttpResponse):
            return batch
        accept_valid = request.POST.get("accept_valid") == "on"
        try:
            result = imports.register_checked(
                batch=batch, user=request.user, accept_valid=accept_valid
            )
        except imports.ImportRefused as refused:
            self.message_user(request, refused.message, messages.ERROR)
            return redirect(reverse("admin:records_importbatch_change", args=[batch.pk]))
        return self._show_result(request, result)

    def recheck_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Check the kept file again (POST from the batch page): another sheet, or unknown
        headers assigned to template columns (remembered for the center)."""
        batch = self._kept_batch(request, pk)
        if isinstance(batch, HttpResponse):
            return batch
        back = redirect(reverse("admin:records_importbatch_change", args=[batch.pk]))
        form = RecheckForm(request.POST, batch=batch)
        if not form.is_valid():
            for errors in form.errors.values():
                self.message_user(request, " ".join(errors), messages.ERROR)
            return back
        try:
            result = imports.recheck(
                batch=batch,
                user=request.user,
                sheet=form.cleaned_data.get("sheet") or None,
                columns=form.mapping(),
            )
        except imports.ImportRefused as refused:
            self.message_user(request, refused.message, messages.ERROR)
            return back
        return self._show_result(request, result)

    def template_view(self, request: HttpRequest, fmt: str) -> HttpResponse:
        if fmt not in _CONTENT_TYPES:
            raise Http404
        buffer = io.BytesIO()
        write_template(buffer, fmt=fmt, center=home_center(request.user))
        buffer.seek(0)
        return FileResponse(
            buffer,
            as_attachment=True,
            filename=f"plantilla-servicios.{fmt}",
            content_type=_CONTENT_TYPES[fmt],
        )

    # -- batch page: downloads and revert ------------------------------------------------------

    def download_view(self, request: HttpRequest, pk: int, kind: str, fmt: str) -> HttpResponse:
        batch = self.get_object(request, str(pk))
        if kind == "errores" and fmt in _CONTENT_TYPES:
            buffer = io.BytesIO()
            imports.write_error_report(batch.messages or [], buffer, fmt=fmt)
            buffer.seek(0)
            name = f"errores-lote-{batch.pk}.{fmt}"
            return FileResponse(buffer, as_attachment=True, filename=name)
        if kind == "archivo" and batch.file:
            name = batch.file.name
        elif kind == "rechazadas" and batch.file:
            name = imports.rejected_file_name(batch)
        else:
            raise Http404
        if not default_storage.exists(name):
            raise Http404
        filename = f"lote-{batch.pk}-{kind}{os.path.splitext(name)[1]}"
        return FileResponse(default_storage.open(name, "rb"), as_attachment=True, filename=filename)

    def revert_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        batch = self.get_object(request, str(pk))
        if not can_revert(request.user, batch):
            raise PermissionDenied
        if request.method == "POST":
            try:
                revert_batch(batch=batch, actor=request.user)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                self.message_user(request, _("El lote fue revertido."), messages.SUCCESS)
            return redirect(reverse("admin:records_importbatch_change", args=[batch.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Revertir la importación"),
            "opts": self.model._meta,
            "batch": batch,
            "created_count": batch.audit_entries.filter(
                object_type="servicereport", action="crear"
            ).count(),
            "updated_count": batch.audit_entries.filter(
                object_type="servicereport", action="modificar"
            ).count(),
        }
        return TemplateResponse(request, "records/import_revert.html", context)


def can_upload(user) -> bool:
    """The upload page (accounts.access decides)."""
    return can_upload_imports(user)


def can_register(user, batch: ImportBatch) -> bool:
    """Registering a checked file (accounts.access decides); imports.register_refusal adds
    whether it still can be."""
    return can_register_batch(user, batch.center, created_by_id=batch.created_by_id)


def can_revert(user, batch: ImportBatch) -> bool:
    """A committed batch, by whoever accounts.access lets revert in its center."""
    return batch.status == ImportBatch.Status.COMMITTED and can_revert_batch(user, batch.center)
