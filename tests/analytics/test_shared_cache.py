"""Answers shared by the processes of one app server, keyed by build; warmed after publishing."""

import io
import json
import os
import subprocess
import sys
import threading
from datetime import date

import pytest
from analytics_world import make_unit, record
from django.conf import settings as django_settings
from django.core.management import call_command
from django.urls import reverse

from citesmart.analytics import connection, push, queries, refresh, sharedcache
from citesmart.analytics.disclosure import protect
from citesmart.analytics.queries import Filters, figures
from citesmart.network import registry
from citesmart.portal.presenters import available_years
from citesmart.presentation.formatting import number

HOME = reverse("portal:home")

# A second process of the same app server: same read model directory, same shared cache.
# A long check interval keeps it off the SQL database (the test's records live in the test
# process' transaction); it counts the DuckDB queries figures() runs.
CHILD = """
import json, sys
import django
django.setup()
from citesmart.analytics import queries
from citesmart.analytics.queries import Filters, figures
calls = []
original = queries._compute
def counting(*args, **kwargs):
    calls.append(args)
    return original(*args, **kwargs)
queries._compute = counting
answer = figures(Filters(years=[int(sys.argv[1])]), by=["center"], measures=["services", "units"])
print(json.dumps({"sql": len(calls), "answer": [answer.rows, answer.totals]}, default=str))
"""


@pytest.fixture
def sql_calls(monkeypatch) -> list:
    """Every DuckDB aggregate figures() runs in this process from now on."""
    calls: list = []
    original = queries._compute

    def counting(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(queries, "_compute", counting)
    return calls


def shared_location() -> str:
    return django_settings.CACHES["analytics"]["LOCATION"]


def in_other_process(year: int) -> dict:
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "citesmart.settings",
        "DEBUG": "1",
        "CITESMART_ANALYTICS_DIR": str(django_settings.ANALYTICS_DIR),
        "CITESMART_ANALYTICS_CHECK_INTERVAL": "3600",
        "ANALYTICS_CACHE_LOCATION": shared_location(),
    }
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(year)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def jsonable(answer) -> list:
    return json.loads(json.dumps([answer.rows, answer.totals], default=str))


def test_an_answer_computed_by_one_process_is_served_to_another_without_duckdb(world, sql_calls):
    refresh.rebuild()
    mine = figures(Filters(years=[2023]), by=["center"], measures=["services", "units"])
    assert len(sql_calls) == 1 and mine.totals["services"] > 0
    theirs = in_other_process(2023)
    assert theirs["sql"] == 0  # the other process never ran the aggregate
    assert theirs["answer"] == jsonable(mine)
    # And back: what the other process computed, this one reads (its own LRU emptied).
    computed_there = in_other_process(2024)
    assert computed_there["sql"] == 1
    queries.clear_cache()
    here = figures(Filters(years=[2024]), by=["center"], measures=["services", "units"])
    assert len(sql_calls) == 1
    assert jsonable(here) == computed_there["answer"]


def test_a_generation_with_a_reused_file_name_never_gets_the_old_answers(world, settings, tmp_path):
    refresh.rebuild()
    before = figures(Filters(years=[2023])).totals["services"]
    assert connection.current_path(settings.ANALYTICS_DIR).name == "gen-00000001.duckdb"
    record(world.centers[0], "OTRO-DIR", world.units[:2], end=date(2023, 5, 5))
    # Another read model directory (a redeployed server, a test) starts its numbering again.
    settings.ANALYTICS_DIR = tmp_path / "otro-modelo"
    connection.forget_readers()
    queries.clear_cache()  # as a process started afresh would be
    refresh.rebuild()
    assert connection.current_path(settings.ANALYTICS_DIR).name == "gen-00000001.duckdb"
    assert figures(Filters(years=[2023])).totals["services"] == before + 2


def test_refresh_publishes_a_new_build_and_the_old_answers_are_not_served(world, settings):
    settings.ANALYTICS_AUTO_REFRESH = False
    call_command("analytics", "rebuild", stdout=io.StringIO())
    before = figures(Filters(years=[2024])).totals["services"]
    record(world.centers[2], "NUEVO-2024", world.units[:3], end=date(2024, 3, 3))
    call_command("analytics", "refresh", stdout=io.StringIO())
    queries.clear_cache()  # another process: only the shared cache could answer
    assert figures(Filters(years=[2024])).totals["services"] == before + 3


def test_cached_answers_outlive_generations_that_leave_their_figures_alone(
    world, settings, sql_calls
):
    settings.ANALYTICS_AUTO_REFRESH = False
    refresh.rebuild()
    asked = {
        "2023": Filters(years=[2023]),
        "2024": Filters(years=[2024]),
        "all years": Filters(),
        "2024 with registered": Filters(years=[2024], include_registered=True),
    }

    def ask() -> dict:
        queries.clear_cache()  # another worker process: only the shared cache can answer
        sql_calls.clear()
        answers = {name: figures(f, by=["center"]) for name, f in asked.items()}
        return {"answers": answers, "computed": len(sql_calls)}

    first = ask()
    assert first["computed"] == 4
    # Registered reports (an operator's import) change no validated figure: only the
    # question that counts them is computed again, on the new generation.
    record(world.centers[0], "REG-2024", world.units[:3], end=date(2024, 4, 4), status="registrado")
    assert refresh.refresh().kind == "refresh"
    second = ask()
    assert second["computed"] == 1
    new_generation = connection.current_path(settings.ANALYTICS_DIR).name
    for name, answer in second["answers"].items():
        assert answer.generation == new_generation  # served as this generation's answer
        assert answer.fresh_as_of == queries.freshness()
        if name != "2024 with registered":
            assert answer.rows == first["answers"][name].rows
    registered = second["answers"]["2024 with registered"].totals["services"]
    assert registered == first["answers"]["2024 with registered"].totals["services"] + 3
    # A validated report in 2024: 2024 and all years are computed again, 2023 is not.
    record(world.centers[0], "VAL-2024", world.units[:2], end=date(2024, 5, 5))
    refresh.refresh()
    third = ask()
    assert third["computed"] == 3
    for name in ("2024", "all years"):
        services = third["answers"][name].totals["services"]
        assert services == first["answers"][name].totals["services"] + 2
    assert third["answers"]["2023"].rows == first["answers"]["2023"].rows


def test_a_first_service_moved_to_another_year_renews_the_answers_of_both_years(
    world, settings, sql_calls
):
    settings.ANALYTICS_AUTO_REFRESH = False
    unit = make_unit(990, center=world.centers[1])
    record(world.centers[1], "PRIMERO-2024", [unit], end=date(2024, 6, 6))
    refresh.rebuild()
    new_2024 = figures(Filters(years=[2024]), measures=["new_units"]).totals["new_units"]
    new_2022 = figures(Filters(years=[2022]), measures=["new_units"]).totals["new_units"]
    # An earlier service: the unit is new in 2022 now, no longer in 2024, although no row
    # of 2024 changed (only the first date its rows carry).
    record(world.centers[1], "ANTES-2022", [unit], end=date(2022, 2, 2))
    refresh.refresh()
    queries.clear_cache()
    sql_calls.clear()
    assert figures(Filters(years=[2024]), measures=["new_units"]).totals["new_units"] == (
        new_2024 - 1
    )
    assert figures(Filters(years=[2022]), measures=["new_units"]).totals["new_units"] == (
        new_2022 + 1
    )
    assert len(sql_calls) == 2


def test_warm_fills_the_shared_cache_for_the_default_and_yearly_dashboards(
    world, client, sql_calls
):
    out = io.StringIO()
    call_command("analytics", "rebuild", "--warm-seconds=0", stdout=out)
    assert "Tablero precalculado" not in out.getvalue()
    queries.clear_cache()
    assert client.get(HOME, {"anio": "2024", "mapa": "unidades"}).status_code == 200
    assert sql_calls, "a page nobody warmed runs its queries"

    out = io.StringIO()
    call_command("analytics", "warm", stdout=out)
    said = out.getvalue()
    years = available_years()
    assert years == [2024, 2023, 2022]
    assert "Tablero precalculado (sin filtros (2024), 2023, 2022)" in said
    assert "respuestas calculadas y guardadas" in said and "Tiempo agotado" not in said
    queries.clear_cache()  # a web worker that never computed anything itself
    sql_calls.clear()
    for query in ({}, {"anio": "2024"}, {"anio": "2023"}, {"anio": "2022"}):
        page = client.get(HOME, query)
        assert page.status_code == 200
    assert sql_calls == []


def test_warm_fills_every_center_page_but_the_push_refresher_does_not(
    world, client, sql_calls, monkeypatch
):
    call_command("analytics", "rebuild", "--warm-seconds=0", stdout=io.StringIO())
    out = io.StringIO()
    call_command("analytics", "warm", stdout=out)
    centers = registry.current().centers
    assert f"Páginas de centros precalculadas: {len(centers)} de {len(centers)}" in out.getvalue()
    queries.clear_cache()  # a web worker that never computed anything itself
    sql_calls.clear()
    for center in centers:
        page = client.get(reverse("portal:center_detail", args=[center.code]))
        assert page.status_code == 200
    assert sql_calls == []
    # After each push refresh only the short warmers run: ~50 pages would hold back the
    # refresh of the next write.
    ran = []
    monkeypatch.setattr(sharedcache, "warmers", [])
    monkeypatch.setattr(sharedcache, "not_after_push", set())
    sharedcache.register_warmer(lambda deadline: ran.append("dashboard") or "")
    sharedcache.register_warmer(lambda deadline: ran.append("centers") or "", after_push=False)
    push._warm(threading.Event())
    assert ran == ["dashboard"]
    call_command("analytics", "warm", stdout=io.StringIO())
    assert ran == ["dashboard", "dashboard", "centers"]


def test_rebuild_and_refresh_warm_what_they_publish(world, client, sql_calls, settings):
    settings.ANALYTICS_AUTO_REFRESH = False
    out = io.StringIO()
    call_command("analytics", "rebuild", stdout=out)
    assert "Tablero precalculado (sin filtros (2024), 2023, 2022)" in out.getvalue()
    record(world.centers[0], "NUEVO-2025", world.units[:1], end=date(2025, 2, 2))
    out = io.StringIO()
    call_command("analytics", "refresh", stdout=out)
    said = out.getvalue()
    assert "gen-00000002.duckdb" in said and "Tablero precalculado (sin filtros (2025)" in said
    queries.clear_cache()
    sql_calls.clear()
    page = client.get(HOME)
    assert page.status_code == 200 and sql_calls == []
    # One unit in 2025: the headline may be reserved (disclosure rule) — as figures() says.
    totals = protect(figures(Filters(years=[2025]))).totals
    shown = "reservado" if totals["suppressed"] else number(totals["services"])
    assert f'data-kpi="services">{shown}<' in page.text


def test_warm_stops_at_its_time_limit_and_says_so(world):
    refresh.rebuild()
    out = io.StringIO()
    call_command("analytics", "warm", "--warm-seconds=0", stdout=out)
    assert "Tablero precalculado (ninguno)" in out.getvalue()
    assert "Tiempo agotado: quedaron sin precalcular sin filtros (2024), 2023" in out.getvalue()


@pytest.mark.parametrize("breakage", ["a file instead of a directory", "corrupt entries"])
def test_a_broken_shared_cache_never_breaks_a_query(world, settings, tmp_path, breakage):
    refresh.rebuild()
    expected = figures(Filters(years=[2023]), by=["chain"])
    queries.clear_cache()
    if breakage == "corrupt entries":
        entries = list(os.scandir(shared_location()))
        assert entries
        for entry in entries:
            with open(entry.path, "wb") as handle:
                handle.write(b"\x00not a cache entry")
    else:
        blocker = tmp_path / "not-a-directory"
        blocker.write_text("x")
        settings.CACHES = settings.CACHES | {
            "analytics": settings.CACHES["analytics"] | {"LOCATION": str(blocker / "cache")}
        }
    again = figures(Filters(years=[2023]), by=["chain"])
    assert again == expected


def test_the_file_cache_stays_bounded_without_listing_its_directory_on_every_write(tmp_path):
    from citesmart.analytics.filecache import CULL_EVERY, AmortizedFileBasedCache

    cache = AmortizedFileBasedCache(
        str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": 10, "CULL_FREQUENCY": 2}}
    )
    listings = []
    original = cache._list_cache_files
    cache._list_cache_files = lambda: listings.append(1) or original()
    for n in range(3 * CULL_EVERY):
        cache.set(f"k{n}", n)
    assert len(listings) <= 3 * 20  # a few culls (a few listings each), not one per write
    assert len(list(tmp_path.glob("*.djcache"))) <= 10 + CULL_EVERY
    assert cache.get(f"k{3 * CULL_EVERY - 1}") == 3 * CULL_EVERY - 1
