"""Shared styling of every figure: colours, fonts, axes, the typed-array encoding of points,
escaping of user text, log ticks, the export configuration and the message figure.

Figures are plain dicts in plotly.js's JSON schema, not ``plotly.graph_objects``: validating
and copying thousands of points through graph objects cost most of a view's server time. Point
arrays go as typed arrays (``{"dtype", "bdata"}``, base64, which plotly.js reads directly):
float32 values, and times as float32 days since ``REFERENCE_MJD`` (stated on the axis and in
every hover), so a plotted point costs about 11 bytes.

Text that came from a user or a link (target names, messages echoing input) is HTML-escaped
before it reaches a title, an annotation or a hover: plotly renders a subset of HTML there."""

from __future__ import annotations

import base64
import math
import textwrap
from datetime import date, timedelta
from html import escape as _html_escape
from typing import Any

import numpy as np

from dashboard.provenance.bundle import safe_name

Figure = dict[str, Any]


BAND_COLOURS = {"W1": "#1f77b4", "W2": "#d62728", "W3": "#2ca02c", "W4": "#9467bd",
                "J": "#8c564b", "H": "#e377c2", "Ks": "#7f7f7f",  # 2MASS beside WISE
                "BP": "#17becf", "G": "#bcbd22", "RP": "#ff7f0e"}  # Gaia DR3


REJECTED = "#b0b0b0"


WEBGL_THRESHOLD = 2000


#: light-curve times are sent as float32 days since this MJD (2009-06-18, before WISE's launch):
#: float32 keeps them to ~30 s over 2010-2025, and the axis title says "MJD − 55000".
REFERENCE_MJD = 55000.0


FONT = dict(family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size=13)


GRID = "#e6e9ef"


AXIS = dict(gridcolor=GRID, zeroline=False, linecolor="#888", showline=True, ticks="outside", tickcolor="#888",
             automargin=True)


SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def escape(text: str) -> str:
    """Text as text in plotly's pseudo-HTML: <, > and & escaped (plotly shows &quot; literally)."""
    return _html_escape(text, quote=False)


def typed(values: Any, dtype: str = "f4") -> dict[str, str]:
    """A typed array for plotly.js (base64 of little-endian values): 4 bytes a float32. A 2-d
    array carries its ``shape`` (plotly.js reads it as rows), as plotly.py itself sends it."""
    array = np.ascontiguousarray(np.asarray(values), dtype=np.dtype(dtype).newbyteorder("<"))
    spec = {"dtype": dtype, "bdata": base64.b64encode(array.tobytes()).decode("ascii")}
    if array.ndim == 2:
        spec["shape"] = f"{array.shape[0]}, {array.shape[1]}"
    return spec


def array(value: Any) -> np.ndarray:
    """The values of a figure array, typed or a list (for readers of the figure, tests included)."""
    if isinstance(value, dict) and "bdata" in value:
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]).newbyteorder("<"))
        return flat.reshape([int(n) for n in value["shape"].split(",")]) if "shape" in value else flat
    return np.asarray(value if value is not None else [])


def since_reference(mjd: Any) -> dict[str, str]:
    return typed(np.asarray(mjd, float) - REFERENCE_MJD)


def mjd_of_year(year: int) -> float:
    return float((date(year, 1, 1) - date(1858, 11, 17)).days)


def mjd_of_month(year: int, month: int) -> float:
    """MJD at 0 h UTC on the first of the month."""
    return float((date(year, month, 1) - date(1858, 11, 17)).days)


def date_of_mjd(mjd: float) -> date:
    """The calendar date (UTC) of an MJD."""
    return date(1858, 11, 17) + timedelta(days=int(np.floor(mjd)))


def base_layout(height: int, **extra: Any) -> dict[str, Any]:
    return dict(font=FONT, height=height, paper_bgcolor="white", plot_bgcolor="white", hoverlabel=dict(font=FONT),
                colorway=list(BAND_COLOURS.values())) | extra


def graph_config(target_label: str, plot: str) -> dict[str, Any]:
    """A plot's toolbar: PNG from plotly's camera button, SVG from the button assets/wise.js adds;
    both files named after the target and the plot (``wise_AT2019dsg_sed.png``)."""
    return BASE_CONFIG | {
        "toImageButtonOptions": {"format": "png", "scale": 2, "filename": f"wise_{safe_name(target_label)}_{plot}"}}


#: Every plot's toolbar: no logo, no upload to Plotly Cloud (a user's data stays here), no lasso.
BASE_CONFIG: dict[str, Any] = {"displaylogo": False,
                               "modeBarButtonsToRemove": ["sendChartToCloud", "select2d", "lasso2d"]}


def message_figure(text: str) -> Figure:
    """An empty plot that says why it is empty (loading, no data, an error)."""
    shown = "<br>".join(escape(line) for line in textwrap.wrap(text, 48)) or " "
    return {"data": [], "layout": base_layout(
        360, xaxis=dict(visible=False), yaxis=dict(visible=False), margin=dict(l=20, r=20, t=20, b=20),
        annotations=[dict(text=shown, showarrow=False, font=dict(size=14, color="#555"), xref="paper", yref="paper",
                          x=0.5, y=0.5)])}


def log_ticks(low: float, high: float) -> tuple[list[float], list[str]]:
    """Tick values and labels for a log axis from ``low`` to ``high``: 1, 2, 5 x 10^k where the
    range is under three decades, powers of ten beyond; each label a whole number ("0.002",
    "2×10⁻⁵"), never a bare mantissa."""
    if not (low > 0 and high > low):
        return [], []
    k0, k1 = math.floor(math.log10(low)), math.ceil(math.log10(high))
    steps = (1, 2, 5) if k1 - k0 <= 3 else (1,)
    values = [m * 10.0**k for k in range(k0, k1 + 1) for m in steps if low <= m * 10.0**k <= high]
    if len(values) < 2:  # a narrow range: ticks at its own round values
        values = [float(f"{v:.2g}") for v in np.linspace(low, high, 4)]
    return values, [_tick_label(v) for v in values]


def _tick_label(value: float) -> str:
    """A decimal from 0.001 to 9999, else M×10ⁿ with 1 ≤ M < 10 (or 10ⁿ): as a person writes it.
    (Python's ``:.2g`` writes 5e-4 as "0.0005", with no exponent to split off: the mantissa
    must come from the exponent form.)"""
    if 1e-3 <= abs(value) < 1e4:
        return f"{value:.6g}"
    mantissa, exponent = f"{value:.1e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    power = "10" + str(int(exponent)).translate(SUPERSCRIPT)
    return power if mantissa == "1" else f"{mantissa}×{power}"


def trace_type(n: int) -> str:
    return "scattergl" if n > WEBGL_THRESHOLD else "scatter"


def padded(values: np.ndarray, fraction: float = 0.08) -> tuple[float, float] | None:
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return None
    lo, hi = float(values.min()), float(values.max())
    pad = max((hi - lo) * fraction, 0.02 if hi - lo < 1 else 0.0, abs(hi) * 1e-3)
    return lo - pad, hi + pad


def hover_text(text: str) -> str:
    """Data text inside a hovertemplate: escaped, and never read as a %{...} placeholder."""
    return escape(text).replace("%{", "%\u200b{")


def counts_data(counts: np.ndarray) -> dict[str, str]:
    """Epoch counts as the smallest unsigned type that holds them (1 byte each nearly always)."""
    return typed(counts, "u1" if counts.size == 0 or counts.max() < 256 else "u4")
