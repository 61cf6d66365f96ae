"""gunicorn settings for the shared group server (used by the Procfile); every value comes from
``dashboard/config.py`` (one definition per setting; README table).

Binds ``0.0.0.0:$PORT`` when ``PORT`` is set (the platform convention), else WISE_HOST:WISE_PORT.
Workers share the query cache and the background-job store through WISE_CACHE_DIR.

Recycling without dropped connections. gunicorn's own ``max_requests`` ends a worker at once, and
every idle keep-alive connection it holds is closed under its client: a request already on its way
meets a reset. So a worker is recycled here in two steps (after WISE_MAX_REQUESTS requests, +0-10 %
jitter, or once its resident memory passes WISE_WORKER_MAX_RSS_MB): first it *drains* for
``DRAIN_S`` (longer than gunicorn's keep-alive timeout): it accepts no new connection (the other
workers take them) and answers every request with ``Connection: close``, so each client moves to
a new connection after its answer while idle ones time out; then it stops and waits up to
``graceful_timeout`` for requests still running. Measured: benchmarks/load.py.
"""

from __future__ import annotations

import os
import random
import sys
import threading

import psutil

from dashboard.config import from_environment

_settings = from_environment()
bind = f"0.0.0.0:{os.environ['PORT']}" if os.environ.get("PORT") else f"{_settings.host}:{_settings.port}"
workers = _settings.web_concurrency
threads = _settings.threads
timeout = _settings.worker_timeout_s
graceful_timeout = 30
keepalive = 2  # gunicorn's default, stated: DRAIN_S depends on it
max_requests = 0  # recycling by count is done below, with draining
DRAIN_S = keepalive + 1.5
accesslog = _settings.access_log
MAX_RSS_BYTES = _settings.worker_max_rss_mb * 1024 * 1024


def on_starting(server):  # noqa: ANN001 - gunicorn hook signature
    """The master refuses to start (exit 1, the reason on stderr) instead of respawning workers
    that each refuse: a missing or empty SECRET_KEY, or debug on."""
    problem = _settings.production_problem()
    if problem:
        sys.stderr.write(f"wise-explorer: {problem}\n")
        sys.exit(1)


def _stop_accepting(worker) -> None:  # noqa: ANN001 - a gunicorn gthread worker
    """New connections go to the other workers: the listening sockets leave this worker's poller
    (gthread's own lock guards it), so no connection is accepted here and then dropped unread
    when the worker stops."""
    poller, lock = getattr(worker, "poller", None), getattr(worker, "_lock", None)
    if poller is None or lock is None:
        return
    with lock:
        for sock in worker.sockets:
            try:
                poller.unregister(sock)
            except (KeyError, ValueError, OSError):
                pass


def post_worker_init(worker):  # noqa: ANN001 - gunicorn hook signature
    worker.wise_served = 0
    worker.wise_limit = _settings.max_requests + random.randint(0, _settings.max_requests // 10)
    worker.wise_draining = False


def pre_request(worker, req):  # noqa: ANN001, ARG001 - gunicorn hook signature
    if worker.wise_draining:
        req.must_close = True  # "Connection: close": the client's next request opens a new connection


def post_request(worker, req, environ, resp):  # noqa: ANN001, ARG001 - gunicorn hook signature
    worker.wise_served += 1
    if worker.wise_draining:
        return
    rss = psutil.Process().memory_info().rss
    if rss > MAX_RSS_BYTES:
        why = f"uses {rss / 2**20:.0f} MB > {_settings.worker_max_rss_mb:g} MB"
    elif worker.wise_limit and worker.wise_served >= worker.wise_limit:
        why = f"served {worker.wise_served} requests"
    else:
        return
    worker.log.info("worker %s %s: draining for %.1f s, then recycling it", worker.pid, why, DRAIN_S)
    worker.wise_draining = True
    _stop_accepting(worker)
    timer = threading.Timer(DRAIN_S, lambda: setattr(worker, "alive", False))
    timer.daemon = True
    timer.start()
