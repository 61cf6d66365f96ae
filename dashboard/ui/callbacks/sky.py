"""The sky panel's callbacks: its own background fetch (image, SIMBAD, Gaia) and render, after
the WISE view, so a slow service never holds it."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

import dash
from dash import Input, Output, no_update

from dashboard.config import Settings
from dashboard.pipeline import view
from dashboard.sky.context import fetch_context
from dashboard.ui import sky
from dashboard.ui.callbacks.panel_job import register_panel_job
from dashboard.ui.callbacks.rendering import (
    params_with_sky,
)
from dashboard.ui.urlstate import from_store
from dashboard.web.handover import handover

log = logging.getLogger(__name__)


def changes_view(settings: Settings, sky_data: dict | None, fetched: dict | None, state_data: dict | None) -> bool:
    """Whether the sky context just handed over changes this view's WISE panels: a selected
    source's SED then has its Gaia answer (G, BP, RP of the counterpart, or why none), and a
    fast-moving counterpart changes the epoch match. A view without a source is left alone."""
    fetch_id = (fetched or {}).get("fetch_id")
    if not fetch_id or not state_data or (sky_data or {}).get("fetch_id") != fetch_id or not sky_data.get("sky_id"):  # type: ignore[union-attr]
        return False
    observed = handover(settings).get(fetch_id)
    if observed is None:
        return False
    shown = view(observed, params_with_sky(settings, from_store(state_data), sky_data["sky_id"]))  # type: ignore[index]
    return shown.motion is not None or shown.selection is not None


def drawn_with(fetched: dict | None, sky_data: dict | None) -> dict:
    """What the panels on the page were drawn with: the fetch and the sky context of that fetch
    (None before it has come)."""
    fetch_id = (fetched or {}).get("fetch_id")
    sky_id = (sky_data or {}).get("sky_id") if fetch_id and (sky_data or {}).get("fetch_id") == fetch_id else None
    return {"fetch_id": fetch_id, "sky_id": sky_id}


def redraws(settings: Settings, sky_data: dict | None, rendered: dict | None, fetched: dict | None,
            state_data: dict | None) -> bool:
    """Whether the panels are drawn again for the sky context: it has come, the panels on the page
    were drawn without it, and it changes them (``changes_view``)."""
    sky_id = (sky_data or {}).get("sky_id")
    return bool(sky_id) and (rendered or {}).get("sky_id") != sky_id and changes_view(
        settings, sky_data, fetched, state_data)


def sky_query(fetched: dict | None, state_data: dict | None, current: dict | None) -> Any:
    """What the sky context is asked for: the fetched cone (by fetch id) and the image band."""
    fetch_id = (fetched or {}).get("fetch_id")
    wanted = {"fetch_id": fetch_id, "band": (state_data or {}).get("image_band", "W1")} if fetch_id else None
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
    found = context.redshift_at(observed.target.ra, observed.target.dec)
    return {"sky_id": sky_id, **asked, **({"simbad_z": {"z": found.z}} if found is not None else {})}


SKY_NAMES = {"image": "image", "simbad": "SIMBAD", "gaia": "Gaia"}


def render_sky(settings: Settings, sky_data: dict | None, fetched: dict | None, state_data: dict | None) -> dict:
    """The sky panel for the current view; waiting, expired or failed each says so in the panel."""
    if not state_data or not state_data.get("target"):
        return sky.empty("")
    fetch_id = (fetched or {}).get("fetch_id")
    if not fetch_id:
        return sky.empty("The image and identification follow once the WISE tables are in.")
    band = state_data.get("image_band", "W1")
    if (sky_data or {}).get("fetch_id") != fetch_id or (sky_data or {}).get("band") != band:
        return sky.empty("Fetching the WISE image, SIMBAD and Gaia DR3…")
    if sky_data.get("error") or not sky_data.get("sky_id"):  # type: ignore[union-attr]
        return sky.empty(str(sky_data.get("error") or "The sky context failed."))  # type: ignore[union-attr]
    store = handover(settings)
    context, observed = store.get_sky(sky_data["sky_id"]), store.get(fetch_id)  # type: ignore[index]
    if context is None or observed is None:
        return sky.empty("This view's data expired on the server; press Go to fetch it again.")
    try:
        state = from_store(state_data)
        shown = view(observed, params_with_sky(settings, state, sky_data["sky_id"]))  # type: ignore[index]  # checked
        return sky.contents(context, shown)
    except Exception:  # never a traceback in the browser; the log has it
        log.exception("sky render failed")
        return sky.empty("Something went wrong building the sky context; the error was logged.")


def register_sky(app: dash.Dash, settings: Settings) -> None:
    def on_sky(set_progress: Callable[[str], None], asked: dict | None) -> dict | None:
        return fetch_sky(settings, set_progress, asked)

    register_panel_job(app, "sky", sky_query, on_sky, what="the sky context", interval_ms=400)

    app.callback(
        output={"figure": Output("sky-graph", "figure"), "simbad": Output("simbad-table", "rowData"),
                "gaia": Output("gaia-table", "rowData"), "messages": Output("sky-messages", "children"),
                "simbad_message": Output("simbad-message", "children"),
                "gaia_message": Output("gaia-message", "children"),
                "blending": Output("blending", "children"), "links": Output("linkouts", "children"),
                "body": Output("sky-body", "className")},
        inputs={"sky_data": Input("sky", "data"), "fetched": Input("fetched", "data"),
                "state_data": Input("view-state", "data")},
        prevent_initial_call=True,
    )(lambda sky_data, fetched, state_data: render_sky(settings, sky_data, fetched, state_data))
