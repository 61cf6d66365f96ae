"""Run one function per key at once, each in a plain thread with a copy of the caller's context.

Plain threads, not a pool: a pool cannot take new work once the interpreter exits, and a recycled
web worker finishes its running jobs while it exits. The context copy carries the job's
``OWNER_ALIVE`` (``lease.py``) into each thread. Used by the WISE fetch (three tables), the sky
context (three services) and the batch runner (three tables per chunk)."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Iterable


def each_at_once(keys: Iterable[str], work: Callable[[str], None], *, name: str) -> None:
    """``work(key)`` for every key concurrently; returns when all have returned."""
    threads = [threading.Thread(target=contextvars.copy_context().run, args=(work, key), name=f"{name}:{key}")
               for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
