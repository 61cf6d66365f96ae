"""The visit images' callbacks: a background fetch of the chosen visit's frames (and the
reference's, and the strip) after the WISE view, handed over by id, and their render. A slow or
unreachable image archive is said in this panel only; the rest of the view stands."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import dash
from dash import Input, Output, html, no_update

from dashboard.config import Settings
from dashboard.pipeline import view
from dashboard.sky.evidence import gather, visit_windows
from dashboard.ui.callbacks.panel_job import register_panel_job
from dashboard.ui.figures.frames import strip_figure, visit_figure
from dashboard.ui.figures.style import message_figure
from dashboard.ui.urlstate import from_store, parse_query, to_params, to_query
from dashboard.web.handover import handover

log = logging.getLogger(__name__)
EXPIRED = "This view's data expired on the server; press Go to fetch it again."


def frames_query(fetched: dict | None, state_data: dict | None, current: dict | None) -> Any:
    """What the images are asked for: the fetched cone, the visit and reference, and the view's
    parameters that number the visits (binning, cuts)."""
    fetch_id = (fetched or {}).get("fetch_id")
    state = from_store(state_data) if state_data else None
    if not fetch_id or state is None or state.visit is None:
        wanted = None
    else:
        visits_key = to_query(replace(state, visit=None, reference_visit=None, visit_frames=False,
                                       x_range=None, y_range=None))
        wanted = {"fetch_id": fetch_id, "visit": state.visit, "ref": state.reference_visit, "view": visits_key}
    return no_update if wanted == current else wanted


def fetch_frames(settings: Settings, set_progress: Callable[[str], None], asked: dict | None) -> dict | None:
    """Background job: the frames and co-adds of the asked visit (and reference, and the strip)."""
    if not asked:
        return None
    observed = handover(settings).get(asked["fetch_id"])
    if observed is None:
        return {"error": EXPIRED, **asked}
    state = parse_query(asked["view"])
    try:
        evidence = gather(view(observed, to_params(state)), asked["visit"], asked.get("ref"), settings,
                          progress=set_progress)
    except ValueError as exc:  # a visit number this view does not have
        return {"error": f"{exc}.", **asked}
    frames_id = uuid.uuid4().hex
    handover(settings).put_frames(frames_id, evidence)
    return {"frames_id": frames_id, **asked}


def _options(windows: dict[int, tuple[float, float]]) -> str:
    """The visits to choose from, with when each began."""
    return "visits: " + " · ".join(f"{v}: MJD {lo:.0f}" for v, (lo, _) in sorted(windows.items()))


def render_frames(settings: Settings, frames: dict | None, fetched: dict | None, state_data: dict | None) -> dict:
    """The panel for the current view: its visits to choose from, and the chosen visit's images."""
    empty = {"figure": message_figure(""), "strip": message_figure(""), "list": [], "message": "",
             "options": no_update, "images": "hidden"}
    fetch_id = (fetched or {}).get("fetch_id")
    if not state_data or not fetch_id:
        return empty
    observed = handover(settings).get(fetch_id)
    if observed is None:
        return empty | {"message": EXPIRED}
    state = from_store(state_data)
    try:
        windows = visit_windows(view(observed, to_params(state)))
    except Exception:
        log.exception("visit list failed")
        return empty | {"message": "The visits could not be listed; the error was logged."}
    out = empty | {"options": _options(windows)}
    if state.visit is None:
        return out | {"message": f"{len(windows)} visits: choose one to see its frames."}
    if (frames or {}).get("fetch_id") != fetch_id or (frames or {}).get("visit") != state.visit \
            or (frames or {}).get("ref") != state.reference_visit:
        return out | {"message": f"Fetching the frames of visit {state.visit}…"}
    if frames.get("error") or not frames.get("frames_id"):  # type: ignore[union-attr]
        return out | {"message": str(frames.get("error") or "The frames could not be fetched.")}  # type: ignore[union-attr]
    evidence = handover(settings).get_frames(frames["frames_id"])  # type: ignore[index]
    if evidence is None:
        return out | {"message": EXPIRED}
    items = [html.Li([f"visit {row['visit']} {row['band']} MJD {row['mjd']:.5f} {row['scan_id']} "
                      f"{row['frame_num']:03d}: {row['status']} ",
                      html.A("FITS", href=str(row["url"]), target="_blank", rel="noopener")])
             for row in evidence.frames_table().to_dict("records")]
    if evidence.failure is not None:  # one message, no empty figure
        return out | {"list": items, "message": f"{evidence.failure} — the frames of this visit cannot be shown "
                                                "now; the rest of the view is unaffected."}
    chosen = evidence.frames.get(state.visit)
    failed = len([c for c in chosen.cutouts if c.status != "fetched"]) if chosen is not None else 0
    note = f"{failed} frame(s) not shown: see the list." if failed else ""
    return out | {"figure": visit_figure(evidence), "strip": strip_figure(evidence), "list": items, "message": note,
                  "images": ""}


def register_frames(app: dash.Dash, settings: Settings) -> None:
    def on_frames(set_progress: Callable[[str], None], asked: dict | None) -> dict | None:
        return fetch_frames(settings, set_progress, asked)

    register_panel_job(app, "frames", frames_query, on_frames, what="the frames", interval_ms=500)

    app.callback(
        output={"figure": Output("frames-graph", "figure"), "strip": Output("strip-graph", "figure"),
                "list": Output("frames-list", "children"), "message": Output("frames-message", "children"),
                "options": Output("visit-list", "children"), "images": Output("frames-images", "className")},
        inputs={"frames": Input("frames", "data"), "fetched": Input("fetched", "data"),
                "state_data": Input("view-state", "data")},
        prevent_initial_call=True,
    )(lambda frames, fetched, state_data: render_frames(settings, frames, fetched, state_data))
