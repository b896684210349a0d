"""Django's FileBasedCache, culling now and then instead of on every write.

FileBasedCache lists its whole directory on every `set` to decide whether to cull: with a
few thousand entries that costs several milliseconds per write, and a dashboard computed
from scratch stores a dozen answers and its page. Here a process lists the directory once
every CULL_EVERY writes, so the cap (MAX_ENTRIES) may be overshot by at most that many
entries per process between two culls.
"""

import threading

from django.core.cache.backends.filebased import FileBasedCache

CULL_EVERY = 100


class AmortizedFileBasedCache(FileBasedCache):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._writes = 0
        self._lock = threading.Lock()

    def _cull(self) -> None:
        with self._lock:
            self._writes += 1
            due = self._writes % CULL_EVERY == 1  # the first write of a process culls too
        # Django culls a fraction (1 / CULL_FREQUENCY) per call: repeat until under the cap.
        for _ in range(20 if due else 0):
            if len(self._list_cache_files()) < self._max_entries:
                break
            super()._cull()
