"""/salud/ reports how old the open-data release online is (opendata.queries.latest_release_at)."""

import io
from datetime import datetime

from django.core.management import call_command

from citesmart.analytics import refresh
from citesmart.opendata import publish


def test_health_reports_the_release_age_after_publishing(client, world, settings):
    refresh.rebuild()
    before = client.get("/salud/")
    assert before.status_code == 200  # open data is not critical: degraded, not down
    body = before.json()
    assert body["status"] == "degraded"
    assert body["checks"]["opendata"] == {
        "ok": False,
        "error": "No hay ninguna publicación de datos abiertos.",
    }

    call_command("publish_opendata", stdout=io.StringIO())
    _folder, manifest = publish.current()
    after = client.get("/salud/").json()
    check = after["checks"]["opendata"]
    assert after["status"] == "ok" and check["ok"] is True
    assert datetime.fromisoformat(check["published_at"]) == datetime.fromisoformat(
        manifest["published_at"]
    )
    assert 0 <= check["age_days"] < 0.01

    settings.HEALTH_OPENDATA_MAX_AGE_DAYS = 0
    stale = client.get("/salud/").json()
    assert stale["status"] == "degraded" and stale["checks"]["opendata"]["ok"] is False
