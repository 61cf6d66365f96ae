"""The page's callbacks: thin. Parse the input, call the service layer, build figures.

Flow: the URL is the state. ``sync_state`` keeps the URL and the controls in step (one callback,
so Dash sees no cycle). When target or radius change, ``fetch`` runs as a background job (with
progress and a cancel button) and hands the ``Observations`` over by id. ``render`` then builds
every panel from them and the state; changing a cut re-renders with no new query.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import asdict, replace

import dash
from dash import Input, Output, State, ctx, no_update

from ..config import Settings
from ..wise.analysis import analyze
from ..wise.errors import WiseError
from ..wise.model import Observations
from ..wise.service import build_fetcher, make_cone, observation_store, rate_limiter, resolve_target
from ..wise.targets import TargetError
from . import figures
from .urlstate import ViewState, parse_query, to_params, to_query

log = logging.getLogger(__name__)
CONTROLS = ["ph-qual", "clean-cc", "max-ext", "min-snr", "epoch-cuts", "binning", "lc-unit", "sed-axis"]
TABLE_LABELS = {"allwise_p3as_psd": "catalog", "allwise_p3as_mep": "AllWISE epochs",
                "neowiser_p1bs_psd": "NEOWISE epochs"}


def controls_of(state: ViewState) -> list:
    return [list(state.ph_qual), ["on"] if state.clean_cc else [], state.max_ext, state.min_snr,
            list(state.epoch_cuts), ["on"] if state.binning else [], state.unit, state.sed_axis]


def state_from_controls(base: ViewState, values: list) -> ViewState:
    ph, cc, ext, snr, cuts, binning, unit, sed_axis = values
    try:
        snr_value = min(max(float(snr), 0.0), 1000.0)
    except (TypeError, ValueError):
        snr_value = 0.0
    return replace(base, ph_qual="".join(c for c in "ABCUXZ" if c in (ph or [])), clean_cc=bool(cc),
                   max_ext=int(ext if ext is not None else 5), min_snr=snr_value,
                   epoch_cuts=tuple(t for t in (cuts or [])), binning=bool(binning),
                   unit=unit if unit in ("mag", "flux") else "mag",
                   sed_axis=sed_axis if sed_axis in ("fnu", "nufnu") else "fnu", notices=())


def sync_state(settings: Settings, trigger: str, search: str | None, cell: dict | None, controls: list,
               target_text: str | None, radius_text: object, query: dict | None, client: str = "local") -> tuple:
    """URL <-> controls. ``trigger`` is the id of the input that changed.

    Returns (search, target box, radius box, *controls, notice, query, view-state)."""
    current = parse_query(search, max_radius=settings.max_radius_arcsec)
    notice: object = no_update
    if trigger in ("go", "target-input", "radius-input"):
        try:
            target = resolve_target(target_text or "", settings, offline=settings.offline)
            make_cone(target, radius_text, settings)
        except TargetError as exc:
            return (no_update,) * (3 + len(CONTROLS)) + (str(exc), no_update, no_update)
        state = replace(current, target=(target_text or "").strip(), radius=float(radius_text), source="", notices=())
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
        new_search = no_update
        notice = " ".join(state.notices)
    new_query = {"target": state.target, "radius": state.radius}
    same = {k: (query or {}).get(k) for k in new_query} == new_query
    if trigger in ("go", "target-input", "radius-input"):  # Go always asks again (a retry after a failure)
        query_out = new_query | {"nonce": uuid.uuid4().hex}
    else:
        query_out = new_query if state.target and not same else no_update
    if query_out is not no_update and not rate_limiter(settings).allow(client):
        limit = settings.rate_limit_per_minute
        return (no_update,) * (3 + len(CONTROLS)) + (
            f"Too many new lookups from your address (limit {limit} per minute); wait a minute and try again.",
            no_update, no_update)
    # An empty URL must not wipe what the user is already typing while the page loads.
    boxes = (state.target, state.radius) if state.target or trigger != "url" else (no_update, no_update)
    return (new_search, *boxes, *controls_of(state), notice, query_out, asdict(state))


def fetch(settings: Settings, set_progress, query: dict | None) -> dict:
    """Background job: resolve and fetch the three tables; hand the result over by id."""
    if not query or not query.get("target"):
        return {"error": None, "query": None}
    try:
        target = resolve_target(query["target"], settings, offline=settings.offline)
        cone = make_cone(target, query["radius"], settings)
    except TargetError as exc:
        return {"error": str(exc), "query": query}
    states: dict[str, str] = {}

    def progress(table: str, state: str) -> None:
        states[table] = state
        set_progress(" · ".join(f"{TABLE_LABELS.get(t, t)}: {s}" for t, s in sorted(states.items())))

    observations = build_fetcher(settings).fetch(cone, offline=settings.offline, progress=progress)
    fetch_id = uuid.uuid4().hex
    observation_store(settings).put(fetch_id, (target, observations))
    return {"error": None, "query": query, "fetch_id": fetch_id}


def status_lines(observations: Observations) -> list:
    from dash import html

    items, warnings = [], []
    for result in observations.results.values():
        p = result.provenance
        cls = {"live": "ok", "hit": "ok", "stale": "warn", "offline": "offline"}[p.source]
        items.append(html.Li(p.describe(), className=f"status-{cls}"))
        warnings += [w for w in p.warnings if w not in warnings]  # one line for what several tables share
    items += [html.Li(w, className="status-warn") for w in warnings]
    for table, message in observations.failures.items():
        missing = "not recorded in the offline archive" in message and "cannot connect" not in message
        items.append(html.Li(f"{table}: {message}", className="status-missing" if missing else "status-error"))
    return [html.Ul(items)]


def render(settings: Settings, fetched: dict | None, state_dict: dict | None, href: str | None) -> tuple:
    """Every panel from the fetched observations and the view state."""
    n_out = 12
    if not state_dict or not state_dict.get("target"):
        return _placeholder("Choose a target above or a demo target below.", welcome=True, n=n_out)
    state = ViewState(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in state_dict.items()})
    asked = (fetched or {}).get("query") or {}
    if not fetched or (asked.get("target"), asked.get("radius")) != (state.target, state.radius):
        return _placeholder("Fetching…", welcome=False, n=n_out)
    if fetched.get("error"):
        return _placeholder(fetched["error"], welcome=False, n=n_out)
    try:
        handed = observation_store(settings).get(fetched.get("fetch_id", ""))
        if handed is None:  # expired hand-over: fetch again (a cache hit for data that was fetched)
            target = resolve_target(state.target, settings, offline=settings.offline)
            handed = (target, build_fetcher(settings).fetch(make_cone(target, state.radius, settings),
                                                            offline=settings.offline))
        target, observations = handed
        view = analyze(target, observations, to_params(state))
        return _panels(view, state, observations, href)
    except (WiseError, TargetError) as exc:
        return _placeholder(str(exc), welcome=False, n=n_out)
    except Exception:  # never a traceback in the browser; the log has it
        log.exception("render failed")
        return _placeholder("Something went wrong building this view; the error was logged.", welcome=False,
                            n=n_out)


def _placeholder(message: str, *, welcome: bool, n: int) -> tuple:
    fig = figures.message_figure(message)
    return ([], fig, fig, [], message if not welcome else "", "", "", "#", "",
            {"display": "block" if welcome else "none"}, "", [])[:n]


def _panels(view, state: ViewState, observations: Observations, href: str | None) -> tuple:
    psd_failed = observations.failures.get("allwise_p3as_psd")
    rows = figures.source_rows(view)
    selected = view.selection.key if view.selection else None
    for row in rows:
        row["selected"] = row["key"] == selected
    if psd_failed:
        sed_fig = figures.message_figure(f"AllWISE catalog unavailable: {psd_failed}")
        sources_message = f"AllWISE catalog unavailable: {psd_failed}"
    else:
        sed_fig = figures.sed_figure(view, state.sed_axis)
        sources_message = "" if rows else f"No AllWISE sources within {observations.cone.radius_arcsec:g} arcsec."
    epoch_failures = [f"{t}: {m}" for t, m in observations.failures.items() if t != "allwise_p3as_psd"]
    if view.lightcurve.epochs.empty and epoch_failures:
        offline_gap = all("not recorded in the offline archive" in m for m in epoch_failures)
        lc_fig = figures.message_figure(
            "No light curve is recorded in the offline archive for this target." if offline_gap
            else "Light curve unavailable: " + "; ".join(epoch_failures))
    else:
        lc_fig = figures.lightcurve_figure(view, state.unit)
    stats = " · ".join(
        f"{band}: {s['n_visits']} visits, amplitude {s['amplitude_mag']:.2f} mag, χ²_red {s['chi2_red']:.1f}"
        for band, s in view.lightcurve.stats.items()
    )
    if epoch_failures and not view.lightcurve.epochs.empty:
        stats += " · partial: " + "; ".join(epoch_failures)
    selection = (f"selected: {view.selection.label}, {view.selection.separation_arcsec:.2f}\" "
                 f"({view.selection.method})") if view.selection else ""
    query = to_query(state)
    base = (href or "").split("?")[0]
    return (rows, sed_fig, lc_fig, figures.filter_rows(view), "", sources_message, selection,
            "/bundle.zip" + query, base + query, {"display": "none"}, stats, status_lines(observations))


def _client() -> str:
    from flask import has_request_context, request

    return (request.remote_addr or "unknown") if has_request_context() else "local"


def register(app: dash.Dash, settings: Settings) -> None:
    control_inputs = [Input(c, "value") for c in CONTROLS]
    app.callback(
        Output("url", "search"), Output("target-input", "value"), Output("radius-input", "value"),
        *[Output(c, "value") for c in CONTROLS],
        Output("notice", "children"), Output("query", "data"), Output("view-state", "data"),
        Input("url", "search"), Input("go", "n_clicks"), Input("target-input", "n_submit"),
        Input("radius-input", "n_submit"), Input("sources", "cellClicked"), *control_inputs,
        State("target-input", "value"), State("radius-input", "value"), State("query", "data"),
    )(lambda search, go, st, sr, cell, *rest: sync_state(
        settings, (ctx.triggered_id if ctx.triggered else None) or "url", search, cell,
        list(rest[:len(CONTROLS)]), *rest[len(CONTROLS):], client=_client()))

    app.callback(
        Output("fetched", "data"), Input("query", "data"),
        background=True,
        progress=[Output("progress", "children")],
        running=[(Output("go", "disabled"), True, False),
                 (Output("cancel", "style"), {"display": "inline-block"}, {"display": "none"}),
                 (Output("progress", "style"), {"display": "block"}, {"display": "none"})],
        cancel=[Input("cancel", "n_clicks")],
        interval=300,
        prevent_initial_call=True,
    )(lambda set_progress, query: fetch(settings, set_progress, query))

    app.callback(
        Output("sources", "rowData"), Output("sed-graph", "figure"), Output("lc-graph", "figure"),
        Output("filters", "rowData"), Output("progress", "children", allow_duplicate=True),
        Output("sources-message", "children"), Output("selection", "children"), Output("download", "href"),
        Output("share-url", "value"), Output("welcome", "style"), Output("lc-stats", "children"),
        Output("status", "children"),
        Input("fetched", "data"), Input("view-state", "data"), State("url", "href"),
        prevent_initial_call="initial_duplicate",
    )(lambda fetched, state, href: render(settings, fetched, state, href))
