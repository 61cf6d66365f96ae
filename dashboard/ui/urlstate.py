"""The whole view as a URL query string, and back.

Every control has a short parameter; an unknown or invalid value falls back to its default and
is reported as a notice (never an error page). ``to_params`` turns a state into the service
layer's ``AnalysisParams``; the bundle route reads the same query string.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qs, urlencode

from ..wise.analysis import AnalysisParams
from ..wise.lightcurve import Binning
from ..wise.quality import CatalogCuts, EpochCuts

EPOCH_CUTS = {  # URL token -> (label, EpochCuts field, value when on)
    "nb": ("nb < 2", "nb_below", 2),
    "na": ("na < 1", "na_below", 1),
    "cc": ("cc_flags W1,W2 clean", "clean_cc_flags", True),
    "qi": ("qi_fact >= 1", "qi_fact_min", 1.0),
    "saa": ("saa_sep >= 5", "saa_sep_min", 5.0),
    "moon": ("moon_masked W1,W2 clean", "clean_moon_masked", True),
    "qf": ("qual_frame > 0 (NEOWISE)", "qual_frame_above", 0),
    "sso": ("sso_flg = 0 (NEOWISE)", "sso_flg_zero", True),
}
OFF_VALUE = {"nb_below": None, "na_below": None, "clean_cc_flags": False, "qi_fact_min": None, "saa_sep_min": None,
             "clean_moon_masked": False, "qual_frame_above": None, "sso_flg_zero": False}


@dataclass(frozen=True)
class ViewState:
    target: str = ""
    radius: float = 10.0
    source: str = ""
    ph_qual: str = "ABCU"
    clean_cc: bool = False
    max_ext: int = 5
    min_snr: float = 0.0
    epoch_cuts: tuple[str, ...] = tuple(EPOCH_CUTS)
    binning: bool = True
    unit: str = "mag"
    sed_axis: str = "fnu"
    match_radius: float = 3.0
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

    def bad(key: str, what: str) -> None:
        notices.append(f"Ignored {key}={values[key][:40]!r}: {what}; using the default.")

    for key, text in values.items():
        if key == "target":
            changes["target"] = text.strip()[:200]
        elif key == "r":
            r = _float(text, 1e-3, max_radius)
            changes["radius"] = r if r is not None else bad(key, f"radius must be 0..{max_radius:g} arcsec") or 10.0
        elif key == "src":
            changes["source"] = text.strip()[:64]
        elif key == "ph":
            letters = "".join(c for c in "ABCUXZ" if c in text.upper())
            if letters and set(text.upper()) <= set("ABCUXZ"):
                changes["ph_qual"] = letters
            else:
                bad(key, "ph_qual letters are A, B, C, U, X, Z")
        elif key in ("cc", "bin"):
            if text in ("0", "1"):
                changes["clean_cc" if key == "cc" else "binning"] = text == "1"
            else:
                bad(key, "use 0 or 1")
        elif key == "ext":
            ext = _float(text, 0, 5)
            if ext is not None and ext == int(ext):
                changes["max_ext"] = int(ext)
            else:
                bad(key, "ext_flg limit is 0..5")
        elif key == "snr":
            snr = _float(text, 0, 1000)
            changes["min_snr"] = snr if snr is not None else bad(key, "SNR minimum is 0..1000") or 0.0
        elif key == "cuts":
            tokens = tuple(t for t in text.split(",") if t)
            unknown = [t for t in tokens if t not in EPOCH_CUTS]
            if unknown:
                notices.append(f"Ignored unknown cut(s) {', '.join(unknown)[:60]}; known: {', '.join(EPOCH_CUTS)}.")
            changes["epoch_cuts"] = tuple(t for t in EPOCH_CUTS if t in tokens)
        elif key == "unit":
            if text in ("mag", "flux"):
                changes["unit"] = text
            else:
                bad(key, "unit is mag or flux")
        elif key == "sed":
            if text in ("fnu", "nufnu"):
                changes["sed_axis"] = text
            else:
                bad(key, "sed is fnu or nufnu")
        elif key == "match":
            m = _float(text, 0.1, 10)
            changes["match_radius"] = m if m is not None else bad(key, "match radius is 0.1..10 arcsec") or 3.0
        else:
            notices.append(f"Ignored unknown parameter {key[:30]!r}.")
    return replace(state, **changes, notices=tuple(notices))  # type: ignore[arg-type]


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
    cuts = EpochCuts(**{f: (on if token in state.epoch_cuts else OFF_VALUE[f])
                        for token, (_, f, on) in EPOCH_CUTS.items()})
    return AnalysisParams(
        source=state.source or None,
        match_radius_arcsec=state.match_radius,
        catalog_cuts=CatalogCuts(ph_qual=state.ph_qual, clean_cc_flags=state.clean_cc, max_ext_flg=state.max_ext,
                                 min_snr=state.min_snr),
        epoch_cuts=cuts,
        binning=replace(Binning(), enabled=state.binning),
    )
