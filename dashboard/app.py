"""The web application: ``create_app(settings)``, and ``server`` for gunicorn.

Plain routes next to the page: ``/healthz`` (never touches IRSA) and ``/bundle.zip?<the page's
query string>`` (the provenance bundle, linkable and curl-able). Debug is off unless asked for,
and no response ever carries a traceback.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

import dash
import diskcache
from flask import Flask, Response, jsonify, request

from . import __version__, config
from .config import Settings
from .ui import callbacks
from .ui.layout import make_layout
from .ui.urlstate import parse_query, to_params
from .wise.errors import WiseError
from .wise.provenance import build_bundle, safe_name
from .wise.service import build_fetcher, make_cone, rate_limiter, resolve_target
from .wise.targets import TargetError

ROOT = Path(__file__).resolve().parents[1]
log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, production: bool = False) -> dash.Dash:
    """The app. ``production`` (the gunicorn entry point) refuses to start without SECRET_KEY,
    which signs Dash's background-job handles and must be the same on every worker and host."""
    settings = settings or config.load()
    if production and not settings.secret_key:
        raise SystemExit("SECRET_KEY is not set: in production every worker and host must share one secret "
                         "(it signs background-job handles). Set SECRET_KEY, e.g. to `python -c 'import secrets; "
                         "print(secrets.token_hex(32))'`.")
    if production and settings.debug:
        raise SystemExit("WISE_DEBUG must not be on in production.")
    settings.cache_dir.mkdir(parents=True, exist_ok=True)
    manager = background_manager(settings)
    server = Flask(__name__)
    app = dash.Dash(
        __name__, server=server, title="WISE Explorer", assets_folder=str(ROOT / "assets"),
        background_callback_manager=manager, suppress_callback_exceptions=False, update_title=None,
    )
    server.secret_key = settings.secret_key or secrets.token_hex(32)  # a local run gets a per-run secret
    app.layout = make_layout()
    callbacks.register(app, settings)
    _routes(server, settings)
    _security_headers(app)
    return app


def background_manager(settings: Settings) -> object:
    """Where background callbacks run: Celery workers through Redis when ``REDIS_URL`` is set
    (several hosts), else processes spawned by the web workers, sharing a diskcache directory."""
    if settings.redis_url:
        from celery import Celery

        celery_app = Celery("wise_explorer", broker=settings.redis_url, backend=settings.redis_url)
        celery_app.conf.update(result_expires=3600, broker_connection_retry_on_startup=True)
        return dash.CeleryManager(celery_app, expire=3600)
    return dash.DiskcacheManager(diskcache.Cache(str(settings.cache_dir / "jobs")), expire=3600)


def _security_headers(app: dash.Dash) -> None:
    """CSP that the page works under (Dash's inline scripts by hash), no framing, no sniffing."""
    script_hashes = " ".join(app.csp_hashes())  # already quoted: 'sha256-...'
    policy = (
        "default-src 'self'; "
        f"script-src 'self' {script_hashes}; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
        "worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )

    @app.server.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        return response


def _routes(server: Flask, settings: Settings) -> None:
    @server.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok", version=__version__, tap_url=settings.tap_url, offline=settings.offline,
                       pid=os.getpid())

    @server.get("/bundle.zip")
    def bundle() -> Response:
        state = parse_query(request.query_string.decode("utf-8", "replace"), max_radius=settings.max_radius_arcsec)
        if not rate_limiter(settings).allow(request.remote_addr or "unknown"):
            return Response(f"Too many requests from your address (limit {settings.rate_limit_per_minute} per "
                            "minute); wait a minute and try again.\n", status=429, mimetype="text/plain")
        if state.notices:  # a download is exact: no silent defaults
            return Response(" ".join(state.notices).replace("using the default", "fix it") + "\n", status=400,
                            mimetype="text/plain")
        try:
            target = resolve_target(state.target, settings, offline=settings.offline)
            cone = make_cone(target, state.radius, settings)
            observations = build_fetcher(settings).fetch(cone, offline=settings.offline)
            if not observations.results:
                raise WiseError("no table could be fetched: " + "; ".join(observations.failures.values()))
            data = build_bundle(target, observations, to_params(state), settings)
        except (TargetError, WiseError) as exc:
            return Response(f"{exc}\n", status=400, mimetype="text/plain")
        filename = f"wise_{safe_name(target.label())}.zip"
        return Response(data, mimetype="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})

    @server.errorhandler(404)
    def not_found(_: Exception) -> tuple[str, int, dict]:
        return "Not found\n", 404, {"Content-Type": "text/plain"}

    @server.errorhandler(Exception)
    def internal(exc: Exception) -> tuple[str, int, dict]:
        from werkzeug.exceptions import HTTPException

        if isinstance(exc, HTTPException):
            return f"{exc.name}\n", exc.code or 500, {"Content-Type": "text/plain"}
        log.exception("unhandled error")
        return "Internal error; it was logged.\n", 500, {"Content-Type": "text/plain"}


def __getattr__(name: str) -> object:
    """``server`` is built on first use, so importing this module has no side effects."""
    if name == "server":
        global server
        server = create_app(production=True).server
        return server
    raise AttributeError(name)
