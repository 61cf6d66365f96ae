"""Fetched observations handed from the background job to the web process that renders them."""

from __future__ import annotations

from typing import TypeVar

from dashboard.archive.service import shared_store
from dashboard.archive.store import Store
from dashboard.config import Settings
from dashboard.pipeline import Observed
from dashboard.sky.context import SkyContext
from dashboard.sky.evidence import VisitEvidence

T = TypeVar("T")


class Handover:
    """``Observed`` by fetch id, for a short while, shared by all processes (and hosts).

    It is a hand-over, not a data cache: each new fetch gets a new id and asks again, so a
    failure kept here is never served in place of a retry.
    """

    def __init__(self, store: Store, *, ttl_s: float = 1800.0) -> None:
        self.ttl_s = ttl_s
        self.store = store

    def _get(self, key: str, kind: type[T]) -> T | None:
        try:
            value = self.store.get(key)
        except Exception:  # an unreadable entry (or an unreachable store) is a miss
            return None
        return value if isinstance(value, kind) else None

    def put(self, fetch_id: str, observed: Observed) -> None:
        self.store.set(f"view:{fetch_id}", observed, expire=self.ttl_s)

    def get(self, fetch_id: str) -> Observed | None:
        return self._get(f"view:{fetch_id}", Observed)

    def put_sky(self, sky_id: str, context: SkyContext) -> None:
        self.store.set(f"sky:{sky_id}", context, expire=self.ttl_s)

    def get_sky(self, sky_id: str) -> SkyContext | None:
        return self._get(f"sky:{sky_id}", SkyContext)

    def put_frames(self, frames_id: str, evidence: VisitEvidence) -> None:
        self.store.set(f"frames:{frames_id}", evidence, expire=self.ttl_s)

    def get_frames(self, frames_id: str) -> VisitEvidence | None:
        return self._get(f"frames:{frames_id}", VisitEvidence)


def handover(settings: Settings) -> Handover:
    return Handover(shared_store(settings))
