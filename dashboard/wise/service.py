"""Wiring: settings -> the objects of the service layer. The CLI, the page and the bundle route
all go through these functions, so they see the same data the same way."""

from __future__ import annotations

from functools import lru_cache

from ..config import Settings
from . import archive
from .cache import ObservationStore, QueryCache, RateLimiter, UpstreamSlots
from .fetch import Fetcher
from .model import Cone, Target
from .tables import TABLES
from .tap import IrsaTapClient
from .targets import parse_radius, parse_target, sesame_resolver


def build_fetcher(settings: Settings) -> Fetcher:
    cache = _cache(str(settings.cache_dir), settings.cache_ttl_s, settings.cache_size_bytes)
    return Fetcher(
        client=IrsaTapClient(settings.tap_url, connect_timeout_s=settings.timeouts.connect),
        cache=cache,
        slots=UpstreamSlots(cache, settings.max_concurrent_upstream),
        read_timeouts={t: settings.timeouts.read_timeout(t) for t in TABLES},
        max_rows=settings.max_rows,
        unreachable_memory_s=settings.unreachable_memory_s,
    )


@lru_cache(maxsize=8)
def _cache(directory: str, ttl_s: float, size: int) -> QueryCache:
    from pathlib import Path

    return QueryCache(Path(directory), ttl_s=ttl_s, size_limit=size)


def resolve_target(text: str, settings: Settings, *, offline: bool = False) -> Target:
    """User text -> Target; names resolve online unless offline or disabled."""
    online = settings.resolve_names_online and not (offline or settings.offline)
    return parse_target(text, aliases=archive.aliases(), resolver=sesame_resolver if online else None)


def make_cone(target: Target, radius: object, settings: Settings) -> Cone:
    return Cone(target.ra, target.dec, parse_radius(radius, settings.max_radius_arcsec))


@lru_cache(maxsize=8)
def observation_store(directory: str) -> ObservationStore:
    from pathlib import Path

    return ObservationStore(Path(directory) / "views")


def rate_limiter(settings: Settings) -> RateLimiter:
    cache = _cache(str(settings.cache_dir), settings.cache_ttl_s, settings.cache_size_bytes)
    return RateLimiter(cache, settings.rate_limit_per_minute)
