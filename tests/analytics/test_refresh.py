"""The read model follows every change of the records, incrementally, as a rebuild would."""

import logging
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from analytics_world import build_world, facts_snapshot, make_unit, record
from django import db
from django.core.management import CommandError, call_command

from citesmart.analytics import conf, connection, queries, refresh, watermark
from citesmart.analytics.queries import Filters, figures
from citesmart.network.models import Center
from citesmart.records.actions import AttendedUnit, cancel_report, record_service_report
from citesmart.records.models import AuditEntry, ImportBatch, ReportStatus, ServiceReport
from citesmart.records.reverting import revert_batch
from citesmart.records.unit_actions import merge_units
from citesmart.units.models import SizeClass


def assert_refresh_equals_rebuild() -> None:
    outcome = refresh.refresh()
    assert outcome.kind == "refresh"
    incremental = facts_snapshot()
    refresh.rebuild()
    assert incremental == facts_snapshot()


@pytest.fixture
def built(world):
    refresh.rebuild()
    return world


def test_new_report_is_applied_incrementally(built):
    record(built.centers[0], "NUEVO-1", built.units[:3], end=date(2021, 12, 1))
    assert_refresh_equals_rebuild()


def test_edited_report_is_applied_incrementally(built):
    report = built.reports[0]
    record_service_report(
        center=report.center,
        code=report.code,
        start_date=date(2025, 1, 1),
        end_date=date(2025, 1, 2),
        units=[AttendedUnit(built.units[-1], Decimal(99))],
        category=report.category,
        status=ReportStatus.VALIDATED,
        today=date(2025, 6, 30),
    )
    assert_refresh_equals_rebuild()


def test_cancelled_report_is_applied_incrementally(built, national_admin):
    cancel_report(report=built.reports[1], reason="error", actor=national_admin)
    assert_refresh_equals_rebuild()


def test_merged_units_are_applied_incrementally(built, national_admin):
    merge_units(survivor=built.units[0], duplicate=built.units[1], actor=national_admin, reason="x")
    merge_units(survivor=built.units[2], duplicate=built.units[0], actor=national_admin, reason="y")
    assert_refresh_equals_rebuild()


def test_changed_unit_attributes_are_applied_incrementally(built):
    unit = built.units[3]
    unit.size_class, unit.district = SizeClass.LARGE, None
    unit.save()
    assert_refresh_equals_rebuild()


def test_reverted_import_batch_is_applied_incrementally(built, national_admin):
    center = built.centers[2]
    batch = ImportBatch.objects.create(center=center, filename="x.xlsx", status="registrado")
    edited = ServiceReport.objects.filter(center=center).first()
    for code, units in (("LOTE-1", built.units[:2]), (edited.code, built.units[5:7])):
        record_service_report(
            center=center,
            code=code,
            start_date=date(2024, 1, 1),
            end_date=date(2024, 1, 9),
            units=[AttendedUnit(u) for u in units],
            category=edited.category,
            is_free=True,
            status=ReportStatus.VALIDATED,
            source=AuditEntry.Source.IMPORT,
            batch=batch,
            today=date(2025, 6, 30),
        )
    refresh.refresh()
    revert_batch(batch=batch, actor=national_admin)
    assert_refresh_equals_rebuild()


def test_renamed_center_is_applied_incrementally(built):
    Center.objects.filter(pk=built.centers[2].pk).update(name="CITEcuero renombrado")
    assert_refresh_equals_rebuild()
    assert "CITEcuero renombrado" in {r["center_label"] for r in figures(by=["center"]).rows}


def test_nothing_changed_means_no_new_generation(built):
    assert refresh.refresh().kind == "unchanged"


def test_committed_change_is_visible_without_an_explicit_rebuild(built, settings):
    settings.ANALYTICS_CHECK_INTERVAL = 0.3
    before = figures().totals["services"]
    record(built.centers[0], "VISIBLE", built.units[:2], end=date(2025, 2, 1))
    started = time.monotonic()
    while figures().totals["services"] == before:
        assert time.monotonic() - started < 5, "not visible within 5 seconds"
        time.sleep(0.05)


def test_a_process_with_push_checks_only_as_a_safety_net(built, settings, monkeypatch):
    """Its listener refreshes on each commit: the query path's check (the watermark, ITP's
    and the surveys' versions) runs every ANALYTICS_PUSHED_CHECK_INTERVAL, not every second."""
    settings.ANALYTICS_CHECK_INTERVAL = 0
    settings.ANALYTICS_PUSHED_CHECK_INTERVAL = 3600
    monkeypatch.setattr(refresh, "pushed_here", True)
    monkeypatch.setattr(refresh, "_checked_at", float("-inf"))
    directory = conf.directory()
    (directory / "checked").unlink(missing_ok=True)
    assert refresh._due(directory)  # the first check of the process
    assert not refresh._due(directory)  # an hour later, not a second
    monkeypatch.setattr(refresh, "pushed_here", False)
    assert refresh._due(directory)  # without push: every ANALYTICS_CHECK_INTERVAL (0 here)


def test_merge_alone_is_visible_without_an_explicit_rebuild(built, national_admin):
    before = figures().totals["units"]
    merge_units(survivor=built.units[0], duplicate=built.units[1], actor=national_admin, reason="x")
    assert figures().totals["units"] == before - 1


def test_late_commit_with_an_older_timestamp_is_still_seen(built):
    """A transaction that commits after a newer one: its updated_at is below the max seen."""
    before = figures(Filters(include_registered=True)).totals["services"]
    report = built.reports[4]
    older = ServiceReport.objects.order_by("-updated_at").first().updated_at - timedelta(seconds=5)
    ServiceReport.objects.filter(pk=report.pk).update(
        status=ReportStatus.CANCELLED, updated_at=older
    )
    after = figures(Filters(include_registered=True)).totals["services"]
    assert after == before - report.services.count()


def test_check_command_reconciles_and_fails_on_differences(built, settings, capsys):
    call_command("analytics", "check")
    assert "coincide" in capsys.readouterr().out
    settings.ANALYTICS_AUTO_REFRESH = False
    record(built.centers[2], "SIN-REFRESCAR", built.units[:1], end=date(2024, 2, 2))
    with pytest.raises(CommandError, match="1 diferencias"):
        call_command("analytics", "check")
    assert "citecuero-y-calzado-trujillo" in capsys.readouterr().out


def test_rebuild_and_refresh_commands_print_a_summary(world, capsys):
    call_command("analytics", "rebuild")
    call_command("analytics", "refresh")
    out = capsys.readouterr().out
    assert "gen-00000001.duckdb" in out and "Sin cambios" in out


def test_first_query_of_a_new_server_builds_the_read_model(world, read_model):
    assert connection.current_path(read_model) is None
    assert figures().totals["services"] > 0
    assert connection.current_path(read_model) is not None


def test_empty_records_answer_zeros(db, read_model):
    assert figures(by=["year"]).rows == ()
    assert queries.totals()["services"] == 0


def test_unit_without_location_counts_under_no_department(db, read_model, center_b):
    record(center_b, "X", [make_unit(1)], end=date(2024, 1, 1))
    (row,) = figures(by=["department"]).rows
    assert (row["department"], row["department_label"]) == (None, "Sin dato")


@pytest.fixture
def committed_world(transactional_db, read_model):
    # Committed rows: the background thread reads through a connection of its own.
    world = build_world(reports=12)
    refresh.rebuild()
    return world


def test_background_check_answers_at_once_and_publishes_the_change(committed_world, settings):
    settings.ANALYTICS_BACKGROUND_REFRESH = True
    generation = refresh.ensure_fresh().generation
    before = figures().totals["services"]
    record(committed_world.centers[0], "FONDO", committed_world.units[:2], end=date(2025, 2, 1))
    # The query that notices the change does not wait for the refresh: same generation.
    refresh.reset_throttle()
    assert refresh.ensure_fresh().generation == generation
    refresh.wait_for_background_check()
    refresh.reset_throttle()
    assert figures().totals["services"] == before + 2
    assert refresh.ensure_fresh().generation != generation


def test_background_check_logs_a_database_outage_without_a_traceback(
    built, settings, monkeypatch, caplog
):
    settings.ANALYTICS_BACKGROUND_REFRESH = True

    def dropped(anchors):
        raise db.OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(watermark, "windows", dropped)
    refresh.reset_throttle()
    with caplog.at_level(logging.WARNING, logger="citesmart.analytics"):
        refresh.ensure_fresh()
        refresh.wait_for_background_check()
    [entry] = [r for r in caplog.records if "base de datos no disponible" in r.getMessage()]
    assert entry.levelno == logging.WARNING and entry.exc_info is None
    assert "administrator command" in entry.getMessage()


def test_a_refresh_reloads_only_what_changed_since_the_last_build(built, national_admin):
    # The watermark window spans the overlap (10 minutes): reports a previous build loaded
    # are still in it, and must not be reloaded at every refresh.
    record(built.centers[0], "VENTANA-1", built.units[:2], end=date(2024, 2, 2))
    assert refresh.refresh().reports == 1
    report = record(built.centers[1], "VENTANA-2", built.units[2:4], end=date(2024, 3, 3))
    assert refresh.refresh().reports == 1
    # An edit moves updated_at: that report is reloaded again, and only it.
    cancel_report(report=report, reason="duplicado", actor=national_admin)
    outcome = refresh.refresh()
    assert outcome.reports == 1
    incremental = facts_snapshot()
    refresh.rebuild()
    assert incremental == facts_snapshot()
