"""Demo mode: whether this database holds demonstration data, and the words that say so.

The demo loaders call `mark_demo`; every portal page (context processor `demo_context`), every
API answer (api.middleware) and the open data's description (opendata.metadata) ask
`is_demo()`. Production never runs a demo loader, so it never shows the warning.
"""

from typing import Any

from django.http import HttpRequest

NOTICE = (
    "Datos de demostración: las cifras de este sitio son ficticias, generadas para mostrar "
    "el sistema. No son cifras oficiales del ITP."
)
# HTTP header values travel as Latin-1 at best: the API's header says it in ASCII.
HEADER = "X-Datos-Demostracion"
HEADER_VALUE = "ficticios; no son cifras oficiales del ITP"


def is_demo() -> bool:
    """Whether a demo loader has written into this database (one indexed row, or none)."""
    from citesmart.ops.models import DemoData

    return DemoData.objects.exists()


def mark_demo(loader: str) -> None:
    """Record that `loader` wrote demonstration data here (idempotent)."""
    from citesmart.ops.models import DemoData

    DemoData.objects.update_or_create(loader=loader)


def demo_context(request: HttpRequest) -> dict[str, Any]:
    """Templates get `demo_mode` as a callable: asked only by a page that shows it."""
    return {"demo_mode": is_demo, "demo_notice": NOTICE}
