"""Demo mode: whether this database holds demonstration data, and the words that say so.

The demo loaders call `mark_demo`; every portal page (context processor `demo_context`), every
API answer (api.middleware) and the open data's description (opendata.metadata) ask
`is_demo()`. Production never runs a demo loader, so it never shows the warning.
"""

import time
from typing import Any

from django.http import HttpRequest

NOTICE = (
    "Datos de demostración: las cifras de este sitio son ficticias, generadas para mostrar "
    "el sistema. No son cifras oficiales del ITP."
)
# HTTP header values travel as Latin-1 at best: the API's header says it in ASCII.
HEADER = "X-Datos-Demostracion"
HEADER_VALUE = "ficticios; no son cifras oficiales del ITP"


# Asked by every page and API answer: each process remembers the answer for CHECK_SECONDS,
# so a public page still reads one row per request (the registry's version). A demo load on
# another process shows within that time; this process's own mark_demo at once.
CHECK_SECONDS = 30.0
_known: tuple[float, bool] | None = None


def is_demo() -> bool:
    """Whether a demo loader has written into this database."""
    global _known
    known = _known
    if known is not None and time.monotonic() - known[0] < CHECK_SECONDS:
        return known[1]
    from citesmart.ops.models import DemoData

    found = DemoData.objects.exists()
    _known = (time.monotonic(), found)
    return found


def forget(*, assume: bool | None = None) -> None:
    """Ask the database again at the next is_demo(), or take `assume` as its answer for
    CHECK_SECONDS (tests: a test database starts without demo data)."""
    global _known
    _known = None if assume is None else (time.monotonic(), assume)


def mark_demo(loader: str) -> None:
    """Record that `loader` wrote demonstration data here (idempotent)."""
    from citesmart.ops.models import DemoData

    DemoData.objects.update_or_create(loader=loader)
    forget()


def demo_context(request: HttpRequest) -> dict[str, Any]:
    """Templates get `demo_mode` as a callable: asked only by a page that shows it."""
    return {"demo_mode": is_demo}
