"""Background callbacks in threads of the web worker: nothing is ever forked.

Dash documents its ``DiskcacheManager`` (one process forked per job) for development. Forking a
gunicorn worker that runs several threads and holds SQLite connections can leave the child
waiting forever on a lock it inherited (issue #12: 4-6 % of views stuck). ``ThreadJobManager``
keeps Dash's diskcache result store, so a poll reaching any worker of the host finds the result,
and runs each job in a thread pool of the worker that received it instead:

* a job is alive while its heartbeat key (``JOB_LEASE_S``) is renewed by the worker running it;
  if that worker dies (SIGKILL, recycle), the key lapses and the next poll answers ``LOST``, so
  the page says so instead of waiting forever;
* Cancel marks the job cancelled: its result is discarded, and the leases it holds (query lock,
  upstream slot; ``archive/lease.py``) are released at their next beat although the thread itself
  finishes its HTTP read in the background.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from typing import Any

import dash

from dashboard.archive.lease import OWNER_ALIVE

JOB_LEASE_S = 10.0
#: A result stays readable this long after its first read: a poll whose answer was lost (its
#: connection dropped) is retried and must find it again.
RESULT_GRACE_S = 60.0
#: What a poll gets when the worker running its job died: the page shows ``message``.
LOST = {"lost": True, "error": "The server restarted while fetching this view; press Go to fetch it again."}


class ThreadJobManager(dash.DiskcacheManager):
    def __init__(self, cache: Any, *, threads: int = 8, expire: float | None = None) -> None:
        super().__init__(cache, expire=expire)
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="dash-job")
        self._count_lock = threading.Lock()
        self._threads: set[str] = set()  # jobs whose thread runs in this worker

    def _alive_key(self, job: object) -> str:
        return f"job-alive:{job}"

    def _cancelled_key(self, job: object) -> str:
        return f"job-cancelled:{job}"

    def call_job_fn(self, key: str, job_fn: Callable[..., None], args: Any, context: Any) -> str:
        job = uuid.uuid4().hex
        self.handle.set(self._alive_key(job), True, expire=JOB_LEASE_S)
        self.handle.set(f"job-result-key:{job}", key, expire=3600)
        done = threading.Event()

        def beat() -> None:
            while not done.wait(JOB_LEASE_S / 3) and not self.cancelled(job):
                self.handle.set(self._alive_key(job), True, expire=JOB_LEASE_S)

        def run() -> None:
            OWNER_ALIVE.set(lambda: not self.cancelled(job))
            with self._count_lock:
                self._threads.add(job)
            try:
                job_fn(key, self._make_progress_key(key), args, context)
            finally:
                with self._count_lock:
                    self._threads.discard(job)
                done.set()
                self.handle.delete(self._alive_key(job))
                if self.cancelled(job):  # nobody reads it any more
                    self.clear_cache_entry(key)

        threading.Thread(target=beat, daemon=True, name=f"dash-job-beat:{job[:8]}").start()
        self._pool.submit(copy_context().run, run)
        return job

    @property
    def running(self) -> int:
        """Jobs of this worker still wanted (a cancelled job's thread may finish its HTTP read)."""
        with self._count_lock:
            jobs = list(self._threads)
        return sum(1 for job in jobs if not self.cancelled(job))

    def cancelled(self, job: object) -> bool:
        return bool(self.handle.get(self._cancelled_key(job)))

    def _finished(self, job: object) -> bool:
        key = self.handle.get(f"job-result-key:{job}")
        return key is not None and self.handle.get(key) is not None

    def job_running(self, job: object) -> bool:
        """Running, or finished with its result not yet collected: Dash asks this after reading no
        result, and a job that finished in between must not look gone (the page would stop polling)."""
        if job is None or self.cancelled(job):
            return False
        return self.handle.get(self._alive_key(job)) is not None or self._finished(job)

    def terminate_job(self, job: object) -> None:
        """Dash calls this on Cancel, on a superseded job, and after reading a result."""
        if job is None:
            return
        if not self._finished(job) and self.handle.get(self._alive_key(job)) is not None:  # a real cancel
            self.handle.set(self._cancelled_key(job), True, expire=3600)
            self.handle.delete(self._alive_key(job))

    def terminate_unhealthy_job(self, job: object) -> bool:
        return not self.job_running(job)

    def get_result(self, key: str, job: object) -> Any:
        result = self.handle.get(key, self.UNDEFINED)
        if result is self.UNDEFINED:
            if job is not None and not self.job_running(job) and not self.cancelled(job):
                return dict(LOST)  # the worker running it died: say so rather than leave the page waiting
            return self.UNDEFINED
        self.handle.touch(key, expire=RESULT_GRACE_S)  # kept briefly for a retried poll, then gone
        self.clear_cache_entry(self._make_progress_key(key))
        return result
