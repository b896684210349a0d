"""What a web worker does when gunicorn retires it (max_requests reached, a reload, a stop).

gunicorn has already answered the worker's requests (it waits for them up to
graceful_timeout) when it calls `leave` (gunicorn_conf.worker_exit). What may still run are
the worker's own background threads: the push refresher and the freshness check, either of
them possibly inside DuckDB, and the fsync of a generation being built. Python's teardown
handled them badly, seen in the cluster drill (docs/DEPLOYMENT.md §7.1), where a worker under
load reaches max_requests about once a minute:

* it stops daemon threads where they stand, and one inside DuckDB takes the process down
  with it ("terminate called after throwing an instance of ''", SIGABRT);
* it waits for every non-daemon thread, the fsync of a copied generation included: one
  worker hung 60 s, until gunicorn's timeout killed it, while its replacement waited.

So the worker asks its background threads to stop, gives them a few seconds, and leaves
with `os._exit`, without the teardown. Nothing is lost by that: a generation half-built is
never published and the next build removes its leftovers (analytics.connection), the
kernel releases the push lock and the sockets, and the logs are flushed first.
"""

import logging
import os
import sys
import time

from citesmart.analytics import push, refresh

WAIT_SECONDS = 5.0


def leave(wait: float = WAIT_SECONDS) -> None:
    """Stop this process's background work (≤ `wait` s), then exit with gunicorn's status."""
    status = _exit_status()
    deadline = time.monotonic() + wait
    push.stop(wait)
    refresh.wait_for_background_check(max(deadline - time.monotonic(), 0))
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(status)


def _exit_status() -> int:
    """The status the worker was leaving with (called while gunicorn's SystemExit unwinds):
    0 when retired, 3 when it could not boot (the arbiter then stops), ..."""
    error = sys.exc_info()[1]
    if isinstance(error, SystemExit):
        code = error.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0 if error is None else 1
