"""Targets: versions kept, achievement counted by analytics, scoping, spreadsheet loading."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook
from tests.analytics.analytics_world import build_world, record

from citesmart.analytics.queries import Filters, figures
from citesmart.lib.spreadsheets import write_csv
from citesmart.targets.actions import set_target
from citesmart.targets.importer import import_targets
from citesmart.targets.models import Phasing, Target, TargetVersion
from citesmart.targets.queries import achievement, visible_targets
from citesmart.targets.seasonality import share_to_date

CUT = date(2025, 6, 30)


@pytest.fixture
def world(db, read_model):
    made = build_world()
    record(made.centers[0], "META-1", made.units[:3], end=date(2025, 3, 14))
    record(made.centers[0], "META-2", made.units[2:6], end=date(2025, 5, 20))
    return made


def test_a_revision_keeps_the_earlier_versions(national_admin, center_a):
    first = set_target(
        national_admin, center=center_a, year=2026, indicator="services", value=100,
        phasing=Phasing.EVEN,
    )  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        set_target(national_admin, center=center_a, year=2026, indicator="services", value=120)
    assert "motivo" in str(refused.value)
    second = set_target(
        national_admin, center=center_a, year=2026, indicator="services", value=120,
        phasing=Phasing.EVEN, reason="Nuevo equipamiento",
    )  # fmt: skip
    target = Target.objects.get()
    assert [v.number for v in target.versions.order_by("number")] == [1, 2]
    assert target.current == second and second.created_by == national_admin
    first.refresh_from_db()
    assert first.value == Decimal(100) and first.reason == ""
    with pytest.raises(ValidationError):
        first.save()
    with pytest.raises(ValidationError):
        first.delete()
    assert TargetVersion.objects.count() == 2


def test_only_national_administrators_set_targets(manager_a, analyst, center_a):
    for user in (manager_a, analyst):
        with pytest.raises(PermissionDenied):
            set_target(user, center=center_a, year=2026, indicator="services", value=10)


def test_achievement_is_what_analytics_counts(world, national_admin):
    answer = figures(Filters(years=[2025], date_to=CUT), by=["center"], measures=["services"])
    busiest = max(answer.rows, key=lambda r: r["services"])
    center = next(c for c in world.centers if c.code == busiest["center"])
    target = set_target(
        national_admin, center=center, year=2025, indicator="services", value=40,
        phasing=Phasing.EVEN,
    ).target  # fmt: skip
    national = set_target(national_admin, center=None, year=2025, indicator="units", value=8).target
    rows = {p.target.pk: p for p in achievement(visible_targets(national_admin, 2025), CUT)}
    expected = busiest["services"]
    assert expected > 0
    progress = rows[target.pk]
    assert progress.actual == expected
    assert progress.phased_to_date == pytest.approx(
        40 * share_to_date([1 / 12] * 12, CUT), rel=1e-4
    )
    assert progress.percent == pytest.approx(100 * expected / 40)
    assert progress.projection is not None and progress.projection >= progress.actual
    units = figures(Filters(years=[2025], date_to=CUT), measures=["units"]).totals["units"]
    assert rows[national.pk].actual == units
    assert progress.behind == (progress.percent_of_phased < 90)


def test_seasonal_phasing_follows_previous_years(world, national_admin):
    version = set_target(
        national_admin, center=None, year=2025, indicator="services", value=1000,
        phasing=Phasing.SEASONAL,
    )  # fmt: skip
    history = figures(Filters(years=[2022, 2023, 2024]), by=["month"], measures=["services"])
    months = [0] * 12
    for row in history.rows:
        months[int(row["month"][5:]) - 1] += row["services"]
    total = sum(months)
    assert version.monthly_shares == pytest.approx([m / total for m in months], abs=1e-5)
    assert sum(version.monthly_shares) == pytest.approx(1, abs=1e-4)


def test_units_are_phased_by_the_share_of_the_year_reached(world, national_admin):
    """Distinct units do not add up by month: the profile is cumulative, ending at 100 %."""
    version = set_target(national_admin, center=None, year=2025, indicator="units", value=10)
    shares = version.monthly_shares
    assert sum(shares) == pytest.approx(1, abs=1e-4) and min(shares) >= 0
    years = [y for y in (2022, 2023, 2024) if figures(Filters(years=[y])).totals["units"]]
    by_june = [
        figures(Filters(years=[y], date_to=date(y, 6, 30))).totals["units"]
        / figures(Filters(years=[y])).totals["units"]
        for y in years
    ]
    assert sum(shares[:6]) == pytest.approx(sum(by_june) / len(by_june), abs=1e-4)


def _page(client, **params):
    return client.get(reverse("admin:targets_target_changelist"), params)


def test_a_manager_sees_only_their_center(
    client_for, national_admin, manager_a, center_a, center_b, read_model
):
    for center in (center_a, center_b, None):
        set_target(national_admin, center=center, year=2025, indicator="services", value=50)
    page = _page(client_for(manager_a), anio=2025)
    assert page.status_code == 200
    text = page.content.decode()
    assert center_a.name in text and center_b.name not in text and "nacional" not in text
    other = Target.objects.get(center=center_b)
    client = client_for(manager_a)
    assert client.get(reverse("admin:targets_target_change", args=[other.pk])).status_code == 404
    assert client.get(reverse("admin:targets_target_add")).status_code == 403
    exported = client.get(reverse("admin:targets_target_export", args=["csv"]), {"anio": 2025})
    csv_text = b"".join(exported.streaming_content).decode("utf-8-sig")
    assert center_a.name in csv_text and center_b.name not in csv_text
    workbook = client.get(reverse("admin:targets_target_export", args=["xlsx"]), {"anio": 2025})
    sheet = load_workbook(io.BytesIO(b"".join(workbook.streaming_content))).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [center_a.name]
    everything = _page(client_for(national_admin), anio=2025, orden="avance", dir="desc")
    body = everything.content.decode()
    assert center_a.name in body and center_b.name in body and "Red CITE (nacional)" in body


def test_national_staff_revise_through_the_form(client_for, national_admin, center_a, read_model):
    client = client_for(national_admin)
    url = reverse("admin:targets_target_add")
    data = {"center": center_a.pk, "year": 2026, "indicator": "units", "value": "30",
            "phasing": "uniforme"}  # fmt: skip
    assert client.post(url, data).status_code == 302
    refused = client.post(url, {**data, "value": "35"})
    assert "motivo" in refused.content.decode()
    assert client.post(url, {**data, "value": "35", "reason": "Ajuste"}).status_code == 302
    target = Target.objects.get()
    history = client.get(reverse("admin:targets_target_change", args=[target.pk])).content.decode()
    assert "Ajuste" in history and "v1" in history and "v2" in history


def _sheet(rows) -> io.BytesIO:
    buffer = io.BytesIO()
    write_csv(buffer, ["Centro", "Año", "Indicador", "Meta", "Distribución", "Motivo"], rows)
    buffer.seek(0)
    return buffer


def test_loading_is_all_or_nothing(national_admin, center_a, read_model):
    bad = _sheet([
        [center_a.code, 2026, "servicios", 500, "uniforme", ""],
        ["Nacional", 2026, "unidades", "muchas", "", ""],
        ["no-existe", 2026, "servicios", 10, "", ""],
    ])  # fmt: skip
    result = import_targets(national_admin, bad, filename="metas.csv")
    assert not result.ok and Target.objects.count() == 0
    messages = [str(e) for e in result.errors]
    assert messages[0].startswith("fila 3, columna D (Meta): «muchas» no es un monto válido")
    assert messages[1].startswith("fila 4, columna A (Centro): No existe el centro «no-existe»")
    good = _sheet([
        [center_a.name.upper(), 2026, "Servicios", "1.500", "uniforme", ""],
        ["", 2026, "unidades nuevas", 900, "estacional", ""],
    ])  # fmt: skip
    result = import_targets(national_admin, good, filename="metas.csv")
    assert result.ok and result.written == 2
    revision = _sheet([[center_a.code, 2026, "servicios", 1600, "uniforme", ""]])
    result = import_targets(national_admin, revision, filename="metas.csv")
    assert [str(e) for e in result.errors] == [
        "fila 2, columna F (Motivo): indique el motivo de la revisión de la meta (queda en el "
        "historial)."
    ]
    assert Target.objects.get(center=center_a).current.value == Decimal(1500)


def test_managers_cannot_load_targets(manager_a, read_model):
    with pytest.raises(PermissionDenied):
        import_targets(manager_a, _sheet([]), filename="metas.csv")


def test_the_command_loads_a_file_or_explains_why_not(tmp_path, center_a, read_model):
    good, bad = tmp_path / "metas.csv", tmp_path / "malas.csv"
    write_csv(
        good,
        ["Centro", "Año", "Indicador", "Meta"],
        [[center_a.code, 2026, "monto", "S/ 1 500,50"]],
    )
    write_csv(bad, ["Centro", "Año", "Indicador"], [[center_a.code, 2026, "monto"]])
    out = io.StringIO()
    call_command("load_targets", str(good), stdout=out)
    assert "Se registraron 1 meta(s)" in out.getvalue()
    assert Target.objects.get().current.value == Decimal("1500.50")
    with pytest.raises(CommandError, match=r"Faltan columnas obligatorias en «malas\.csv»: Meta"):
        call_command("load_targets", str(bad))


def test_operators_see_no_target_history(
    client_for, national_admin, operator_a, center_a, read_model
):
    """Operators have no targets permission: the history page refuses them like the list."""
    target = set_target(
        national_admin, center=center_a, year=2025, indicator="services", value=50
    ).target
    client = client_for(operator_a)
    assert _page(client, anio=2025).status_code == 403
    change = reverse("admin:targets_target_change", args=[target.pk])
    assert client.get(change).status_code == 403
    assert client.get(reverse("admin:targets_target_template")).status_code == 403
    assert client_for(national_admin).post(change).status_code == 403  # read-only page


def _progress(value: float, actual: float, phased: float, projection: float | None):
    from citesmart.targets.queries import Progress

    version = TargetVersion(value=Decimal(value), number=1)
    return Progress(Target(), version, date(2025, 6, 30), actual, phased, projection)


def test_a_year_projected_below_its_target_is_never_on_track():
    # 95 % of what is due by now (not "rezagado"), but the year ends at 90 % of the target.
    below = _progress(100, actual=45, phased=47.4, projection=90)
    assert not below.behind and below.state == "por-debajo"
    assert below.state_label == "Por debajo de la meta"
    assert _progress(100, actual=30, phased=50, projection=60).state == "rezagado"
    assert _progress(100, actual=50, phased=50, projection=100).state == "en-linea"
    # No projection (no history, no phasing yet): the achievement decides.
    assert _progress(100, actual=80, phased=0, projection=None).state == "por-debajo"


def test_the_progress_page_says_below_target_and_draws_bars_without_inline_style(
    client_for, world, national_admin
):
    center = world.centers[0]
    record(center, "META-3", world.units[:2], end=date(2025, 4, 1), amounts=[Decimal(500)] * 2)
    amount = figures(Filters(years=[2025], centers=(center.code,)), measures=["amount"])
    assert float(amount.totals["amount"]) == 1000
    # The year closes at 92 % of its target: 8 points short, within the margin of "rezagado".
    set_target(national_admin, center=center, year=2025, indicator="amount", value=1087)
    page = _page(client_for(national_admin), anio=2025, indicador="amount", corte="2025-12-31")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Por debajo de la meta" in text and "En línea" not in text
    assert "style=" not in text and "<style>" not in text
    assert 'class="w90"' in text and 'class="at100"' in text  # 92 % to the nearest 5 %
    exported = client_for(national_admin).get(
        reverse("admin:targets_target_export", args=["csv"]),
        {"anio": 2025, "indicador": "amount", "corte": "2025-12-31"},
    )
    assert "Por debajo de la meta" in b"".join(exported.streaming_content).decode("utf-8-sig")
