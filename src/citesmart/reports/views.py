"""The report form in the back office: ITP staff choose any center or the network; a center
manager gets only their own center (the choices and the check both come from accounts.access)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citesmart.accounts.access import can_report, is_national, reportable_centers
from citesmart.analytics.filters import InvalidQuery
from citesmart.reports.build import ReportError, build_report
from citesmart.reports.render import CONTENT_TYPES, filename, render


class ReportForm(forms.Form):
    year = forms.IntegerField(label=_("Año"), min_value=2000, max_value=2100)
    until = forms.DateField(
        label=_("Fecha de corte (opcional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        help_text=_("Vacío: el año completo, o hasta hoy si el año está en curso."),
    )
    center = forms.ModelChoiceField(label=_("Centro"), queryset=None, required=False)
    format = forms.ChoiceField(
        label=_("Formato"),
        choices=[("html", _("Página web")), ("pdf", "PDF (A4)"), ("xlsx", _("Excel (.xlsx)"))],
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year - 1
        centers = reportable_centers(user)
        self.fields["center"].queryset = centers
        if is_national(user):
            self.fields["center"].empty_label = _("Toda la red CITE")
        else:
            self.fields["center"].required = True
            self.fields["center"].empty_label = None


def report_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not is_national(user) and not reportable_centers(user).exists():
        raise PermissionDenied
    form = ReportForm(request.GET or None, user=user)
    error = ""
    if request.GET and form.is_valid():
        data = form.cleaned_data
        if not can_report(user, data["center"]):
            raise PermissionDenied
        try:
            report = build_report(data["year"], data["until"], data["center"])
            content = render(report, data["format"], nonce=getattr(request, "csp_nonce", ""))
        except (ReportError, InvalidQuery) as problem:
            error = str(problem)
        else:
            response = HttpResponse(content, content_type=CONTENT_TYPES[data["format"]])
            if data["format"] != "html":
                name = filename(report, data["format"])
                response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
    context = {
        **admin.site.each_context(request),
        "title": _("Informes de la red CITE"),
        "form": form,
        "error": error,
    }
    return TemplateResponse(request, "reports/form.html", context)
