"""Plain routes for exactly the view a query string names, for other tools: the VO hand-off.

* ``/table/{sources,epochs,visits}.vot?<view query>``: the view's tables as VOTables
  (``provenance/votables.py``), what the page's "Send to TOPCAT" hands to the user's SAMP hub,
  which fetches them from here (SAMP 1.3 ``table.load.votable``);
* ``/image/<band>.fits?<view query>``: the sky image of the view (the WISE cutout as IRSA's SIA2
  service sent it), for "Send to Aladin" (``image.load.fits``).

``exact_view`` is the one reading of a view's query for these and ``/bundle.zip``: parsed
exactly (no silent defaults), counted against the client's rate limit, and told apart: bad
input 400, IRSA silent 504, IRSA erring 502, the shared store down 503.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, request

from dashboard.config import Settings
from dashboard.core.errors import IrsaTimeout, IrsaUnreachable, StoreUnavailable
from dashboard.core.targets import TargetError
from dashboard.pipeline import Observed, bundle_evidence, observe, sky_context, view, with_sky
from dashboard.provenance.votables import TABLES, view_votable
from dashboard.science.analysis import AnalysisParams, View
from dashboard.sky.context import SkyContext
from dashboard.sky.evidence import VisitEvidence
from dashboard.ui.urlstate import ViewState, page_view, parse_exact, to_params
from dashboard.web.memo import Memo, fingerprint
from dashboard.web.ratelimit import rate_limiter

BANDS = ("w1", "w2", "w3", "w4")


@dataclass
class ExactView:
    """A view's query read exactly: its state, rows, sky context and parameters."""

    state: ViewState
    observed: Observed
    sky: SkyContext
    params: AnalysisParams
    query: str

    def evidence(self, settings: Settings) -> VisitEvidence | None:
        """The visit's frames when the view asks for them in its bundle (``frames=1``): the
        chosen visit's and the reference's (no strip), through the frames' cache."""
        return bundle_evidence(view(self.observed, self.params), self.state.visit_frames, self.state.visit,
                               self.state.reference_visit, settings)

    def key(self, extra: Any = None) -> tuple:
        """What makes two requests the same (a memo's key): target, data, parameters, sky, the
        view's canonical query (two spellings of one view are one view), and ``extra``."""
        return (self.observed.target, fingerprint(self.observed.observations), self.params, self.sky.fingerprint(),
                self.query, extra)


def text(message: str, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(message.rstrip() + "\n", status=status, mimetype="text/plain", headers=headers or {})


def exact_view(settings: Settings) -> ExactView | Response:
    """The request's view, or the response that says why there is none."""
    limiter = rate_limiter(settings)
    if not limiter.allow(request.remote_addr or "unknown"):
        return text(limiter.refusal(), 429)
    query = request.query_string.decode("utf-8", "replace")
    try:  # exact: no silent defaults
        state = parse_exact(query, max_radius=settings.max_radius_arcsec)
        observed = observe(state.target, state.radius, settings, add=state.added_tables)
    except TargetError as exc:
        return text(str(exc), 400)
    obs = observed.observations
    outage = next((e for e in obs.failures.values() if isinstance(e, StoreUnavailable)), None)
    if outage is not None:
        raise outage  # 503 from the error handler: this host is not ready, IRSA is not at fault
    if not obs.results:  # IRSA did not answer (504) or answered with an error (502)
        silent = all(isinstance(e, IrsaTimeout | IrsaUnreachable) for e in obs.failures.values())
        failures = "; ".join(f"{t}={e.kind}" for t, e in obs.failures.items())
        return text("No table could be fetched: " + "; ".join(f"{t}: {e}" for t, e in obs.failures.items()),
                    504 if silent else 502, {"X-WISE-Failures": failures})
    sky = sky_context(observed, state.image_band, settings)  # cached; each service may fail alone
    return ExactView(state, observed, sky, with_sky(to_params(state), sky), page_view(state)["query"])


def register(server: Flask, settings: Settings) -> None:
    tables: Memo[bytes] = Memo()

    def shown(exact: ExactView) -> View:
        return view(exact.observed, exact.params)

    @server.get("/table/<name>.vot")
    def table(name: str) -> Response:
        if name not in TABLES:
            return text(f"No table {name[:40]!r}: /table/ serves {', '.join(f'{t}.vot' for t in TABLES)}.", 404)
        exact = exact_view(settings)
        if isinstance(exact, Response):
            return exact
        data = tables.get(exact.key(name), lambda: view_votable(shown(exact), name, exact.query))
        return Response(data, mimetype="application/x-votable+xml",
                        headers={"Content-Disposition": f'inline; filename="wise_{name}.vot"',
                                 "Access-Control-Allow-Origin": "*"})

    @server.get("/image/<band>.fits")
    def image(band: str) -> Response:
        if band.lower() not in BANDS:
            return text(f"No band {band[:10]!r}: /image/ serves {', '.join(f'{b}.fits' for b in BANDS)}.", 404)
        exact = exact_view(settings)
        if isinstance(exact, Response):
            return exact
        if exact.state.image_band.lower() != band.lower():
            band_shown = exact.state.image_band
            return text(f"This view's sky image is {band_shown}; ask /image/{band_shown.lower()}.fits "
                        f"(or set img={band.upper()} in the view).", 404)
        reply = exact.sky.replies.get("image")
        if reply is None:
            failure = exact.sky.failures.get("image")
            return text(f"No sky image for this view: {failure or 'the image service was not asked'}.", 502)
        return Response(reply.raw, mimetype="application/fits",
                        headers={"Content-Disposition": f'inline; filename="wise_{band.lower()}.fits"',
                                 "Access-Control-Allow-Origin": "*"})
