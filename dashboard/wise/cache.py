"""The query cache shared by every process that serves the app (a ``Store``: disk or Redis).

Keyed by table + sha256 of the canonical ADQL. Entries hold the raw VOTable as received and the
parsed rows; they are written in one SQLite transaction, so a killed process never leaves a
half-written entry behind. Only successful replies are stored: failures are never data.
Freshness is decided on read (``ttl_s``), so an expired entry can still serve as a stale
fallback when IRSA fails. A short-lived marker remembers that IRSA was unreachable.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pandas as pd

from .errors import ServerBusy
from .store import Store

UNREACHABLE_KEY = "irsa:unreachable"


@dataclass
class CacheEntry:
    table: str
    adql: str
    raw: bytes
    rows: pd.DataFrame
    truncated: bool
    retrieved_utc: str
    stored_at: float
    service_url: str = ""

    def age_s(self, now: float | None = None) -> float:
        return (now or time.time()) - self.stored_at


class QueryCache:
    def __init__(self, store: Store, *, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self.store = store

    def get(self, key: str) -> CacheEntry | None:
        try:
            value = self.store.get(key)
        except Exception:  # an unreadable entry (or an unreachable store) is a miss, never a crash
            return None
        return value if isinstance(value, CacheEntry) else None

    def is_fresh(self, entry: CacheEntry) -> bool:
        return entry.age_s() < self.ttl_s

    def put(self, key: str, entry: CacheEntry) -> None:
        self.store.set(key, entry)

    @contextmanager
    def single_flight(self, key: str, timeout_s: float) -> Iterator[None]:
        """Hold a lock on ``key`` shared by every process, so concurrent identical misses make one
        upstream call. The lock expires after ``timeout_s``: a killed holder cannot block others."""
        with self.store.lock(f"lock:{key}", expire=timeout_s):
            yield

    def remember_unreachable(self, message: str, seconds: float) -> None:
        self.store.set(UNREACHABLE_KEY, message, expire=seconds)

    def known_unreachable(self) -> str | None:
        value = self.store.get(UNREACHABLE_KEY)
        return str(value) if value is not None else None

    def forget_unreachable(self) -> None:
        self.store.delete(UNREACHABLE_KEY)

    def clear(self) -> None:
        self.store.clear()


class UpstreamSlots:
    """At most ``limit`` IRSA queries at once across every process sharing the store.

    Each slot is a key taken with an atomic ``add``; a slot held by a killed process frees
    itself when its key expires.
    """

    def __init__(self, store: Store, limit: int) -> None:
        self.store = store
        self.limit = limit

    @contextmanager
    def slot(self, wait_s: float, hold_s: float) -> Iterator[None]:
        deadline = time.monotonic() + wait_s
        while True:
            for i in range(self.limit):
                key = f"upstream:slot:{i}"
                if self.store.add(key, time.time(), expire=hold_s):
                    try:
                        yield
                    finally:
                        self.store.delete(key)
                    return
            if time.monotonic() > deadline:
                raise ServerBusy(f"{self.limit} IRSA queries are already running on this server; "
                                 "try again in a moment")
            time.sleep(0.05)
