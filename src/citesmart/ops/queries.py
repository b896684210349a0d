"""What /salud/ and /metricas/ report: the database, the read model, open data, imports.

Health rule, for a load balancer: a server answers 503 only when it cannot serve figures
correctly itself — its database is unreachable, or its own analytics read model is missing
or lags the records by more than HEALTH_ANALYTICS_MAX_LAG seconds (each app server keeps its
own read model, so taking one server out is the right move). An old open-data release is
shared by every server, so it makes the status "degraded" (still 200): alert on it, don't
drain the pool for it.
"""

import json
import time
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Sum
from django.utils.module_loading import import_string

from citesmart.analytics import conf, refresh, watermark
from citesmart.analytics import connection as analytics_connection


def health() -> tuple[int, dict[str, Any]]:
    """(HTTP status, JSON body) of the health check."""
    checks: dict[str, dict[str, Any]] = {"database": database_state()}
    checks["analytics"] = analytics_state() if checks["database"]["ok"] else _skipped()
    if apps.is_installed("citesmart.opendata"):
        checks["opendata"] = opendata_state()
    critical = ("database", "analytics")
    if not all(checks[name]["ok"] for name in critical):
        status, code = "error", 503
    elif not all(check["ok"] for check in checks.values()):
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    return code, {"status": status, "time": _now().isoformat(), "checks": checks}


def database_state() -> dict[str, Any]:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        return {"ok": False, "error": _first_line(error)}
    return {"ok": True, "vendor": connection.vendor, "ms": _ms(started)}


def analytics_state() -> dict[str, Any]:
    """The current generation of this server's read model and how far it lags the records."""
    max_lag = float(getattr(settings, "HEALTH_ANALYTICS_MAX_LAG", 600))
    reader = analytics_connection.reader(conf.directory(), conf.duckdb_config())
    try:
        with reader.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM facts").fetchone()  # opens it for real
            meta = dict(reader.meta)
    except analytics_connection.Corrupt as error:
        # Set aside and rebuilt in the background: health answers at once, never waits.
        with suppress(analytics_connection.Unavailable):
            refresh.recover(error, background=True)
        return {"ok": False, "error": "El modelo analítico estaba dañado; se está reconstruyendo."}
    except analytics_connection.Unavailable:
        return {"ok": False, "error": "No hay generación del modelo analítico."}
    fresh_as_of = datetime.fromisoformat(meta["fresh_as_of"])
    age = max(0.0, (_now() - fresh_as_of).total_seconds())
    moved = watermark.windows(json.loads(meta["anchors"])) != json.loads(meta["windows"])
    lag = age if moved else 0.0
    return {
        "ok": lag <= max_lag,
        "fresh_as_of": fresh_as_of.isoformat(),
        "age_seconds": round(age, 1),
        "lag_seconds": round(lag, 1),
        "max_lag_seconds": max_lag,
        "rows": int(meta.get("rows", 0)),
    }


def opendata_state() -> dict[str, Any]:
    """Age of the open-data release online, through OPS_OPENDATA_LATEST_RELEASE (a callable
    returning the publication datetime of the current release, or None when none exists)."""
    path = getattr(
        settings, "OPS_OPENDATA_LATEST_RELEASE", "citesmart.opendata.queries.latest_release_at"
    )
    max_days = float(getattr(settings, "HEALTH_OPENDATA_MAX_AGE_DAYS", 35))
    try:
        published = import_string(path)()
    except ImportError:
        return {"ok": False, "error": f"No se encontró {path}."}
    if published is None:
        return {"ok": False, "error": "No hay ninguna publicación de datos abiertos."}
    age_days = (_now() - published).total_seconds() / 86400
    return {
        "ok": age_days <= max_days,
        "published_at": published.isoformat(),
        "age_days": round(age_days, 2),
        "max_age_days": max_days,
    }


def import_rows() -> list[tuple[str, int, int]]:
    """(batch status, rows, rejected rows) summed over the import batches."""
    from citesmart.records.models import ImportBatch

    return [
        (row["status"], row["rows"] or 0, row["bad"] or 0)
        for row in ImportBatch.objects.values("status")
        .annotate(rows=Sum("rows"), bad=Sum("rejected_rows"))
        .order_by("status")
    ]


def _skipped() -> dict[str, Any]:
    return {"ok": False, "error": "No se revisó: la base de datos no responde."}


def _now() -> datetime:
    return datetime.now(UTC)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
