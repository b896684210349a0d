"""Statistical secrecy survives combination: an attacker asking the API many ways recovers no
secret cell, while the official tables stay exact (checked against the records)."""

from decimal import Decimal

import pytest
import secrecy_world
from django.core.management import call_command
from django.db import connection
from secrecy_world import DEPARTMENTS, truth

from citesmart.analytics import cellkey, public, refresh
from citesmart.analytics.public import is_official, public_figures
from citesmart.analytics.queries import Filters, figures
from citesmart.network.models import Chain

API = "/api/v1/estadisticas/"


@pytest.fixture
def centers(db, read_model, settings):
    _restart_ids()
    settings.API_ANON_RATE = "10000/min"
    settings.ANALYTICS_DISCLOSURE_THRESHOLD = 5
    return secrecy_world.build()


def _restart_ids() -> None:
    """The same ids in every run, whatever ran before: each service's cell key derives from
    its id, and PostgreSQL's sequences (unlike SQLite's) do not roll back with a test. The
    protection is probabilistic (a fixed adjustment table, ABS's method): the attack is
    checked on one fixed world, the one a fresh database gives."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in ("units_productiveunit", "records_servicereport", "records_service"):
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), 1, false)", [table])


def ask(client, **params) -> dict:
    response = client.get(API, {"anio": 2024, "medida": "services", **params})
    assert response.status_code == 200, response.content
    return response.json()


def by_code(body: dict, dimension: str) -> dict:
    return {row[dimension]: row for row in body["rows"]}


def test_official_tables_are_exact_and_reconcile_with_the_records(client, centers):
    for dimension in ("center", "department", "month", "chain"):
        body = ask(client, por=dimension)
        assert body["perturbed"] is False
        expected = truth(dimension)
        for code, row in by_code(body, dimension).items():
            assert row["perturbed"] is False
            if not row["suppressed"]:
                assert row["services"] == expected[(code,)], (dimension, code)
        assert body["totals"]["services"] == sum(expected.values())
    call_command("analytics", "check")  # the exact figures still reconcile with the records


def test_crossings_are_perturbed_within_the_bound_and_marked(client, centers):
    expected = truth("department+center")
    for department in DEPARTMENTS:
        body = ask(client, departamento=department, por="center")
        assert body["perturbed"] is True and any("perturb" in rule for rule in body["rules"])
        for code, row in by_code(body, "center").items():
            exact = expected[(department, code)]
            if row["suppressed"]:
                assert row["services"] is None and row["perturbed"] is False
                continue
            assert row["perturbed"] is True
            assert row["services"] != exact and abs(row["services"] - exact) <= 2
        total = sum(v for (d, _), v in expected.items() if d == department)
        assert 0 < abs(body["totals"]["services"] - total) <= 2  # its own cell, not the sum


def test_the_same_cell_gets_the_same_answer_however_it_is_asked(client, centers):
    first, second = centers[0].code, centers[1].code
    for department in DEPARTMENTS:
        for center in (first, second):
            ways = [
                by_code(ask(client, departamento=department, por="center"), "center")[center],
                by_code(ask(client, centro=center, por="department"), "department")[department],
                ask(client, centro=center, departamento=department)["totals"],
                ask(client, centro=center, departamento=department, mes=list(range(1, 13)))[
                    "totals"
                ],
            ]
            assert len({way["services"] for way in ways}) == 1, (department, center)


PARAMETERS = {"department": "departamento", "center": "centro", "month": "mes", "chain": "cadena"}
PAIRS = [("department", "center"), ("department", "month"), ("center", "month")]
PAIRS += [("chain", "department")]


def _cell(**codes) -> tuple:
    return tuple(sorted(codes.items()))


def _true(cell: tuple) -> int:
    return truth("+".join(d for d, _ in cell))[tuple(code for _, code in cell)]


class Attacker:
    """Asks the API every one-way official table and every crossing of PAIRS, both ways, and
    tries to recover each suppressed cell from an exact figure minus its published parts."""

    def __init__(self, client) -> None:
        self.exact: dict[tuple, int] = {}  # cells published exactly
        self.noisy: dict[tuple, int] = {}  # cells published perturbed
        self.hidden: set[tuple] = set()
        self.equations: list[tuple[tuple, int, bool, list[tuple]]] = []
        self.client = client
        for dimension in PARAMETERS:
            for code, row in by_code(ask(client, por=dimension), dimension).items():
                self._see(_cell(**{dimension: code}), row)
        for pair in PAIRS:
            for outer, inner in (pair, pair[::-1]):
                self._crossing(outer, inner)

    def _see(self, cell: tuple, row: dict) -> None:
        if row["suppressed"]:
            self.hidden.add(cell)
        elif row["perturbed"]:
            self.noisy[cell] = row["services"]
        else:
            self.exact[cell] = row["services"]

    def _crossing(self, outer: str, inner: str) -> None:
        ones = [cell[0] for cell in [*self.exact, *self.hidden] if len(cell) == 1]
        codes = sorted(c for d, c in ones if d == outer)
        for code in codes:
            value = int(code[5:]) if outer == "month" else code
            body = ask(self.client, **{PARAMETERS[outer]: value, "por": inner})
            parts = [_cell(**{outer: code, inner: row[inner]}) for row in body["rows"]]
            for part, row in zip(parts, body["rows"], strict=True):
                self._see(part, row)
            whole = _cell(**{outer: code})
            self.equations.append((whole, None, parts))
            totals = body["totals"]
            if totals["suppressed"]:
                continue
            if totals["perturbed"]:  # the crossing's own total
                self.equations.append((whole, totals["services"], parts))
            else:
                self.exact[whole] = totals["services"]

    @property
    def secret(self) -> set[tuple]:
        """Cells suppressed wherever they were asked."""
        return self.hidden - self.exact.keys() - self.noisy.keys()

    def _values(self, cell: tuple, published: int | None = None) -> set[int]:
        if published is not None:
            return cellkey.candidates(published)
        if cell in self.exact:
            return {self.exact[cell]}
        return cellkey.candidates(self.noisy[cell])

    def conclusions(self, targets: set[tuple]) -> dict[tuple, set[int]]:
        """What the attacker can establish about each target cell: the values consistent with
        its own published value (if any) and with every equation (whole = sum of its parts)
        in which it is the only hidden part, knowing the published adjustment table."""
        found = {t: cellkey.candidates(self.noisy[t]) if t in self.noisy else None for t in targets}
        for whole, total, parts in self.equations:
            if total is None and whole not in self.exact:
                continue
            for target in set(parts) & set(found):
                others = [p for p in parts if p != target]
                if any(p in self.secret for p in others):
                    continue
                sums = self._values(whole, total)
                for part in others:
                    sums = {t - v for t in sums for v in self._values(part)}
                possible = {value for value in sums if value >= 1}
                known = found[target]
                found[target] = possible if known is None else known & possible
        return {cell: values for cell, values in found.items() if values is not None}

    def point_estimates(self) -> list[tuple[tuple, int]]:
        """(cell, whole - the other parts) where exactly one part is hidden, as the probe did."""
        found = []
        for whole, total, parts in self.equations:
            total = self.exact.get(whole) if total is None else total
            unknown = [p for p in parts if p in self.secret]
            if total is None or len(unknown) != 1:
                continue
            others = [self.exact.get(p, self.noisy.get(p)) for p in parts if p not in unknown]
            found.append((unknown[0], total - sum(others)))
        return found


def test_an_attacker_recovers_no_suppressed_or_small_cell(client, centers, settings):
    attacker = Attacker(client)
    small = {c for c in attacker.noisy if 0 < _true(c) < settings.ANALYTICS_DISCLOSURE_THRESHOLD}
    assert attacker.secret and small, "the world must hold cells for the attacker to try"
    conclusions = attacker.conclusions(attacker.secret | small)
    assert conclusions.keys() & attacker.secret and conclusions.keys() & small
    assert all(_true(cell) in values for cell, values in conclusions.items())  # sound
    assert [cell for cell, values in conclusions.items() if len(values) == 1] == []
    # The probe's point estimates (an exact total minus the published parts) disagree with
    # each other for the same cell: the attacker cannot tell which, if any, is right.
    estimates: dict[tuple, set[int]] = {}
    for cell, value in attacker.point_estimates():
        estimates.setdefault(cell, set()).add(value)
    assert estimates and all(
        len(values) > 1 or values != {_true(cell)} for cell, values in estimates.items()
    )


def test_without_perturbation_the_same_attacker_recovers_them(client, centers, monkeypatch):
    """The attack is real: were every crossing exact (with today's suppression), it wins."""
    monkeypatch.setattr(public, "is_official", lambda filters, by: True)
    attacker = Attacker(client)
    assert any(value == _true(cell) for cell, value in attacker.point_estimates())
    conclusions = attacker.conclusions(attacker.secret)
    assert [cell for cell, values in conclusions.items() if values == {_true(cell)}]


def test_is_official_draws_the_line():
    year = Filters(years=[2025])
    assert is_official(year, ()) and is_official(year, ["department"])
    assert is_official(Filters(), ["month"]) and is_official(Filters(), ())
    assert not is_official(Filters(), ["center"])  # all years by center: years differ it
    assert not is_official(Filters(years=[2024, 2025]), ["center"])
    assert not is_official(year, ["department", "center"])
    assert not is_official(year, ["programme"])
    assert not is_official(Filters(years=[2025], months=[3]), ())
    assert not is_official(Filters(years=[2025], departments=["18"]), ["center"])
    assert is_official(Filters(years=[2025], departments=["18"]), ())
    assert not is_official(Filters(years=[2025], departments=["18"], chains=["cuero"]), ())
    assert not is_official(Filters(years=[2025], departments=["18", "13"]), ())
    assert not is_official(Filters(years=[2025], include_registered=True), ())


def test_the_adjustment_table_is_fixed_bounded_and_never_zero():
    assert cellkey._table() == cellkey.TABLE
    assert set(cellkey.TABLE[0]) == {0}
    for value, row in enumerate(cellkey.TABLE[1:], start=1):
        assert 0 not in row and all(abs(a) <= cellkey.MAX_ADJUSTMENT for a in row)
        assert all(value + a >= 1 for a in row)
        if value >= 3:
            assert sum(row) == 0  # unbiased
    assert cellkey.adjusted("services", 0, 17) == 0  # zero stays zero
    assert cellkey.adjusted("amount", Decimal(0), 17) == 0
    amount = cellkey.adjusted("amount", Decimal("1000.00"), 5)
    assert amount != Decimal(1000) and abs(amount - 1000) <= 50


def test_public_figures_keep_figures_exact_for_internal_use(centers):
    filters = Filters(years=[2024], departments=[DEPARTMENTS[0]])
    exact = figures(filters, by=["center"], measures=["services"])
    shown = public_figures(filters, by=["center"], measures=["services"])
    assert shown.perturbed and not exact.perturbed
    assert all("perturbed" not in row for row in exact.rows)
    expected = truth("department+center")
    assert all(r["services"] == expected[(DEPARTMENTS[0], r["center"])] for r in exact.rows)


def test_cell_keys_of_several_breakdowns_in_one_scan_are_each_ones(centers):
    filters = Filters(years=[2024], chains=[Chain.objects.order_by("code").first().code])
    breakdowns = [("center",), ("month",), ("department", "center"), ("center", "department"), ()]
    with refresh.ensure_fresh().cursor() as cursor:
        together = cellkey.cell_keys(cursor, filters, breakdowns)
        for by in breakdowns:
            alone = cellkey.cell_keys(cursor, filters, [by])[by]
            assert together[by] == alone and (alone[0] or not by), by
    key, natural = cellkey.split(together[()][1])
    assert len(set(together[()][0])) == 0 and 0 <= key < cellkey.N and 0 < natural <= 64
