"""prefetch(): several breakdowns of sums for one filter set in one scan, same answers."""

import pytest

from citesmart.analytics import queries, refresh
from citesmart.analytics.queries import Filters, figures, prefetch
from citesmart.portal.presenters import SUM_BREAKDOWNS

ASKS = [
    *SUM_BREAKDOWNS,
    {"by": ["client_type"], "measures": ["amount", "services"]},
    {"by": ["chain"], "measures": ["services"], "order_by": "chain", "descending": False},
]


def answers(filters: Filters) -> list:
    """What each ask's answer says (not when or from which generation)."""
    return [
        (a.by, a.measures, a.rows, a.totals, a.truncated)
        for a in (figures(filters, **ask) for ask in ASKS)
    ]


@pytest.fixture
def built(world, settings):
    settings.ANALYTICS_AUTO_REFRESH = False
    refresh.rebuild()
    return world


@pytest.mark.parametrize(
    "filters",
    [
        Filters(),
        Filters(years=[2024]),
        Filters(years=[2023, 2025], departments=["__first__"]),  # small cells: recounted
        Filters(chains=["__first__"]),
        Filters(years=[2031]),  # nothing at all
    ],
    ids=["all", "one year", "department", "chain", "empty"],
)
def test_prefetched_answers_are_the_answers_of_figures(built, filters, monkeypatch):
    if filters.chains == ("__first__",):
        filters = Filters(chains=[built.chains[0].code])
    if filters.departments == ("__first__",):
        top = figures(by=["department"], measures=["services"], order_by="services", limit=1)
        filters = Filters(years=filters.years, departments=[top.rows[0]["department"]])
    expected = answers(filters)
    if filters != Filters(years=[2031]):
        assert all(rows for _, _, rows, _, _ in expected[:4])  # something to get right
    queries.clear_cache()
    refresh.rebuild()  # a new build: nothing cached
    computed = []
    original = queries._compute
    monkeypatch.setattr(
        queries, "_compute", lambda *args: computed.append(args[2]) or original(*args)
    )
    prefetch(filters, ASKS)
    assert answers(filters) == expected
    # Only what prefetch leaves out was computed one by one: the typed codes (free), or the
    # questions the cube answers (years only; or one code of a dimension, by that dimension).
    cube_answers = filters == Filters(years=filters.years)
    one_code = [("department",)] * bool(filters.departments) + [("chain",)] * bool(filters.chains)
    alone = {("free",), *one_code}
    assert set(computed) <= (alone if not cube_answers else {(a["by"][0],) for a in ASKS})
    if not cube_answers:
        assert ("month",) not in computed and ("center",) not in computed


def test_prefetch_leaves_invalid_and_other_questions_to_figures(built):
    prefetch(Filters(centers=["no-existe"]), ASKS)  # figures() will say why
    prefetch(Filters(), [{"by": ["center", "year"], "measures": ["services"]}])
    prefetch(Filters(), [{"by": ["center"], "measures": ["units"]}, {"by": ["chain"]}])
    with pytest.raises(queries.InvalidQuery):
        figures(Filters(centers=["no-existe"]))
