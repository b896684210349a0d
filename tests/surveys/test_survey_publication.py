"""Published survey results: aggregates only, with n, response rate and interval, never a
respondent's name, document, contact or comment; nothing under the minimum of respondents."""

import json
from datetime import date

import pytest
from tests.surveys.survey_world import person, served

from citesmart.analytics import refresh
from citesmart.network.models import Center
from citesmart.surveys import actions
from citesmart.surveys.models import Channel, Invitation

pytestmark = pytest.mark.django_db

SCORES = {"q_attention": 5, "q_timeliness": 4, "q_quality": 4, "q_staff": 5, "q_usefulness": 4}


@pytest.fixture
def answered(center_a, center_b, national_admin, settings, read_model):
    """Center A: 14 answers of 20 invitations; center B: 3 answers (under the minimum);
    center C: 11 of 12 (its complement: the year's total minus A and C would give B)."""
    settings.SURVEY_MIN_RESPONDENTS = 10
    secrets = []
    center_c = third_center(center_a, center_b)
    for center, invited in ((center_a, 20), (center_b, 6), (center_c, 12)):
        for i in range(invited):
            name = f"Eulalia Condori Ticona {center.pk}-{i}"
            unit = person(name, email=f"eulalia.{center.pk}.{i}@correo.pe")
            served(center, [unit], end=date(2025, 2, 10))
            secrets += [name, unit.document_number, unit.email]
    actions.send_surveys(base_url="https://x", since=date(2025, 1, 1))
    for center, answers in ((center_a, 14), (center_b, 3), (center_c, 11)):
        for n, invitation in enumerate(Invitation.objects.filter(center=center)[:answers]):
            comment = f"El técnico Wilfredo Ccama me ayudó mucho {center.pk}-{n}"
            secrets.append(comment)
            actions.record_answer(
                invitation=invitation,
                data=SCORES | {"recommend": n % 5 != 0, "comment": comment},
                channel=Channel.PHONE,
                actor=national_admin,
            )
    return secrets


def third_center(center_a, center_b):
    return Center.objects.exclude(pk__in=[center_a.pk, center_b.pk]).order_by("code").first()


def rows(client, **params):
    return {r["codigo"]: r for r in client.get("/resultados.json", params).json()["filas"]}


def test_results_show_interval_n_and_response_rate_above_the_minimum(
    answered, client, center_a, center_b
):
    by_center = rows(client, indicador="recomiendan", por="centro")
    a, b = by_center[center_a.code], by_center[center_b.code]
    assert (a["muestra"], a["respondentes"], a["tasa_respuesta"]) == (20, 14, 0.7)
    assert a["proporcion"] == round(11 / 14, 4)  # one in five answers "no" (n = 0, 5, 10)
    assert a["ic95_inferior"] < a["proporcion"] < a["ic95_superior"] <= 1
    assert b["suprimido"] and b["proporcion"] is None and b["ic95_inferior"] is None
    # A suppressed row keeps its sample, never its respondents nor its response rate.
    assert (b["muestra"], b["respondentes"], b["tasa_respuesta"]) == (6, None, None)
    c = by_center[third_center(center_a, center_b).code]  # the complementary suppression
    assert c["suprimido"] and c["proporcion"] is None and c["respondentes"] is None


def test_no_public_output_names_a_respondent_or_quotes_a_comment(
    answered, client, read_model, center_a, center_b
):
    refresh.rebuild()
    outputs = []
    for indicator in ("satisfechos", "recomiendan"):
        for by in ("centro", "cadena", "categoria", "programa", "anio"):
            params = {"indicador": indicator, "por": by}
            outputs.append(client.get("/resultados/", params))
            outputs.append(client.get("/resultados.json", params))
            outputs.append(client.get("/datos/encuestas/resultados.csv", params))
            outputs.append(client.get("/api/v1/encuestas/resultados", params))
    outputs += [client.get(f"/centros/{c.code}/") for c in (center_a, center_b)]
    assert all(o.status_code == 200 for o in outputs)
    text = "\n".join(o.content.decode() for o in outputs)
    assert "Recomendarían el servicio" in text  # the center page shows the figures
    for secret in answered:
        assert secret not in text, secret
    assert "Wilfredo" not in text and "Eulalia" not in text and "@correo.pe" not in text


def test_the_api_and_the_portal_say_the_same(answered, client, center_a):
    api = client.get("/api/v1/encuestas/resultados", {"indicador": "satisfechos"}).json()
    portal = client.get("/resultados.json", {"indicador": "satisfechos"}).json()["filas"]
    assert api == portal
    assert json.loads(json.dumps(api))[0]["indicador"] == "satisfechos"


def test_a_centers_manager_sees_the_public_aggregates_only(
    answered, client_for, manager_a, center_a
):
    client = client_for(manager_a)
    assert rows(client, indicador="recomiendan")[center_a.code]["respondentes"] == 14
    invitation = Invitation.objects.filter(center=center_a, response__isnull=False).first()
    assert client.get("/admin/encuestas/").status_code == 403
    assert client.get(f"/admin/encuestas/invitaciones/{invitation.pk}/").status_code == 403
    assert client.get("/admin/surveys/wave/").status_code == 403


def test_a_year_is_a_domain_of_its_own(answered, client):
    by_year = rows(client, indicador="recomiendan", por="anio")
    assert list(by_year) == ["2025"]
    assert (by_year["2025"]["muestra"], by_year["2025"]["respondentes"]) == (38, 28)
    assert rows(client, indicador="recomiendan", por="centro", anio="2024") == {}
    assert len(rows(client, indicador="recomiendan", por="centro", anio="2025")) == 3


def test_the_open_data_release_holds_the_same_results_and_no_respondent(
    answered, client, read_model, settings, tmp_path
):
    import csv

    from citesmart.opendata import publish

    settings.OPENDATA_DIR = tmp_path / "opendata"
    settings.OPENDATA_PSEUDONYM_KEY = "clave-de-prueba-de-seudonimos"
    refresh.rebuild()
    folder, manifest = publish.publish()
    text = "\n".join(path.read_text(encoding="utf-8-sig") for path in folder.glob("*.csv"))
    for secret in answered:
        assert secret not in text, secret
    with (folder / "encuestas.csv").open(encoding="utf-8-sig", newline="") as stream:
        published = list(csv.DictReader(stream))
    for by in ("centro", "anio"):
        api = client.get("/api/v1/encuestas/resultados", {"indicador": "recomiendan", "por": by})
        in_file = [r for r in published if (r["indicador"], r["desglose"]) == ("recomiendan", by)]
        assert [r["codigo"] for r in in_file] == [r["codigo"] for r in api.json()]
        for row, answer in zip(in_file, api.json(), strict=True):
            assert row["respondentes"] == (
                "" if answer["respondentes"] is None else str(answer["respondentes"])
            )
            assert row["proporcion"] == (
                "" if answer["proporcion"] is None else str(answer["proporcion"])
            )
            assert row["reservado"] == str(answer["suprimido"]).lower()
    assert manifest["resources"]["encuestas"]["rows"] == len(published) > 0
    package = (folder / "datapackage.json").read_text(encoding="utf-8")
    assert '"encuestas"' in package and "intervalo de confianza al 95 %" in package
