"""Results computed once per process for many viewers of the same view.

A shared link is opened by a whole group: the same fetched data with the same view settings
gives the same panels and the same bundle bytes, so they are kept, least recently used first
out, for as long as a few views fit. Keys name the data exactly (``fingerprint``), never by
where it was served from, so a re-fetch is a new key, never a stale hit.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from dashboard.core.model import Observations

T = TypeVar("T")

#: Views kept per process: a handful of shared links; figures at 10^5 epochs are ~2 MB each.
VIEWS_KEPT = 16


class Memo(Generic[T]):
    """A bounded, thread-safe least-recently-used map from a key to a computed value."""

    def __init__(self, size: int = VIEWS_KEPT) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()  # outside the lock: two threads may compute one key once each, never wait
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def fingerprint(observations: Observations) -> tuple:
    """What identifies fetched data: per table its query, rows and retrieval time (or its
    failure). How it was served (live, cache hit, age) is left out: same data, same key."""
    tables = tuple(sorted((t, r.provenance.retrieved_utc, r.provenance.rows, r.provenance.adql,
                           r.provenance.archive_file) for t, r in observations.results.items()))
    failures = tuple(sorted((t, e.kind, str(e)) for t, e in observations.failures.items()))
    return observations.cone, tables, failures
