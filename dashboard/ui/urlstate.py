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

from dashboard.config import Settings
from dashboard.core.tables import ADDED
from dashboard.core.targets import MIN_RADIUS_ARCSEC, TargetError
from dashboard.science.analysis import AnalysisParams
from dashboard.science.apertures import PHOT_MODES
from dashboard.science.periodogram import ORBIT_DAYS
from dashboard.science.photometry import COLOUR_CORRECTIONS, SedOptions
from dashboard.science.quality import ALL_CUTS, CatalogCuts, EpochCuts
from dashboard.science.stacking import Binning

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
    alpha: int | None = _DEFAULT.sed_options.alpha  # SED colour correction, F_nu ~ nu^-alpha
    w4red: bool = _DEFAULT.sed_options.w4_red_correction
    phot: str = _DEFAULT.sed_options.phot  # the SED's photometry per band (apertures.PHOT_MODES)
    gap: float = _DEFAULT.binning.gap_days
    othr: float = _DEFAULT.binning.outlier_threshold
    oq: float = _DEFAULT.binning.outlier_quantile
    x_range: tuple[float, float] | None = None  # light-curve MJD range shown
    y_range: tuple[float, float] | None = None  # light-curve magnitude or mJy range shown (low, high)
    pg: bool = False  # show the periodogram (computed per band)
    fold: float | str | None = None  # fold period in days, or "best" (the best period of band fb)
    fb: str = "W1"  # the band folded
    img: str = "W1"  # the WISE band of the sky-context image
    add: tuple[str, ...] = ()  # tables fetched on request (core/tables.ADDED): psr, catwise, unwise
    visit: int | None = None  # the visit whose frames are shown (0-based ``visit`` of lightcurve_visits.csv)
    ref: int | None = None  # a second visit: the blink's and the difference's reference
    frames: bool = False  # the bundle adds the visit's frames (frames.csv, co-adds, difference)
    notices: tuple[str, ...] = field(default=(), compare=False)

    @property
    def wants_timeseries(self) -> bool:
        """The periodogram panel is asked for: a periodogram, a fold, or both."""
        return self.pg or self.fold is not None


#: Accepted values of the numeric parameters: one definition for the URL, the page and the CLI.
BOUNDS: dict[str, tuple[float, float, str]] = {
    "gap": (1.0, 1000.0, "visit gap is 1 to 1000 days"),
    "othr": (1.0, 100.0, "outlier threshold is 1 to 100"),
    "oq": (0.5, 0.99, "outlier quantile is 0.5 to 0.99"),
    "xr": (40000.0, 80000.0, "MJD range is two numbers a,b with 40000 <= a < b <= 80000"),
    "yr": (-1e6, 1e6, "plot range is two numbers a,b with a < b"),
    "fold": (round(ORBIT_DAYS, 4), 10000.0, f"a fold period is 'best' or days from {round(ORBIT_DAYS, 4):g} (WISE's "
             "94.6-min orbit: no shorter period can be sampled) to 10000"),
}


def _range(text: str, key: str) -> tuple[float, float] | None:
    low, high, _ = BOUNDS[key]
    parts = [_float(p, low, high) for p in text.split(",")]
    if len(parts) == 2 and None not in parts and parts[0] < parts[1]:  # type: ignore[operator]
        return (parts[0], parts[1])  # type: ignore[return-value]
    return None


def parse_fold(text: str) -> float | str | None:
    """A fold period: 'best', or days within ``BOUNDS['fold']``; None for anything else. The URL and the page's box."""
    text = text.strip().lower()
    return "best" if text == "best" else _float(text.removesuffix("d").strip(), *BOUNDS["fold"][:2])


def fold_refusal(text: object) -> str | None:
    """Why a typed fold period is not used (None when it is, or the box is empty): the page says
    it instead of dropping the value."""
    typed = str(text or "").strip()
    if not typed or parse_fold(typed) is not None:
        return None
    return f"Fold period {typed[:20]!r} not used: {BOUNDS['fold'][2]}."


def _float(value: str, low: float, high: float) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and low <= number <= high else None


def list_parameter(key: str, tokens: list[str], allowed: tuple[str, ...], notices: list[str]) -> tuple[str, ...] | None:
    """A list parameter (``cuts``, ``ph``): tokens compared without case, unknown ones dropped
    with a notice and the rest kept, in ``allowed``'s order. None (keep the default) when tokens
    were given and none is known; an empty list (``cuts=``) means none, as the page writes it."""
    given = [t.strip() for t in tokens if t.strip()]
    by_key = {a.lower(): a for a in allowed}
    known = {by_key[t.lower()] for t in given if t.lower() in by_key}
    unknown = [t for t in given if t.lower() not in by_key]
    if unknown:
        kept = "; the defaults apply" if not known else f"; kept {', '.join(a for a in allowed if a in known)}"
        notices.append(f"Ignored unknown {key} value(s) {', '.join(unknown)[:60]}{kept}. "
                       f"Known: {', '.join(allowed)}.")
    if given and not known:
        return None
    return tuple(a for a in allowed if a in known)


#: The 0/1 parameters and the state field each sets.
FLAGS = {"cc": "clean_cc", "bin": "binning", "w4red": "w4red", "pg": "pg", "frames": "frames"}


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
            letters = list_parameter(key, list(text.replace(",", "")), tuple("ABCUXZ"), notices)
            if letters is not None:
                changes["ph_qual"] = "".join(letters)
        elif key in FLAGS:
            if text in ("0", "1"):
                changes[FLAGS[key]] = text == "1"
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
        elif key == "add":
            added = list_parameter(key, text.split(","), tuple(ADDED), notices)
            if added is not None:
                changes["add"] = added
        elif key == "cuts":
            cuts = list_parameter(key, text.split(","), ALL_CUTS, notices)
            if cuts is not None:
                changes["epoch_cuts"] = cuts
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
        elif key == "alpha":
            a = _float(text, min(COLOUR_CORRECTIONS), max(COLOUR_CORRECTIONS))
            if a is not None and a == int(a):
                changes["alpha"] = int(a)
            else:
                bad(key, f"alpha is an integer {min(COLOUR_CORRECTIONS)}..{max(COLOUR_CORRECTIONS)}", None)
        elif key == "phot":
            if text in PHOT_MODES:
                changes["phot"] = text
            else:
                bad(key, f"phot is {', '.join(PHOT_MODES)}", None)
        elif key in ("gap", "othr", "oq"):
            number = _float(text, *BOUNDS[key][:2])
            changes[key] = number if number is not None else bad(key, BOUNDS[key][2], getattr(state, key))
        elif key == "fold":
            period = parse_fold(text)
            changes["fold"] = period if period is not None else bad(key, BOUNDS[key][2], None)
        elif key == "fb":
            if text in ("W1", "W2"):
                changes["fb"] = text
            else:
                bad(key, "fb is W1 or W2", None)
        elif key == "img":
            if text in ("W1", "W2", "W3", "W4"):
                changes["img"] = text
            else:
                bad(key, "img is W1, W2, W3 or W4", None)
        elif key in ("visit", "ref"):
            number = _float(text, 0, 100000)
            if number is not None and number == int(number):
                changes[key] = int(number)
            else:
                bad(key, f"{key} is a visit number 0, 1, 2, … (the visit column of lightcurve_visits.csv)", None)
        elif key in ("xr", "yr"):
            span = _range(text, key)
            changes["x_range" if key == "xr" else "y_range"] = span if span is not None else bad(
                key, BOUNDS[key][2], None)
        else:
            notices.append(f"Ignored unknown parameter {key[:30]!r}.")
    if changes.get("frames") and changes.get("visit") is None:
        notices.append("Ignored frames=1: it needs a visit (visit=N) whose frames to add.")
        changes["frames"] = False
    return replace(state, **changes, notices=tuple(notices))  # type: ignore[arg-type]  # values checked above


def parse_exact(search: str, *, max_radius: float) -> ViewState:
    """A link for a download: exact, so any notice (a value that would fall back to its default)
    or a missing target is a ``TargetError`` saying what to fix. The bundle route and the CLI."""
    state = parse_query(search, max_radius=max_radius)
    if state.notices:
        raise TargetError(" ".join(state.notices).replace("using the default", "fix it"))
    if not state.target:
        raise TargetError("The link has no target=…; give a name, coordinates or an AllWISE designation.")
    return state


def to_query(state: ViewState) -> str:
    """The canonical query string of a state (defaults included, so a link never drifts)."""
    params = {
        "target": state.target, "r": f"{state.radius:g}", "src": state.source, "ph": state.ph_qual,
        "cc": "1" if state.clean_cc else "0", "ext": str(state.max_ext), "snr": f"{state.min_snr:g}",
        "cuts": ",".join(state.epoch_cuts), "bin": "1" if state.binning else "0", "unit": state.unit,
        "sed": state.sed_axis, "phot": state.phot, "match": f"{state.match_radius:g}",
        "w4red": "1" if state.w4red else "0",
        "gap": f"{state.gap:g}", "othr": f"{state.othr:g}", "oq": f"{state.oq:g}",
    }
    if not state.source:
        params.pop("src")
    if state.alpha is not None:
        params["alpha"] = str(state.alpha)
    params |= {"pg": "1" if state.pg else "0", "fb": state.fb, "img": state.img}
    if state.add:
        params["add"] = ",".join(state.add)
    if state.fold is not None:
        params["fold"] = state.fold if isinstance(state.fold, str) else f"{state.fold:.9g}"
    if state.visit is not None:
        params["visit"] = str(state.visit)
    if state.ref is not None:
        params["ref"] = str(state.ref)
    if state.frames:
        params["frames"] = "1"
    if state.x_range is not None:
        params["xr"] = ",".join(f"{v:.9g}" for v in state.x_range)
    if state.y_range is not None:
        params["yr"] = ",".join(f"{v:.6g}" for v in state.y_range)
    return "?" + urlencode(params)


#: Every parameter a link may hold, in ``to_query``'s order; the optional ones are absent at their default.
PARAMETERS = ("target", "r", "src", "ph", "cc", "ext", "snr", "cuts", "bin", "unit", "sed", "phot", "match", "w4red",
              "gap", "othr", "oq", "alpha", "pg", "fb", "img", "add", "visit", "ref", "frames", "fold", "xr", "yr")


def page_view(state: ViewState) -> dict[str, Any]:
    """The view as the manifest records it: the canonical query string (the page link's part
    after the address) and each parameter's value, defaults included (null: not set, which is
    the default: no chosen source, no colour correction, no fold, no zoom)."""
    query = to_query(state)
    values = {key: value[0] for key, value in parse_qs(query[1:], keep_blank_values=True).items()}
    return {"query": query, "parameters": {key: values.get(key) for key in PARAMETERS}}


def to_params(state: ViewState) -> AnalysisParams:
    """The service layer's parameters for this view."""
    return AnalysisParams(
        source=state.source or None,
        match_radius_arcsec=state.match_radius,
        catalog_cuts=CatalogCuts(ph_qual=state.ph_qual, clean_cc_flags=state.clean_cc, max_ext_flg=state.max_ext,
                                 min_snr=state.min_snr),
        epoch_cuts=EpochCuts(enabled=state.epoch_cuts),
        binning=replace(Binning(), enabled=state.binning, gap_days=state.gap, outlier_threshold=state.othr,
                        outlier_quantile=state.oq),
        sed_options=SedOptions(alpha=state.alpha, w4_red_correction=state.w4red, phot=state.phot),
        periodogram=state.pg or state.fold == "best",
    )


def from_store(data: dict) -> ViewState:
    """A ``ViewState`` back from its JSON form in a dcc.Store (lists become tuples)."""
    names = {f for f in ViewState.__dataclass_fields__}
    values: dict[str, Any] = {k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k in names}
    return ViewState(**values)
