"""analytics.queries gives exactly what a direct ORM query on the records gives."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from analytics_world import make_unit, record
from django.db.models import Case, Count, DecimalField, F, Min, Q, Sum, Value, When
from django.db.models.functions import Coalesce, ExtractMonth, ExtractYear
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citesmart.analytics import queries
from citesmart.analytics.queries import Filters, InvalidQuery, clear_cache, figures
from citesmart.records.actions import cancel_report
from citesmart.records.models import ReportStatus, Service
from citesmart.records.unit_actions import merge_units
from citesmart.units.models import ClientType, SizeClass


def survivor(attribute: str):
    """The attribute of the unit that counts: the survivor's when the unit was merged."""
    return Case(
        When(unit__merged_into__isnull=False, then=F(f"unit__merged_into__{attribute}")),
        default=F(f"unit__{attribute}"),
    )


ORM_DIMENSIONS = {
    "year": ExtractYear("report__end_date"),
    "department": Coalesce(survivor("district__department"), survivor("department")),
    "province": survivor("district__province"),
    "center": F("report__center__code"),
    "cite": Coalesce("report__center__parent__code", "report__center__code"),
    "chain": F("report__chain__code"),
    "category": F("report__category__code"),
    "client_type": survivor("client_type"),
    "size_class": survivor("size_class"),
    "programme": F("report__programme__code"),
    "free": F("report__is_free"),
}


def orm_services(filters: Filters):
    """The services `filters` select, straight from the records with the ORM."""
    statuses = [ReportStatus.VALIDATED]
    if filters.include_registered:
        statuses.append(ReportStatus.REGISTERED)
    services = Service.objects.filter(report__status__in=statuses).annotate(
        who=Coalesce("unit__merged_into", "unit"),
        month=ExtractMonth("report__end_date"),
        **{f"d_{name}": expression for name, expression in ORM_DIMENSIONS.items()},
    )
    end = "report__end_date"
    conditions = {
        f"{end}__gte": filters.date_from,
        f"{end}__lte": filters.date_to,
        f"{end}__year__in": filters.years,
        f"{end}__month__in": filters.months,
        "report__center__kind__in": filters.center_kinds,
        "report__chain__code__in": filters.chains,
        "d_department__in": filters.departments,
        "d_province__in": filters.provinces,
        "report__category__code__in": filters.categories,
        "report__catalogue_service_id__in": filters.catalogue_services,
        "report__programme__code__in": filters.programmes,
        "d_client_type__in": filters.client_types,
        "d_size_class__in": filters.size_classes,
        "report__is_free": filters.free,
    }
    services = services.filter(**{k: v for k, v in conditions.items() if v not in (None, ())})
    if filters.centers:
        in_center = Q(report__center__code__in=filters.centers)
        if filters.with_technical_units:
            in_center |= Q(report__center__parent__code__in=filters.centers)
        services = services.filter(in_center)
    return services, statuses


def in_period(day: date | None, filters: Filters) -> bool:
    return day is not None and all(
        [
            filters.date_from is None or day >= filters.date_from,
            filters.date_to is None or day <= filters.date_to,
            not filters.years or day.year in filters.years,
            not filters.months or day.month in filters.months,
        ]
    )


def orm_figures(filters: Filters, by: tuple[str, ...]) -> dict[tuple, dict]:
    """{dimension codes: measures} computed independently of the read model."""
    services, statuses = orm_services(filters)
    keys = [f"d_{d}" if d != "month" else "d_year" for d in by] + (
        ["month"] if "month" in by else []
    )
    amount = Case(
        When(report__is_free=True, then=Value(Decimal(0))),
        default=F("amount"),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )
    measures = {
        "services": Count("id"),
        "reports": Count("report", distinct=True),
        "units": Count("who", distinct=True),
        "amount": Sum(amount),
    }
    if keys:
        cells = list(services.values(*keys).annotate(**measures))
    else:
        cells = [services.aggregate(**measures)] if services.exists() else []
    firsts = dict(
        Service.objects.filter(report__status__in=statuses)
        .annotate(who=Coalesce("unit__merged_into", "unit"))
        .values("who")
        .annotate(first=Min("report__end_date"))
        .values_list("who", "first")
    )
    members = defaultdict(set)
    for row in services.values(*keys, "who").order_by().distinct():
        members[_key(row, by)].add(row["who"])
    answer = {}
    for row in cells:
        key = _key(row, by)
        new = [
            u
            for u in members[key]
            if in_period(firsts[u], filters) and _same_bucket(firsts[u], key, by)
        ]
        answer[key] = {
            "services": row["services"],
            "reports": row["reports"],
            "units": row["units"],
            "new_units": len(new),
            "amount": (row["amount"] or Decimal(0)).quantize(Decimal("0.01")),
        }
    return answer


def _key(row: dict, by: tuple[str, ...]) -> tuple:
    def code(name):
        if name == "month":
            return f"{row['d_year']}-{row['month']:02d}"
        return row[f"d_{name}"]

    return tuple(code(name) for name in by)


def _same_bucket(first: date, key: tuple, by: tuple[str, ...]) -> bool:
    for name, code in zip(by, key, strict=True):
        if name == "year" and first.year != code:
            return False
        if name == "month" and f"{first:%Y-%m}" != code:
            return False
    return True


def read_model_figures(filters: Filters, by: tuple[str, ...]) -> dict[tuple, dict]:
    answer = figures(filters, by=by)
    if not by:
        totals = {m: answer.totals[m] for m in queries.MEASURES}
        return {(): totals} if totals["services"] else {}
    return {tuple(row[d] for d in by): {m: row[m] for m in queries.MEASURES} for row in answer.rows}


def test_random_filters_and_breakdowns_match_the_records(world):
    centers = [c.code for c in world.centers]
    chains = [c.code for c in world.chains]
    dimensions = [*queries.DIMENSIONS]
    years = st.lists(st.integers(2021, 2025), max_size=2)
    filter_sets = st.builds(
        Filters,
        date_from=st.one_of(st.none(), st.dates(date(2022, 1, 1), date(2025, 1, 1))),
        years=years,
        months=st.lists(st.integers(1, 12), max_size=3),
        centers=st.lists(st.sampled_from(centers), max_size=2),
        with_technical_units=st.booleans(),
        center_kinds=st.lists(st.sampled_from(["publico", "unidad_tecnica"]), max_size=1),
        chains=st.lists(st.sampled_from(chains), max_size=2),
        departments=st.lists(st.sampled_from(["04", "13", "18", "23"]), max_size=2),
        categories=st.lists(st.sampled_from([c.code for c in world.categories]), max_size=2),
        catalogue_services=st.lists(st.just(world.catalogue.pk), max_size=1),
        programmes=st.lists(st.sampled_from([p.code for p in world.programmes]), max_size=1),
        client_types=st.lists(st.sampled_from(ClientType.values), max_size=3),
        size_classes=st.lists(st.sampled_from(SizeClass.values), max_size=2),
        free=st.one_of(st.none(), st.booleans()),
        include_registered=st.booleans(),
    )
    breakdowns = st.lists(st.sampled_from(dimensions), max_size=2, unique=True).map(tuple)

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(filters=filter_sets, by=breakdowns)
    def check(filters, by):
        assert read_model_figures(filters, by) == orm_figures(filters, by)

    check()


def test_totals_count_distinct_units_not_the_sum_of_rows(world):
    answer = figures(by=["year"])
    assert answer.totals["units"] == orm_figures(Filters(), ())[()]["units"]
    assert answer.totals["units"] < sum(row["units"] for row in answer.rows)
    assert answer.totals["services"] == sum(row["services"] for row in answer.rows)


def test_a_training_for_three_units_is_one_report_and_three_services(db, read_model, center_b):
    units = [make_unit(n) for n in range(3)]
    record(center_b, "T-1", units, end=date(2024, 5, 2), amounts=[Decimal(10)] * 3)
    assert figures().totals == {
        "services": 3,
        "reports": 1,
        "units": 3,
        "new_units": 3,
        "amount": Decimal("30.00"),
        "flagged": True,
    }


def test_merged_units_count_once_and_registered_or_cancelled_reports_do_not(
    db, read_model, center_b, national_admin
):
    first, twin, other = make_unit(1), make_unit(2), make_unit(3)
    record(center_b, "A", [first], end=date(2024, 1, 5))
    record(center_b, "B", [twin], end=date(2024, 2, 5))
    record(center_b, "C", [other], end=date(2024, 3, 5), status=ReportStatus.REGISTERED)
    cancelled = record(center_b, "D", [other], end=date(2024, 3, 6))
    cancel_report(report=cancelled, reason="duplicado", actor=national_admin)
    merge_units(survivor=first, duplicate=twin, actor=national_admin, reason="mismo DNI")
    assert figures().totals["units"] == 1
    assert figures(Filters(include_registered=True)).totals["units"] == 2


def test_new_units_are_those_first_served_in_the_period(db, read_model, center_b):
    old, fresh = make_unit(1), make_unit(2)
    record(center_b, "A", [old], end=date(2023, 4, 1))
    record(center_b, "B", [old, fresh], end=date(2024, 4, 1))
    by_year = {row["year"]: row for row in figures(by=["year"]).rows}
    assert (by_year[2023]["new_units"], by_year[2024]["new_units"]) == (1, 1)
    assert figures(Filters(years=[2024])).totals["new_units"] == 1


def test_top_n_orders_and_cuts_but_totals_cover_everything(world):
    answer = queries.top("center", "units", 2, Filters(include_registered=True))
    assert (len(answer.rows) == 2 and answer.truncated is False) or len(answer.rows) <= 2
    values = [row["units"] for row in answer.rows]
    assert values == sorted(values, reverse=True)
    assert answer.totals["units"] == orm_figures(Filters(include_registered=True), ())[()]["units"]


def test_small_cells_are_flagged_below_the_threshold(world, settings):
    settings.ANALYTICS_DISCLOSURE_THRESHOLD = 3
    for row in figures(by=["center", "year"]).rows:
        assert row["flagged"] is (row["units"] < 3)


def test_flags_without_the_units_measure_are_exact(world, settings):
    # Without "units" among the measures the flags start from a cheap lower bound of the
    # distinct units; the cells it cannot settle are counted exactly.
    units = sorted(row["units"] for row in figures(by=["center", "year"], measures=["units"]).rows)
    settings.ANALYTICS_DISCLOSURE_THRESHOLD = units[len(units) // 2] + 1  # some cells under it
    clear_cache()
    exact = {
        (row["center"], row["year"]): row["flagged"]
        for row in figures(by=["center", "year"], measures=["units"]).rows
    }
    assert any(exact.values())  # the world has small cells to flag
    for row in figures(by=["center", "year"], measures=["services"]).rows:
        assert row["flagged"] is exact[(row["center"], row["year"])]


def test_a_filter_selecting_nothing_gives_zero_and_no_flag(world):
    # An empty cell discloses nobody (analytics.disclosure.is_sensitive).
    answer = figures(Filters(years=[1995]), by=["center"], measures=["services"])
    assert answer.rows == ()
    assert answer.totals == {"services": 0, "flagged": False}


def test_answers_carry_codes_labels_and_freshness(world):
    answer = figures(by=["month"], measures=["services"])
    row = answer.rows[0]
    assert set(row) == {"month", "month_label", "services", "flagged"}
    assert row["month_label"].split()[1] == row["month"][:4]
    assert answer.fresh_as_of.tzinfo is not None
    assert answer.columns == ["month", "month_label", "services", "flagged"]


def test_unchanged_records_are_answered_from_the_cache(world):
    first = figures(by=["chain"])
    first.rows[0]["services"] = -1  # callers get copies
    assert figures(by=["chain"]) == figures(by=["chain"]) != first


@pytest.mark.parametrize(
    ("arguments", "field", "message"),
    [
        ({"filters": Filters(centers=["cite-inexistente"])}, "centers", "código desconocido"),
        (
            {"filters": Filters(date_from=date(2024, 5, 1), date_to=date(2024, 1, 1))},
            "date_to",
            "posterior a la final",
        ),
        ({"filters": Filters(months=[13])}, "months", "Mes inválido"),
        ({"filters": Filters(years=[1800])}, "years", "fuera de rango"),
        ({"filters": Filters(departments=["99"])}, "departments", "Departamento"),
        ({"by": ["planeta"]}, "by", "Desglose desconocido"),
        ({"by": ["year", "center", "chain"]}, "by", "una o dos"),
        ({"measures": ["ganancia"]}, "measures", "Medida desconocida"),
        ({"measures": ["services"], "order_by": "units"}, "order_by", "Solo se puede ordenar"),
        ({"limit": 0}, "limit", "entre 1 y"),
    ],
)
def test_bad_queries_get_clear_spanish_errors(db, read_model, arguments, field, message):
    with pytest.raises(InvalidQuery) as raised:
        figures(**arguments)
    assert message in raised.value.errors[field]


def test_non_numeric_years_are_refused_when_filters_are_built():
    with pytest.raises(InvalidQuery, match="no numéricos"):
        Filters(years=["dos mil"])
