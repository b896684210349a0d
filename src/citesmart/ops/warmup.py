"""What a web worker does once, before its first request: load the code and templates every
page needs, the network's registry, and open the read model, so the first visitor does not
pay for them.

Called from citesmart.wsgi, which gunicorn imports in each worker while it boots (before the
worker accepts connections; `citesmart serve`) and runserver at start. It computes no figure
and fills no cache of answers: the first request of a new worker is still "cold" in that
sense (bench/dashboard_request_bench.py times it after this, as a worker would serve it).
Anything that fails here is left for the first request to meet and report.
"""

import logging
import time
from contextlib import suppress
from pathlib import Path

from django.conf import settings
from django.template import TemplateDoesNotExist, TemplateSyntaxError, engines
from django.urls import get_resolver
from django.utils import translation

from citesmart.analytics import conf, refresh
from citesmart.analytics import connection as analytics_connection
from citesmart.network import registry

logger = logging.getLogger(__name__)


def warm() -> float:
    """Load URLs, translations, the project's templates and the read model; seconds taken."""
    started = time.perf_counter()
    try:
        get_resolver().reverse_dict  # noqa: B018 - imports every view, indexes the names
        with translation.override(settings.LANGUAGE_CODE):
            translation.gettext("Servicios")  # loads the catalogues
        _templates()
        registry.current()  # the network's centers, chains and catalogue (not figures)
        reader = analytics_connection.reader(conf.directory(), conf.duckdb_config())
        with suppress(analytics_connection.Unavailable):
            reader.attach()  # opens the current generation and reads its meta
    except refresh.DATABASE_AWAY as error:  # a restart, a failover: the first request retries
        logger.warning("preparación del worker incompleta: base de datos no disponible: %s", error)
    except Exception:  # the first request meets it again and answers for it
        logger.exception("preparación del worker incompleta")
    elapsed = time.perf_counter() - started
    logger.info("worker listo en %.0f ms (código, plantillas, modelo analítico)", elapsed * 1000)
    return elapsed


def _templates() -> None:
    """Compile the project's own templates (the cached loader keeps them)."""
    engine = engines["django"]
    for directory in engine.template_dirs:
        root = Path(directory)
        for path in sorted(root.rglob("*.html")):
            with suppress(TemplateDoesNotExist, TemplateSyntaxError):
                engine.get_template(path.relative_to(root).as_posix())
