"""Leases: a key in the shared store held only while its holder lives.

A lock or an upstream slot held by a process that is killed (a cancelled background job, a
SIGKILLed worker) must not block everyone until some long expiry. A lease is taken with an atomic
``add`` for ``LEASE_S`` seconds and renewed every ``LEASE_S / 3`` by a daemon thread of the holder;
when the holder ends it deletes the key, and when it dies the renewals stop and the key expires
within ``LEASE_S``. Works the same on diskcache (one host) and Redis (several hosts).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from dashboard.archive.store import Store

LEASE_S = 6.0

#: Set by whoever runs a job whose owner may give up (a cancelled background job): while it
#: answers False, the leases taken in that context are released at their next beat.
OWNER_ALIVE: ContextVar[Callable[[], bool] | None] = ContextVar("lease_owner_alive", default=None)


def try_acquire(store: Store, key: str, lease_s: float = LEASE_S) -> str | None:
    """The holder token if ``key`` was free (and is now held), else None."""
    token = uuid.uuid4().hex
    return token if store.add(key, token, expire=lease_s) else None


@contextmanager
def held(store: Store, key: str, token: str, lease_s: float = LEASE_S) -> Iterator[None]:
    """Keep an acquired lease alive for the duration of the block, then release it."""
    done = threading.Event()
    alive = OWNER_ALIVE.get()

    def renew() -> None:
        while not done.wait(lease_s / 3):
            if alive is not None and not alive():  # the owner gave up: free the key for others now
                _release(store, key, token)
                return
            try:
                if store.get(key) == token:  # never extend a lease another holder took after expiry
                    store.set(key, token, expire=lease_s)
            except Exception:  # the store is briefly unreachable: try again at the next beat
                continue

    beat = threading.Thread(target=renew, daemon=True, name=f"lease:{key}")
    beat.start()
    try:
        yield
    finally:
        done.set()
        _release(store, key, token)


def _release(store: Store, key: str, token: str) -> None:
    try:
        if store.get(key) == token:
            store.delete(key)
    except Exception:  # it expires by itself
        pass


@contextmanager
def lease(store: Store, key: str, *, wait_s: float, poll_s: float = 0.05,
          give_up: Callable[[], bool] = lambda: False) -> Iterator[bool]:
    """Hold ``key`` for the block; yields False (without holding it) if it stayed taken ``wait_s``
    or the waiter gave up (``give_up()`` turned true: a cancel)."""
    deadline = time.monotonic() + wait_s
    while (token := try_acquire(store, key)) is None:
        if time.monotonic() > deadline or give_up():
            yield False
            return
        time.sleep(poll_s)
    with held(store, key, token):
        yield True
