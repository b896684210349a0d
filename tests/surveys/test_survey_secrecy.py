"""Survey secrecy survives differencing: from the public API alone (every indicator, every
breakdown, with and without each year), subtracting published figures recovers no
suppressed one (docs/SURVEYS.md, "Secrecy"); every door suppresses the same rows."""

from datetime import date
from fractions import Fraction

import pytest
from tests.surveys.survey_world import person, served

from citesmart.analytics import refresh
from citesmart.analytics.surveysecrecy import Span, protect
from citesmart.network.models import Center, Chain
from citesmart.opendata.survey_resources import survey_results as open_data_rows
from citesmart.surveys import actions, queries
from citesmart.surveys.models import Channel, Invitation

pytestmark = pytest.mark.django_db

SCORES = {"q_attention": 5, "q_timeliness": 4, "q_quality": 4, "q_staff": 5, "q_usefulness": 2}
MINIMUM = 5
# center -> year -> (invited, answered): center A's 2025 has one respondent, its 2024 is
# published; center C's 2024 has two. The centers' totals and the years' are above it.
PLAN = {
    0: {2024: (10, 8), 2025: (3, 1)},
    1: {2024: (9, 8), 2025: (8, 7)},
    2: {2024: (4, 2), 2025: (7, 6)},
}


@pytest.fixture
def world(center_a, center_b, national_admin, settings, read_model):
    settings.SURVEY_MIN_RESPONDENTS = MINIMUM
    third = Center.objects.exclude(pk__in=[center_a.pk, center_b.pk]).order_by("code").first()
    centers = [center_a, center_b, third]
    chains = list(Chain.objects.order_by("code")[:2])
    answering = []
    for number, years in PLAN.items():
        for year, (invited, answered) in years.items():
            for n in range(invited):
                unit = person(f"Unidad {number}-{year}-{n}", email=f"u{number}.{year}.{n}@x.pe")
                report = served(
                    centers[number], [unit], end=date(year, 6, 1 + n), chain=chains[n % 2]
                )
                if n < answered:
                    answering.append(report.pk)
    actions.send_surveys(base_url="https://x", since=date(2024, 1, 1))
    for n, invitation in enumerate(Invitation.objects.filter(report__in=answering)):
        actions.record_answer(
            invitation=invitation,
            data=SCORES | {"recommend": n % 3 != 1},
            channel=Channel.PHONE,
            actor=national_admin,
        )
    refresh.rebuild()
    return centers


def everything(client) -> dict[tuple, dict]:
    """Every row the API gives: (indicator, breakdown, year or None, code) -> row."""
    years = [None] + [
        int(row["codigo"])
        for row in client.get("/api/v1/encuestas/resultados", {"por": "anio"}).json()
    ]
    found = {}
    for indicator in queries.INDICATORS:
        for by in queries.DIMENSIONS:
            for year in years:
                params = {"indicador": indicator, "por": by} | ({"anio": year} if year else {})
                answer = client.get("/api/v1/encuestas/resultados", params)
                assert answer.status_code == 200
                for row in answer.json():
                    found[(indicator, by, year, row["codigo"])] = row
    return found


def derivations(rows: dict[tuple, dict]):
    """The differencing equations, with the published sample as each figure's weight
    (exact for the satisfaction census, whose strata are center × year): yield the
    suppressed row and the proportion it would have if the equation held."""
    years = sorted({key[2] for key in rows if key[2] is not None})
    for (indicator, by, year, code), whole in rows.items():
        if whole["suprimido"]:
            continue
        if year is None and by != "anio":  # a domain's all years against its years
            parts = [rows.get((indicator, by, y, code)) for y in years]
            yield from _solve(whole, [p for p in parts if p])
        total = rows.get((indicator, "anio", year, str(year))) if year else None
        if by == "anio" and year is None:
            continue
        if year is None and not any(
            rows.get((indicator, "anio", None, str(y)), {}).get("suprimido", True) for y in years
        ):
            # The network's all-years total: the sum of the published years.
            total = _sum([rows[(indicator, "anio", None, str(y))] for y in years])
        if total is not None and not total["suprimido"] and (year is None or by != "anio"):
            table = [row for key, row in rows.items() if key[:3] == (indicator, by, year)]
            yield from _solve(total, table)


def _sum(rows: list[dict]) -> dict:
    sample = sum(r["muestra"] for r in rows)
    weighted = sum(r["proporcion"] * r["muestra"] for r in rows)
    return {"muestra": sample, "proporcion": weighted / sample, "suprimido": False}


def _solve(whole: dict, parts: list[dict]):
    hidden = [part for part in parts if part["suprimido"]]
    if len(hidden) != 1 or not hidden[0]["muestra"]:
        return
    known = sum(p["proporcion"] * p["muestra"] for p in parts if not p["suprimido"])
    yield hidden[0], (whole["proporcion"] * whole["muestra"] - known) / hidden[0]["muestra"]


def test_differencing_the_public_api_recovers_no_suppressed_figure(world, client, settings):
    public = everything(client)
    settings.SURVEY_MIN_RESPONDENTS = 0  # the truth: every figure, none suppressed
    truth = everything(client)
    assert public.keys() == truth.keys()
    center_a = world[0].code
    assert public[("recomiendan", "centro", 2025, center_a)]["suprimido"]
    assert truth[("recomiendan", "centro", 2025, center_a)]["respondentes"] == 1
    suppressed = {id(row): key for key, row in public.items() if row["suprimido"]}
    for row, derived in derivations(public):
        true = truth[suppressed[id(row)]]["proporcion"]
        assert derived != pytest.approx(true, abs=2e-3), suppressed[id(row)]
    # Under the minimum, a row shows its sample only: never how many answered.
    for key, row in public.items():
        if row["suprimido"]:
            assert row["respondentes"] is None and row["tasa_respuesta"] is None, key
            assert row["proporcion"] is None and row["ic95_inferior"] is None, key
            assert row["muestra"] == truth[key]["muestra"], key
        else:
            assert truth[key]["respondentes"] >= MINIMUM, key
            assert row["proporcion"] == truth[key]["proporcion"], key
    assert [key for key, row in public.items() if not row["suprimido"]]  # not all hidden


def computable(equations: list[dict], target: dict) -> bool:
    """Whether `target` (unknown -> coefficient) is a linear combination of the equations'
    left-hand sides: exact Gaussian elimination over the rationals."""
    rows: dict = {}  # pivot -> row, 1 at its pivot, 0 at the earlier rows' pivots

    def reduce(vector: dict) -> dict:
        vector = {key: Fraction(value) for key, value in vector.items()}
        for pivot, row in rows.items():
            if factor := vector.get(pivot, 0):
                for key, value in row.items():
                    vector[key] = vector.get(key, 0) - factor * value
        return {key: value for key, value in vector.items() if value}

    for equation in equations:
        if left := reduce(equation):
            pivot = min(left)
            rows[pivot] = {key: value / left[pivot] for key, value in left.items()}
    return not reduce(target)


def test_no_suppressed_center_or_center_year_is_in_the_span_of_the_public_figures(
    world, client, settings
):
    """The census's strata are center × year, so every published figure by center or by
    year gives the weighted 1s (proportion × sample) of a sum of strata: no suppressed
    center, center-year or year is a combination of them (nor the grand total's parts)."""
    public = everything(client)
    settings.SURVEY_MIN_RESPONDENTS = 0
    truth = everything(client)
    for indicator in ("satisfechos", "recomiendan"):
        cells = {(key[3], key[2]) for key in public if key[:2] == (indicator, "centro") and key[2]}
        equations = []
        targets = []
        for (ind, by, year, code), row in public.items():
            if ind != indicator or by not in ("centro", "anio"):
                continue
            if by == "centro":
                vector = {(code, y): 1 for c, y in cells if c == code and year in (None, y)}
            else:
                vector = {(c, y): 1 for c, y in cells if y == int(code)}
            if not row["suprimido"]:
                equations.append(vector)
            elif truth[(ind, by, year, code)]["respondentes"]:
                targets.append(((ind, by, year, code), vector))
        assert targets
        for key, vector in targets:
            assert not computable(equations, vector), key


def test_every_door_suppresses_the_same_rows(world, client):
    api = {}
    for indicator in queries.INDICATORS:
        for by in queries.DIMENSIONS:
            params = {"indicador": indicator, "por": by}
            for row in client.get("/api/v1/encuestas/resultados", params).json():
                api[(indicator, by, row["codigo"])] = row
            portal = client.get("/resultados.json", params).json()["filas"]
            assert portal == [v for k, v in api.items() if k[:2] == (indicator, by)]
    files = {(r["indicador"], r["desglose"], r["codigo"]): r for r in open_data_rows(None)}
    assert files.keys() == api.keys()
    for key, row in files.items():
        assert row["reservado"] == api[key]["suprimido"], key
        assert row["respondentes"] == api[key]["respondentes"], key
    for center in world:
        page = client.get(f"/centros/{center.code}/").content.decode()
        row = api[("recomiendan", "centro", center.code)]
        shown = f"<td>{row['respondentes']} / {row['muestra']}</td>"
        assert (shown in page) != row["suprimido"], center.code


def test_complementary_suppression_leaves_no_small_group_in_the_span():
    """A two-way table (2 rows × 3 columns, atoms 0–5) with its margins and grand total:
    one small cell forces a cycle of four suppressed cells, and nothing small is left in
    the span of the published ones."""
    respondents = [1, 20, 30, 25, 22, 40]
    cells = [frozenset([a]) for a in range(6)]
    rows = [frozenset([0, 1, 2]), frozenset([3, 4, 5])]
    columns = [frozenset([0, 3]), frozenset([1, 4]), frozenset([2, 5])]
    hidden = protect(cells + rows + columns, respondents, MINIMUM)
    assert frozenset([0]) in hidden and len(hidden) == 4
    published = [d for d in cells + rows + columns if d not in hidden]
    span = Span([frozenset(range(6)), *published])
    assert all(cell not in span for cell in hidden)
    assert frozenset([0, 3]) in span  # the column is published, its parts are not
