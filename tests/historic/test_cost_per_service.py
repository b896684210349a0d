"""Cost per service = executed budget / services, for every center and year, against raw SQL
over ITP's execution table and the records' validated services (issue 17, part 3)."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection
from tests.historic.cost_world import YEARS, build_cost_world

from citesmart.analytics.public import public_figures
from citesmart.analytics.queries import Filters
from citesmart.historic import cost

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _read_model(read_model):
    return read_model


def sql_executed() -> dict[tuple[str, int], Decimal]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.code, e.year, SUM(e.amount) FROM historic_budgetexecution e "
            "JOIN network_center c ON c.id = e.center_id GROUP BY c.code, e.year"
        )
        return {(code, year): cents(Decimal(str(total))) for code, year, total in cursor.fetchall()}


def sql_services(year: int) -> dict[str, tuple[int, int]]:
    """(services, distinct units) of each center's validated reports ending in `year`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.code, COUNT(*), COUNT(DISTINCT s.unit_id) FROM records_service s "
            "JOIN records_servicereport r ON r.id = s.report_id "
            "JOIN network_center c ON c.id = r.center_id "
            "WHERE r.status = 'validado' AND r.end_date BETWEEN %s AND %s GROUP BY c.code",
            [date(year, 1, 1), date(year, 12, 31)],
        )
        return {code: (n, units) for code, n, units in cursor.fetchall()}


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_cost_per_service_is_executed_budget_over_services_for_every_center_and_year():
    world = build_cost_world()
    executed = sql_executed()
    checked = reserved_shown = 0
    for year in YEARS:
        services = sql_services(year)
        reserved = {
            row["center"]
            for row in public_figures(Filters(years=[year]), by=["center"]).rows
            if row["suppressed"]
        }
        rows = {row.center: row for row in cost.costs(year)}
        assert set(rows) == {code for code, y in executed if y == year} | set(services) | {
            world.pim_only.code
        }
        for code, row in rows.items():
            spent = executed.get((code, year))
            assert row.executed == spent
            if spent is None:
                assert (row.per_service, row.per_unit) == (None, None)
                assert row.note in (cost.NO_BUDGET, cost.NO_EXECUTION)
            elif code in reserved:
                assert (row.per_service, row.per_unit, row.services) == (None, None, None)
                assert row.note == cost.RESERVED
                reserved_shown += 1
            elif code not in services:
                assert (row.per_service, row.services, row.note) == (None, 0, cost.NO_SERVICES)
            else:
                n, units = services[code]
                assert (row.services, row.units) == (n, units)
                assert row.per_service == cents(spent / n)
                assert row.per_unit == cents(spent / units)
                assert row.note == ""
                checked += 1
    assert checked >= 2 and reserved_shown >= 1  # both paths were taken


def test_a_center_without_budget_says_so_and_never_divides():
    world = build_cost_world()
    for year in YEARS:  # services both years (reserved or not), never a budget
        (unfunded,) = cost.costs(year, [world.unfunded.code])
        assert (unfunded.executed, unfunded.per_service, unfunded.per_unit) == (None, None, None)
        assert unfunded.note == "Sin presupuesto registrado"
    (pim_only,) = cost.costs(2024, [world.pim_only.code])
    assert (pim_only.pim, pim_only.executed, pim_only.per_service) == (
        Decimal("2450000.00"),
        None,
        None,
    )
    assert pim_only.note == cost.NO_EXECUTION
    (idle,) = cost.costs(2024, [world.idle.code])
    assert idle.executed == Decimal("84000.00") and idle.services == 0
    assert idle.note == cost.NO_SERVICES


def test_a_cite_is_costed_on_its_own_services_not_its_technical_units():
    world = build_cost_world()
    (cite,) = cost.costs(2024, [world.cite.code])
    assert cite.services == sql_services(2024)[world.cite.code][0]
    assert cite.services != sum(sql_services(2024).get(c.code, (0, 0))[0]
                                for c in (world.cite, world.technical_unit))  # fmt: skip


def test_network_cost_adds_up_the_centers_whose_cost_is_shown():
    build_cost_world()
    shown = [c for c in cost.costs(2024) if c.per_service is not None]
    network = cost.network_cost(2024)
    spent = sum(c.executed for c in shown)
    services = sum(c.services for c in shown)
    assert (network.executed, network.services, network.centers) == (spent, services, len(shown))
    assert network.per_service == cents(spent / services)
    assert cost.network_cost(2010).per_service is None


def test_investment_is_the_sum_of_the_center_projects_with_the_list():
    world = build_cost_world()
    (found,) = cost.investments(world.cite)
    assert found.total == Decimal("14250000.25")
    assert [p["cui"] for p in found.projects] == ["2234567", "2456789"]
    assert cost.investments(world.other) == []
