"""gunicorn settings used by `citesmart serve`; every value can come from the environment.

WEB_CONCURRENCY   worker processes (default: 2 × CPUs + 1, at most 8)
GUNICORN_THREADS  threads per worker (default 4; figures are read from DuckDB, which releases
                  the GIL, and pages wait on PostgreSQL)
BIND              address (default 127.0.0.1:8000; behind nginx, keep it on loopback)
GUNICORN_TIMEOUT  seconds before a stuck worker is replaced (default 60; large imports
                  run in the request, raise it if operators upload very large files)
GUNICORN_ACCESS_LOG  "-" (stdout, default), a file path, or "off". Each line carries the
                  request id the application sent back in X-Request-ID.
"""

import multiprocessing
import os

from prometheus_client import multiprocess

from citesmart.ops import gunicorn_response

# Headers leave with the body, in one send: an answer is whole or absent when a server dies.
gunicorn_response.install()


def _workers() -> int:
    value = os.environ.get("WEB_CONCURRENCY", "").strip()
    return int(value) if value else min(2 * multiprocessing.cpu_count() + 1, 8)


bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = _workers()
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = 500
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
_access = os.environ.get("GUNICORN_ACCESS_LOG", "-")
accesslog = None if _access == "off" else _access
errorlog = "-"
access_log_format = (
    '%(h)s - %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms rid=%({x-request-id}o)s'
)
proc_name = "citesmart"


def worker_exit(server, worker) -> None:
    """In the retiring worker: stop its background refreshes, leave without Python's teardown
    (ops/worker_exit: a daemon thread inside DuckDB aborted the process, an fsync held it)."""
    from citesmart.ops import worker_exit  # the application's modules: Django is set up here

    worker_exit.leave()


def child_exit(server, worker) -> None:
    """A dead worker's gauges must leave the Prometheus sums (prometheus_client docs)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
