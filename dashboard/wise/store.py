"""Key-value stores shared by every process that serves the app.

``DiskStore`` (diskcache on a shared directory) serves one host; ``RedisStore`` serves several
hosts (set ``REDIS_URL``). Both give the few atomic operations the cache, the single-flight
leases, the upstream slots and the rate limiter need. Values are pickled; a write is atomic
(one SQLite transaction, or one Redis SET), so a killed writer never leaves half an entry.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Protocol


class Store(Protocol):
    def get(self, key: str) -> object | None: ...
    def set(self, key: str, value: object, expire: float | None = None) -> None: ...
    def add(self, key: str, value: object, expire: float) -> bool: ...
    def delete(self, key: str) -> None: ...
    def incr(self, key: str, expire: float) -> int: ...
    def count(self, key: str) -> int: ...
    def clear(self) -> None: ...


class DiskStore:
    def __init__(self, directory: Path, size_limit: int = 2**31) -> None:
        import diskcache

        self._diskcache = diskcache
        self.cache = diskcache.Cache(str(directory), size_limit=size_limit, eviction_policy="least-recently-used")

    def get(self, key: str) -> object | None:
        try:
            return self.cache.get(key, default=None, retry=True)
        except Exception:  # an unreadable entry is a miss, never a crash
            return None

    def set(self, key: str, value: object, expire: float | None = None) -> None:
        self.cache.set(key, value, expire=expire, retry=True)

    def add(self, key: str, value: object, expire: float) -> bool:
        return bool(self.cache.add(key, value, expire=expire, retry=True))

    def delete(self, key: str) -> None:
        self.cache.delete(key, retry=True)

    def incr(self, key: str, expire: float) -> int:
        self.cache.add(key, 0, expire=expire, retry=True)
        return int(self.cache.incr(key, default=0, retry=True))

    def count(self, key: str) -> int:
        """The value ``incr`` has reached (0 if none)."""
        return int(self.cache.get(key, default=0, retry=True) or 0)

    def clear(self) -> None:
        self.cache.clear()


class RedisStore:
    def __init__(self, url: str, prefix: str = "wise:") -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)
        self.prefix = prefix

    def _k(self, key: str) -> str:
        return self.prefix + key

    def get(self, key: str) -> object | None:
        try:
            raw = self.client.get(self._k(key))
            return pickle.loads(raw) if raw is not None else None  # type: ignore[arg-type]  # sync client: bytes
        except (pickle.UnpicklingError, EOFError, AttributeError, ValueError):
            return None

    def set(self, key: str, value: object, expire: float | None = None) -> None:
        self.client.set(self._k(key), pickle.dumps(value), px=int(expire * 1000) if expire else None)

    def add(self, key: str, value: object, expire: float) -> bool:
        return bool(self.client.set(self._k(key), pickle.dumps(value), nx=True, px=int(expire * 1000)))

    def delete(self, key: str) -> None:
        self.client.delete(self._k(key))

    def incr(self, key: str, expire: float) -> int:
        with self.client.pipeline() as pipe:
            pipe.incr(self._k(key))
            pipe.expire(self._k(key), int(expire), nx=True)
            count, _ = pipe.execute()
        return int(count)

    def count(self, key: str) -> int:
        raw = self.client.get(self._k(key))
        return int(raw) if raw is not None else 0  # type: ignore[arg-type]  # sync client: bytes

    def clear(self) -> None:
        for key in self.client.scan_iter(self.prefix + "*"):
            self.client.delete(key)
