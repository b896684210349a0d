"""Follow-up waves: the seeded stratified draw, exclusions, contacts and the audit trail."""

from datetime import date

import pytest
from django.core import mail
from django.db import transaction
from tests.surveys.survey_world import person, served

from citesmart.network.models import Chain
from citesmart.surveys import actions, sampling
from citesmart.surveys.models import (
    ContactAttempt,
    Invitation,
    Response,
    Stratum,
    SurveyEvent,
    Wave,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def population(center_a, center_b):
    """70 units served in 2024 by two centers, center A in two chains."""
    chains = list(Chain.objects.order_by("code")[:2])
    for i in range(30):
        served(
            center_a,
            [person(f"Productora A{i}", email=f"a{i}@example.pe")],
            end=date(2024, 3, 1 + i % 28),
            chain=chains[i % 2],
        )
    for i in range(40):
        served(center_b, [person(f"Productora B{i}")], end=date(2024, 5, 1 + i % 28))


def new_wave(**fields) -> Wave:
    values = {
        "name": "Seguimiento 12 meses 2024",
        "months_after": 12,
        "served_from": date(2024, 1, 1),
        "served_to": date(2024, 12, 31),
        "margin": 0.15,
    }
    return Wave.objects.create(**values | fields)


def drawn_units(wave: Wave, seed: int, actor) -> list[int]:
    """Draw and forget (rolled back): the sample a seed gives."""
    with transaction.atomic():
        actions.draw_wave(wave=wave, actor=actor, seed=seed, today=date(2025, 6, 1))
        units = sorted(Invitation.objects.filter(wave=wave).values_list("unit_id", flat=True))
        transaction.set_rollback(True)
    return units


def test_the_same_seed_gives_the_same_draw_and_another_seed_another(population, national_admin):
    wave = new_wave()
    first = drawn_units(wave, 4242, national_admin)
    assert first == drawn_units(wave, 4242, national_admin)
    assert first != drawn_units(wave, 7, national_admin)


def test_strata_are_center_by_chain_with_sizes_from_the_margin(population, national_admin):
    wave = actions.draw_wave(wave=new_wave(), actor=national_admin, seed=1, today=date(2025, 6, 1))
    strata = list(Stratum.objects.filter(wave=wave))
    assert len(strata) == 3  # center A × 2 chains, center B × no chain
    assert sorted(s.population for s in strata) == [15, 15, 40]
    center_b = next(s for s in strata if s.population == 40)
    assert center_b.sample_size == sampling.required_sample(40, 0.15)
    a_total = sum(s.sample_size for s in strata if s.population == 15)
    assert a_total >= sampling.required_sample(30, 0.15)
    for stratum in strata:
        assert stratum.invitations.count() == stratum.sample_size <= stratum.population
    assert wave.seed == 1 and wave.drawn_by == national_admin


def test_a_drawn_wave_cannot_be_drawn_again(population, national_admin):
    wave = actions.draw_wave(wave=new_wave(), actor=national_admin, seed=1)
    with pytest.raises(actions.SurveyError, match="ya fue sorteada"):
        actions.draw_wave(wave=wave, actor=national_admin, seed=2)


def test_a_wave_without_eligible_units_says_so_and_writes_nothing(
    population, client_for, national_admin
):
    wave = new_wave(served_from=date(2019, 1, 1), served_to=date(2019, 12, 31))
    page = client_for(national_admin).post(f"/admin/encuestas/olas/{wave.pk}/", {}, follow=True)
    assert "No hay unidades elegibles" in page.content.decode()
    wave.refresh_from_db()
    assert wave.drawn_at is None and wave.seed is None
    assert not Stratum.objects.exists() and not Invitation.objects.exists()


def test_units_surveyed_recently_are_left_out(population, national_admin):
    first = actions.draw_wave(wave=new_wave(margin=0.05), actor=national_admin, seed=3)
    surveyed = set(Invitation.objects.filter(wave=first).values_list("unit_id", flat=True))
    second = actions.draw_wave(wave=new_wave(name="Otra"), actor=national_admin, seed=3)
    again = set(Invitation.objects.filter(wave=second).values_list("unit_id", flat=True))
    assert surveyed and not (surveyed & again)


def test_the_audit_trail_shows_who_drew_who_contacted_whom_and_when(
    population, client_for, national_admin
):
    wave = new_wave()
    client = client_for(national_admin)
    client.post(f"/admin/encuestas/olas/{wave.pk}/", {"semilla": "99"})
    draw = SurveyEvent.objects.get(action="sorteo")
    assert (draw.actor, draw.wave, draw.detail["semilla"]) == (national_admin, wave, 99)
    invitation = Invitation.objects.filter(wave=wave).first()
    client.post(
        f"/admin/encuestas/invitaciones/{invitation.pk}/",
        {"accion": "contacto", "medio": "telefono", "resultado": "sin_respuesta", "nota": "buzón"},
    )
    attempt = ContactAttempt.objects.get(invitation=invitation)
    assert (attempt.actor, attempt.outcome, attempt.channel) == (
        national_admin,
        "sin_respuesta",
        "telefono",
    )
    contact = SurveyEvent.objects.get(action="contacto")
    assert contact.invitation == invitation and contact.at is not None
    page = client.get(f"/admin/encuestas/olas/{wave.pk}/").content.decode()
    assert "99" in page and "Contacto" in page


def test_sampled_units_with_e_mail_get_their_link_and_answer_outcomes(
    population, client_for, national_admin, client
):
    wave = actions.draw_wave(wave=new_wave(), actor=national_admin, seed=5)
    sent = actions.send_wave_links(wave=wave, base_url="https://x", actor=national_admin)
    with_mail = Invitation.objects.filter(wave=wave, unit__email__gt="").count()
    assert sent == with_mail == len(mail.outbox) > 0
    token = mail.outbox[0].body.split("/encuesta/")[1].split("/")[0]
    form = {
        "improved": "si",
        "new_product": "no",
        "certification": "no",
        "new_market": "si",
        "sales_change": "hasta25",
        "jobs_change": "igual",
        "savings": "noaplica",
    }
    bad = client.post(f"/encuesta/{token}/", form | {"sales_change": "x1000"})
    assert bad.status_code == 400 and not Response.objects.exists()
    assert client.post(f"/encuesta/{token}/", form).status_code == 302
    response = Response.objects.get()
    assert (response.improved, response.sales_change) == (True, "hasta25")


@pytest.mark.parametrize("who", ["operator_a", "manager_a", "operator_b"])
def test_center_staff_see_no_sample_contact_or_answer(population, client_for, request, who):
    wave = actions.draw_wave(wave=new_wave(), actor=None, seed=5)
    invitation = Invitation.objects.filter(wave=wave).first()
    client = client_for(request.getfixturevalue(who))
    for path in [
        "/admin/encuestas/",
        f"/admin/encuestas/olas/{wave.pk}/",
        f"/admin/encuestas/invitaciones/{invitation.pk}/",
        f"/admin/encuestas/invitaciones/{invitation.pk}/papel/",
    ]:
        assert client.get(path).status_code == 403, path
    assert (
        client.post(
            f"/admin/encuestas/invitaciones/{invitation.pk}/",
            {"accion": "contacto", "resultado": "rechaza"},
        ).status_code
        == 403
    )
    assert not ContactAttempt.objects.exists()


def test_analysts_read_but_do_not_draw(population, client_for, analyst):
    wave = new_wave()
    client = client_for(analyst)
    assert client.get(f"/admin/encuestas/olas/{wave.pk}/").status_code == 200
    assert client.post(f"/admin/encuestas/olas/{wave.pk}/", {}).status_code == 403
    wave.refresh_from_db()
    assert wave.drawn_at is None


def test_national_staff_key_in_a_phone_answer_with_private_evidence(
    population, client_for, national_admin, client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    from django.core.files.uploadedfile import SimpleUploadedFile

    wave = actions.draw_wave(wave=new_wave(), actor=national_admin, seed=8)
    invitation = Invitation.objects.filter(wave=wave).first()
    form = {
        "r-improved": "si",
        "r-new_product": "si",
        "r-certification": "no",
        "r-new_market": "no",
        "r-sales_change": "mas25",
        "r-jobs_change": "hasta10",
        "r-savings": "hasta10",
        "medio": "telefono",
        "e-evidence": SimpleUploadedFile("factura.pdf", b"%PDF-1.4 evidencia", "application/pdf"),
    }
    page = client_for(national_admin).post(f"/admin/encuestas/invitaciones/{invitation.pk}/", form)
    assert page.status_code == 302
    response = Response.objects.get()
    assert (response.channel, response.entered_by) == ("telefono", national_admin)
    assert response.evidence.name.startswith("surveys/evidence/")
    assert (tmp_path / "media" / response.evidence.name).exists()
    assert client.get("/media/" + response.evidence.name).status_code == 404  # never served
