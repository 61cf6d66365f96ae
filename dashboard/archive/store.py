"""Key-value stores shared by every process that serves the app.

``DiskStore`` (diskcache on a shared directory) serves one host; ``RedisStore`` serves several
hosts (set ``REDIS_URL``). Both give the few atomic operations the cache, the single-flight
leases, the upstream slots and the rate limiter need. Values are pickled; a write is atomic
(one SQLite transaction, or one Redis SET), so a killed writer never leaves half an entry.
"""

from __future__ import annotations

import functools
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TypeVar

import diskcache

from dashboard.archive import pickles
from dashboard.core.errors import StoreUnavailable

T = TypeVar("T")


class Store(Protocol):
    def get(self, key: str) -> object | None: ...
    def set(self, key: str, value: object, expire: float | None = None) -> None: ...
    def add(self, key: str, value: object, expire: float) -> bool: ...
    def replace(self, key: str, expected: object, value: object, expire: float) -> bool: ...
    def delete(self, key: str) -> None: ...
    def incr(self, key: str, expire: float) -> int: ...
    def count(self, key: str) -> int: ...
    def clear(self) -> None: ...


class _MovedModulesDisk(diskcache.Disk):
    """diskcache's serialiser, unpickling values through ``pickles.load`` (old module paths mapped)."""

    def fetch(self, mode: int, filename: str, value: bytes | None, read: bool) -> object:
        if mode == diskcache.core.MODE_PICKLE:
            if value is None:
                with open(os.path.join(self._directory, filename), "rb") as reader:
                    return pickles.load(reader)
            return pickles.loads(bytes(value))
        return super().fetch(mode, filename, value, read)


class DiskStore:
    def __init__(self, directory: Path, size_limit: int = 2**31) -> None:
        self.cache = diskcache.Cache(str(directory), size_limit=size_limit, eviction_policy="least-recently-used",
                                     disk=_MovedModulesDisk)

    def get(self, key: str) -> object | None:
        try:
            return self.cache.get(key, default=None, retry=True)
        except Exception:  # an unreadable entry is a miss, never a crash
            return None

    def set(self, key: str, value: object, expire: float | None = None) -> None:
        self.cache.set(key, value, expire=expire, retry=True)

    def add(self, key: str, value: object, expire: float) -> bool:
        return bool(self.cache.add(key, value, expire=expire, retry=True))

    def replace(self, key: str, expected: object, value: object, expire: float) -> bool:
        """Set ``key`` to ``value`` only if it still holds ``expected`` (one SQLite transaction)."""
        with self.cache.transact(retry=True):
            if self.cache.get(key, default=None, retry=True) != expected:
                return False
            self.cache.set(key, value, expire=expire, retry=True)
            return True

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


def _or_unavailable(method: Callable[..., T]) -> Callable[..., T]:
    """Redis unreachable -> ``StoreUnavailable`` (a typed failure the app answers with 503)."""

    @functools.wraps(method)
    def call(*args: object, **kwargs: object) -> T:
        import redis

        try:
            return method(*args, **kwargs)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
            raise StoreUnavailable(f"the shared cache (Redis) is unavailable: {type(exc).__name__}") from exc

    return call


class RedisStore:
    def __init__(self, url: str, prefix: str = "wise:") -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)
        self.prefix = prefix

    def _k(self, key: str) -> str:
        return self.prefix + key

    @_or_unavailable
    def get(self, key: str) -> object | None:
        raw = self.client.get(self._k(key))  # Redis unreachable: StoreUnavailable (the decorator)
        if raw is None:
            return None
        try:
            return pickles.loads(raw)  # type: ignore[arg-type]  # sync client: bytes
        except Exception:  # an unreadable entry (cut short, a class that no longer exists) is a miss
            return None

    @_or_unavailable
    def set(self, key: str, value: object, expire: float | None = None) -> None:
        self.client.set(self._k(key), pickle.dumps(value), px=int(expire * 1000) if expire else None)

    @_or_unavailable
    def add(self, key: str, value: object, expire: float) -> bool:
        return bool(self.client.set(self._k(key), pickle.dumps(value), nx=True, px=int(expire * 1000)))

    #: Compare-and-set in one step on the server (Redis runs a script atomically).
    _REPLACE = ("if redis.call('get', KEYS[1]) == ARGV[1] then "
                "redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 else return 0 end")

    @_or_unavailable
    def replace(self, key: str, expected: object, value: object, expire: float) -> bool:
        """Set ``key`` to ``value`` only if it still holds ``expected`` (pickles of equal strings are equal)."""
        args: list = [pickle.dumps(expected), pickle.dumps(value), int(expire * 1000)]  # redis-py sends bytes as is
        done = self.client.eval(self._REPLACE, 1, self._k(key), *args)
        return bool(done)

    @_or_unavailable
    def delete(self, key: str) -> None:
        self.client.delete(self._k(key))

    @_or_unavailable
    def incr(self, key: str, expire: float) -> int:
        with self.client.pipeline() as pipe:
            pipe.incr(self._k(key))
            pipe.expire(self._k(key), int(expire), nx=True)
            count, _ = pipe.execute()
        return int(count)

    @_or_unavailable
    def count(self, key: str) -> int:
        raw = self.client.get(self._k(key))
        return int(raw) if raw is not None else 0  # type: ignore[arg-type]  # sync client: bytes

    @_or_unavailable
    def clear(self) -> None:
        for key in self.client.scan_iter(self.prefix + "*"):
            self.client.delete(key)
