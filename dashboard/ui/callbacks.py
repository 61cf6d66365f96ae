"""The page's callbacks: thin. Parse the input, call the pipeline, build figures.

Flow: the URL is the state. ``sync_state`` keeps the URL and the controls in step (one callback,
so Dash sees no cycle). When target or radius change, ``fetch`` runs as a background job (with
progress and a cancel button) and hands the ``Observed`` over by id. ``render`` then builds
every panel from it and the state; changing a cut re-renders with no new query. Inputs and
outputs are named (Dash's flexible callback signatures), so each function reads like the page.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import asdict, replace
from typing import Any

import dash
from dash import ClientsideFunction, Input, Output, State, ctx, no_update

from dashboard.config import Settings
from dashboard.core.tables import TABLES
from dashboard.core.targets import TargetError, parse_radius
from dashboard.pipeline import check_target_text, observe, view, with_sky
from dashboard.science.analysis import AnalysisParams, binning_note
from dashboard.science.photometry import COLOUR_CORRECTIONS
from dashboard.science.quality import ALL_CUTS
from dashboard.science.variability import describe
from dashboard.sky.context import BANDS, fetch_context
from dashboard.ui import batch, figures, panels, sky
from dashboard.ui.urlstate import BOUNDS, ViewState, from_store, parse_fold, parse_query, to_params, to_query
from dashboard.web.handover import handover
from dashboard.web.memo import Memo
from dashboard.web.ratelimit import client_address, rate_limiter

log = logging.getLogger(__name__)

#: control id -> (its value for a state, the state change for its value). One place per control.
CONTROLS: dict[str, tuple[Callable[[ViewState], Any], Callable[[Any], dict[str, Any]]]] = {
    "ph-qual": (lambda s: list(s.ph_qual), lambda v: {"ph_qual": "".join(c for c in "ABCUXZ" if c in (v or []))}),
    "clean-cc": (lambda s: ["on"] if s.clean_cc else [], lambda v: {"clean_cc": bool(v)}),
    "max-ext": (lambda s: s.max_ext, lambda v: {"max_ext": int(v) if v in range(6) else ViewState.max_ext}),
    "min-snr": (lambda s: s.min_snr, lambda v: {"min_snr": _bounded(v, 0.0, 1000.0)}),
    "epoch-cuts": (lambda s: list(s.epoch_cuts),
                   lambda v: {"epoch_cuts": tuple(t for t in ALL_CUTS if t in (v or []))}),
    "binning": (lambda s: ["on"] if s.binning else [], lambda v: {"binning": bool(v)}),
    "lc-unit": (lambda s: s.unit, lambda v: {"unit": v if v in ("mag", "flux") else "mag"}),
    "sed-axis": (lambda s: s.sed_axis, lambda v: {"sed_axis": v if v in ("fnu", "nufnu") else "fnu"}),
    "sed-alpha": (lambda s: "none" if s.alpha is None else s.alpha,
                  lambda v: {"alpha": v if v in COLOUR_CORRECTIONS else None}),
    "w4red": (lambda s: ["on"] if s.w4red else [], lambda v: {"w4red": bool(v)}),
    "visit-gap": (lambda s: s.gap, lambda v: _number("gap", v)),
    "outlier-threshold": (lambda s: s.othr, lambda v: _number("othr", v)),
    "outlier-quantile": (lambda s: s.oq, lambda v: _number("oq", v)),
    "pg-toggle": (lambda s: ["on"] if s.pg else [], lambda v: {"pg": bool(v)}),
    "fold-input": (lambda s: "" if s.fold is None else (s.fold if isinstance(s.fold, str) else f"{s.fold:g}"),
                   lambda v: {"fold": parse_fold(str(v or ""))}),
    "fold-band": (lambda s: s.fb, lambda v: {"fb": v if v in ("W1", "W2") else "W1"}),
    "img-band": (lambda s: s.img, lambda v: {"img": v if v in BANDS else "W1"}),
}
NEW_LOOKUP = ("go", "target-input", "radius-input")
DOWNLOAD_ON, DOWNLOAD_OFF = "button", "button disabled"  # assets/wise.js does nothing when disabled


def _bounded(value: object, low: float, high: float) -> float:
    try:
        return min(max(float(value), low), high)  # type: ignore[arg-type]  # any input; non-numbers -> low
    except (TypeError, ValueError):
        return low


def _number(key: str, value: object) -> dict[str, float]:
    """A number box: within the URL's bounds (urlstate.BOUNDS); empty or out of range (the browser
    hands over nothing) keeps the current value."""
    if value is None or value == "":
        return {}
    low, high, _ = BOUNDS[key]
    return {key: _bounded(value, low, high)}


def controls_of(state: ViewState) -> dict[str, Any]:
    return {cid: get(state) for cid, (get, _) in CONTROLS.items()}


def state_from_controls(base: ViewState, values: dict[str, Any]) -> ViewState:
    changes: dict[str, Any] = {}
    for cid, (_, put) in CONTROLS.items():
        changes |= put(values.get(cid))
    if changes.get("unit", base.unit) != base.unit:  # a magnitude range means nothing in mJy
        changes["y_range"] = None
    return replace(base, **changes, notices=())


def ranges_from_relayout(base: ViewState, relayout: dict | None) -> ViewState | None:
    """The light-curve zoom (a plotly relayout event) as the state's MJD and y ranges; None when
    the event is not a zoom (autosize, legend clicks). Plot x is MJD - REFERENCE_MJD."""
    event = relayout or {}
    changes: dict[str, Any] = {}
    for axis in ("xaxis", "xaxis2"):  # the two panels share x
        if event.get(f"{axis}.autorange"):
            changes["x_range"] = None
        if (pair := _range_of(event, axis)) is not None:
            low, high = sorted(v + figures.REFERENCE_MJD for v in pair)
            changes["x_range"] = (round(low, 3), round(high, 3))
    if event.get("yaxis.autorange"):
        changes["y_range"] = None
    if (pair := _range_of(event, "yaxis")) is not None:
        low, high = sorted(pair)
        changes["y_range"] = (round(low, 4), round(high, 4))
    if not changes:
        return None
    state = replace(base, **changes, notices=())
    return parse_query(to_query(state), max_radius=float("inf"))  # what the URL can hold, checked


def _range_of(event: dict, axis: str) -> tuple[float, float] | None:
    """An axis range from a relayout event: a drag sends ``axis.range[0]``/``[1]``, a scripted
    ``Plotly.relayout`` may send ``axis.range`` as a pair."""
    pair = event.get(f"{axis}.range") or (event.get(f"{axis}.range[0]"), event.get(f"{axis}.range[1]"))
    numbers = [float(v) for v in pair if isinstance(v, int | float) and not isinstance(v, bool)]
    return (numbers[0], numbers[1]) if len(numbers) == len(pair) == 2 else None


def _unchanged(notice: str | Any = no_update) -> dict[str, Any]:
    return {"search": no_update, "target": no_update, "radius": no_update,
            "controls": {cid: no_update for cid in CONTROLS}, "notice": notice, "query": no_update,
            "state": no_update, "canonical": no_update, "panels": _no_panels()}


def _no_panels() -> dict[str, Any]:
    return {key: [no_update] * len(out) if isinstance(out, list) else no_update
            for key, out in panel_outputs(duplicate=True).items()}


def zoom_search(settings: Settings, search: str | None, relayout: dict | None) -> Any:
    """The page address after a light-curve zoom (``xr``/``yr``), or no_update for any other plot
    event. The address change then drives the view as a link would."""
    current = parse_query(search, max_radius=settings.max_radius_arcsec)
    zoomed = ranges_from_relayout(current, relayout)
    if zoomed is None or to_query(zoomed) == to_query(current):
        return no_update
    return to_query(zoomed)


def sync_state(settings: Settings, trigger: str, search: str | None, cell: dict | None, controls: dict[str, Any],
               target_text: str | None, radius_text: object, query: dict | None, client: str = "local") -> dict:
    """URL <-> controls. ``trigger`` is the id of the input that changed."""
    current = parse_query(search, max_radius=settings.max_radius_arcsec)
    notice: Any = no_update
    new_search: Any = no_update
    if trigger in NEW_LOOKUP:
        try:
            check_target_text(target_text or "", settings)
            parse_radius(radius_text, settings.max_radius_arcsec)
        except TargetError as exc:
            return _unchanged(str(exc))
        state = replace(current, target=(target_text or "").strip(), radius=float(radius_text),  # type: ignore[arg-type]
                        source="", notices=())
        new_search, notice = to_query(state), ""
    elif trigger == "sources":
        key = (cell or {}).get("rowId")
        state = replace(current, source=str(key)[:64] if key else "", notices=())
        new_search = to_query(state)
    elif trigger in CONTROLS:
        state = state_from_controls(current, controls)
        new_search = to_query(state)
    else:  # the URL changed (first load, back/forward, a shared link)
        state = current
        notice = " ".join(state.notices)
    asked = {"target": state.target, "radius": state.radius}
    query_out: Any = no_update
    if trigger in NEW_LOOKUP or (state.target and {k: (query or {}).get(k) for k in asked} != asked):
        # Every lookup carries its own nonce: Dash keys a background job by its inputs, so two
        # viewers opening one link would otherwise share one job and one of them never gets the
        # result; and Go always asks again (a retry after a failure).
        query_out = asked | {"nonce": uuid.uuid4().hex}
    if query_out is not no_update:  # counted when the fetch starts (app.py); here only told early
        limiter = rate_limiter(settings)
        if limiter.exhausted(client):
            return _unchanged(limiter.refusal())
    # An empty URL must not wipe what the user is already typing while the page loads.
    boxes = (state.target, f"{state.radius:g}") if state.target or trigger != "url" else (no_update, no_update)
    # A new lookup clears every panel into its loading state now: the render callback cannot run
    # until the fetch it waits on has finished (Dash holds a callback whose input is pending).
    loading = (_placeholder(_fetching(state), welcome=False) if query_out is not no_update else _no_panels())
    return {"search": new_search, "target": boxes[0], "radius": boxes[1], "controls": controls_of(state),
            "notice": notice, "query": query_out, "state": asdict(state),
            "canonical": to_query(state) if state.target else no_update, "panels": loading}


def fetch(settings: Settings, set_progress: Callable[[str], None], query: dict | None) -> dict:
    """Background job: resolve and fetch the three tables; hand the result over by id."""
    if not query or not query.get("target"):
        return {"error": None, "query": None}
    states: dict[str, str] = {}

    def progress(table: str, state: str) -> None:
        states[table] = state
        set_progress(" · ".join(f"{TABLES[t].label}: {states[t]}" for t in TABLES if t in states))

    try:
        observed = observe(query["target"], query["radius"], settings, progress=progress)
    except TargetError as exc:
        return {"error": str(exc), "query": query}
    fetch_id = uuid.uuid4().hex
    handover(settings).put(fetch_id, observed)
    return {"error": None, "query": query, "fetch_id": fetch_id}


def render(settings: Settings, fetched: dict | None, state_data: dict | None, href: str | None, *,
           query: dict | None = None, cancelled: dict | None = None, sky_data: dict | None = None) -> dict:
    """Every panel from the handed-over observations and the view state. ``cancelled`` is the
    lookup the user stopped: if it is the current ``query`` and nothing came for it, say so."""
    nonce = (query or {}).get("nonce")
    if nonce and (cancelled or {}).get("nonce") == nonce and ((fetched or {}).get("query") or {}).get(
            "nonce") != nonce:
        fetched = {"cancelled": True, "query": query}
    if not state_data or not state_data.get("target"):
        if "target=" in (href or "").partition("?")[2]:  # a link is being opened: its state comes next
            return _placeholder("Loading this view…", welcome=False)
        return _placeholder(WELCOME, welcome=True)
    if (fetched or {}).get("lost"):  # the worker running the fetch died (web/jobs.py) or the job failed
        return _placeholder(str(fetched.get("error")), welcome=False)  # type: ignore[union-attr]
    state = from_store(state_data)
    asked = (fetched or {}).get("query") or {}
    if not fetched or (asked.get("target"), asked.get("radius")) != (state.target, state.radius):
        return _placeholder(_fetching(state), welcome=False)
    if fetched.get("cancelled"):
        return _placeholder(f"Cancelled: {state.target} was not fetched. Press Go to fetch it again.",
                            welcome=False)
    if fetched.get("error"):
        return _placeholder(fetched["error"], welcome=False)
    fetch_id = fetched.get("fetch_id", "")
    share_base = (href or "").split("?")[0]
    sky_id = (sky_data or {}).get("sky_id") if (sky_data or {}).get("fetch_id") == fetch_id else None
    try:  # a fetch id names immutable data: many viewers of one link share one rendering
        return PANELS.get((fetch_id, state, share_base, sky_id),
                          lambda: _panels_of(settings, fetch_id, state, share_base, sky_id))
    except _Expired:  # the hand-over expired: never fetch inside a render
        return _placeholder("This view's data expired on the server; press Go to fetch it again.", welcome=False)
    except Exception:  # never a traceback in the browser; the log has it
        log.exception("render failed")
        return _placeholder("Something went wrong building this view; the error was logged.", welcome=False)


class _Expired(LookupError):
    """The handed-over data of a fetch id is gone (not kept: the next render asks again)."""


#: Rendered panels by (fetch id, view state, page address).
PANELS: Memo[dict] = Memo()


def _panels_of(settings: Settings, fetch_id: str, state: ViewState, share_base: str, sky_id: str | None) -> dict:
    observed = handover(settings).get(fetch_id)
    if observed is None:
        raise _Expired(fetch_id)
    return _panels(observed, state, share_base, _with_sky(settings, state, sky_id))


def _with_sky(settings: Settings, state: ViewState, sky_id: str | None) -> AnalysisParams:
    """The view's parameters with the sky context's Gaia astrometry, once it has come."""
    return with_sky(to_params(state), handover(settings).get_sky(sky_id) if sky_id else None)


def _fetching(state: ViewState) -> str:
    return f"Fetching {state.target} (cone {state.radius:g}″)…"


WELCOME = "Type a target in the box at the top, or open one of the demo targets listed above."


def _placeholder(message: str, *, welcome: bool) -> dict:
    """Every panel in one state (loading, cancelled, failed, landing): nothing of a previous view
    stays on screen, and Download is off until there is a view."""
    fig = figures.message_figure(message)
    return {"rows": [], "sed": fig, "lc": fig, "filters": [], "progress": "" if welcome else message,
            "sources_message": "" if welcome else message, "selection": "", "detail": [], "fit": None,
            "download": "#", "download_class": DOWNLOAD_OFF, "share": "", "configs": [no_update] * len(PLOTS),
            "timeseries": [fig, fig, fig], "pg_hint": "", "pg_style": {"display": "none"},
            "welcome": {"display": "block" if welcome else "none"}, "stats": "", "status": []}


def _panels(observed: Any, state: ViewState, share_base: str, params: AnalysisParams | None = None) -> dict:
    shown = view(observed, params or to_params(state))
    observations = observed.observations
    rows = panels.source_rows(shown)
    catalog_failed = panels.catalog_failure(observations)
    if catalog_failed is not None:
        sed_fig = figures.message_figure(f"AllWISE catalog unavailable: {catalog_failed}")
        sources_message = f"AllWISE catalog unavailable: {catalog_failed}"
    else:
        sed_fig = figures.sed_figure(shown, state.sed_axis)
        sources_message = "" if rows else f"No AllWISE sources within {observations.cone.radius_arcsec:g} arcsec."
    epoch_failed = panels.epoch_failures(observations)
    if shown.lightcurve.epochs.empty and epoch_failed:
        lc_fig = figures.message_figure(panels.lightcurve_unavailable(observations))
    else:
        lc_fig = figures.lightcurve_figure(shown, state.unit, state.x_range, state.y_range)
    stats = binning_note(shown) + describe(shown.lightcurve.stats)
    if catalog_failed is not None and not shown.lightcurve.epochs.empty:
        stats += (" · not matched to an AllWISE source (the catalog failed): epochs within "
                  f"{shown.params.match_radius_arcsec:g}\" of the target position")
    if shown.motion is not None:
        stats += " · " + shown.motion.note()
    if epoch_failed and not shown.lightcurve.epochs.empty:
        stats += " · partial: " + "; ".join(f"{t}: {e}" for t, e in epoch_failed.items())
    query = to_query(state)
    return {"rows": rows, "sed": sed_fig, "lc": lc_fig, "filters": panels.filter_rows(shown), "progress": "",
            "sources_message": sources_message, "selection": panels.selection_text(shown),
            "detail": panels.source_detail(rows), "fit": "autoSize",
            "configs": [figures.graph_config(observed.target.label(), plot) for plot in PLOTS.values()],
            "timeseries": [*_timeseries(shown, state), figures.colour_magnitude_figure(shown)],
            "pg_hint": "" if state.wants_timeseries else PG_HINT,
            "pg_style": {} if state.wants_timeseries else {"display": "none"},
            "download": "/bundle.zip" + query, "download_class": DOWNLOAD_ON, "share": share_base + query,
            "welcome": {"display": "none"}, "stats": stats, "status": panels.status_lines(observations)}


#: Each plot's graph id and the name its exported files carry (wise_<target>_<name>.png|svg).
PLOTS = {"sed-graph": "sed", "lc-graph": "lightcurve", "pg-graph": "periodogram", "fold-graph": "fold",
         "cm-graph": "colour_magnitude"}


def panel_outputs(*, duplicate: bool) -> dict[str, Any]:
    """Where each key of a panels dict (``render``, ``_placeholder``) goes on the page. The state
    callback writes them too (``duplicate``), for the loading state of a new lookup."""
    def out(component: str, prop: str, shared: bool = False) -> Output:
        return Output(component, prop, allow_duplicate=duplicate or shared)

    return {"rows": out("sources", "rowData"), "sed": out("sed-graph", "figure"), "lc": out("lc-graph", "figure"),
            "filters": out("filters", "rowData"), "progress": out("progress", "children", shared=True),
            "sources_message": out("sources-message", "children"), "selection": out("selection", "children"),
            "detail": out("source-detail", "children"),
            "configs": [out(graph, "config") for graph in PLOTS],
            "timeseries": [out("pg-graph", "figure"), out("fold-graph", "figure"), out("cm-graph", "figure")],
            "pg_hint": out("pg-hint", "children"), "pg_style": out("pg-graphs", "style"),
            "fit": out("sources", "columnSize"),
            "download": out("download", "href"), "download_class": out("download", "className"),
            "share": out("share-url", "value"), "welcome": out("welcome", "style"),
            "stats": out("lc-stats", "children"), "status": out("status", "children")}


PG_HINT = "Tick 'Lomb–Scargle periodogram' or type a period to fold (days, or 'best')."


def _timeseries(shown: Any, state: ViewState) -> list:
    """The periodogram and the folded light curve (their graphs are hidden, with ``PG_HINT``
    shown instead, while neither is asked for)."""
    if not state.wants_timeseries:
        return [no_update, no_update]
    pg_fig = (figures.periodogram_figure(shown, state.fb) if shown.params.periodogram
              else figures.message_figure("Tick 'Lomb–Scargle periodogram' to compute it."))
    if state.fold == "best":
        best = shown.periodograms.get(state.fb)
        fold_fig = figures.folded_figure(shown, state.fb, best.best_period_d if best else None, "best period")
    elif state.fold is not None:
        fold_fig = figures.folded_figure(shown, state.fb, float(state.fold), "typed")
    else:
        fold_fig = figures.message_figure("Type a period to fold (days, or 'best').")
    return [pg_fig, fold_fig]


def register(app: dash.Dash, settings: Settings) -> None:
    def on_state(search: str | None, go: int, target_submit: int, radius_submit: int, cell: dict | None,
                 controls: dict[str, Any], target_text: str | None, radius_text: object,
                 query: dict | None) -> dict:
        trigger = (ctx.triggered_id if ctx.triggered else None) or "url"
        return sync_state(settings, trigger, search, cell, controls, target_text, radius_text, query,
                          client=client_address())

    app.callback(
        output={"search": Output("url", "search"), "target": Output("target-input", "value"),
                "radius": Output("radius-input", "value"),
                "controls": {cid: Output(cid, "value") for cid in CONTROLS},
                "notice": Output("notice", "children"), "query": Output("query", "data"),
                "state": Output("view-state", "data"), "canonical": Output("canonical", "data"),
                "panels": panel_outputs(duplicate=True)},
        inputs={"search": Input("url", "search"), "go": Input("go", "n_clicks"),
                "target_submit": Input("target-input", "n_submit"),
                "radius_submit": Input("radius-input", "n_submit"), "cell": Input("sources", "cellClicked"),
                "controls": {cid: Input(cid, "value") for cid in CONTROLS}},
        state={"target_text": State("target-input", "value"), "radius_text": State("radius-input", "value"),
               "query": State("query", "data")},
        prevent_initial_call="initial_duplicate",  # runs on page load (the link), with its duplicates
    )(on_state)

    # The address bar shows the clean link of the view (replaced in place, assets/wise.js).
    app.clientside_callback(ClientsideFunction("wise", "replaceAddress"), Output("address", "data"),
                            Input("canonical", "data"), prevent_initial_call=True)

    # A zoom writes the address (its own callback: plot events never race the inputs above). The
    # browser writes the "zoom" store from plotly's own event (assets/wise.js), not from
    # relayoutData, which an autosize right after the zoom would overwrite before Dash reads it.
    app.callback(Output("url", "search", allow_duplicate=True), Input("zoom", "data"),
                 State("url", "search"), prevent_initial_call=True)(
        lambda relayout, search: zoom_search(settings, search, relayout))

    def on_fetch_error(exc: Exception) -> dict:
        """A defect in a job is logged and told on the page, never a 500 on the poll."""
        log.error("background fetch failed: %s", exc)
        return {"lost": True, "error": "Fetching this view failed on the server (it was logged); press Go to "
                                       "try again."}

    def on_query(set_progress: Callable[[str], None], query: dict | None) -> dict:
        return fetch(settings, set_progress, query)

    app.callback(
        Output("fetched", "data"), Input("query", "data"),
        background=True,
        progress=[Output("progress", "children")],
        running=[(Output("go", "disabled"), True, False),
                 (Output("cancel", "style"), {"display": "inline-block"}, {"display": "none"}),
                 (Output("progress", "style"), {"display": "block"}, {"display": "none"})],
        cancel=[Input("cancel", "n_clicks")],
        interval=300,
        on_error=on_fetch_error,
        prevent_initial_call=True,
    )(on_query)

    def on_cancel(n_clicks: int, query: dict | None) -> dict | None:
        """Dash stops the job (its process ends, its leases lapse); this records which lookup."""
        return query

    # On the click's timestamp, not n_clicks: Dash sends the job to stop with every callback whose
    # inputs include the cancel input, and only its own cancel callback stops it.
    app.callback(Output("cancelled", "data"), Input("cancel", "n_clicks_timestamp"), State("query", "data"),
                 prevent_initial_call=True)(on_cancel)

    def on_render(fetched: dict | None, state: dict | None, cancelled: dict | None, sky_data: dict | None,
                  query: dict | None, href: str | None) -> dict:
        return render(settings, fetched, state, href, query=query, cancelled=cancelled, sky_data=sky_data)

    # The sky context is read as State: an Input would make Dash hold this render until the sky
    # job (a slow Gaia, say) has finished. When it brings a moving counterpart, ``on_motion`` below
    # renders again with the epoch match it implies.
    app.callback(
        output=panel_outputs(duplicate=False),
        inputs={"fetched": Input("fetched", "data"), "state": Input("view-state", "data"),
                "cancelled": Input("cancelled", "data")},
        state={"query": State("query", "data"), "href": State("url", "href"), "sky_data": State("sky", "data")},
        prevent_initial_call="initial_duplicate",
    )(on_render)

    # A moving Gaia counterpart changes the epoch match: the panels are drawn again, in two steps.
    # ``moving`` (waiting on the sky job) writes only a small store; a callback writing the panels
    # while it waits would keep them "loading" and Dash would drop the plot's zoom events meanwhile.
    app.callback(Output("motion", "data"), Input("sky", "data"), State("fetched", "data"),
                 State("view-state", "data"), prevent_initial_call=True)(
        lambda sky_data, fetched, state: sky_data if moves(settings, sky_data, fetched, state) else no_update)

    def on_motion(motion: dict | None, fetched: dict | None, state: dict | None, cancelled: dict | None,
                  query: dict | None, href: str | None) -> dict:
        return render(settings, fetched, state, href, query=query, cancelled=cancelled, sky_data=motion)

    app.callback(
        output=panel_outputs(duplicate=True),
        inputs={"motion": Input("motion", "data")},
        state={"fetched": State("fetched", "data"), "state": State("view-state", "data"),
               "cancelled": State("cancelled", "data"), "query": State("query", "data"), "href": State("url", "href")},
        prevent_initial_call=True,
    )(on_motion)

    register_sky(app, settings)
    batch.register(app, settings)


def moves(settings: Settings, sky_data: dict | None, fetched: dict | None, state_data: dict | None) -> bool:
    """Whether the sky context just handed over changes this view's epoch match (a fast-moving
    Gaia counterpart): only then are the WISE panels rendered again."""
    fetch_id = (fetched or {}).get("fetch_id")
    if not fetch_id or not state_data or (sky_data or {}).get("fetch_id") != fetch_id or not sky_data.get("sky_id"):  # type: ignore[union-attr]
        return False
    observed = handover(settings).get(fetch_id)
    if observed is None:
        return False
    shown = view(observed, _with_sky(settings, from_store(state_data), sky_data["sky_id"]))  # type: ignore[index]
    return shown.motion is not None


def sky_query(fetched: dict | None, state_data: dict | None, current: dict | None) -> Any:
    """What the sky context is asked for: the fetched cone (by fetch id) and the image band."""
    fetch_id = (fetched or {}).get("fetch_id")
    wanted = {"fetch_id": fetch_id, "band": (state_data or {}).get("img", "W1")} if fetch_id else None
    return no_update if wanted == current else wanted


def fetch_sky(settings: Settings, set_progress: Callable[[str], None], asked: dict | None) -> dict | None:
    """Background job: the image, SIMBAD and Gaia for a fetched cone; handed over by id. It needs
    a fetch id that a counted lookup made, so it is part of that view against the client's limit."""
    if not asked:
        return None
    observed = handover(settings).get(asked["fetch_id"])
    if observed is None:
        return {"error": "This view's data expired on the server; press Go to fetch it again.", **asked}
    states: dict[str, str] = {}

    def progress(service: str, state: str) -> None:
        states[service] = state
        set_progress(" · ".join(f"{SKY_NAMES[k]}: {v}" for k, v in states.items()))

    context = fetch_context(observed.cone, asked["band"], settings, progress=progress)
    sky_id = uuid.uuid4().hex
    handover(settings).put_sky(sky_id, context)
    return {"sky_id": sky_id, **asked}


SKY_NAMES = {"image": "image", "simbad": "SIMBAD", "gaia": "Gaia"}


def render_sky(settings: Settings, sky_data: dict | None, fetched: dict | None, state_data: dict | None) -> dict:
    """The sky panel for the current view; waiting, expired or failed each says so in the panel."""
    if not state_data or not state_data.get("target"):
        return sky.empty("")
    fetch_id = (fetched or {}).get("fetch_id")
    if not fetch_id:
        return sky.empty("The image and identification follow once the WISE tables are in.")
    if (sky_data or {}).get("fetch_id") != fetch_id or (sky_data or {}).get("band") != state_data.get("img", "W1"):
        return sky.empty("Fetching the WISE image, SIMBAD and Gaia DR3…")
    if sky_data.get("error") or not sky_data.get("sky_id"):  # type: ignore[union-attr]
        return sky.empty(str(sky_data.get("error") or "The sky context failed."))  # type: ignore[union-attr]
    store = handover(settings)
    context, observed = store.get_sky(sky_data["sky_id"]), store.get(fetch_id)  # type: ignore[index]
    if context is None or observed is None:
        return sky.empty("This view's data expired on the server; press Go to fetch it again.")
    try:
        state = from_store(state_data)
        shown = view(observed, _with_sky(settings, state, sky_data["sky_id"]))  # type: ignore[index]  # checked
        return sky.contents(context, shown)
    except Exception:  # never a traceback in the browser; the log has it
        log.exception("sky render failed")
        return sky.empty("Something went wrong building the sky context; the error was logged.")


def register_sky(app: dash.Dash, settings: Settings) -> None:
    app.callback(Output("sky-query", "data"), Input("fetched", "data"), Input("view-state", "data"),
                 State("sky-query", "data"), prevent_initial_call=True)(sky_query)

    def on_sky(set_progress: Callable[[str], None], asked: dict | None) -> dict | None:
        return fetch_sky(settings, set_progress, asked)

    app.callback(
        Output("sky", "data"), Input("sky-query", "data"), background=True,
        progress=[Output("sky-progress", "children")],
        running=[(Output("sky-progress", "style"), {"display": "block"}, {"display": "none"})],
        cancel=[Input("cancel", "n_clicks")], interval=400, prevent_initial_call=True,
        on_error=lambda exc: {"error": "Fetching the sky context failed on the server (it was logged)."},
    )(on_sky)

    app.callback(
        output={"figure": Output("sky-graph", "figure"), "simbad": Output("simbad-table", "rowData"),
                "gaia": Output("gaia-table", "rowData"), "messages": Output("sky-messages", "children"),
                "simbad_message": Output("simbad-message", "children"),
                "gaia_message": Output("gaia-message", "children"),
                "blending": Output("blending", "children"), "links": Output("linkouts", "children")},
        inputs={"sky_data": Input("sky", "data"), "fetched": Input("fetched", "data"),
                "state_data": Input("view-state", "data")},
        prevent_initial_call=True,
    )(lambda sky_data, fetched, state_data: render_sky(settings, sky_data, fetched, state_data))
