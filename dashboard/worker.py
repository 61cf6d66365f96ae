"""The Celery worker for several hosts: ``celery -A dashboard.worker worker`` (needs REDIS_URL and
SECRET_KEY, the same as the web processes). It builds the same app, so the same background
callbacks are registered as Celery tasks."""

from __future__ import annotations

from dashboard.app import create_app
from dashboard.config import load

_settings = load()
if not _settings.redis_url:
    raise SystemExit("REDIS_URL is not set: the Celery worker is for the multi-host mode only.")
dash_app = create_app(_settings, production=True)
celery_app = dash_app._background_manager.handle  # type: ignore[union-attr]  # CeleryManager when REDIS_URL set
app = celery_app  # what `celery -A dashboard.worker` looks for
