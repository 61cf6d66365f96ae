"""Wiring: settings -> the objects of the service layer (fetcher, shared store)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from dashboard.archive.cache import QueryCache, UpstreamSlots
from dashboard.archive.fetch import Fetcher
from dashboard.archive.offline import OfflineArchive
from dashboard.archive.store import DiskStore, RedisStore, Store
from dashboard.archive.tap import IrsaTapClient
from dashboard.config import Settings
from dashboard.core.errors import StoreUnavailable


def build_fetcher(settings: Settings) -> Fetcher:
    store = shared_store(settings)
    return Fetcher(
        client=IrsaTapClient(settings.tap_url, connect_timeout_s=settings.connect_timeout_s),
        cache=QueryCache(store, ttl_s=settings.cache_ttl_s, empty_ttl_s=settings.empty_ttl_s),
        archive=OfflineArchive(),
        offline=settings.offline,
        slots=UpstreamSlots(store, settings.max_concurrent_upstream),
        read_timeouts=dict(settings.read_timeouts_s),
        max_rows=settings.max_rows,
        unreachable_memory_s=settings.unreachable_memory_s,
    )


def shared_store(settings: Settings) -> Store:
    """Redis when ``REDIS_URL`` is set (several hosts), else diskcache in ``WISE_CACHE_DIR``."""
    return _store(settings.redis_url, str(settings.cache_dir), settings.cache_size_bytes)


@lru_cache(maxsize=8)
def _store(redis_url: str | None, directory: str, size: int) -> Store:
    return RedisStore(redis_url) if redis_url else DiskStore(Path(directory), size)


def store_reachable(settings: Settings) -> bool:
    """Whether the shared store answers (a readiness check; never raises)."""
    try:
        shared_store(settings).get("readiness-probe")
        return True
    except StoreUnavailable:
        return False
