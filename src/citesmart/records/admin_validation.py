"""The manager's validation screen: a center's registered reports of one month, a summary,
"validate all" (four eyes: the actor's own reports are skipped and listed) and "cancel one
with a reason". Mixed into the service report admin; every write goes through
records.actions, every read through records.queries, so accounts.access decides.
"""

import re

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from citesmart.lib.months import month_label
from citesmart.network.models import Center
from citesmart.records.actions import cancel_report, validate_reports
from citesmart.records.forms import CancelReportForm
from citesmart.records.queries import MonthReview, month_review, validation_centers

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class ReviewForm(forms.Form):
    """Which center and month to review (GET: ?centro=<code>&mes=AAAA-MM)."""

    centro = forms.ModelChoiceField(
        label=gettext_lazy("Centro"),
        queryset=Center.objects.none(),
        to_field_name="code",
        empty_label=None,
    )
    mes = forms.CharField(
        label=gettext_lazy("Mes (AAAA-MM)"),
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month"}),
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        centers = validation_centers(user).order_by("name")
        field = self.fields["centro"]
        field.queryset = centers
        field.error_messages["invalid_choice"] = _(
            "Ese centro no está entre los que usted valida: elija uno de la lista."
        )

    def clean_mes(self) -> tuple[int, int]:
        match = MONTH.match((self.cleaned_data.get("mes") or "").strip())
        if not match or not (1 <= int(match.group(2)) <= 12 and int(match.group(1)) >= 1900):
            raise ValidationError(_("Escriba el mes como AAAA-MM, por ejemplo 2025-03."))
        return int(match.group(1)), int(match.group(2))


def _defaults(user) -> dict[str, str]:
    """This month and the first center the user validates (their own, for a manager)."""
    centers = validation_centers(user)
    center = centers.order_by(F("parent_id").asc(nulls_first=True), "name").first()
    today = timezone.localdate()
    return {"centro": center.code if center else "", "mes": f"{today:%Y-%m}"}


class ValidationScreen:
    """Adds /admin/records/servicereport/validar/ to the service report admin."""

    def validation_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path("validar/", wrap(self.validation_view), name="records_servicereport_validation")
        ]

    def validation_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_validate_permission(request):
            raise PermissionDenied
        form = ReviewForm(request.GET or _defaults(request.user), user=request.user)
        review = None
        if form.is_valid():
            year, month = form.cleaned_data["mes"]
            review = month_review(request.user, form.cleaned_data["centro"], year, month)
            if request.method == "POST":
                self._act(request, review)
                return redirect(f"{request.path}?{urlencode(request.GET)}")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Validar los informes registrados de un mes"),
            "form": form,
            "review": review,
            "month_label": _month_label(review) if review else "",
            "cancel_form": CancelReportForm(),
            "list_url": reverse("admin:records_servicereport_changelist"),
        }
        return TemplateResponse(request, "records/validate_month.html", context)

    def _act(self, request: HttpRequest, review: MonthReview) -> None:
        """Validate the reports shown (and still registered), or cancel one with a reason."""
        shown = {str(r.pk): r for r in review.reports}
        if "validar_todo" in request.POST:
            chosen = [shown[pk] for pk in request.POST.getlist("informe") if pk in shown]
            self._validate_all(request, chosen)
        elif "anular" in request.POST:
            report = shown.get(request.POST.get("anular", ""))
            if report is None:
                self.message_user(
                    request,
                    _("Ese informe ya no está registrado en este mes: no se anuló nada."),
                    messages.ERROR,
                )
                return
            self._cancel_one(request, report)

    def _validate_all(self, request: HttpRequest, reports: list) -> None:
        outcome = validate_reports(reports=reports, actor=request.user)
        self.message_user(
            request,
            _("Informes validados: %(n)s.") % {"n": len(outcome.validated)},
            messages.SUCCESS if outcome.validated else messages.WARNING,
        )
        for _report, why in outcome.skipped:
            self.message_user(request, _("Sin validar: %(why)s") % {"why": why}, messages.WARNING)

    def _cancel_one(self, request: HttpRequest, report) -> None:
        form = CancelReportForm(request.POST)
        if not form.is_valid():
            self.message_user(
                request,
                _("Informe %(code)s: indique el motivo de la anulación; no se anuló nada.")
                % {"code": report.code},
                messages.ERROR,
            )
            return
        try:
            cancel_report(report=report, reason=form.cleaned_data["reason"], actor=request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return
        self.message_user(
            request, _("Informe %(code)s anulado.") % {"code": report.code}, messages.SUCCESS
        )


def _month_label(review: MonthReview) -> str:
    return month_label(review.year, review.month)
