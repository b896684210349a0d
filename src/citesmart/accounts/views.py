"""Two-factor (TOTP) enrolment and verification for staff.

Enrolment needs a one-time code issued by another national administrator (or the command
line): a password alone never shows a new secret. A confirmed device is asked for its
6-digit code at each new session; whoever lost that phone follows "¿Perdió su teléfono?"
(`?inscribir=1`) to the code form, and the old device goes only when the new one is
confirmed (`actions.confirm_device`).
"""

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext_lazy as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from citesmart.accounts.actions import confirm_device, redeem_enrolment_code

ENROLLING = "otp_enrolling_device"  # session key: the device this session may confirm
LOST_PHONE = "inscribir"  # ?inscribir=1: the code form although a device is confirmed
CODE_ATTEMPTS = 5  # wrong enrolment codes per account and quarter of an hour


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Código de 6 dígitos"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class EnrolmentForm(forms.Form):
    code = forms.CharField(
        label=_("Código de inscripción"),
        max_length=40,
        help_text=_("Se lo entrega otro administrador nacional del ITP (vale una sola vez)."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


def _qr_svg(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """Ask for the code of a confirmed device, or enrol one with an enrolment code."""
    next_url = request.GET.get("next") or "/admin/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = "/admin/"
    here = f"{request.path}?{urlencode({'next': next_url})}"
    device = _device(request)
    if device is None or (device.confirmed and request.GET.get(LOST_PHONE) == "1"):
        return _enrol(request, here)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            if not device.confirmed:
                confirm_device(device=device)
                request.session.pop(ENROLLING, None)
            otp_login(request, device)
            return redirect(next_url)
        form.add_error("token", _("El código no es correcto o ya venció. Pruebe con el siguiente."))
    context = {"form": form, "enrolling": not device.confirmed, "next": next_url}
    if device.confirmed:
        context["lost_phone_url"] = f"{here}&{LOST_PHONE}=1"
    if not device.confirmed:
        context["qr_svg"] = _qr_svg(device.config_url)
        context["secret"] = device.bin_key.hex()
    return render(request, "accounts/two_factor.html", context)


def _device(request: HttpRequest) -> TOTPDevice | None:
    """The device this session is enrolling (from a redeemed code, replacing a lost phone
    or a first one), else the confirmed device."""
    devices = TOTPDevice.objects.filter(user=request.user)
    enrolling = devices.filter(pk=request.session.get(ENROLLING) or 0, confirmed=False).first()
    return enrolling or devices.filter(confirmed=True).first()


def _enrol(request: HttpRequest, here: str) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)  # login_required on the view
    form = EnrolmentForm(request.POST or None)
    attempts_key = f"otp-enrolment-attempts:{request.user.pk}"
    if request.method == "POST" and form.is_valid():
        attempts = cache.get(attempts_key, 0)
        device = None
        if attempts < CODE_ATTEMPTS:
            device = redeem_enrolment_code(user=user, code=form.cleaned_data["code"])
        if device is not None:
            request.session[ENROLLING] = device.pk
            return redirect(here)
        cache.set(attempts_key, attempts + 1, 15 * 60)
        form.add_error(
            "code",
            _("El código no es válido, ya se usó o venció. Pida uno nuevo a otro administrador.")
            if attempts < CODE_ATTEMPTS
            else _("Demasiados intentos. Espere 15 minutos y pida un código nuevo."),
        )
    context = {"form": form, "needs_code": True, "back_url": here}
    context["replacing"] = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    return render(request, "accounts/two_factor.html", context)
