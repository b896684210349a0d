"""A read model that is missing or damaged: 503s in Spanish (never 500), set aside, rebuilt."""

import os
import shutil

import pytest
from django.core.management import CommandError, call_command

from citesmart.analytics import connection, refresh

pytestmark = pytest.mark.django_db
API = "/api/v1/estadisticas/"


def _damage(directory) -> str:
    """Garbage over the current generation (a torn copy, a bad disk), as a new worker sees it."""
    current = connection.current_path(directory)
    size = current.stat().st_size
    with current.open("r+b") as handle:
        handle.seek(0)
        handle.write(os.urandom(min(size, 64 * 1024)))
    connection.forget_readers()
    return current.name


def _assert_503_everywhere(client) -> None:
    page = client.get("/")
    assert page.status_code == 503 and page["Retry-After"]
    text = page.content.decode()
    assert "Las cifras se están recalculando" in text and "Traceback" not in text
    api = client.get(API)
    assert api.status_code == 503
    assert api.json()["error"]["code"] == "cifras_no_disponibles"
    assert api.json()["error"]["fields"] == {} and "recalculando" in api.json()["error"]["message"]
    assert client.get("/salud/").status_code == 503


def test_a_damaged_generation_is_503_set_aside_and_rebuilt(client, read_model, settings):
    refresh.rebuild()
    assert client.get(API).status_code == 200
    settings.ANALYTICS_AUTO_REFRESH = False  # as on web workers beside `analytics watch`
    name = _damage(read_model)
    health = client.get("/salud/")
    assert health.status_code == 503
    assert "dañado" in health.json()["checks"]["analytics"]["error"]
    assert (read_model / f"{name}.corrupt").exists(), "set aside, for a look"
    assert connection.current_path(read_model) is None
    _assert_503_everywhere(client)
    # `citesmart serve`: the first request starts the rebuild in the background thread.
    settings.ANALYTICS_AUTO_REFRESH = True
    settings.ANALYTICS_BACKGROUND_REFRESH = True
    assert client.get("/").status_code in (200, 503)
    refresh.wait_for_background_check()
    assert connection.current_path(read_model).name != name, "a new name, never the damaged one"
    assert client.get("/").status_code == 200
    assert client.get(API).status_code == 200
    assert client.get("/salud/").json()["checks"]["analytics"]["ok"] is True


def test_a_damage_found_by_health_is_rebuilt_in_the_background(client, read_model, settings):
    refresh.rebuild()
    name = _damage(read_model)
    assert client.get("/salud/").status_code == 503
    refresh.wait_for_background_check()
    assert client.get("/salud/").json()["checks"]["analytics"]["ok"] is True
    assert connection.current_path(read_model).name != name


def test_damage_past_the_header_is_503_too(client, read_model, settings):
    """Damage in the data blocks (a checksum mismatch) shows where a query reads them."""
    refresh.rebuild()
    settings.ANALYTICS_AUTO_REFRESH = False
    current = connection.current_path(read_model)
    size = current.stat().st_size
    with current.open("r+b") as handle:
        for offset in range(12 * 1024, size - 4096, 64 * 1024):  # past the three headers
            handle.seek(offset + 512)
            handle.write(os.urandom(2048))
    connection.forget_readers()
    for _ in range(2):  # refused again, not retried, until a new generation replaces it
        answer = client.get(API + "?por=center")
        assert answer.status_code == 503, answer.content[:300]
    assert client.get("/").status_code == 503


def test_without_a_read_model_and_auto_refresh_off_pages_are_503(client, read_model, settings):
    refresh.rebuild()
    settings.ANALYTICS_AUTO_REFRESH = False
    shutil.rmtree(read_model)
    connection.forget_readers()
    _assert_503_everywhere(client)


def test_analytics_check_says_in_one_line_that_the_model_was_damaged(read_model):
    refresh.rebuild()
    name = _damage(read_model)
    with pytest.raises(CommandError) as raised:
        call_command("analytics", "check")
    message = str(raised.value)
    assert "dañado" in message and name in message and "\n" not in message
    assert "se reconstruyó" in message
    call_command("analytics", "check")  # rebuilt: it matches the records again


def test_a_refresh_replaces_a_damaged_generation(read_model):
    refresh.rebuild()
    name = _damage(read_model)
    outcome = refresh.refresh()
    assert outcome.kind == "rebuild" and outcome.generation != name
    assert (read_model / f"{name}.corrupt").exists()
