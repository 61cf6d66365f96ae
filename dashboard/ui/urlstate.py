"""The whole view as a URL query string, and back, from the one table of view parameters
(``ui.viewparams.VIEW_PARAMETERS``).

An unknown or invalid value falls back to its default and is reported as a notice (never an error
page); ``parse_exact`` refuses it instead (a download). ``to_params`` turns a state into the
service layer's ``AnalysisParams``; the bundle route reads the same query string.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields, replace
from typing import Any
from urllib.parse import parse_qs, urlencode

from dashboard.core.targets import TargetError
from dashboard.provenance.bundle import safe_name
from dashboard.science.analysis import AnalysisParams
from dashboard.science.flares import FlareParams
from dashboard.science.photometry import SedOptions
from dashboard.science.quality import CatalogCuts, EpochCuts
from dashboard.science.stacking import Binning
from dashboard.ui.paramkinds import ParseContext, Refused, Unchanged
from dashboard.ui.viewparams import BOUNDS, BY_KEY, BY_NAME, FOLD_WHY, VIEW_PARAMETERS, parse_fold

__all__ = ["BOUNDS", "ViewState", "bundle_filename", "fold_refusal", "from_store", "page_view", "parse_exact",
           "parse_fold", "parse_query", "to_params", "to_query"]


def _default(name: str) -> Any:
    return field(default=BY_NAME[name].default)


@dataclass(frozen=True)
class ViewState:
    """The whole view, as the URL holds it: one field per ``VIEW_PARAMETERS`` entry, in its order,
    with its default (a test checks that the two agree)."""

    target: str = _default("target")
    radius: float = _default("radius")
    source: str = _default("source")
    ph_qual: str = _default("ph_qual")
    clean_cc: bool = _default("clean_cc")
    max_ext: int = _default("max_ext")
    min_snr: float = _default("min_snr")
    epoch_cuts: tuple[str, ...] = _default("epoch_cuts")
    binning: bool = _default("binning")
    unit: str = _default("unit")
    sed_axis: str = _default("sed_axis")
    phot: str = _default("phot")
    match_radius: float = _default("match_radius")
    w4_red: bool = _default("w4_red")
    visit_gap: float = _default("visit_gap")
    outlier_threshold: float = _default("outlier_threshold")
    outlier_quantile: float = _default("outlier_quantile")
    colour_alpha: int | None = _default("colour_alpha")
    periodogram: bool = _default("periodogram")
    fold_band: str = _default("fold_band")
    image_band: str = _default("image_band")
    added_tables: tuple[str, ...] = _default("added_tables")
    fold_period: float | str | None = _default("fold_period")
    visit: int | None = _default("visit")
    reference_visit: int | None = _default("reference_visit")
    visit_frames: bool = _default("visit_frames")
    x_range: tuple[float, float] | None = _default("x_range")
    y_range: tuple[float, float] | None = _default("y_range")
    event_mjd: float | None = _default("event_mjd")
    time_axis: str = _default("time_axis")
    fit_bands: tuple[str, ...] = _default("fit_bands")
    flare_search: bool = _default("flare_search")
    redshift: float | None = _default("redshift")
    baseline_window: tuple[float, float] | None = _default("baseline_window")
    group_notes: bool = _default("group_notes")
    notices: tuple[str, ...] = field(default=(), compare=False)

    @property
    def wants_timeseries(self) -> bool:
        """The periodogram panel is asked for: a periodogram, a fold, or both."""
        return self.periodogram or self.fold_period is not None


def fold_refusal(text: object) -> str | None:
    """Why a typed fold period is not used (None when it is, or the box is empty): the page says
    it instead of dropping the value."""
    typed = str(text or "").strip()
    if not typed or parse_fold(typed) is not None:
        return None
    return f"Fold period {typed[:20]!r} not used: {FOLD_WHY}."


def parse_query(search: str | None, *, max_radius: float = 120.0) -> ViewState:
    """Read a query string (with or without '?'); bad values become defaults plus notices."""
    raw = parse_qs((search or "").lstrip("?"), keep_blank_values=True)
    notices: list[str] = []
    changes: dict[str, Any] = {}
    for key, texts in raw.items():
        text = texts[-1]
        parameter = BY_KEY.get(key)
        if parameter is None:
            notices.append(f"Ignored unknown parameter {key[:30]!r}.")
            continue
        try:
            changes[parameter.name] = parameter.kind.parse(
                text, ParseContext(max_radius=max_radius, notices=notices, key=key))
        except Refused as refused:
            notices.append(f"Ignored {key}={text[:40]!r}: {refused}; using the default.")
        except Unchanged:
            pass
    _check_together(changes, notices)
    return replace(ViewState(), **changes, notices=tuple(notices))


def _check_together(changes: dict[str, Any], notices: list[str]) -> None:
    """The rules between parameters: frames need a visit; days since the event need the event."""
    if changes.get("visit_frames") and changes.get("visit") is None:
        notices.append("Ignored frames=1: it needs a visit (visit=N) whose frames to add.")
        changes["visit_frames"] = False
    if changes.get("time_axis") == "t0" and changes.get("event_mjd") is None:
        notices.append("Ignored tax=t0: days since the event need an event date (t0=MJD or an ISO date).")
        changes["time_axis"] = "mjd"


def parse_exact(search: str, *, max_radius: float) -> ViewState:
    """A link for a download: exact, so any notice (a value that would fall back to its default)
    or a missing target is a ``TargetError`` saying what to fix. The bundle route and the CLI."""
    state = parse_query(search, max_radius=max_radius)
    if state.notices:
        raise TargetError(" ".join(state.notices).replace("using the default", "fix it"))
    if not state.target:
        raise TargetError("The link has no target=…; give a name, coordinates or an AllWISE designation.")
    return state


def _written(state: ViewState) -> dict[str, str]:
    """The canonical query's parameters, in the table's order."""
    out = {}
    for p in VIEW_PARAMETERS:
        value = getattr(state, p.name)
        if p.written(value):
            out[p.key] = p.kind.write(value)
    return out


def to_query(state: ViewState) -> str:
    """The canonical query string of a state: the first links' parameters always (so a link never
    drifts), every other one only when it is not at its default."""
    return "?" + urlencode(_written(state))


def bundle_filename(state: ViewState, label: str) -> str:
    """A view's download name: the target (``label``, made safe), the radius, and the first 8 hex
    digits of the sha256 of its canonical query, so two views of one target never share a name."""
    digest = hashlib.sha256(to_query(state).encode()).hexdigest()[:8]
    return f"wise_{safe_name(label)}_r{state.radius:g}_{digest}.zip"


def page_view(state: ViewState) -> dict[str, Any]:
    """The view as the manifest records it: the canonical query string (the page link's part
    after the address) and each parameter's value, defaults included (null: not set, which is
    the default: no chosen source, no colour correction, no fold, no zoom); a parameter added
    since the first links is recorded only when set."""
    written = _written(state)
    listed = {p.key: written.get(p.key) for p in VIEW_PARAMETERS if p.at_default != "absent" or p.key in written}
    return {"query": to_query(state), "parameters": listed}


def to_params(state: ViewState) -> AnalysisParams:
    """The service layer's parameters for this view."""
    return AnalysisParams(
        source=state.source or None,
        match_radius_arcsec=state.match_radius,
        catalog_cuts=CatalogCuts(ph_qual=state.ph_qual, clean_cc_flags=state.clean_cc, max_ext_flg=state.max_ext,
                                 min_snr=state.min_snr),
        epoch_cuts=EpochCuts(enabled=state.epoch_cuts),
        binning=replace(Binning(), enabled=state.binning, gap_days=state.visit_gap,
                        outlier_threshold=state.outlier_threshold, outlier_quantile=state.outlier_quantile),
        sed_options=SedOptions(alpha=state.colour_alpha, w4_red_correction=state.w4_red, phot=state.phot),
        periodogram=state.periodogram,  # a fold at the best period finds it itself (rendering._timeseries)
        flare=FlareParams(baseline_window=state.baseline_window, redshift=state.redshift,
                          event_mjd=state.event_mjd) if state.flare_search else None,
        fit_bands=state.fit_bands or None,
    )


def from_store(data: dict) -> ViewState:
    """A ``ViewState`` back from its JSON form in a dcc.Store (lists become tuples)."""
    names = {f.name for f in fields(ViewState)}
    values: dict[str, Any] = {k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k in names}
    return ViewState(**values)
