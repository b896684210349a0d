"""Settings of the open data, each with a default so settings.py needs no entry."""

import hashlib
import hmac
import os
from pathlib import Path

from django.conf import settings


def directory() -> Path:
    """Where releases live: OPENDATA_DIR, or VAR_DIR/opendata."""
    value = getattr(settings, "OPENDATA_DIR", None) or os.environ.get("CITESMART_OPENDATA_DIR")
    return Path(value) if value else Path(settings.VAR_DIR) / "opendata"


def pseudonym_key() -> bytes:
    """The secret behind the pseudonymous ids: OPENDATA_PSEUDONYM_KEY, else from SECRET_KEY.

    Keep it fixed across releases (ids stay the same) and secret (ids cannot be reversed by
    hashing every possible DNI). Changing it changes every id.
    """
    value = getattr(settings, "OPENDATA_PSEUDONYM_KEY", None) or os.environ.get(
        "CITESMART_OPENDATA_PSEUDONYM_KEY"
    )
    if value:
        return str(value).encode()
    return hmac.new(settings.SECRET_KEY.encode(), b"citesmart-opendata", hashlib.sha256).digest()


def releases_kept() -> int:
    """How many releases stay on disk (the current one included)."""
    return int(getattr(settings, "OPENDATA_RELEASES_KEPT", 3))
