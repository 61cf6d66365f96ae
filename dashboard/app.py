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
from typing import Any

import dash
import diskcache
from dash.exceptions import DependencyException
from flask import Flask, Response, jsonify, request

from dashboard import __version__, config, vo_routes
from dashboard.archive.service import store_reachable
from dashboard.config import Settings
from dashboard.core.errors import ServiceError, StoreUnavailable
from dashboard.pipeline import view
from dashboard.provenance.bundle import build_bundle
from dashboard.runtime import configure
from dashboard.sky.evidence import VisitEvidence
from dashboard.ui import callbacks
from dashboard.ui.layout import make_layout
from dashboard.ui.urlstate import bundle_filename, page_view
from dashboard.vo_routes import ExactView, exact_view, text
from dashboard.web.auth import Auth, require_member
from dashboard.web.batches import Batches, start_clean_up
from dashboard.web.group_routes import group_routes, with_notes
from dashboard.web.jobs import ThreadJobManager
from dashboard.web.memo import Memo
from dashboard.web.ratelimit import rate_limiter

ROOT = Path(__file__).resolve().parents[1]
#: Dash's routes that look a name up (component files, callback outputs).
DASH_LOOKUPS = ("/_dash-component-suites/", "/_dash-update-component")
log = logging.getLogger(__name__)


class StaticCompressed:
    """flask-compress's cache, for the page's static files only (component suites and assets, whose
    addresses carry their version or modification time): a script is compressed once per worker.
    Every other response (callbacks, bundles, pages) gets a key of its own and is never kept."""

    STATIC = ("/_dash-component-suites/", "/assets/")

    def __init__(self) -> None:
        self._kept: dict[str, bytes] = {}

    @classmethod
    def key(cls, req: Any) -> str:
        static = req.method == "GET" and req.path.startswith(cls.STATIC)
        return f"static:{req.full_path}" if static else f"dynamic:{secrets.token_hex(8)}"

    def get(self, key: str) -> bytes | None:
        return self._kept.get(key)

    def set(self, key: str, value: bytes) -> None:
        if ";static:" in key and len(self._kept) < 200:
            self._kept[key] = value


#: Dash's index page with the page's language (screen readers pick their voice from it) and its
#: scripts in a plain <div>: Dash's default puts them in a <footer>, a second "contentinfo"
#: landmark beside the page's own footer.
INDEX_PAGE = """<!DOCTYPE html>
<html lang="en">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        {%app_entry%}
        <div class="dash-scripts">
            {%config%}
            {%scripts%}
            {%renderer%}
        </div>
    </body>
</html>"""


def create_app(settings: Settings | None = None, *, production: bool = False) -> dash.Dash:
    """The app. ``production`` (the gunicorn entry point) refuses to start without SECRET_KEY,
    which signs Dash's background-job handles and must be the same on every worker and host."""
    configure()
    settings = settings or config.load()
    problem = settings.production_problem() if production else settings.auth_problem()
    if problem:
        raise SystemExit(problem)
    settings.cache_dir.mkdir(parents=True, exist_ok=True)
    manager = background_manager(settings)
    server = Flask(__name__)
    # Dash's own compress=True (flask-compress): Brotli where the browser takes it, else gzip, for
    # JSON, HTML and scripts; a figure of 10^4 points goes over the wire in a third of its size.
    # The page's scripts are compressed once per worker (StaticCompressed), not per request. The
    # zip bundle is not recompressed. benchmarks/first_paint.py measures the page's bytes.
    server.config.update(COMPRESS_ALGORITHM=["br", "gzip"], COMPRESS_LEVEL=6, COMPRESS_BR_LEVEL=5,
                         COMPRESS_MIN_SIZE=500, COMPRESS_CACHE_BACKEND=StaticCompressed,
                         COMPRESS_CACHE_KEY=StaticCompressed.key)
    app = dash.Dash(
        __name__, server=server, title="WISE Explorer", assets_folder=str(ROOT / "assets"),  # type: ignore[arg-type]
        background_callback_manager=manager, suppress_callback_exceptions=False, compress=True,
        update_title=None,  # type: ignore[arg-type]  # None: keep the title while callbacks run (Dash docs)
    )
    app.index_string = INDEX_PAGE
    server.secret_key = settings.secret_key or secrets.token_hex(32)  # a local run gets a per-run secret
    if settings.proxy_hops > 0:  # the client address comes from X-Forwarded-For only through trusted hops
        from werkzeug.middleware.proxy_fix import ProxyFix

        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=settings.proxy_hops)  # type: ignore[method-assign]
    Auth(settings).install(server)  # identities first: every route and callback below reads them
    _limit_new_lookups(server, settings)
    app.layout = make_layout()
    callbacks.register(app, settings)
    _routes(server, settings, manager)
    _batch_routes(server, settings)
    group_routes(server, settings)
    vo_routes.register(server, settings)
    start_clean_up(settings)
    _security_headers(app)
    _register_page_resources(app)
    return app


def _register_page_resources(app: dash.Dash) -> None:
    """Dash learns which component-suite files it may serve only while rendering the index page;
    a worker that has not served '/' yet answers 404 to a script another worker's index named
    (seen with two fresh gunicorn workers: the page stayed at "Loading..."). Render it once here."""
    with app.server.test_request_context("/"):
        app.index()


def background_manager(settings: Settings) -> object:
    """Where background callbacks run: Celery workers through Redis when ``REDIS_URL`` is set
    (several hosts), else threads of the web worker with results in the host's shared diskcache
    directory (``web/jobs.py``: never a fork from a threaded process holding SQLite)."""
    if settings.redis_url:
        from celery import Celery

        celery_app = Celery("wise_explorer", broker=settings.redis_url, backend=settings.redis_url)
        celery_app.conf.update(result_expires=3600, broker_connection_retry_on_startup=True)
        return dash.CeleryManager(celery_app, expire=3600)
    return ThreadJobManager(diskcache.Cache(str(settings.cache_dir / "jobs")), expire=3600)


def _limit_new_lookups(server: Flask, settings: Settings) -> None:
    """Every request that starts an IRSA lookup counts against the client's limit, including
    callback requests a page would never send: a new background fetch (no job handle yet)."""

    @server.before_request
    def limit() -> Response | None:
        if request.method != "POST" or request.path != "/_dash-update-component" or "cacheKey" in request.args:
            return None
        body = request.get_json(silent=True) or {}
        if not isinstance(body, dict) or body.get("output") != "fetched.data":
            return None
        limiter = rate_limiter(settings)
        if limiter.allow(request.remote_addr or "unknown"):
            return None
        return _text(limiter.refusal(), 429)


def _batch_routes(server: Flask, settings: Settings) -> None:
    """A batch's results as plain files: ``/batch/<id>/bundle.zip``, ``/batch/<id>/summary.csv`` and
    (the Parquet route) ``/batch/<id>/visits.parquet``."""
    batches = Batches(settings)

    def members_only(batch_id: str) -> None:
        """A batch that carries the group's tags is for its members (401/403 for anyone else)."""
        state = batches.get(batch_id)
        if state is not None and state.tags:
            require_member()

    @server.get("/batch/<batch_id>/bundle.zip")
    def batch_bundle(batch_id: str) -> Response:
        members_only(batch_id)
        state = batches.get(batch_id)
        data = batches.bundle(batch_id) if state else None
        if data is None and state is not None and state.bundle == "preparing":
            return _text("The bundle is being prepared (each target's full view); try again in a minute.", 503)
        if data is None:
            return _text("No finished batch with this id here (or the cache no longer keeps it).", 404)
        return Response(data, mimetype="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="wise_batch_{batch_id[:8]}.zip"'})

    @server.get("/batch/<batch_id>/summary.csv")
    def batch_summary(batch_id: str) -> Response:
        members_only(batch_id)
        data = batches.summary_csv(batch_id) if batches.get(batch_id) else None
        if data is None:
            return _text("No finished batch with this id here (or the cache no longer keeps it).", 404)
        return Response(data, mimetype="text/csv")

    @server.get("/batch/<batch_id>/visits.parquet")
    def batch_visits(batch_id: str) -> Response:
        members_only(batch_id)
        path = batches.visits(batch_id)
        if path is None:
            return _text("No finished Parquet-route batch with this id on this host.", 404)
        return Response(path.read_bytes(), mimetype="application/vnd.apache.parquet",
                        headers={"Content-Disposition": f'attachment; filename="wise_visits_{batch_id[:8]}.parquet"'})


#: The SAMP Web Profile's own address (IVOA SAMP 1.3 sec. 5.2): the page's only connection beyond 'self'.
SAMP_HUB = "http://localhost:21012 http://127.0.0.1:21012"


def _security_headers(app: dash.Dash) -> None:
    """CSP that the page works under (Dash's inline scripts by hash), no framing, no sniffing."""
    script_hashes = " ".join(app.csp_hashes())  # already quoted: 'sha256-...'
    policy = (
        "default-src 'self'; "
        f"script-src 'self' {script_hashes}; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
        f"worker-src 'self' blob:; connect-src 'self' {SAMP_HUB}; frame-ancestors 'none'; base-uri 'self'; "
        "form-action 'self'"
    )

    @app.server.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        return response


def _routes(server: Flask, settings: Settings, manager: object) -> None:
    bundles: Memo[tuple[bytes, VisitEvidence | None]] = Memo()  # a bundle by (target, fetched data, view parameters)

    @server.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok", version=__version__, tap_url=settings.tap_url, offline=settings.offline,
                       pid=os.getpid(), jobs_running=getattr(manager, "running", None),
                       shared_store="ok" if store_reachable(settings) else "down")

    @server.get("/readyz")
    def readyz() -> Response:
        """For load balancers: 503 while a dependency this host needs (the shared store) is down."""
        up = store_reachable(settings)
        reply = jsonify(ready=up, shared_store="ok" if up else "down")
        reply.status_code = 200 if up else 503
        return reply

    @server.get("/bundle.zip")
    def bundle() -> Response:
        """The bundle of exactly the view whose query string is passed. Served-from-cache states
        go in ``X-WISE-Cache`` and missing tables in ``X-WISE-Failures`` (and FAILURES.txt)."""
        exact = exact_view(settings)
        if isinstance(exact, Response):
            return exact
        page = page_view(exact.state)  # recorded in the manifest: which view this is, zoom and fold included
        if exact.state.group_notes:  # a member's own download, never from the cache nor into it
            who = require_member()
            built = _bundle(exact, page, with_notes(settings, who.email))
            return Response(built[0], mimetype="application/zip", headers={**_bundle_headers(exact, built[1]),
                                                                           "Cache-Control": "private, no-store"})
        built = bundles.get(exact.key(), lambda: _bundle(exact, page))  # built once
        return Response(built[0], mimetype="application/zip", headers=_bundle_headers(exact, built[1]))

    def _bundle(exact: ExactView, page: dict[str, Any], notes: Any = None) -> tuple[bytes, VisitEvidence | None]:
        evidence = exact.evidence(settings)
        shown = view(exact.observed, exact.params)
        return build_bundle(shown, settings, exact.sky, page, evidence, notes(shown) if notes else None), evidence

    _error_handlers(server)


def _bundle_headers(exact: ExactView, evidence: VisitEvidence | None) -> dict[str, str]:
    """The bundle's file name, the cache states (``X-WISE-Cache``), the IRSA tables missing
    (``X-WISE-Failures``, as in FAILURES.txt) and how this delivery noticed a missing sky service
    (``X-WISE-Sky``: never inside the zip)."""
    obs, sky = exact.observed.observations, exact.sky
    name = bundle_filename(exact.state, exact.observed.target.label())
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "X-WISE-Cache": obs.cache_states()}
    failures = "; ".join(f"{t}={e.kind}" for t, e in obs.failures.items())
    if failures:
        headers["X-WISE-Failures"] = failures
    missing = dict(sorted(sky.failures.items()))
    if evidence is not None and evidence.failure is not None:
        missing["frames"] = evidence.failure  # the image archive (IBE), for the visit's frames
    sky_failures = "; ".join(f"{k}={e.kind}" + (f" ({e.noticed})" if isinstance(e, ServiceError) and e.noticed
                                                else "") for k, e in missing.items())
    if sky_failures:
        headers["X-WISE-Sky"] = sky_failures
    return headers


def _error_handlers(server: Flask) -> None:
    """Plain-text answers: 404 for what is not here, 503 while the shared store is down, and a
    logged 500 for anything else (never a traceback to the client)."""

    @server.errorhandler(404)
    def not_found(_: Exception) -> tuple[str, int, dict]:
        return "Not found\n", 404, {"Content-Type": "text/plain"}

    @server.errorhandler(Exception)
    def internal(exc: Exception) -> tuple[str, int, dict]:
        from werkzeug.exceptions import HTTPException

        if isinstance(exc, HTTPException):
            return f"{exc.name}\n", exc.code or 500, {"Content-Type": "text/plain"}
        if isinstance(exc, StoreUnavailable):
            log.warning("shared store unavailable: %s", exc)
            return ("The shared cache is unavailable (Redis); try again in a moment.\n", 503,
                    {"Content-Type": "text/plain", "Retry-After": "10"})
        missing = isinstance(exc, KeyError | FileNotFoundError | DependencyException)
        if missing and request.path.startswith(DASH_LOOKUPS):
            # Dash raises these for a component file or a callback output it does not have: a
            # request for something that is not here, never a server fault.
            log.info("not found: %s (%s)", request.path, exc)
            return "Not found\n", 404, {"Content-Type": "text/plain"}
        log.exception("unhandled error")
        return "Internal error; it was logged.\n", 500, {"Content-Type": "text/plain"}


_text = text


def __getattr__(name: str) -> object:
    """``server`` is built on first use, so importing this module has no side effects."""
    if name == "server":
        built = create_app(production=True).server
        globals()["server"] = built
        return built
    raise AttributeError(name)
