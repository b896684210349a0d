"""A small thread-safe least-recently-used map, kept by each process."""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar, overload

V = TypeVar("V")


class LRU(Generic[V]):
    """At most `size` values (a number, or a function asked at each store so that a setting
    can change it); the least recently read or stored goes first."""

    def __init__(self, size: int | Callable[[], int]) -> None:
        self._size = size if callable(size) else (lambda: size)
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    @overload
    def get(self, key: Hashable) -> V | None: ...

    @overload
    def get(self, key: Hashable, build: Callable[[], V]) -> V: ...

    def get(self, key: Hashable, build: Callable[[], V] | None = None) -> V | None:
        """The value under `key`; when absent, None, or what `build()` returns, then stored
        (built outside the lock: two threads may both build; both results are equal)."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        if build is None:
            return None
        value = build()
        self.put(key, value)
        return value

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > max(self._size(), 0):
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
