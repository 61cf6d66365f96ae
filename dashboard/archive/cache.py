"""The query cache shared by every process that serves the app (a ``Store``: disk or Redis).

Keyed by table + sha256 of the canonical ADQL. Entries hold the raw VOTable as received and the
parsed rows; they are written in one SQLite transaction, so a killed process never leaves a
half-written entry behind. Only successful replies are stored: failures are never data.
Freshness is decided on read (``ttl_s``), so an expired entry can still serve as a stale
fallback when IRSA fails. A short-lived marker remembers that IRSA was unreachable.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pandas as pd

from dashboard.archive.lease import held, lease, try_acquire
from dashboard.archive.store import Store
from dashboard.core.errors import Cancelled, ServerBusy

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
    def __init__(self, store: Store, *, ttl_s: float, empty_ttl_s: float | None = None) -> None:
        self.ttl_s = ttl_s
        self.empty_ttl_s = ttl_s if empty_ttl_s is None else empty_ttl_s
        self.store = store

    def get(self, key: str) -> CacheEntry | None:
        try:
            value = self.store.get(key)
        except Exception:  # an unreadable entry (or an unreachable store) is a miss, never a crash
            return None
        return value if isinstance(value, CacheEntry) else None

    def is_fresh(self, entry: CacheEntry) -> bool:
        """An empty reply is asked again sooner (``empty_ttl_s``): "nothing here" may be a glitch."""
        return entry.age_s() < (self.empty_ttl_s if entry.rows.empty else self.ttl_s)

    def put(self, key: str, entry: CacheEntry) -> None:
        self.store.set(key, entry)

    @contextmanager
    def single_flight(self, key: str, timeout_s: float,
                      give_up: Callable[[], bool] = lambda: False) -> Iterator[None]:
        """Hold a lease on ``key`` shared by every process, so concurrent identical misses make one
        upstream call. A killed holder frees it within seconds (``lease.py``); a waiter that
        waited ``timeout_s`` for a live holder, or gave up, goes on without it (at worst a
        duplicate query; a cancelled waiter stops right after)."""
        with lease(self.store, f"lock:{key}", wait_s=timeout_s, give_up=give_up):
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

    Each slot is a lease taken with an atomic ``add``; a slot held by a killed process frees
    itself within seconds.
    """

    def __init__(self, store: Store, limit: int, service: str = "upstream") -> None:
        self.store = store
        self.limit = limit
        self.service = service  # each outside service has its own slots (IRSA TAP: "upstream")

    @contextmanager
    def slot(self, wait_s: float, give_up: Callable[[], bool] = lambda: False) -> Iterator[None]:
        """One of the ``limit`` slots as a lease (``lease.py``): a dead holder's slot frees itself.
        A waiter whose ``give_up`` turns true (a cancelled batch) stops waiting: ``Cancelled``."""
        deadline = time.monotonic() + wait_s
        while True:
            if give_up():
                raise Cancelled(f"cancelled while waiting for one of the {self.limit} upstream-query slots")
            for i in range(self.limit):
                key = f"{self.service}:slot:{i}"
                token = try_acquire(self.store, key)
                if token is not None:
                    with held(self.store, key, token):
                        yield
                    return
            if time.monotonic() > deadline:
                who = "IRSA" if self.service == "upstream" else self.service
                raise ServerBusy(f"{self.limit} {who} queries are already running on this server; "
                                 "try again in a moment")
            time.sleep(0.05)
