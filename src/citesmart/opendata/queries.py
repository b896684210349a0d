"""Reads about the open data for other apps (ops' /salud/ asks how old the release online is)."""

from datetime import datetime

from citesmart.opendata import publish


def latest_release_at() -> datetime | None:
    """Publication time of the release being served (CURRENT's manifest), or None if none.

    Read from the manifest, not the folder's mtime: a restore or copy keeps the real date.
    """
    online = publish.current()
    if online is None:
        return None
    _folder, manifest = online
    return datetime.fromisoformat(manifest["published_at"])
