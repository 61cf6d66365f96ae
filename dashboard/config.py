"""Every setting of the app, read from the environment in this one place.

Each setting is documented in the README's configuration table. Values are read once when
``load()`` is first called; tests build their own ``Settings`` with ``dataclasses.replace``.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

IRSA_TAP_URL = "https://irsa.ipac.caltech.edu/TAP"


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be a number, got {raw!r}") from exc


def _int(name: str, default: int) -> int:
    return int(_float(name, default))


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Timeouts:
    """Seconds to wait for IRSA, per table (NEOWISE cones are the slowest)."""

    connect: float = 5.0
    allwise_p3as_psd: float = 30.0
    allwise_p3as_mep: float = 60.0
    neowiser_p1bs_psd: float = 90.0

    def read_timeout(self, table: str) -> float:
        return float(getattr(self, table, 60.0))


@dataclass(frozen=True)
class Settings:
    tap_url: str = IRSA_TAP_URL
    offline: bool = False
    max_radius_arcsec: float = 120.0
    default_radius_arcsec: float = 10.0
    max_rows: int = 50_000
    cache_dir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()) / "wise-explorer-cache")
    cache_ttl_s: float = 7 * 24 * 3600.0
    cache_size_bytes: int = 2 * 1024**3
    unreachable_memory_s: float = 60.0
    timeouts: Timeouts = field(default_factory=Timeouts)
    resolve_names_online: bool = True
    host: str = "127.0.0.1"
    port: int = 8050
    debug: bool = False
    max_concurrent_upstream: int = 4
    rate_limit_per_minute: int = 60
    secret_key: str | None = None
    worker_max_rss_mb: float = 1024.0
    redis_url: str | None = None


def from_environment() -> Settings:
    """Build the settings from ``WISE_*`` environment variables (see README)."""
    cache_dir = os.environ.get("WISE_CACHE_DIR")
    return Settings(
        tap_url=os.environ.get("WISE_TAP_URL", IRSA_TAP_URL).rstrip("/"),
        offline=_bool("WISE_OFFLINE", False),
        max_radius_arcsec=_float("WISE_MAX_RADIUS_ARCSEC", 120.0),
        default_radius_arcsec=_float("WISE_DEFAULT_RADIUS_ARCSEC", 10.0),
        max_rows=_int("WISE_MAX_ROWS", 50_000),
        cache_dir=Path(cache_dir) if cache_dir else Settings().cache_dir,
        cache_ttl_s=_float("WISE_CACHE_TTL_S", 7 * 24 * 3600.0),
        cache_size_bytes=_int("WISE_CACHE_SIZE_BYTES", 2 * 1024**3),
        unreachable_memory_s=_float("WISE_UNREACHABLE_MEMORY_S", 60.0),
        timeouts=Timeouts(
            connect=_float("WISE_TIMEOUT_CONNECT_S", 5.0),
            allwise_p3as_psd=_float("WISE_TIMEOUT_PSD_S", 30.0),
            allwise_p3as_mep=_float("WISE_TIMEOUT_MEP_S", 60.0),
            neowiser_p1bs_psd=_float("WISE_TIMEOUT_NEOWISE_S", 90.0),
        ),
        resolve_names_online=_bool("WISE_RESOLVE_NAMES_ONLINE", True),
        host=os.environ.get("WISE_HOST", "127.0.0.1"),
        port=_int("WISE_PORT", 8050),
        debug=_bool("WISE_DEBUG", False),
        max_concurrent_upstream=_int("WISE_MAX_CONCURRENT_UPSTREAM", 4),
        rate_limit_per_minute=_int("WISE_RATE_LIMIT_PER_MINUTE", 60),
        secret_key=os.environ.get("SECRET_KEY") or None,
        worker_max_rss_mb=_float("WISE_WORKER_MAX_RSS_MB", 1024.0),
        redis_url=os.environ.get("REDIS_URL") or None,
    )


@lru_cache(maxsize=1)
def load() -> Settings:
    """The process-wide settings, read once."""
    return from_environment()
