"""The disclosure rule: only cells that could single out a natural person are suppressed."""

import random
from datetime import date

import pytest
from analytics_world import make_unit, record

from citesmart.analytics import disclosure, refresh
from citesmart.analytics.queries import Filters, figures
from citesmart.lib.identity import random_ruc
from citesmart.network.models import Center
from citesmart.records.unit_actions import get_or_create_unit
from citesmart.units.models import ClientType, ProductiveUnit


def company(number: int, client_type=ClientType.FORMAL_ENTERPRISE) -> ProductiveUnit:
    ruc = random_ruc(random.Random(number), "20")
    unit, _ = get_or_create_unit(
        document_type="ruc",
        document_number=ruc,
        name=f"Empresa {number} SAC",
        client_type=client_type,
    )
    return unit


def person_with_ruc10(number: int) -> ProductiveUnit:
    unit, _ = get_or_create_unit(
        document_type="ruc",
        document_number=random_ruc(random.Random(number), "10"),
        name=f"Persona {number}",
        client_type=ClientType.OTHER,
    )
    return unit


def test_is_sensitive_needs_few_units_and_a_natural_person():
    assert disclosure.is_sensitive(3, 1, 5)
    assert not disclosure.is_sensitive(3, 0, 5)  # only legal entities
    assert not disclosure.is_sensitive(5, 5, 5)
    assert not disclosure.is_sensitive(0, 0, 5)


@pytest.fixture
def small_cells(db, read_model, center_a, center_b):
    """center_a: 2 companies (public); center_b 2024: 1 person + 1 company; 2025: 6 persons."""
    record(center_a, "A-1", [company(1), company(2)], end=date(2024, 3, 1))
    record(center_b, "B-1", [person_with_ruc10(3), company(4)], end=date(2024, 4, 1))
    record(center_b, "B-2", [make_unit(n) for n in range(10, 16)], end=date(2025, 4, 1))
    return center_a, center_b


def test_flags_fire_only_where_a_natural_person_could_be_singled_out(small_cells, settings):
    settings.ANALYTICS_DISCLOSURE_THRESHOLD = 5
    center_a, center_b = small_cells
    rows = {(r["center"], r["year"]): r for r in figures(by=["center", "year"]).rows}
    assert rows[(center_a.code, 2024)]["flagged"] is False  # two companies
    assert rows[(center_b.code, 2024)]["flagged"] is True  # a RUC 10 among two
    assert rows[(center_b.code, 2025)]["flagged"] is False  # six units


def test_protect_suppresses_flagged_cells_and_one_complement(small_cells, settings):
    settings.ANALYTICS_DISCLOSURE_THRESHOLD = 5
    center_a, center_b = small_cells
    answer = figures(by=["center", "year"], measures=["services", "units"])
    protected = disclosure.protect(answer)
    rows = {(r["center"], r["year"]): r for r in protected.rows}
    hidden = rows[(center_b.code, 2024)]
    assert hidden["suppressed"] is True and hidden["services"] is None and hidden["units"] is None
    # Only one primary suppression: the smallest other cell (2 companies) goes with it.
    assert rows[(center_a.code, 2024)]["suppressed"] is True
    shown = rows[(center_b.code, 2025)]
    assert (shown["services"], shown["units"], shown["suppressed"]) == (6, 6, False)
    assert protected.totals["services"] == 10 and protected.totals["suppressed"] is False
    assert disclosure.suppressed_rows(protected) == 2
    # The original answer is untouched.
    assert all("suppressed" not in row for row in answer.rows)


def test_the_threshold_is_a_setting(small_cells, settings):
    settings.ANALYTICS_DISCLOSURE_THRESHOLD = 2
    protected = disclosure.protect(figures(by=["center", "year"]))
    assert disclosure.suppressed_rows(protected) == 0


def test_a_natural_person_alone_in_the_totals_is_suppressed(db, read_model, center_b):
    record(center_b, "X", [make_unit(1)], end=date(2024, 1, 5))
    protected = disclosure.protect(figures(Filters(years=[2024])))
    assert protected.totals["suppressed"] is True and protected.totals["services"] is None


def test_natural_person_rule_matches_the_unit_model(db, read_model, center_b):
    """The SQL rule of the read model agrees with ProductiveUnit.is_natural_person."""
    units = [company(1), person_with_ruc10(2), make_unit(3), company(4, ClientType.ENTREPRENEUR)]
    none, _ = get_or_create_unit(
        document_type="ninguno",
        document_number="",
        name="Productora sin documento",
        client_type=ClientType.OTHER,
        center=Center.objects.get(code=center_b.code),
    )
    units.append(none)
    for index, unit in enumerate(units):
        record(center_b, f"N-{index}", [unit], end=date(2024, 1, 5))
    expected = [False, True, True, True, True]
    assert [u.is_natural_person for u in units][:3] == expected[:3]
    reader = refresh.ensure_fresh()
    with reader.cursor() as cursor:
        found = dict(cursor.execute("SELECT unit_id, is_natural FROM facts").fetchall())
    assert [found[u.id] for u in units] == expected


def test_geography_is_coarsened_for_natural_persons_only():
    counts = {"district": 2, "province": 4, "department": 30}
    assert disclosure.geography_level(counts, natural_person=True, limit=5) == "department"
    assert disclosure.geography_level(counts, natural_person=False, limit=5) == "district"
    assert disclosure.geography_level({"district": 7}, natural_person=True, limit=5) == "district"
    small = {"district": 1, "province": 1, "department": 2}
    assert disclosure.geography_level(small, natural_person=True, limit=5) is None
    assert disclosure.geography_level({}, natural_person=False) is None


def test_rules_state_the_threshold_in_force(settings):
    settings.ANALYTICS_DISCLOSURE_THRESHOLD = 7
    assert "menos de 7 unidades productivas" in disclosure.rules()[0]
