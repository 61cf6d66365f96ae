"""A per-client limit of new lookups and downloads per minute, shared by all workers and hosts."""

from __future__ import annotations

import time

from dashboard.archive.service import shared_store
from dashboard.archive.store import Store
from dashboard.config import Settings


class RateLimiter:
    def __init__(self, store: Store, per_minute: int) -> None:
        self.store = store
        self.per_minute = per_minute

    def _key(self, client: str) -> str:
        return f"rate:{client}:{int(time.time() // 60)}"

    def allow(self, client: str) -> bool:
        """Count one request of ``client``; False once it is over the limit this minute."""
        if self.per_minute <= 0:
            return True
        return self.store.incr(self._key(client), expire=120) <= self.per_minute

    def exhausted(self, client: str) -> bool:
        """Whether the next request would be refused (counts nothing: for a friendly message)."""
        if self.per_minute <= 0:
            return False
        return self.store.count(self._key(client)) >= self.per_minute

    def refusal(self) -> str:
        return (f"Too many requests from your address (limit {self.per_minute} per minute); "
                "wait a minute and try again.")


def rate_limiter(settings: Settings) -> RateLimiter:
    return RateLimiter(shared_store(settings), settings.rate_limit_per_minute)


def client_address() -> str:
    """The requesting client's address inside a Flask request, else ``local`` (the CLI)."""
    from flask import has_request_context, request

    return (request.remote_addr or "unknown") if has_request_context() else "local"
