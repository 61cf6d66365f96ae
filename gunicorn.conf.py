"""gunicorn settings for the shared group server (used by the Procfile).

Workers share the query cache and the background-job store through WISE_CACHE_DIR. gunicorn has
no memory bound of its own: workers are recycled after ``max_requests`` (with jitter), and
``post_request`` ends a worker gracefully once its resident memory passes WISE_WORKER_MAX_RSS_MB.
"""

from __future__ import annotations

import os

import psutil

bind = f"{os.environ.get('WISE_HOST', '0.0.0.0')}:{os.environ.get('PORT', os.environ.get('WISE_PORT', '8050'))}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WISE_THREADS", "4"))
timeout = int(os.environ.get("WISE_WORKER_TIMEOUT_S", "120"))
graceful_timeout = 30
max_requests = int(os.environ.get("WISE_MAX_REQUESTS", "1000"))
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("WISE_ACCESS_LOG") or None
MAX_RSS_BYTES = float(os.environ.get("WISE_WORKER_MAX_RSS_MB", "1024")) * 1024 * 1024


def post_request(worker, req, environ, resp):  # noqa: ANN001, ARG001 - gunicorn hook signature
    rss = psutil.Process().memory_info().rss
    if rss > MAX_RSS_BYTES:
        worker.log.warning("worker %s uses %.0f MB > bound; recycling it", worker.pid, rss / 2**20)
        worker.alive = False
