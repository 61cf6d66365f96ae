"""The page's callbacks: thin. Parse the input, call the pipeline, build figures.

One module per stage: ``urlsync`` (page state and URL), ``fetching`` (the background fetch; its
Cancel is wired here), ``rendering`` (the panels), ``sky`` (the sky panel). This module wires them to the
page's components; inputs and outputs are named (Dash's flexible callback signatures), so each
function reads like the page."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import dash
from dash import ClientsideFunction, Input, Output, State, ctx, no_update

from dashboard.archive.service import shared_store
from dashboard.config import Settings
from dashboard.ui import batch
from dashboard.ui.callbacks.fetching import fetch
from dashboard.ui.callbacks.frames import register_frames
from dashboard.ui.callbacks.notes import register_notes
from dashboard.ui.callbacks.rendering import PANELS, panel_outputs, redraw_of, redraw_outputs, render
from dashboard.ui.callbacks.sky import changes_view, drawn_with, redraws, register_sky
from dashboard.ui.callbacks.urlsync import CONTROLS, controls_of, sync_state, zoom_search
from dashboard.web.ratelimit import RateLimiter, client_address

__all__ = ["CONTROLS", "PANELS", "changes_view", "controls_of", "fetch", "redraw_of", "register", "render",
           "sync_state", "zoom_search"]

log = logging.getLogger(__name__)


def register(app: dash.Dash, settings: Settings) -> None:
    """Every callback of the page: the view state, the fetch, the render, the sky, the frames and
    the batch page."""
    _register_state(app, settings)
    _register_fetch(app, settings)
    _register_render(app, settings)
    register_sky(app, settings)
    register_frames(app, settings)
    batch.register(app, settings)
    register_notes(app, settings, RateLimiter(shared_store(settings), settings.note_writes_per_minute))


def _register_state(app: dash.Dash, settings: Settings) -> None:
    """The view state from the link and the controls; the address bar and a zoom."""
    def on_state(search: str | None, go: int, target_submit: int, radius_submit: int, cell: dict | None,
                 click: dict | None, controls: dict[str, Any], target_text: str | None, radius_text: object,
                 query: dict | None) -> dict:
        trigger = (ctx.triggered_id if ctx.triggered else None) or "url"
        return sync_state(settings, trigger, search, cell, controls, target_text, radius_text, query,
                          client=client_address(), click=click)

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
                "click": Input("lc-graph", "clickData"),
                "controls": {cid: Input(cid, "value") for cid in CONTROLS}},
        state={"target_text": State("target-input", "value"), "radius_text": State("radius-input", "value"),
               "query": State("query", "data")},
        prevent_initial_call="initial_duplicate",  # runs on page load (the link), with its duplicates
    )(on_state)

    # The address bar shows the clean link of the view (replaced in place, assets/wise.js).
    app.clientside_callback(ClientsideFunction("wise", "replaceAddress"), Output("address", "data"),
                            Input("canonical", "data"), prevent_initial_call=True)
    # SIMBAD's redshift into the link of a flare search without z (assets/wise.js, ui/callbacks/sky.py)
    app.clientside_callback(ClientsideFunction("wise", "simbadRedshift"), Output("simbad-z", "data"),
                            Input("sky", "data"), State("fetched", "data"), prevent_initial_call=True)

    # A zoom writes the address (its own callback: plot events never race the inputs above). The
    # browser writes the "zoom" store from plotly's own event (assets/wise.js), not from
    # relayoutData, which an autosize right after the zoom would overwrite before Dash reads it.
    app.callback(Output("url", "search", allow_duplicate=True), Input("zoom", "data"),
                 State("url", "search"), prevent_initial_call=True)(
        lambda relayout, search: zoom_search(settings, search, relayout))


def _register_fetch(app: dash.Dash, settings: Settings) -> None:
    """The background fetch of a view's data, its progress and its Cancel."""
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


def _register_render(app: dash.Dash, settings: Settings) -> None:
    """The panels drawn from the fetched data and the state; again when the sky context changes them."""
    def on_render(fetched: dict | None, state: dict | None, cancelled: dict | None, sky_data: dict | None,
                  query: dict | None, href: str | None) -> dict:
        return {**render(settings, fetched, state, href, query=query, cancelled=cancelled, sky_data=sky_data),
                "drawn_with": drawn_with(fetched, sky_data)}

    # The sky context is read as State: an Input would make Dash hold this render until the sky
    # job (a slow Gaia, say) has finished. When it changes the view (the SED's Gaia points, a
    # moving counterpart's epoch match), ``on_motion`` below renders again.
    app.callback(
        output={**panel_outputs(duplicate=False), "drawn_with": Output("rendered", "data")},
        inputs={"fetched": Input("fetched", "data"), "state": Input("view-state", "data"),
                "cancelled": Input("cancelled", "data")},
        state={"query": State("query", "data"), "href": State("url", "href"), "sky_data": State("sky", "data")},
        prevent_initial_call="initial_duplicate",
    )(on_render)

    # The sky context changes the SED (Gaia) and perhaps the epoch match: the panels it changes
    # are drawn again (``redraw_of``: the others stay as drawn), in two steps.
    # ``motion`` (waiting on the sky job) writes only a small store; a callback writing the panels
    # while it waits would keep them "loading" and Dash would drop the plot's zoom events meanwhile.
    # It also takes ``rendered`` (what the panels on the page were drawn with) as an Input: Dash
    # then holds it while a render is under way, so a render begun before the sky came can never
    # answer after, and draw over, the one with the sky.
    app.callback(Output("motion", "data"), Input("sky", "data"), Input("rendered", "data"),
                 State("fetched", "data"), State("view-state", "data"), prevent_initial_call=True)(
        lambda sky_data, rendered, fetched, state: sky_data if redraws(settings, sky_data, rendered, fetched, state)
        else no_update)

    def on_motion(motion: dict, fetched: dict | None, state: dict | None, cancelled: dict | None,
                  query: dict | None, href: str | None) -> dict:
        before = render(settings, fetched, state, href, query=query, cancelled=cancelled)
        after = render(settings, fetched, state, href, query=query, cancelled=cancelled, sky_data=motion)
        return redraw_of(state, before, after, drawn_with(fetched, motion))

    app.callback(
        Output("redraw", "data"), Input("motion", "data"),
        State("fetched", "data"), State("view-state", "data"), State("cancelled", "data"), State("query", "data"),
        State("url", "href"), prevent_initial_call=True,
    )(on_motion)
    # The redraw goes on the page only if the view is still the one it was drawn for: one that
    # answers after the user changed the view is dropped in the browser (assets/wise.js), as that
    # view's own render already had the sky context.
    app.clientside_callback(ClientsideFunction("wise", "applyRedraw"), redraw_outputs(),
                            Input("redraw", "data"), State("view-state", "data"), prevent_initial_call=True)
