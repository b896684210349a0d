"""Stable, irreversible identifiers: a keyed hash (HMAC-SHA256) of the internal id.

A plain hash of a DNI or of a database id could be reversed by trying every value; with a
secret key it cannot, and the same key gives the same id in every release.
"""

import hashlib
import hmac

from citesmart.opendata import conf

PREFIXES = {"unit": "UP", "report": "IN", "service": "SV"}


class Pseudonymiser:
    def __init__(self, key: bytes | None = None) -> None:
        self._key = conf.pseudonym_key() if key is None else key

    def __call__(self, kind: str, value: object) -> str:
        digest = hmac.new(self._key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
        return f"{PREFIXES[kind]}-{digest[:16]}"
