"""gunicorn settings for the shared group server (used by the Procfile); every value comes from
``dashboard/config.py`` (one definition per setting; README table).

Binds ``0.0.0.0:$PORT`` when ``PORT`` is set (the platform convention), else WISE_HOST:WISE_PORT.
Workers share the query cache and the background-job store through WISE_CACHE_DIR. gunicorn has
no memory bound of its own: workers are recycled after ``max_requests`` (with jitter), and
``post_request`` ends a worker gracefully once its resident memory passes WISE_WORKER_MAX_RSS_MB.
"""

from __future__ import annotations

import os
import sys

import psutil

from dashboard.config import from_environment

_settings = from_environment()
bind = f"0.0.0.0:{os.environ['PORT']}" if os.environ.get("PORT") else f"{_settings.host}:{_settings.port}"
workers = _settings.web_concurrency
threads = _settings.threads
timeout = _settings.worker_timeout_s
graceful_timeout = 30
max_requests = _settings.max_requests
max_requests_jitter = max_requests // 10
accesslog = _settings.access_log
MAX_RSS_BYTES = _settings.worker_max_rss_mb * 1024 * 1024


def on_starting(server):  # noqa: ANN001 - gunicorn hook signature
    """The master refuses to start (exit 1, the reason on stderr) instead of respawning workers
    that each refuse: a missing or empty SECRET_KEY, or debug on."""
    problem = _settings.production_problem()
    if problem:
        sys.stderr.write(f"wise-explorer: {problem}\n")
        sys.exit(1)


def post_request(worker, req, environ, resp):  # noqa: ANN001, ARG001 - gunicorn hook signature
    rss = psutil.Process().memory_info().rss
    if rss > MAX_RSS_BYTES:
        worker.log.warning("worker %s uses %.0f MB > bound; recycling it", worker.pid, rss / 2**20)
        worker.alive = False
