"""Settings of the read model, each with a default so settings.py needs no entry.

Override in settings (or the environment variables named) when deploying.
"""

import hashlib
import hmac
import os
from pathlib import Path

from django.conf import settings


def directory() -> Path:
    """Where the DuckDB generations live; one directory per app server, never shared."""
    value = getattr(settings, "ANALYTICS_DIR", None) or os.environ.get("CITESMART_ANALYTICS_DIR")
    return Path(value) if value else Path(settings.VAR_DIR) / "analytics"


def _number(name: str, default: float) -> float:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(f"CITESMART_{name}")
    return default if value is None else float(value)


def disclosure_threshold() -> int:
    """Cells with fewer distinct productive units than this are flagged (disclosure rules)."""
    return int(_number("ANALYTICS_DISCLOSURE_THRESHOLD", 5))


def check_interval(*, pushed: bool = False) -> float:
    """Seconds between two freshness checks against the SQL database (per app server).

    `pushed`: the process listens for committed writes (analytics.push), so the check is
    only a safety net and runs less often: each one reads the records' watermark, ITP's
    tables' version and the surveys' (about 200 ms on the demo's data in SQLite, minutes
    after it was loaded: once a second, a fifth of a core per server).
    """
    if pushed:
        return _number("ANALYTICS_PUSHED_CHECK_INTERVAL", 30.0)
    return _number("ANALYTICS_CHECK_INTERVAL", 1.0)


def overlap_seconds() -> float:
    """How far behind the last seen `updated_at` a refresh looks again (late commits, clocks)."""
    return _number("ANALYTICS_OVERLAP_SECONDS", 600)


def clock_margin_seconds() -> float:
    """How far the clocks of app servers and PostgreSQL may differ: on PostgreSQL a refresh
    looks back only this far before the oldest transaction still open (watermark)."""
    return _number("ANALYTICS_CLOCK_MARGIN_SECONDS", 60)


def auto_refresh() -> bool:
    """Whether a query that finds the records changed refreshes the read model itself."""
    return bool(getattr(settings, "ANALYTICS_AUTO_REFRESH", True))


def background_refresh() -> bool:
    """Whether the freshness check and the refresh run in a thread, off the request path.

    On for the web workers of `citesmart serve`; off by default, so a command or a test that
    changes records and then asks sees the change in its very next answer.
    """
    return bool(getattr(settings, "ANALYTICS_BACKGROUND_REFRESH", False))


def cache_size() -> int:
    """Answers kept per process (LRU); every new generation makes the old ones unreachable."""
    return int(_number("ANALYTICS_CACHE_SIZE", 256))


def duckdb_config() -> dict[str, str | bool | int | float | list[str]]:
    """Per-process DuckDB limits: several web workers share one machine."""
    return {
        "threads": str(int(_number("ANALYTICS_THREADS", 2))),
        "memory_limit": str(getattr(settings, "ANALYTICS_MEMORY_LIMIT", "1GB")),
    }


def build_config() -> dict[str, str | bool | int | float | list[str]]:
    """DuckDB limits of the one writer (rebuild, refresh): joins of every service need room.

    At 10M services a rebuild holds ~2 GB of staged rows; under the readers' 1 GB it spills
    to disk. One writer per server runs at a time (writer.lock).
    """
    return duckdb_config() | {
        "memory_limit": str(getattr(settings, "ANALYTICS_BUILD_MEMORY_LIMIT", "4GB")),
    }


def cell_key_secret() -> bytes:
    """The secret behind each record's fixed random key (cell-key perturbation).

    ANALYTICS_CELL_KEY_SECRET, else derived from SECRET_KEY. Keep it fixed (the same cell
    always gets the same answer) and secret (who knows it can undo the perturbation).
    """
    value = getattr(settings, "ANALYTICS_CELL_KEY_SECRET", None) or os.environ.get(
        "CITESMART_ANALYTICS_CELL_KEY_SECRET"
    )
    if value:
        return str(value).encode()
    return hmac.new(settings.SECRET_KEY.encode(), b"citesmart-cell-key", hashlib.sha256).digest()


def survey_minimum() -> int:
    """Respondents below which a survey estimate shows no proportion nor interval."""
    return int(_number("SURVEY_MIN_RESPONDENTS", 10))
