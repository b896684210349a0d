"""Satisfaction right after the service: invitations, the single-use link, paper answers."""

import gzip
import re
from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.utils import timezone
from tests.surveys.survey_world import person, served

from citesmart.records.models import ReportStatus
from citesmart.surveys import actions
from citesmart.surveys.models import Channel, Invitation, Link, Response, SurveyEvent

pytestmark = pytest.mark.django_db

GOOD = {
    "q_attention": "5",
    "q_timeliness": "4",
    "q_quality": "5",
    "q_staff": "4",
    "q_usefulness": "5",
    "recommend": "si",
    "comment": "Muy buen trato del ingeniero.",
}


@pytest.fixture
def recent(center_a):
    """A validated report of last week with two units, one without e-mail."""
    end = timezone.now().date() - timedelta(days=7)
    with_mail = person("Rosa Quispe Mamani", email="rosa@example.pe")
    no_mail = person("Juan Pérez Huamán")
    return served(center_a, [with_mail, no_mail], end=end)


def invite(base="https://citesmart.example") -> str:
    """Send the surveys; the token is read from the e-mail, as the unit would."""
    mail.outbox.clear()
    actions.send_surveys(base_url=base)
    return re.search(r"/encuesta/([\w-]+)/", mail.outbox[-1].body).group(1)


def test_send_surveys_invites_units_of_validated_reports_once(recent, center_a):
    registered = served(
        center_a,
        [person("Otra", email="otra@example.pe")],
        end=recent.end_date,
        status=ReportStatus.REGISTERED,
    )
    first = actions.send_surveys(base_url="https://x")
    again = actions.send_surveys(base_url="https://x")
    assert (first.invited, first.without_email) == (1, 1)
    assert again.invited == 0
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["rosa@example.pe"]
    assert "voluntario" in mail.outbox[0].body
    assert not Invitation.objects.filter(report=registered).exists()
    assert SurveyEvent.objects.filter(action="invitacion").count() == 1


def test_the_command_sends_and_says_how_many(recent, capsys):
    call_command("send_surveys", "--base-url", "https://citesmart.example")
    assert "Invitaciones enviadas: 1; sin correo: 1." in capsys.readouterr().out


def test_links_carry_at_least_128_random_bits_and_only_their_hash_is_kept(recent):
    token = invite()
    assert len(token) >= 32  # 24 bytes urlsafe = 192 bits
    link = Link.objects.get()
    assert token not in link.token_hash and len(link.token_hash) == 64


def test_the_unit_answers_once_on_a_phone_first_page(recent, client):
    token = invite()
    page = client.get(f"/encuesta/{token}/", HTTP_ACCEPT_ENCODING="gzip")
    assert page.status_code == 200
    html = gzip.decompress(page.content) if page.get("Content-Encoding") == "gzip" else page.content
    assert len(page.content) <= 30 * 1024
    text = html.decode()
    assert "¿Recomendaría el servicio?" in text and "<script" not in text
    assert 'name="viewport"' in text
    answered = client.post(f"/encuesta/{token}/", GOOD)
    assert answered.status_code == 302 and answered["Location"] == "/encuesta/gracias/"
    response = Response.objects.get()
    assert (response.channel, response.q_attention, response.recommend) == (Channel.LINK, 5, True)
    again = client.post(f"/encuesta/{token}/", GOOD)
    assert again.status_code == 410
    assert "ya fue respondida" in again.content.decode()
    assert Response.objects.count() == 1


def test_out_of_range_answers_are_refused_in_spanish_and_nothing_is_written(recent, client):
    token = invite()
    page = client.post(f"/encuesta/{token}/", GOOD | {"q_quality": "7", "recommend": ""})
    assert page.status_code == 400
    text = page.content.decode()
    assert "La respuesta debe ser un número del 1 al 5." in text
    assert "Elija «Sí» o «No»." in text
    assert not Response.objects.exists()


def test_the_action_refuses_a_score_out_of_range_even_past_the_form(recent):
    token = invite()
    data = {k: int(v) for k, v in GOOD.items() if k.startswith("q_")} | {"q_staff": 9}
    with pytest.raises(actions.SurveyError, match="Respuesta no válida"):
        actions.submit_by_link(token=token, data=data)
    assert not Response.objects.exists() and not SurveyEvent.objects.filter(action="respuesta")


def test_an_expired_or_unknown_link_says_so(recent, client):
    token = invite()
    Link.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    expired = client.get(f"/encuesta/{token}/")
    assert expired.status_code == 410 and "venció" in expired.content.decode()
    unknown = client.get("/encuesta/" + "A" * 32 + "/")
    assert unknown.status_code == 404 and "no es válido" in unknown.content.decode()


def test_link_guessing_is_rate_limited(recent, client, settings):
    settings.SURVEY_REQUESTS_PER_MINUTE = 5
    codes = [client.get(f"/encuesta/adivina{i}/").status_code for i in range(7)]
    assert codes[:5] == [404] * 5 and codes[5:] == [429, 429]
    assert "Demasiados intentos" in client.get("/encuesta/x/").content.decode()


def test_paper_form_has_a_qr_code_and_national_staff_key_it_in_as_paper(
    recent, client_for, national_admin
):
    token = invite()
    invitation = Invitation.objects.get()
    client = client_for(national_admin)
    printed = client.post(f"/admin/encuestas/invitaciones/{invitation.pk}/papel/")
    assert printed.status_code == 200
    text = printed.content.decode()
    assert "<svg" in text and "/encuesta/" in text
    assert Link.objects.filter(channel="papel").count() == 1
    data = {f"r-{k}": v for k, v in GOOD.items()} | {"medio": "papel"}
    saved = client.post(f"/admin/encuestas/invitaciones/{invitation.pk}/", data)
    assert saved.status_code == 302
    response = Response.objects.get()
    assert response.channel == Channel.PAPER and response.entered_by == national_admin
    twice = client.post(f"/admin/encuestas/invitaciones/{invitation.pk}/", data)
    assert "ya tiene una respuesta" in twice.content.decode()
    # The e-mailed link is used up as well: one answer per invitation, whatever the door.
    assert client.get(f"/encuesta/{token}/").status_code == 410
    assert Response.objects.count() == 1


@pytest.mark.parametrize("who", ["operator_a", "manager_a", "analyst"])
def test_only_national_administrators_key_in_answers(recent, client_for, request, who):
    actions.send_surveys(base_url="https://x")
    invitation = Invitation.objects.get()
    user = request.getfixturevalue(who)
    data = {f"r-{k}": v for k, v in GOOD.items()} | {"medio": "papel"}
    answer = client_for(user).post(f"/admin/encuestas/invitaciones/{invitation.pk}/", data)
    assert answer.status_code == 403
    assert not Response.objects.exists()


def test_the_serving_centers_staff_are_refused_at_the_action_too(recent, operator_a, manager_b):
    actions.send_surveys(base_url="https://x")
    invitation = Invitation.objects.get()
    with pytest.raises(PermissionDenied, match="centro que prestó el servicio"):
        actions.record_answer(
            invitation=invitation, data={}, channel=Channel.PHONE, actor=operator_a
        )
    with pytest.raises(PermissionDenied, match="personal nacional"):
        actions.log_contact(
            invitation=invitation, actor=manager_b, channel="telefono", outcome="rechaza"
        )
    assert not Response.objects.exists()


def test_sending_surveys_never_changes_the_report(recent):
    before = (recent.status, recent.updated_at)
    invite()
    recent.refresh_from_db()
    assert (recent.status, recent.updated_at) == before
    assert date.today() >= recent.end_date
