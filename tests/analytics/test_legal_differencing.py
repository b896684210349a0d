"""The legal entities' services are published whole in the microdata, so anyone can subtract
them from a published cell: what is left, the natural persons' part, must itself hold none or
at least the threshold of natural persons, in the official tables and in the crossings."""

from collections import defaultdict

import pytest
import secrecy_world
from test_secrecy import _restart_ids

from citesmart.records.models import ReportStatus, Service

API = "/api/v1/estadisticas/"
THRESHOLD = 5
KEYS = {
    "center": lambda s: s.report.center.code,
    "department": lambda s: s.unit.district.department_id,
    "month": lambda s: f"{s.report.end_date:%Y-%m}",
    "chain": lambda s: s.report.chain.code,
}


@pytest.fixture
def world(db, read_model, settings):
    _restart_ids()
    settings.API_ANON_RATE = "10000/min"
    settings.ANALYTICS_DISCLOSURE_THRESHOLD = THRESHOLD
    return secrecy_world.build()


def _natural_persons(by: tuple[str, ...]) -> dict[tuple, set[int]]:
    """Distinct natural persons per cell (and under () for the whole), from the records."""
    found: dict[tuple, set[int]] = defaultdict(set)
    services = Service.objects.filter(
        report__status=ReportStatus.VALIDATED, report__end_date__year=2024
    ).select_related("report__center", "report__chain", "unit__district")
    for service in services:
        if service.unit.is_natural_person:
            found[tuple(KEYS[d](service) for d in by)].add(service.unit_id)
            found[()].add(service.unit_id)
    return found


def _published(client, by: tuple[str, ...]) -> dict:
    params = {"anio": 2024, "medida": "services"} | ({"por": list(by)} if by else {})
    response = client.get(API, params)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize(
    "by",
    [("center",), ("department",), ("month",), ("chain",), ("department", "center"),
     ("month", "chain"), ("center", "month")],
)  # fmt: skip
def test_no_published_cell_minus_its_legal_entities_leaves_a_few_natural_persons(client, world, by):
    body = _published(client, by)
    persons = _natural_persons(by)
    shown = [(tuple(row[d] for d in by), row) for row in body["rows"]]
    shown.append(((), body["totals"]))
    small = [
        cell
        for cell, row in shown
        if not row["suppressed"] and 0 < len(persons.get(cell, ())) < THRESHOLD
    ]
    assert small == []


def test_the_world_holds_cells_of_many_units_but_few_natural_persons(world):
    """Cells the units' threshold alone would publish (the attack needs them)."""
    persons = _natural_persons(("department", "center"))
    units: dict[tuple, set[int]] = defaultdict(set)
    for service in Service.objects.filter(report__end_date__year=2024).select_related(
        "report__center", "unit__district"
    ):
        units[(service.unit.district.department_id, service.report.center.code)].add(
            service.unit_id
        )
    assert any(
        len(units[cell]) >= THRESHOLD and 0 < len(persons[cell]) < THRESHOLD for cell in units
    )


@pytest.mark.parametrize("by", [("center",), ("department",), ("month",), ("chain",)])
def test_a_lone_suppressed_cell_is_never_completed_by_a_cell_of_legal_entities_only(
    client, world, by
):
    """A complementary suppression of a cell without natural persons protects nothing: its
    value is in the microdata, so the total minus the rest gives the secret cell back."""
    body = _published(client, by)
    persons = _natural_persons(by)
    hidden = [tuple(row[d] for d in by) for row in body["rows"] if row["suppressed"]]
    if hidden and not body["totals"]["suppressed"]:
        with_persons = [cell for cell in hidden if persons.get(cell)]
        assert len(with_persons) != 1, (hidden, with_persons)
