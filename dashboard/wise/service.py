"""Wiring: settings -> the objects of the service layer. The CLI, the page and the bundle route
all go through these functions, so they see the same data the same way."""

from __future__ import annotations

from functools import lru_cache

from ..config import Settings
from . import archive
from .cache import ObservationStore, QueryCache, RateLimiter, UpstreamSlots
from .fetch import Fetcher
from .model import Cone, Target
from .store import DiskStore, RedisStore, Store
from .tables import TABLES
from .tap import IrsaTapClient
from .targets import parse_radius, parse_target, sesame_resolver


def build_fetcher(settings: Settings) -> Fetcher:
    store = shared_store(settings)
    return Fetcher(
        client=IrsaTapClient(settings.tap_url, connect_timeout_s=settings.timeouts.connect),
        cache=QueryCache(store, ttl_s=settings.cache_ttl_s),
        slots=UpstreamSlots(store, settings.max_concurrent_upstream),
        read_timeouts={t: settings.timeouts.read_timeout(t) for t in TABLES},
        max_rows=settings.max_rows,
        unreachable_memory_s=settings.unreachable_memory_s,
    )


def shared_store(settings: Settings) -> Store:
    """Redis when ``REDIS_URL`` is set (several hosts), else diskcache in ``WISE_CACHE_DIR``."""
    return _store(settings.redis_url, str(settings.cache_dir), settings.cache_size_bytes)


@lru_cache(maxsize=8)
def _store(redis_url: str | None, directory: str, size: int) -> Store:
    from pathlib import Path

    return RedisStore(redis_url) if redis_url else DiskStore(Path(directory), size)


def resolve_target(text: str, settings: Settings, *, offline: bool = False) -> Target:
    """User text -> Target; names resolve online unless offline or disabled."""
    online = settings.resolve_names_online and not (offline or settings.offline)
    return parse_target(text, aliases=archive.aliases(), resolver=sesame_resolver if online else None)


def make_cone(target: Target, radius: object, settings: Settings) -> Cone:
    return Cone(target.ra, target.dec, parse_radius(radius, settings.max_radius_arcsec))


def observation_store(settings: Settings) -> ObservationStore:
    return ObservationStore(shared_store(settings))


def rate_limiter(settings: Settings) -> RateLimiter:
    return RateLimiter(shared_store(settings), settings.rate_limit_per_minute)
