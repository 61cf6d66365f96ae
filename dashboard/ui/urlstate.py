"""The whole view as a URL query string, and back.

Every control has a short parameter; an unknown or invalid value falls back to its default and
is reported as a notice (never an error page). ``to_params`` turns a state into the service
layer's ``AnalysisParams``; the bundle route reads the same query string.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qs, urlencode

from ..config import MIN_RADIUS_ARCSEC, Settings
from ..wise.analysis import AnalysisParams
from ..wise.quality import ALL_CUTS, CatalogCuts, EpochCuts
from ..wise.stacking import Binning

_DEFAULT = AnalysisParams()
_CATALOG = _DEFAULT.catalog_cuts


@dataclass(frozen=True)
class ViewState:
    """The whole view, as the URL holds it; every default is the service layer's."""

    target: str = ""
    radius: float = Settings().default_radius_arcsec
    source: str = ""
    ph_qual: str = _CATALOG.ph_qual
    clean_cc: bool = _CATALOG.clean_cc_flags
    max_ext: int = _CATALOG.max_ext_flg
    min_snr: float = _CATALOG.min_snr
    epoch_cuts: tuple[str, ...] = _DEFAULT.epoch_cuts.enabled
    binning: bool = _DEFAULT.binning.enabled
    unit: str = "mag"
    sed_axis: str = "fnu"
    match_radius: float = _DEFAULT.match_radius_arcsec
    notices: tuple[str, ...] = field(default=(), compare=False)


def _float(value: str, low: float, high: float) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and low <= number <= high else None


def parse_query(search: str | None, *, max_radius: float = 120.0) -> ViewState:
    """Read a query string (with or without '?'); bad values become defaults plus notices."""
    raw = parse_qs((search or "").lstrip("?"), keep_blank_values=True)
    values = {k: v[-1] for k, v in raw.items()}
    state = ViewState()
    notices: list[str] = []
    changes: dict[str, object] = {}

    def bad(key: str, what: str, default: object) -> object:
        notices.append(f"Ignored {key}={values[key][:40]!r}: {what}; using the default.")
        return default

    for key, text in values.items():
        if key == "target":
            changes["target"] = text.strip()[:200]
        elif key == "r":
            r = _float(text, MIN_RADIUS_ARCSEC, max_radius)
            changes["radius"] = r if r is not None else bad(
                key, f"radius must be {MIN_RADIUS_ARCSEC:g} to {max_radius:g} arcsec", state.radius)
        elif key == "src":
            changes["source"] = text.strip()[:64]
        elif key == "ph":
            letters = "".join(c for c in "ABCUXZ" if c in text.upper())
            if letters and set(text.upper()) <= set("ABCUXZ"):
                changes["ph_qual"] = letters
            else:
                bad(key, "ph_qual letters are A, B, C, U, X, Z", None)
        elif key in ("cc", "bin"):
            if text in ("0", "1"):
                changes["clean_cc" if key == "cc" else "binning"] = text == "1"
            else:
                bad(key, "use 0 or 1", None)
        elif key == "ext":
            ext = _float(text, 0, 5)
            if ext is not None and ext == int(ext):
                changes["max_ext"] = int(ext)
            else:
                bad(key, "ext_flg limit is 0..5", None)
        elif key == "snr":
            snr = _float(text, 0, 1000)
            changes["min_snr"] = snr if snr is not None else bad(key, "SNR minimum is 0..1000", state.min_snr)
        elif key == "cuts":
            tokens = tuple(t for t in text.split(",") if t)
            unknown = [t for t in tokens if t not in ALL_CUTS]
            if unknown:
                notices.append(f"Ignored unknown cut(s) {', '.join(unknown)[:60]}; known: {', '.join(ALL_CUTS)}.")
            changes["epoch_cuts"] = tuple(t for t in ALL_CUTS if t in tokens)
        elif key == "unit":
            if text in ("mag", "flux"):
                changes["unit"] = text
            else:
                bad(key, "unit is mag or flux", None)
        elif key == "sed":
            if text in ("fnu", "nufnu"):
                changes["sed_axis"] = text
            else:
                bad(key, "sed is fnu or nufnu", None)
        elif key == "match":
            m = _float(text, 0.1, 10)
            changes["match_radius"] = m if m is not None else bad(key, "match radius is 0.1..10 arcsec",
                                                                  state.match_radius)
        else:
            notices.append(f"Ignored unknown parameter {key[:30]!r}.")
    return replace(state, **changes, notices=tuple(notices))  # type: ignore[arg-type]  # values checked above


def to_query(state: ViewState) -> str:
    """The canonical query string of a state (defaults included, so a link never drifts)."""
    params = {
        "target": state.target, "r": f"{state.radius:g}", "src": state.source, "ph": state.ph_qual,
        "cc": "1" if state.clean_cc else "0", "ext": str(state.max_ext), "snr": f"{state.min_snr:g}",
        "cuts": ",".join(state.epoch_cuts), "bin": "1" if state.binning else "0", "unit": state.unit,
        "sed": state.sed_axis, "match": f"{state.match_radius:g}",
    }
    if not state.source:
        params.pop("src")
    return "?" + urlencode(params)


def to_params(state: ViewState) -> AnalysisParams:
    """The service layer's parameters for this view."""
    return AnalysisParams(
        source=state.source or None,
        match_radius_arcsec=state.match_radius,
        catalog_cuts=CatalogCuts(ph_qual=state.ph_qual, clean_cc_flags=state.clean_cc, max_ext_flg=state.max_ext,
                                 min_snr=state.min_snr),
        epoch_cuts=EpochCuts(enabled=state.epoch_cuts),
        binning=replace(Binning(), enabled=state.binning),
    )


def from_store(data: dict) -> ViewState:
    """A ``ViewState`` back from its JSON form in a dcc.Store (lists become tuples)."""
    names = {f for f in ViewState.__dataclass_fields__}
    values: dict[str, Any] = {k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k in names}
    return ViewState(**values)
