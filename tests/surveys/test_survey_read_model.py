"""Survey estimates come from the analytics read model (its `survey_units` table): they equal
an independent computation from the database, follow a new answer once the model is
refreshed, are reconciled by `analytics check`, and the table holds nobody's personal data."""

# SQL here names the read model's table, a constant.
# ruff: noqa: S608

import gc
from collections import Counter
from datetime import date

import duckdb
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection as database
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from tests.surveys.survey_world import person, served

from citesmart.analytics import conf, connection, push, refresh, surveyunits
from citesmart.analytics.estimates import Unit, estimate
from citesmart.network.models import Chain
from citesmart.opendata.survey_resources import survey_results as open_data_rows
from citesmart.surveys import actions
from citesmart.surveys.indicators import INDICATORS
from citesmart.surveys.models import Channel, Invitation, Response, Stratum, Wave

pytestmark = pytest.mark.django_db

SCORES = {"q_attention": 5, "q_timeliness": 4, "q_quality": 2, "q_staff": 5, "q_usefulness": 4}
MINIMUM = 3


@pytest.fixture
def world(center_a, center_b, national_admin, settings, read_model):
    """Satisfaction over two years and two chains, and a drawn follow-up wave, both with
    non-response; returns every personal text the survey tables hold."""
    settings.SURVEY_MIN_RESPONDENTS = MINIMUM
    chains = list(Chain.objects.order_by("code")[:2])
    secrets = []
    for n in range(36):
        center = center_a if n % 3 else center_b
        name, email = f"Fortunata Quispe Mamani {n}", f"fortunata.{n}@correo.pe"
        unit = person(name, email=email)
        end = date(2024 + n % 2, 9, 1 + n % 27)
        served(center, [unit], end=end, chain=chains[n % 2] if n % 5 else None)
        secrets += [name, unit.document_number, email]
    actions.send_surveys(base_url="https://x", since=date(2024, 1, 1))
    wave = Wave.objects.create(
        name="Seguimiento 2024",
        months_after=12,
        served_from=date(2024, 1, 1),
        served_to=date(2024, 12, 31),
        margin=0.3,
    )
    actions.draw_wave(wave=wave, actor=national_admin, seed=5, today=date(2025, 9, 1))
    for n, invitation in enumerate(Invitation.objects.order_by("pk")):
        if n % 4 == 3:
            continue  # non-response
        comment = f"Me atendió la ingeniera Rosalía Huamán {n}"
        secrets.append(comment)
        follow_up = {"improved": n % 3 != 0, "new_product": n % 2 == 0, "sales_change": "mas25"}
        data = follow_up if invitation.wave_id else SCORES | {"recommend": n % 6 != 0}
        actions.record_answer(
            invitation=invitation,
            data=data | {"comment": comment},
            channel=Channel.PHONE,
            actor=national_admin,
        )
    assert Stratum.objects.filter(wave=wave).count() >= 2
    return secrets


def from_database(
    indicator: str, by: str, year: int | None = None, minimum: int = MINIMUM
) -> dict[str, tuple]:
    """The method of docs/SURVEYS.md over the database's tables, without the read model."""
    kind, _label, value_of = INDICATORS[indicator]
    invitations = list(
        Invitation.objects.filter(kind=kind)
        .filter(Q(wave__isnull=True) | Q(wave__drawn_at__isnull=False))
        .select_related("center", "stratum", "report__chain", "report__category")
    )
    answers = {r.invitation_id: r for r in Response.objects.all()}
    census = Counter(
        (i.center_id, i.report.end_date.year) for i in invitations if i.stratum is None
    )
    populations, units = {}, []
    for i in invitations:
        key = i.stratum_id or (i.center_id, i.report.end_date.year)
        populations[key] = i.stratum.population if i.stratum else census[key]
        code = {
            "centro": i.center.code,
            "cadena": i.report.chain.code if i.report.chain else None,
            "categoria": i.report.category.code,
            "anio": str(i.report.end_date.year),
        }[by]
        in_year = year is None or i.report.end_date.year == year
        value = value_of(answers[i.pk]) if i.pk in answers else None
        units.append((key, code if in_year else None, value))
    found = {}
    for domain in sorted({code for _, code, _ in units if code is not None}):
        sample = [Unit(key, value, code == domain) for key, code, value in units]
        result = estimate(sample, populations, minimum=minimum)
        found[domain] = (result.sampled, result.respondents, result.proportion, result.low)
    return found


def published(client, indicator: str, by: str, year: int | None = None) -> dict[str, tuple]:
    params = {"indicador": indicator, "por": by} | ({"anio": year} if year else {})
    answer = client.get("/api/v1/encuestas/resultados", params)
    assert answer.status_code == 200
    return {
        r["codigo"]: (r["muestra"], r["respondentes"], r["proporcion"], r["ic95_inferior"])
        for r in answer.json()
    }


def assert_same(shown: dict, expected: dict) -> None:
    """Published rows equal the database's; a row under the minimum is suppressed, and so
    may be others (complementary suppression, test_survey_secrecy.py): those keep their
    sample only."""
    assert shown.keys() == expected.keys()
    for code, (sampled, respondents, proportion, low) in expected.items():
        assert shown[code][0] == sampled, code
        if shown[code][1] is None:
            assert shown[code][2:] == (None, None), code
            continue
        assert proportion is not None, code  # under the minimum: never shown
        assert shown[code][1] == respondents, code
        for got, want in ((shown[code][2], proportion), (shown[code][3], low)):
            assert (got is None) == (want is None), code
            assert want is None or got == pytest.approx(want, abs=1e-4), code


QUESTIONS = [
    ("recomiendan", "centro", None),
    ("satisfechos", "cadena", None),
    ("recomiendan", "anio", None),
    ("recomiendan", "centro", 2024),
    ("mejora_adoptada", "centro", None),
    ("producto_nuevo", "cadena", 2024),
    ("ventas_aumentaron", "categoria", None),
]


def test_published_figures_equal_the_database_and_follow_a_new_answer_after_a_refresh(
    world, client, settings, center_a, national_admin
):
    refresh.rebuild()
    for indicator, by, year in QUESTIONS:
        assert_same(published(client, indicator, by, year), from_database(indicator, by, year))
    # With a minimum of 1 nothing is suppressed: every figure follows the new answer.
    settings.SURVEY_MIN_RESPONDENTS = 1
    before = published(client, "recomiendan", "centro")[center_a.code]
    page = f"/centros/{center_a.code}/"
    assert f"<td>{before[1]} / {before[0]}</td>" in client.get(page).content.decode()
    # Without a refresh, the figures stay the read model's: they do not come from the tables.
    settings.ANALYTICS_AUTO_REFRESH = False
    waiting = Invitation.objects.filter(center=center_a, wave=None, response=None).first()
    actions.record_answer(
        invitation=waiting,
        data=SCORES | {"recommend": False},
        channel=Channel.PAPER,
        actor=national_admin,
    )
    assert published(client, "recomiendan", "centro")[center_a.code] == before
    assert refresh.refresh().kind == "refresh"  # the provider's version moved
    after = published(client, "recomiendan", "centro")[center_a.code]
    assert after[1] == before[1] + 1 and after[2] < before[2]
    # The center page (kept in the shared page cache) shows it too.
    assert f"<td>{after[1]} / {after[0]}</td>" in client.get(page).content.decode()
    for indicator, by, year in QUESTIONS:
        expected = from_database(indicator, by, year, minimum=1)
        assert_same(published(client, indicator, by, year), expected)


def test_the_survey_models_push_a_refresh():
    assert {Invitation, Response, Wave, Stratum} <= set(push.notifying_models())


def test_check_reconciles_the_survey_table_and_catches_a_tampered_one(world, capsys, center_a):
    call_command("analytics", "check")
    assert "encuestas" in capsys.readouterr().out
    path = connection.current_path(conf.directory())
    connection.forget_readers()  # closes this process's handle on the file
    gc.collect()
    with duckdb.connect(str(path)) as con:  # a copy that lost one answer
        con.execute(
            f"UPDATE {surveyunits.TABLE} SET responded = false WHERE rowid = "
            f"(SELECT min(rowid) FROM {surveyunits.TABLE} WHERE responded AND center_code = ? "
            "AND kind = 'satisfaccion')",
            [center_a.code],
        )
    connection.forget_readers()
    with pytest.raises(CommandError, match="1 diferencias"):
        call_command("analytics", "check")
    assert f"encuestas satisfaccion {center_a.code}" in capsys.readouterr().out
    refresh.rebuild()
    call_command("analytics", "check")


def test_the_survey_table_holds_no_personal_data(world):
    refresh.rebuild()
    reader = refresh.ensure_fresh()
    with reader.cursor() as cursor:
        columns = [row[0] for row in cursor.execute(f"DESCRIBE {surveyunits.TABLE}").fetchall()]
        rows = cursor.execute(f"SELECT * FROM {surveyunits.TABLE}").fetchall()
    indicators = [surveyunits.column(code) for code in INDICATORS]
    assert columns == [name for name, *_ in surveyunits.FIXED] + sorted(indicators)
    for word in ("unit", "document", "dni", "ruc", "email", "phone", "contact", "comment"):
        assert not [c for c in columns if word in c], word
    assert len(rows) == Invitation.objects.count()
    text = "\n".join(map(str, rows))
    for secret in world:
        assert secret not in text, secret


def test_the_open_data_reads_every_survey_result_at_once(world, settings):
    refresh.rebuild()
    with CaptureQueriesContext(database) as queries:
        rows = open_data_rows(None)
    assert len(rows) > len(INDICATORS)
    surveys = [q["sql"] for q in queries.captured_queries if "surveys_" in q["sql"]]
    assert len(surveys) <= 1, surveys  # the freshness check's version, not the answers


@pytest.mark.skipif(database.vendor != "postgresql", reason="LISTEN/NOTIFY is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_committed_answer_notifies_the_read_models_listener(center_a, national_admin):
    import psycopg

    served(center_a, [person("Teodora Apaza", email="teodora@correo.pe")], end=date(2025, 5, 2))
    actions.send_surveys(base_url="https://x", since=date(2025, 1, 1))
    invitation = Invitation.objects.get()
    params = database.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as listening:
        listening.execute(f"LISTEN {push.CHANNEL}")
        actions.record_answer(
            invitation=invitation, data=SCORES, channel=Channel.PHONE, actor=national_admin
        )
        tables = {n.payload for n in listening.notifies(timeout=0.5)}
    assert Response._meta.db_table in tables


def test_a_refresh_for_other_records_keeps_the_protected_survey_tables(
    world, client, center_a, monkeypatch
):
    """The protection of the survey figures (a few seconds on a large network) is computed
    again when the survey table changes, not after every import of services."""
    from citesmart.analytics import surveyresults

    refresh.rebuild()
    before = published(client, "recomiendan", "centro")
    released = []
    original = surveyresults._release
    monkeypatch.setattr(
        surveyresults, "_release", lambda *args: released.append(args[0]) or original(*args)
    )
    served(center_a, [person("Otra Persona Nueva")], end=date(2025, 10, 1))
    assert refresh.refresh().kind == "refresh"  # a new build, the same survey table
    assert published(client, "recomiendan", "centro") == before
    assert released == []


def test_the_warm_up_after_a_publication_protects_the_survey_results_before_a_visitor(
    world, client, center_a, monkeypatch, capsys
):
    """`analytics warm` (run by rebuild, refresh and the push listener after a publication)
    computes the protected survey results: the first visitor of a center page or of
    /resultados/ after new answers does not wait seconds for them."""
    from citesmart.analytics import surveyresults

    refresh.rebuild()
    call_command("analytics", "warm")
    assert "Resultados de encuestas precalculados" in capsys.readouterr().out
    released = []
    original = surveyresults._release
    monkeypatch.setattr(
        surveyresults, "_release", lambda *args: released.append(args[0]) or original(*args)
    )
    for page in (f"/centros/{center_a.code}/", "/resultados/"):
        assert client.get(page).status_code == 200
    assert released == []
