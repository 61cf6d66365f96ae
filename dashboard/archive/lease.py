"""Leases: a key in the shared store held only while its holder lives.

A lock or an upstream slot held by a process that is killed (a cancelled background job, a
SIGKILLed worker) must not block everyone until some long expiry. A lease is taken with an atomic
``add`` for ``LEASE_S`` seconds and renewed every ``LEASE_S / 3`` by a daemon thread of the holder;
when the holder ends it deletes the key, and when it dies the renewals stop and the key expires
within ``LEASE_S``. Works the same on diskcache (one host) and Redis (several hosts).

A holder's token names it: host, pid and the process's start time (pids are reused). A waiter on
the same host that finds the holder's process gone takes the lease over at once, with an atomic
compare-and-set (``Store.replace``), so of two waiters that both see the dead holder one wins; a
holder on another host cannot be checked from here and keeps the expiry.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from dashboard.archive.store import Store

log = logging.getLogger(__name__)

LEASE_S = 6.0

#: Set by whoever runs a job whose owner may give up (a cancelled background job): while it
#: answers False, the leases taken in that context are released at their next beat.
OWNER_ALIVE: ContextVar[Callable[[], bool] | None] = ContextVar("lease_owner_alive", default=None)


def _host() -> str:
    """This machine: its name and boot id (a rebooted host's processes are all gone)."""
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            boot = f.read().strip()
    except OSError:
        boot = ""
    return f"{socket.gethostname()}/{boot}"


def _started(pid: int) -> float | None:
    """When process ``pid`` started (its identity with the pid), or None if there is none."""
    import psutil

    try:
        return psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None


def new_token() -> str:
    """A holder token: ``host|pid|process start time|random``."""
    pid = os.getpid()
    return f"{_host()}|{pid}|{_started(pid)!r}|{uuid.uuid4().hex}"


def holder_is_dead(token: object) -> bool:
    """True only for a token of a process on this host that no longer exists (or whose pid now
    belongs to a later process); anything else, another host's holder or an older token format,
    counts as alive and keeps its expiry."""
    if not isinstance(token, str) or token.count("|") != 3:
        return False
    host, pid, started, _ = token.split("|")
    if host != _host() or not pid.isdigit():
        return False
    now = _started(int(pid))
    return now is None or repr(now) != started


def try_acquire(store: Store, key: str, lease_s: float = LEASE_S) -> str | None:
    """The holder token if ``key`` was free, or held by a dead process of this host (and is now
    held), else None."""
    token = new_token()
    if store.add(key, token, expire=lease_s):
        return token
    current = store.get(key)
    if holder_is_dead(current) and store.replace(key, current, token, expire=lease_s):
        log.info("took over lease %s from a dead holder (%s)", key, current)
        return token
    return None


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
