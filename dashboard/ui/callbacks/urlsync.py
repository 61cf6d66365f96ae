"""Page state and URL sync: the URL is the state. ``sync_state`` keeps the URL, the controls and
the boxes in step (one callback, so Dash sees no cycle) and starts a lookup with its own nonce."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict, replace
from typing import Any

from dash import no_update

from dashboard.config import Settings
from dashboard.core.tables import ADDED
from dashboard.core.targets import TargetError, parse_radius
from dashboard.pipeline import check_target_text
from dashboard.science.apertures import PHOT_MODES
from dashboard.science.photometry import COLOUR_CORRECTIONS
from dashboard.science.quality import ALL_CUTS
from dashboard.sky.context import BANDS
from dashboard.ui import figures
from dashboard.ui.callbacks.rendering import (
    fetching_message,
    panel_outputs,
    placeholder,
)
from dashboard.ui.figures.lightcurve import clicked_visit
from dashboard.ui.urlstate import BOUNDS, ViewState, fold_refusal, parse_fold, parse_query, to_query
from dashboard.web.ratelimit import rate_limiter

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
    "sed-alpha": (lambda s: "none" if s.colour_alpha is None else s.colour_alpha,
                  lambda v: {"colour_alpha": v if v in COLOUR_CORRECTIONS else None}),
    "w4red": (lambda s: ["on"] if s.w4_red else [], lambda v: {"w4_red": bool(v)}),
    "sed-phot": (lambda s: s.phot, lambda v: {"phot": v if v in PHOT_MODES else "auto"}),
    "add-tables": (lambda s: list(s.added_tables),
                   lambda v: {"added_tables": tuple(t for t in ADDED if t in (v or []))}),
    "visit-gap": (lambda s: s.visit_gap, lambda v: _number("gap", "visit_gap", v)),
    "outlier-threshold": (lambda s: s.outlier_threshold, lambda v: _number("othr", "outlier_threshold", v)),
    "outlier-quantile": (lambda s: s.outlier_quantile, lambda v: _number("oq", "outlier_quantile", v)),
    "pg-toggle": (lambda s: ["on"] if s.periodogram else [], lambda v: {"periodogram": bool(v)}),
    "flare-toggle": (lambda s: ["on"] if s.flare_search else [], lambda v: {"flare_search": bool(v)}),
    "redshift-input": (lambda s: s.redshift, lambda v: {"redshift": _redshift(v)}),
    "fold-input": (lambda s: "" if s.fold_period is None else (
                       s.fold_period if isinstance(s.fold_period, str) else f"{s.fold_period:g}"),
                   lambda v: {"fold_period": parse_fold(str(v or ""))}),
    "fold-band": (lambda s: s.fold_band, lambda v: {"fold_band": v if v in ("W1", "W2") else "W1"}),
    "img-band": (lambda s: s.image_band, lambda v: {"image_band": v if v in BANDS else "W1"}),
    "visit-pick": (lambda s: s.visit, lambda v: {"visit": _visit(v)}),
    "ref-pick": (lambda s: s.reference_visit, lambda v: {"reference_visit": _visit(v)}),
}


def _visit(value: object) -> int | None:
    """A visit chosen in a dropdown: a number 0, 1, …, or none."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _redshift(value: object) -> float | None:
    """A redshift typed in its box: within the URL's bounds, else none (the box empty)."""
    low, high, _ = BOUNDS["z"]
    try:
        z = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return z if low <= z <= high else None


NEW_LOOKUP = ("go", "target-input", "radius-input")


def _bounded(value: object, low: float, high: float) -> float:
    try:
        return min(max(float(value), low), high)  # type: ignore[arg-type]  # any input; non-numbers -> low
    except (TypeError, ValueError):
        return low


def _number(key: str, name: str, value: object) -> dict[str, float]:
    """A number box: within the URL's bounds (urlstate.BOUNDS); empty or out of range (the browser
    hands over nothing) keeps the current value."""
    if value is None or value == "":
        return {}
    low, high, _ = BOUNDS[key]
    return {name: _bounded(value, low, high)}


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


def _still_showing(current: ViewState) -> str:
    """After a refused new lookup: say plainly that the panels below are the previous view's
    (nothing is cleared: the previous view is still the page's address and the user's)."""
    if not current.target:
        return ""
    return (f" Nothing was looked up: the view below is still the previous target, {current.target} "
            f"(r = {current.radius:g}″).")


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
               target_text: str | None, radius_text: object, query: dict | None, client: str = "local",
               click: dict | None = None) -> dict:
    """URL <-> controls. ``trigger`` is the id of the input that changed."""
    current = parse_query(search, max_radius=settings.max_radius_arcsec)
    notice: Any = no_update
    new_search: Any = no_update
    if trigger in NEW_LOOKUP:
        try:
            check_target_text(target_text or "", settings)
            parse_radius(radius_text, settings.max_radius_arcsec)
        except TargetError as exc:
            return _unchanged(str(exc) + _still_showing(current))
        state = replace(current, target=(target_text or "").strip(), radius=float(radius_text),  # type: ignore[arg-type]
                        source="", notices=())
        new_search, notice = to_query(state), ""
    elif trigger == "lc-graph":  # a visit clicked: its frames below
        visit = clicked_visit(click)
        if visit is None or visit == current.visit:
            return _unchanged()
        state = replace(current, visit=visit, notices=())
        new_search = to_query(state)
    elif trigger == "sources":
        key = (cell or {}).get("rowId")
        state = replace(current, source=str(key)[:64] if key else "", notices=())
        new_search = to_query(state)
    elif trigger in CONTROLS:
        refused = fold_refusal(controls.get("fold-input")) if trigger == "fold-input" else None
        if refused:  # the typed text stays in its box, with the reason beside it
            return _unchanged(refused)
        state = state_from_controls(current, controls)
        new_search = to_query(state)
    else:  # the URL changed (first load, back/forward, a shared link)
        state = current
        notice = " ".join(state.notices)
    asked = {"target": state.target, "radius": state.radius, "add": list(state.added_tables)}
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
    loading = (placeholder(fetching_message(state), welcome=False) if query_out is not no_update else _no_panels())
    return {"search": new_search, "target": boxes[0], "radius": boxes[1], "controls": controls_of(state),
            "notice": notice, "query": query_out, "state": asdict(state),
            "canonical": to_query(state) if state.target else no_update, "panels": loading}
