"""Survey pages: the public answer page (by link), the results, and ITP's back-office screens."""

import csv
import io
from time import time as clock

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from citesmart.accounts.access import may_read_surveys, may_run_surveys
from citesmart.ops.clients import client_ip
from citesmart.service_requests.actions import client_key
from citesmart.surveys import actions, queries
from citesmart.surveys.forms import EvidenceForm, form_for
from citesmart.surveys.models import ContactAttempt, Invitation, Kind, Wave


def _too_many(request: HttpRequest) -> HttpResponse | None:
    """Per client and minute: links cannot be walked, answers cannot be flooded."""
    from django.conf import settings

    now = int(clock())
    key = f"survey-answers:{client_key(client_ip(request))}:{now // 60}"
    cache.add(key, 0, timeout=120)
    if cache.incr(key) <= settings.SURVEY_REQUESTS_PER_MINUTE:
        return None
    response = render(
        request,
        "surveys/message.html",
        {"message": _("Demasiados intentos. Espere un minuto y vuelva a intentarlo.")},
        status=429,
    )
    response["Retry-After"] = str(60 - now % 60)
    return response


@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """The unit's own page: no login, one answer, Spanish messages, no JavaScript."""
    if limited := _too_many(request):
        return limited
    link = actions.find_link(token)
    try:
        invitation = actions.check_link(link)
    except actions.SurveyError as error:
        return render(
            request,
            "surveys/message.html",
            {"message": str(error)},
            status=404 if not link else 410,
        )
    form = form_for(invitation.kind)(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.submit_by_link(token=token, data=form.cleaned_data)
        except actions.SurveyError as error:
            return render(request, "surveys/message.html", {"message": str(error)}, status=409)
        return redirect("surveys:thanks")
    context = {"form": form, "invitation": invitation, "center": invitation.center}
    return render(
        request, "surveys/answer.html", context, status=400 if request.method == "POST" else 200
    )


@require_GET
def thanks(request: HttpRequest) -> HttpResponse:
    return render(
        request, "surveys/message.html", {"message": _("¡Gracias! Su respuesta fue registrada.")}
    )


# --- published results ----------------------------------------------------------------


def _results(request: HttpRequest) -> tuple[dict, list[dict]]:
    indicator = request.GET.get("indicador", "satisfechos")
    by = request.GET.get("por", "centro")
    year = request.GET.get("anio", "")
    if indicator not in queries.INDICATORS:
        indicator = "satisfechos"
    if by not in queries.DIMENSIONS:
        by = "centro"
    # A year outside 1990–2100 is ignored (a year like 99999 would not make a date).
    year_number = int(year) if year.isdigit() and 1990 <= int(year) <= 2100 else None
    choice = {"indicator": indicator, "by": by, "year": year_number}
    return choice, queries.published_results(indicator=indicator, by=by, year=year_number)


@require_GET
def results(request: HttpRequest) -> HttpResponse:
    choice, rows = _results(request)
    context = {
        "rows": rows,
        "choice": choice,
        "indicators": {k: v[1] for k, v in queries.INDICATORS.items()},
        "dimensions": queries.DIMENSIONS,
        "nav": "results",
    }
    return render(request, "surveys/results.html", context)


@require_GET
def results_json(request: HttpRequest) -> JsonResponse:
    choice, rows = _results(request)
    return JsonResponse(
        {"consulta": choice, "filas": rows}, json_dumps_params={"ensure_ascii": False}
    )


@require_GET
def results_csv(request: HttpRequest) -> HttpResponse:
    _choice, rows = _results(request)
    out = io.StringIO()
    out.write("\ufeff")
    fields = [
        "codigo",
        "nombre",
        "indicador",
        "muestra",
        "respondentes",
        "tasa_respuesta",
        "proporcion",
        "ic95_inferior",
        "ic95_superior",
        "suprimido",
    ]
    writer = csv.DictWriter(out, fieldnames=fields)
    writer.writeheader()
    writer.writerows(rows)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="encuestas-resultados.csv"'
    return response


# --- back office (ITP) ------------------------------------------------------------------


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("Las encuestas las gestiona el personal nacional del ITP."))


@staff_member_required
@require_http_methods(["GET", "POST"])
def staff_index(request: HttpRequest) -> HttpResponse:
    _require(may_read_surveys(request.user))
    if request.method == "POST":
        _require(may_run_surveys(request.user))
        summary = actions.send_surveys(
            base_url=request.build_absolute_uri("/")[:-1], actor=request.user
        )
        messages.success(
            request,
            _("Invitaciones enviadas: %(n)s. Sin correo (use el formulario en papel): %(m)s.")
            % {"n": summary.invited, "m": summary.without_email},
        )
        return redirect("surveys:staff_index")
    invitations = queries.satisfaction_invitations()
    context = {
        "waves": queries.waves(),
        "invited": invitations.count(),
        "answered": invitations.filter(response__isnull=False).count(),
        "pending": invitations.filter(response__isnull=True)[:50],
        "may_run": may_run_surveys(request.user),
        "title": _("Encuestas"),
    }
    return render(request, "surveys/staff_index.html", context)


@staff_member_required
@require_http_methods(["GET", "POST"])
def wave_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(may_read_surveys(request.user))
    wave = get_object_or_404(Wave, pk=pk)
    if request.method == "POST":
        _require(may_run_surveys(request.user))
        if request.POST.get("accion") == "enviar":
            sent = actions.send_wave_links(
                wave=wave, base_url=request.build_absolute_uri("/")[:-1], actor=request.user
            )
            messages.success(request, _("Enlaces enviados: %s.") % sent)
            return redirect("surveys:wave_detail", pk=wave.pk)
        seed = request.POST.get("semilla", "").strip()
        try:
            actions.draw_wave(
                wave=wave, actor=request.user, seed=int(seed) if seed.isdigit() else None
            )
            messages.success(request, _("Muestra sorteada."))
        except actions.SurveyError as error:
            messages.error(request, str(error))
        return redirect("surveys:wave_detail", pk=wave.pk)
    context = {
        "wave": wave,
        "strata": wave.strata.select_related("center", "chain").order_by("center__name"),
        "invitations": queries.wave_invitations(wave),
        "events": wave.surveyevent_set.select_related("actor")[:100],
        "may_run": may_run_surveys(request.user),
        "title": str(wave),
    }
    return render(request, "surveys/wave_detail.html", context)


@staff_member_required
@require_http_methods(["GET", "POST"])
def invitation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Contact attempts and keying in a paper or phone answer (national staff only)."""
    _require(may_read_surveys(request.user))
    invitation = get_object_or_404(Invitation.objects.select_related("unit", "center"), pk=pk)
    form = form_for(invitation.kind)(request.POST or None, prefix="r")
    evidence = EvidenceForm(request.POST or None, request.FILES or None, prefix="e")
    if request.method == "POST":
        _require(may_run_surveys(request.user))
        try:
            if request.POST.get("accion") == "contacto":
                actions.log_contact(
                    invitation=invitation,
                    actor=request.user,
                    channel=request.POST.get("medio", "telefono"),
                    outcome=request.POST.get("resultado", ""),
                    note=request.POST.get("nota", "")[:300],
                )
                messages.success(request, _("Intento de contacto registrado."))
                return redirect("surveys:invitation_detail", pk=pk)
            if form.is_valid() and evidence.is_valid():
                actions.record_answer(
                    invitation=invitation,
                    data=form.cleaned_data | evidence.cleaned_data,
                    channel=request.POST.get("medio", ""),
                    actor=request.user,
                )
                messages.success(request, _("Respuesta registrada."))
                return redirect("surveys:invitation_detail", pk=pk)
            messages.error(request, _("Revise las respuestas marcadas."))
        except actions.SurveyError as error:
            messages.error(request, str(error))
    context = {
        "invitation": invitation,
        "form": form,
        "evidence": evidence,
        "attempts": invitation.attempts.select_related("actor"),
        "outcomes": ContactAttempt.Outcome.choices,
        "response": getattr(invitation, "response", None),
        "may_run": may_run_surveys(request.user),
        "title": str(invitation),
    }
    return render(request, "surveys/invitation_detail.html", context)


@staff_member_required
@require_http_methods(["GET", "POST"])
def paper_form(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable form; printing (POST) makes a new link and draws its QR code."""
    _require(may_run_surveys(request.user))
    invitation = get_object_or_404(Invitation.objects.select_related("center"), pk=pk)
    context = {
        "invitation": invitation,
        "form": form_for(invitation.kind)(),
        "title": _("Formulario"),
    }
    if request.method == "POST":
        token = actions.paper_form(invitation=invitation, actor=request.user)
        url = actions.survey_url(request.build_absolute_uri("/")[:-1], token)
        svg = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
        context |= {"url": url, "qr": svg.to_string(encoding="unicode")}
    return render(request, "surveys/paper_form.html", context)


KINDS = Kind
