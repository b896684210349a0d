"""Writes of the surveys: invitations, links, answers, waves and their draw, contacts.

Answering is never a condition of service: nothing here touches a report or its status,
and nothing runs on a report's save — invitations are made by `send_surveys` (a command).
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from citesmart.accounts.access import check_may_answer_for
from citesmart.records.models import ReportStatus, Service
from citesmart.surveys import sampling
from citesmart.surveys.forms import ANSWER_FIELDS
from citesmart.surveys.models import (
    Channel,
    ContactAttempt,
    Invitation,
    Kind,
    Link,
    Response,
    Stratum,
    SurveyEvent,
    Wave,
)


class SurveyError(Exception):
    """A refusal with a Spanish message for the person answering or the operator."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_link(*, invitation: Invitation, channel: str, now=None) -> str:
    """A new link for the invitation; returns the token (192 random bits), keeps its hash."""
    token = secrets.token_urlsafe(24)
    now = now or timezone.now()
    Link.objects.create(
        invitation=invitation,
        token_hash=_hash(token),
        channel=channel,
        expires_at=now + timedelta(days=settings.SURVEY_LINK_DAYS),
    )
    return token


def find_link(token: str) -> Link | None:
    if not token or len(token) > 64:
        return None
    return Link.objects.select_related("invitation").filter(token_hash=_hash(token)).first()


def check_link(link: Link | None, *, now=None) -> Invitation:
    """The invitation a link opens, or SurveyError: unknown, expired, or already answered."""
    if link is None:
        raise SurveyError(
            _("Este enlace no es válido. Revise que lo copió completo desde el mensaje recibido.")
        )
    if Response.objects.filter(invitation_id=link.invitation_id).exists():
        raise SurveyError(_("Esta encuesta ya fue respondida. ¡Gracias por su tiempo!"))
    if link.expires_at <= (now or timezone.now()):
        raise SurveyError(
            _("Este enlace venció. Si desea opinar, escriba al ITP y le enviaremos uno nuevo.")
        )
    return link.invitation


def survey_url(base_url: str, token: str) -> str:
    return base_url.rstrip("/") + reverse("surveys:answer", args=[token])


# --- satisfaction right after the service -----------------------------------------------


@dataclass
class SendSummary:
    invited: int = 0
    without_email: int = 0


def send_surveys(*, base_url: str, actor=None, since: date | None = None, now=None) -> SendSummary:
    """Invite the units of validated reports not yet invited (one invitation per service).

    The e-mail comes from the unit's contact data and stays in the back office. Units
    without an e-mail are counted; a paper form can be printed for them.
    """
    now = now or timezone.now()
    since = since or (now.date() - timedelta(days=settings.SURVEY_SEND_WINDOW_DAYS))
    invited = Invitation.objects.filter(kind=Kind.SATISFACTION).values("report_id", "unit_id")
    done = {(row["report_id"], row["unit_id"]) for row in invited}
    services = (
        Service.objects.filter(report__status=ReportStatus.VALIDATED, report__end_date__gte=since)
        .select_related("report", "unit")
        .order_by("report_id", "unit_id")
    )
    summary = SendSummary()
    for service in services:
        if (service.report_id, service.unit_id) in done:
            continue
        if not service.unit.email:
            summary.without_email += 1
            continue
        _invite(service, base_url=base_url, actor=actor, now=now)
        summary.invited += 1
    return summary


def _invite(service: Service, *, base_url: str, actor, now) -> None:
    with transaction.atomic():
        invitation = Invitation.objects.create(
            kind=Kind.SATISFACTION,
            report=service.report,
            unit=service.unit,
            center=service.report.center,
            email=service.unit.email,
        )
    _mail_link(invitation, base_url=base_url, actor=actor, now=now)


def _mail_link(invitation: Invitation, *, base_url: str, actor, now) -> None:
    with transaction.atomic():
        token = issue_link(invitation=invitation, channel=Link.Channel.EMAIL, now=now)
        SurveyEvent.objects.create(
            action=SurveyEvent.Action.INVITE,
            actor=actor,
            wave=invitation.wave,
            invitation=invitation,
        )
    send_mail(
        _("Su opinión sobre el servicio del CITE"),
        _(
            "Gracias por usar los servicios de la red CITE. Su opinión nos ayuda a mejorar.\n"
            "Responder toma 2 minutos y es voluntario: no afecta ningún servicio.\n\n%(url)s\n\n"
            "El enlace es personal, sirve una sola vez y vence en %(days)s días."
        )
        % {"url": survey_url(base_url, token), "days": settings.SURVEY_LINK_DAYS},
        None,
        [invitation.email],
    )
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=now)
    ContactAttempt.objects.create(
        invitation=invitation, actor=actor, channel="correo", outcome=ContactAttempt.Outcome.SENT
    )


def send_wave_links(*, wave: Wave, base_url: str, actor) -> int:
    """E-mail its link to every sampled unit of a drawn wave that has an e-mail and none yet."""
    now = timezone.now()
    pending = Invitation.objects.filter(wave=wave, sent_at__isnull=True, response__isnull=True)
    sent = 0
    for invitation in pending.select_related("unit"):
        if invitation.unit.email:
            invitation.email = invitation.unit.email
            Invitation.objects.filter(pk=invitation.pk).update(email=invitation.email)
            _mail_link(invitation, base_url=base_url, actor=actor, now=now)
            sent += 1
    return sent


def paper_form(*, invitation: Invitation, actor) -> str:
    """A new link for the printed form (its QR code); the e-mailed link stays valid."""
    check_may_answer_for(actor, center=invitation.center)
    with transaction.atomic():
        token = issue_link(invitation=invitation, channel=Link.Channel.PAPER)
        SurveyEvent.objects.create(
            action=SurveyEvent.Action.PAPER, actor=actor, invitation=invitation
        )
    return token


# --- answers --------------------------------------------------------------------------


def submit_by_link(*, token: str, data: dict, now=None) -> Response:
    """The unit answers through its link: stored once, all or nothing."""
    with transaction.atomic():
        link = find_link(token)
        if link is not None:  # serialise two submissions of the same invitation
            Invitation.objects.select_for_update().filter(pk=link.invitation_id).first()
        invitation = check_link(link, now=now)
        return _store(invitation, data, channel=Channel.LINK, actor=None)


def record_answer(*, invitation: Invitation, data: dict, channel: str, actor) -> Response:
    """National staff key in a paper form or a phone interview (never the serving center)."""
    check_may_answer_for(actor, center=invitation.center)
    if channel not in (Channel.PAPER, Channel.PHONE):
        raise SurveyError(_("Medio no válido: elija papel o teléfono."))
    with transaction.atomic():
        Invitation.objects.select_for_update().filter(pk=invitation.pk).first()
        if Response.objects.filter(invitation=invitation).exists():
            raise SurveyError(_("Esta encuesta ya tiene una respuesta registrada."))
        return _store(invitation, data, channel=channel, actor=actor)


def _store(invitation: Invitation, data: dict, *, channel: str, actor) -> Response:
    values = {key: value for key, value in data.items() if key in ANSWER_FIELDS}
    response = Response(invitation=invitation, channel=channel, entered_by=actor, **values)
    if data.get("evidence"):
        response.evidence = data["evidence"]
    try:
        response.full_clean()
    except ValidationError as error:
        raise SurveyError(_("Respuesta no válida: %s") % "; ".join(error.messages)) from error
    try:
        with transaction.atomic():
            response.save()
    except IntegrityError as error:
        raise SurveyError(_("Esta encuesta ya fue respondida. ¡Gracias por su tiempo!")) from error
    SurveyEvent.objects.create(
        action=SurveyEvent.Action.ANSWER,
        actor=actor,
        wave=invitation.wave,
        invitation=invitation,
        detail={"medio": channel},
    )
    return response


# --- follow-up waves -------------------------------------------------------------------


@transaction.atomic
def draw_wave(*, wave: Wave, actor, seed: int | None = None, today: date | None = None) -> Wave:
    """Draw the wave's stratified sample once, with a recorded seed (same seed, same draw)."""
    wave = Wave.objects.select_for_update().get(pk=wave.pk)
    if wave.drawn_at is not None:
        raise SurveyError(_("Esta ola ya fue sorteada el %s.") % wave.drawn_at.date())
    today = today or timezone.now().date()
    strata = sampling.frame(
        served_from=wave.served_from,
        served_to=wave.served_to,
        excluded_units=recently_surveyed(today=today, months=wave.exclude_months),
    )
    if not strata:
        raise SurveyError(
            _(
                "No hay unidades elegibles: ningún informe validado terminó entre %(a)s y %(b)s "
                "(o todas sus unidades fueron encuestadas en los últimos %(m)s meses). "
                "Revise el periodo de la ola."
            )
            % {"a": wave.served_from, "b": wave.served_to, "m": wave.exclude_months}
        )
    wave.seed = seed if seed is not None else secrets.randbits(48)
    sample = sampling.plan(strata, margin=float(wave.margin), seed=wave.seed)
    for frame_stratum in strata:
        chosen = sample[(frame_stratum.center_id, frame_stratum.chain_id)]
        stratum = Stratum.objects.create(
            wave=wave,
            center_id=frame_stratum.center_id,
            chain_id=frame_stratum.chain_id,
            population=len(frame_stratum.units),
            sample_size=len(chosen),
        )
        Invitation.objects.bulk_create(
            Invitation(
                kind=Kind.FOLLOW_UP,
                wave=wave,
                stratum=stratum,
                report_id=frame_stratum.units[unit_id],
                unit_id=unit_id,
                center_id=frame_stratum.center_id,
            )
            for unit_id in chosen
        )
    wave.drawn_by, wave.drawn_at = actor, timezone.now()
    wave.save(update_fields=["seed", "drawn_by", "drawn_at"])
    SurveyEvent.objects.create(
        action=SurveyEvent.Action.DRAW,
        actor=actor,
        wave=wave,
        detail={
            "semilla": wave.seed,
            "estratos": len(strata),
            "poblacion": sum(len(s.units) for s in strata),
            "muestra": sum(len(ids) for ids in sample.values()),
        },
    )
    return wave


def recently_surveyed(*, today: date, months: int) -> set[int]:
    """Units invited to a follow-up in the last `months` months (left out of a new frame)."""
    if months <= 0:
        return set()
    since = sampling.months_ago(today, months)
    return set(
        Invitation.objects.filter(kind=Kind.FOLLOW_UP, created_at__date__gte=since).values_list(
            "unit_id", flat=True
        )
    )


def log_contact(*, invitation: Invitation, actor, channel: str, outcome: str, note: str = ""):
    """A contact attempt (phone call, e-mail, visit): who, whom, when, what happened."""
    check_may_answer_for(actor, center=invitation.center)
    if outcome not in ContactAttempt.Outcome.values:
        raise SurveyError(_("Resultado de contacto no válido."))
    with transaction.atomic():
        attempt = ContactAttempt.objects.create(
            invitation=invitation, actor=actor, channel=channel[:10], outcome=outcome, note=note
        )
        SurveyEvent.objects.create(
            action=SurveyEvent.Action.CONTACT,
            actor=actor,
            wave=invitation.wave,
            invitation=invitation,
            detail={"medio": channel[:10], "resultado": outcome},
        )
    return attempt
