"""One series (issue 17, part 2): around each center's cut-over, the yearly sum of the series
equals ITP's aggregates before the cut-over plus the micro-records from it on, checked
against plain SQL over the database tables; what the aggregates cannot answer says so."""

from collections import defaultdict
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from tests.historic.cost_world import load
from tests.historic.series_world import YEARS, build_series_world

from citesmart.analytics import push, refresh
from citesmart.analytics import series as series_module
from citesmart.analytics.filters import Filters
from citesmart.analytics.series import AGGREGATES, RECORDS, series
from citesmart.historic.actions import revert_batch
from citesmart.historic.models import HistoricBatch, HistoricServices, TableKind
from citesmart.network.models import Chain

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _read_model(read_model, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return read_model


def rows(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def sql_cutovers() -> dict[str, int]:
    """Each center's first month (yyyymm) with a service of a validated report."""
    found = rows(
        "SELECT c.code, MIN(r.end_date) FROM records_service s "
        "JOIN records_servicereport r ON r.id = s.report_id "
        "JOIN network_center c ON c.id = r.center_id WHERE r.status = 'validado' GROUP BY c.code"
    )
    return {code: int(str(first)[:4]) * 100 + int(str(first)[5:7]) for code, first in found}


def sql_aggregates() -> dict[tuple[str, int, int], int]:
    found = rows(
        "SELECT c.code, h.year, h.month, SUM(h.services) FROM historic_historicservices h "
        "JOIN network_center c ON c.id = h.center_id GROUP BY c.code, h.year, h.month"
    )
    return {(code, year, month): int(n) for code, year, month, n in found}


def sql_records(year: int) -> dict[str, int]:
    found = rows(
        "SELECT c.code, COUNT(*) FROM records_service s "
        "JOIN records_servicereport r ON r.id = s.report_id "
        "JOIN network_center c ON c.id = r.center_id "
        "WHERE r.status = 'validado' AND r.end_date BETWEEN %s AND %s GROUP BY c.code",
        [date(year, 1, 1), date(year, 12, 31)],
    )
    return {code: int(n) for code, n in found}


def expected(year: int) -> dict[str, tuple[int, int]]:
    """(aggregates before the cut-over, records) per center in `year`, from SQL alone."""
    cut = sql_cutovers()
    parts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for (code, y, month), n in sql_aggregates().items():
        if y == year and (code not in cut or y * 100 + month < cut[code]):
            parts[code][0] += n
    for code, n in sql_records(year).items():
        parts[code][1] += n
    return {code: (a, r) for code, (a, r) in parts.items()}


def test_yearly_series_is_aggregates_before_each_cut_over_plus_records():
    world = build_series_world()
    cut = sql_cutovers()
    assert cut[world.cite.code] == 201904 and cut[world.other.code] == 202001
    for center in (world.cite, world.technical_unit, world.other, world.historic_only):
        one = Filters(centers=(center.code,), with_technical_units=False)
        points = {p.period: p for p in series(one, by="year", public=False).points}
        for year in YEARS:
            historic, counted = expected(year).get(center.code, (0, 0))
            if not historic and not counted:
                assert str(year) not in points
                continue
            point = points[str(year)]
            assert (point.value, point.aggregates or 0, point.records) == (
                historic + counted,
                historic,
                counted,
            ), (center.code, year)
            assert point.historic == bool(historic)
    # The network's public series (an official table): the same sums over every center.
    network = {p.period: p for p in series(by="year").points}
    for year in YEARS:
        parts = expected(year).values()
        assert network[str(year)].value == sum(a + r for a, r in parts)
    # The cite's 2020 aggregates fall after its cut-over: never counted with its records.
    assert network["2020"].sources == (RECORDS,)


def test_months_around_the_cut_over_take_one_source_each():
    world = build_series_world()
    one = Filters(centers=(world.cite.code,), with_technical_units=False, years=(2019,))
    points = {p.period: p for p in series(one, by="month", public=False).points}
    aggregates = sql_aggregates()
    for month in range(1, 13):
        point = points.get(f"2019-{month:02d}")
        if month < 4:
            assert point.sources == (AGGREGATES,)
            assert point.value == aggregates[(world.cite.code, 2019, month)]
        elif point is not None:
            assert point.sources == (RECORDS,)
    assert points["2019-04"].value == 6 and points["2019-09"].value == 7
    # The cut-over follows what is counted: with registered reports, the other center's
    # records start in 2019-05 and its aggregates stop there.
    other = Filters(centers=(world.other.code,), years=(2019,), include_registered=True)
    points = {p.period: p for p in series(other, by="month", public=False).points}
    assert points["2019-04"].sources == (AGGREGATES,)
    assert points["2019-05"].sources == (RECORDS,) and points["2019-05"].value == 5
    assert "2019-06" not in points


def test_what_the_aggregates_cannot_answer_is_not_available():
    world = build_series_world()
    chain = Filters(chains=(Chain.objects.order_by("code").first().code,))
    points = {p.period: p for p in series(chain, by="year", public=False).points}
    assert not points["2018"].available and points["2018"].value is None
    assert "cadena" in series(chain, by="year", public=False).note
    units = {p.period: p for p in series(by="year", measure="units", public=False).points}
    # 2018-2019 need the aggregates (distinct units across months: not in ITP's tables).
    assert [units[y].available for y in ("2018", "2019")] == [False, False]
    assert units["2018"].value is None
    # 2020 needs none (the cite's 2020 aggregates are after its cut-over): counted.
    assert units["2020"].available and units["2020"].value == 8
    # Part of a month: the monthly tables cannot say which services fell in it.
    part = Filters(date_from=date(2018, 3, 15), date_to=date(2018, 12, 31))
    assert not series(part, by="year", public=False).points[0].available
    whole = Filters(date_from=date(2018, 3, 1), date_to=date(2018, 12, 31))
    (point,) = series(whole, by="year", public=False).points
    aggregates = sql_aggregates()
    assert point.value == sum(n for (_, y, m), n in aggregates.items() if y == 2018 and m >= 3)
    assert world.cite.code in series(by="year").cutovers
    # Every center's cut-over (read from the cube and one year of rows) is SQL's.
    months = {code: f"{ym // 100}-{ym % 100:02d}" for code, ym in sql_cutovers().items()}
    assert series(by="year").cutovers == months


def test_check_reconciles_the_aggregates_and_catches_a_stale_copy(settings, capsys):
    world = build_series_world()
    call_command("analytics", "check")
    assert "cuadros históricos" in capsys.readouterr().out
    # Two months swap their values: the table's cheap version (count, sum, batches, last id)
    # does not move, so the read model keeps its copy; the check compares the sums per year.
    first, second = (
        HistoricServices.objects.filter(center=world.historic_only, year=y, month=1).first()
        for y in (2018, 2019)
    )
    first.services, second.services = second.services + 1, first.services - 1
    HistoricServices.objects.bulk_update([first, second], ["services"])
    with pytest.raises(CommandError, match="2 diferencias"):
        call_command("analytics", "check")
    out = capsys.readouterr().out
    assert f"agregados históricos 2018 {world.historic_only.code}" in out
    refresh.rebuild()
    call_command("analytics", "check")


def test_a_load_or_a_revert_of_itp_tables_reaches_the_series_at_once(national_admin):
    world = build_series_world()
    assert "2017" not in {p.period for p in series(by="year").points}
    first = world.categories[0]
    load(TableKind.SERVICES, [[world.historic_only.name, "2017", first.name, "", *["3"] * 12]])
    points = {p.period: p for p in series(by="year").points}  # no refresh asked for
    assert (points["2017"].value, points["2017"].sources) == (36, (AGGREGATES,))
    assert push_models_include(HistoricServices)
    batch = HistoricBatch.objects.filter(status=HistoricBatch.Status.COMMITTED).first()
    revert_batch(user=national_admin, batch=batch)
    assert "2017" not in {p.period for p in series(by="year").points}
    call_command("analytics", "check")


def test_a_series_asks_the_aggregates_once_per_build(monkeypatch, national_admin):
    # A dashboard page asks for its series several times (the years it offers, its yearly
    # and monthly charts): at 10M services, asking DuckDB each time was a third of the
    # dashboard's warm-up after each validation.
    world = build_series_world()
    asked = []
    original = series_module._query_cells
    monkeypatch.setattr(
        series_module, "_query_cells", lambda *args: asked.append(args[2:]) or original(*args)
    )
    first = series(by="year")
    assert [series(by="year") for _ in range(3)] == [first] * 3
    assert len(asked) == 1
    load(TableKind.SERVICES, [[world.historic_only.name, "2017", world.categories[0].name, "",
                               *["2"] * 12]])  # fmt: skip
    assert {p.period: p.value for p in series(by="year").points}["2017"] == 24  # a new build
    assert len(asked) == 2


def push_models_include(model) -> bool:
    return model in push.notifying_models()
