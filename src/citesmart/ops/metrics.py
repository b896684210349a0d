"""Prometheus metrics: request counts and latencies, import rows, analytics refresh lag.

Under gunicorn every worker is a process of its own. `citesmart serve` points
PROMETHEUS_MULTIPROC_DIR at an empty directory before the workers start, so prometheus_client
keeps each worker's counters in a memory-mapped file there and /metricas/ adds them up
(gunicorn's `child_exit` hook marks dead workers). Without that variable (runserver, tests)
the counters live in this process.

Import rows and the analytics lag are read at scrape time from the database and the read
model: imports also run from the command line, in processes no worker counts.
"""

import os
import time
from collections.abc import Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

REQUESTS = Counter(
    "citesmart_http_requests",
    "Peticiones HTTP atendidas, por método, ruta (nombre de la URL) y código de estado.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "citesmart_http_request_duration_seconds",
    "Duración de las peticiones HTTP, por método y ruta.",
    ["method", "route"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10, 30),
)
DATABASE_UNAVAILABLE = Counter(
    "citesmart_database_unavailable",
    "Peticiones respondidas con 503 porque la base de datos no estaba disponible.",
)


def observe(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(seconds)


class RecordsCollector(Collector):
    """Figures read at scrape time: import rows by batch status, the read model's lag."""

    def collect(self) -> Iterator[Metric]:
        from citesmart.ops import queries

        rows = GaugeMetricFamily(
            "citesmart_import_rows",
            "Filas de hojas importadas (acumulado de los lotes), por estado del lote.",
            labels=["status"],
        )
        rejected = GaugeMetricFamily(
            "citesmart_import_rejected_rows",
            "Filas rechazadas en las importaciones (acumulado de los lotes), por estado del lote.",
            labels=["status"],
        )
        for status, total, bad in queries.import_rows():
            rows.add_metric([status], total)
            rejected.add_metric([status], bad)
        yield rows
        yield rejected
        state = queries.analytics_state()
        lag = GaugeMetricFamily(
            "citesmart_analytics_refresh_lag_seconds",
            "Segundos que el modelo analítico de este servidor lleva atrás de los registros "
            "(0 si está al día; -1 si no hay generación).",
        )
        lag.add_metric([], state.get("lag_seconds", -1) if state["ok"] else -1)
        yield lag
        age = GaugeMetricFamily(
            "citesmart_analytics_generation_age_seconds",
            "Antigüedad de la lectura de los registros que refleja la generación actual.",
        )
        age.add_metric([], state.get("age_seconds", -1))
        yield age


def exposition() -> tuple[bytes, str]:
    """The text exposition of every metric, added up over the gunicorn workers when needed."""
    records = CollectorRegistry()
    records.register(RecordsCollector())
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        workers = CollectorRegistry()
        multiprocess.MultiProcessCollector(workers)
        body = generate_latest(workers)
    else:
        body = generate_latest(REGISTRY)
    return body + generate_latest(records), CONTENT_TYPE_LATEST


def now() -> float:
    return time.perf_counter()
