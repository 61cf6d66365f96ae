"""Every Plotly figure of the page, built from the service layer's objects (no callbacks here).

Figures are plain dicts in plotly.js's JSON schema, not ``plotly.graph_objects``: validating
and copying thousands of points through graph objects cost most of a view's server time. Point
arrays go as typed arrays (``{"dtype", "bdata"}``, base64, which plotly.js reads directly):
float32 values, and times as float32 days since ``REFERENCE_MJD`` (stated on the axis and in
every hover), so a plotted point costs about 11 bytes.

Text that came from a user or a link (target names, messages echoing input) is HTML-escaped
before it reaches a title, an annotation or a hover: plotly renders a subset of HTML there.
"""

from __future__ import annotations

import base64
import math
import textwrap
from datetime import date
from html import escape as _html_escape
from typing import Any

import numpy as np
import pandas as pd

from dashboard.provenance.bundle import safe_name
from dashboard.science.analysis import View

Figure = dict[str, Any]

BAND_COLOURS = {"W1": "#1f77b4", "W2": "#d62728", "W3": "#2ca02c", "W4": "#9467bd"}
REJECTED = "#b0b0b0"
WEBGL_THRESHOLD = 2000
#: light-curve times are sent as float32 days since this MJD (2009-06-18, before WISE's launch):
#: float32 keeps them to ~30 s over 2010-2025, and the axis title says "MJD − 55000".
REFERENCE_MJD = 55000.0
FONT = dict(family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size=13)
_GRID = "#e6e9ef"
_AXIS = dict(gridcolor=_GRID, zeroline=False, linecolor="#888", showline=True, ticks="outside", tickcolor="#888",
             automargin=True)
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


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


def _mjd(year: int) -> float:
    return float((date(year, 1, 1) - date(1858, 11, 17)).days)


def _base_layout(height: int, **extra: Any) -> dict[str, Any]:
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
    return {"data": [], "layout": _base_layout(
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
    if 1e-3 <= abs(value) < 1e4:
        return f"{value:.6g}"
    mantissa, exponent = f"{value:.2g}".split("e") if "e" in f"{value:.2g}" else (f"{value:.2g}", "0")
    power = "10" + str(int(exponent)).translate(_SUPERSCRIPT)
    return power if mantissa in ("1", "1.0") else f"{mantissa}×{power}"


def sed_figure(view: View, axis: str = "fnu") -> Figure:
    sed = view.sed
    if sed.empty or not sed["measured"].any():
        return message_figure("No AllWISE catalog photometry for this cone")
    nufnu = axis == "nufnu"
    ycol, ecol = ("nu_fnu", "nu_fnu_err") if nufnu else ("flux_jy", "flux_err_jy")
    unit = "erg s<sup>−1</sup> cm<sup>−2</sup>" if nufnu else "Jy"
    data = []
    groups = [
        ("detection", sed["measured"] & ~sed["upper_limit"] & sed["passed"], "circle", None),
        ("95% upper limit", sed["measured"] & sed["upper_limit"] & sed["passed"], "triangle-down", None),
        ("rejected by cuts", sed["measured"] & ~sed["passed"], "x", REJECTED),
    ]
    for name, mask, symbol, colour in groups:  # a band without a measurement is never drawn
        part = sed[mask]
        if part.empty:
            continue
        hover = [
            f"{r['band']} {float(r['wavelength_um']):.2f} µm<br>mag {float(r['mag']):.3f}"
            + (f" ± {float(r['mag_err']):.3f}" if np.isfinite(r["mag_err"]) else "")
            + f"<br>F<sub>ν</sub> {float(r['flux_jy']):.4g} Jy"
            + (f" ± {float(r['flux_err_jy']):.2g}" if np.isfinite(r["flux_err_jy"]) else "")
            + (" (95% upper limit)" if r["upper_limit"] else "")
            + f"<br>ph_qual {r['ph_qual']}, cc_flags {r['cc_flag']}"
            + (f"<br>{escape(str(r['reasons']))}" if r["reasons"] else "")
            + (f"<br>{escape(str(r['note']))}" if r["note"] else "")
            for r in part.to_dict("records")
        ]
        data.append(dict(
            type="scatter", x=part["wavelength_um"].tolist(), y=part[ycol].tolist(), mode="markers", name=name,
            marker=dict(symbol=symbol, size=13 if symbol != "circle" else 10,
                        color=colour or [BAND_COLOURS[b] for b in part["band"]], line=dict(width=1, color="#333")),
            error_y=dict(type="data", array=part[ecol].fillna(0).tolist(), visible=name == "detection",
                         color="#333"),
            hovertext=hover, hoverinfo="text",
        ))
    shown = sed.loc[sed["measured"], ycol].to_numpy(float)
    errors = np.nan_to_num(sed.loc[sed["measured"], ecol].to_numpy(float))
    positive = np.concatenate([shown, shown + errors, shown - errors])
    positive = positive[np.isfinite(positive) & (positive > 0)]
    yaxis: dict[str, Any] = dict(_AXIS, type="log", title=dict(text=f"{'ν F<sub>ν</sub>' if nufnu else 'F<sub>ν</sub>'}"
                                                                  f" ({unit})"))
    if len(positive):
        low, high = float(positive.min()) / 1.6, float(positive.max()) * 1.6
        values, labels = log_ticks(low, high)
        yaxis |= dict(range=[math.log10(low), math.log10(high)], tickvals=values, ticktext=labels)
    title = view.selection.label if view.selection else ""
    return {"data": data, "layout": _base_layout(
        400, margin=dict(l=80, r=20, t=40, b=78), title=dict(text=f"SED of {escape(title)}", font=dict(size=14)),
        xaxis=dict(_AXIS, type="log", title=dict(text="wavelength (µm)"), tickvals=[3, 4, 5, 7, 10, 15, 20, 25],
                   range=[math.log10(2.7), math.log10(27)]),
        yaxis=yaxis, legend=dict(orientation="h", yref="container", y=0, yanchor="bottom", x=0), showlegend=True)}


def _trace_type(n: int) -> str:
    return "scattergl" if n > WEBGL_THRESHOLD else "scatter"


def _padded(values: np.ndarray, fraction: float = 0.08) -> tuple[float, float] | None:
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return None
    lo, hi = float(values.min()), float(values.max())
    pad = max((hi - lo) * fraction, 0.02 if hi - lo < 1 else 0.0, abs(hi) * 1e-3)
    return lo - pad, hi + pad


def _hover_text(text: str) -> str:
    """Data text inside a hovertemplate: escaped, and never read as a %{...} placeholder."""
    return escape(text).replace("%{", "%\u200b{")


def lightcurve_figure(view: View, unit: str = "mag", x_range: tuple[float, float] | None = None,
                      y_range: tuple[float, float] | None = None) -> Figure:
    """Exposures (with error bars when not binned), visits, limits (triangles towards fainter
    values), rejected epochs (one trace per reason), and W1−W2 below.

    The y range follows the data that passed (with a margin) unless ``y_range`` is given: a
    rejected point outside it is drawn at the edge as an arrow, and how many are outside is
    written under the plot. ``x_range`` is in MJD. Bands without a measurement are never drawn."""
    lc = view.lightcurve
    epochs = lc.epochs[lc.epochs["measured"].astype(bool)] if "measured" in lc.epochs else lc.epochs
    if epochs.empty:
        return message_figure("No W1/W2 epochs for this source")
    visits = lc.visits
    flux = unit == "flux"
    y, ey = ("flux_jy", "flux_err_jy") if flux else ("mag", "mag_err")
    scale = 1e3 if flux else 1.0  # show mJy
    fmt = ".3g" if flux else ".3f"
    when = f"MJD {REFERENCE_MJD:.0f} + %{{x:.3f}}"
    data: list[dict[str, Any]] = []
    outlier = epochs["outlier"].astype(bool).to_numpy()
    passed = epochs["passed"].to_numpy(bool)
    kept_mask = passed & ~outlier
    kept_values = [epochs[y].to_numpy(float)[kept_mask] * scale]
    if not visits.empty:  # visit medians with their error bars
        v, ev = visits[y].to_numpy(float) * scale, np.nan_to_num(visits[ey].to_numpy(float)) * scale
        kept_values += [v - ev, v + ev]
    if y_range is None:
        y_range = _padded(np.concatenate(kept_values))
    outside = 0
    for band in ("W1", "W2"):
        in_band = (epochs["band"] == band).to_numpy()
        part = epochs[in_band]
        kind = _trace_type(len(part))
        colour = BAND_COLOURS[band]
        good = part[kept_mask[in_band]]
        upper = good["upper_limit"].astype(bool).to_numpy()
        detected, limits = good[~upper], good[upper]
        for i, (table, rows) in enumerate(detected.groupby("table", sort=True)):
            # one trace per table: the table name lives in the trace, not in every point
            trace = dict(type=kind, x=since_reference(rows["mjd"]), y=typed(rows[y].to_numpy(float) * scale),
                         mode="markers", name=f"{band} exposures", legendgroup=band, showlegend=i == 0,
                         marker=dict(size=4, color=colour, opacity=0.35),
                         hovertemplate=f"{band} {when}: %{{y:{fmt}}}<br>{table}<extra></extra>")
            if not lc.binning.enabled:
                trace["error_y"] = dict(type="data", array=typed(np.nan_to_num(rows[ey].to_numpy(float)) * scale),
                                        thickness=0.6, width=0, color=colour)
            data.append(trace)
        if len(limits):
            data.append(dict(type=kind, x=since_reference(limits["mjd"]), y=typed(limits[y].to_numpy(float) * scale),
                             mode="markers", name=f"{band} exposure 95% upper limits", legendgroup=band,
                             marker=dict(size=7, color=colour, symbol="triangle-down-open", opacity=0.6),
                             hovertemplate=f"{band} {when}: 95% upper limit %{{y:{fmt}}}<extra></extra>"))
        bad = part[~kept_mask[in_band]]
        if len(bad):
            outside += _rejected_traces(data, band, bad, y, scale, y_range, flux, kind, when, fmt)
        if not visits.empty:
            data += _visit_traces(visits[visits["band"] == band], band, y, ey, scale, fmt)
    lo, hi = float(epochs["mjd"].min()), float(epochs["mjd"].max())
    colour_traces = _colour_traces(lc, lo, hi)
    data += colour_traces
    years = [yr for yr in range(2009, 2027) if lo - 200 <= _mjd(yr) <= hi + 200]
    annotations = []
    if "name" not in colour_traces[0]:  # the colour panel is empty: say why
        annotations.append(dict(text="no W1−W2: needs a visit detected in both bands" if lc.binning.enabled
                                else "W1−W2 is computed per visit: turn binning on", xref="x2 domain",
                                yref="y2 domain", x=0.5, y=0.5, showarrow=False, font=dict(size=11, color="#777")))
    if outside:
        annotations.append(dict(text=f"{outside} rejected beyond the range: ▲▼ at its edge",
                                xref="paper", yref="paper", x=0, y=1.0, yanchor="bottom", yshift=30, showarrow=False,
                                xanchor="left", font=dict(size=11, color="#666")))
    x_span = [x_range[0] - REFERENCE_MJD, x_range[1] - REFERENCE_MJD] if x_range else [lo - 60 - REFERENCE_MJD,
                                                                                      hi + 60 - REFERENCE_MJD]
    y_axis: dict[str, Any] = dict(_AXIS, domain=[0.3, 1.0], anchor="x",
                                  title=dict(text="F<sub>ν</sub> (mJy)" if flux else "Vega magnitude"))
    if y_range is not None:
        y_axis |= dict(range=list(y_range) if flux else [y_range[1], y_range[0]], autorange=False)
    else:
        y_axis |= dict(autorange=True if flux else "reversed")
    data.append(dict(type="scatter", x=x_span, y=[None, None], xaxis="x3", showlegend=False, hoverinfo="skip"))
    return {"data": data, "layout": _base_layout(
        560, margin=dict(l=75, r=20, t=80 if outside else 60, b=40), hovermode="closest", annotations=annotations,
        legend=dict(orientation="h", x=0, y=-0.14, yanchor="top", font=dict(size=12)),
        xaxis=dict(_AXIS, anchor="y", domain=[0, 1], range=x_span, matches="x2", showticklabels=False,
                   showgrid=False),
        xaxis2=dict(_AXIS, anchor="y2", domain=[0, 1], range=x_span,
                    title=dict(text=f"MJD − {REFERENCE_MJD:.0f} (days)", standoff=4)),
        xaxis3=dict(overlaying="x", side="top", tickvals=[_mjd(yr) - REFERENCE_MJD for yr in years],
                    ticktext=_year_labels(years), range=x_span, anchor="y", matches="x", gridcolor=_GRID,
                    ticks="outside", tickcolor="#888"),  # its grid marks the years
        yaxis=y_axis,
        yaxis2=dict(_AXIS, domain=[0.0, 0.24], anchor="x2", title=dict(text="W1−W2 (mag)")),
    )}


def _year_labels(years: list[int]) -> list[str]:
    """Every year gets a grid line; beyond eight years only even years are labelled, so the
    labels stay level and readable on a phone (plotly would turn them on end)."""
    return [str(yr) if len(years) <= 8 or yr % 2 == 0 else "" for yr in years]


def _rejected_traces(data: list[dict[str, Any]], band: str, bad: pd.DataFrame, y: str, scale: float,
                     y_range: tuple[float, float] | None, flux: bool, kind: str, when: str, fmt: str) -> int:
    """One trace per (table, reason, edge): the reason lives in the trace, not in every point.
    Points outside ``y_range`` are clipped to its edge as arrows and keep their value in the hover."""
    values = bad[y].to_numpy(float) * scale
    edge = np.zeros(len(bad), dtype=np.int8)  # 0 inside, 1 above, -1 below
    if y_range is not None:
        edge[values > y_range[1]] = 1
        edge[values < y_range[0]] = -1
    why = np.where(bad["passed"].to_numpy(bool), "visit outlier", bad["reasons"].astype(str).to_numpy())
    groups = pd.DataFrame({"table": bad["table"].astype(str).to_numpy(), "why": why, "edge": edge})
    first = True
    for key, index in groups.groupby(["table", "why", "edge"], sort=True).indices.items():
        table, reason, side = str(key[0]), str(key[1]), int(key[2])  # type: ignore[index]  # a 3-key groupby
        shown = values[index]
        symbol = "x-thin"
        hover = f"%{{y:{fmt}}}"
        if side:
            # the edge that is "up" on screen: magnitudes are drawn reversed
            symbol = ("triangle-down" if not flux else "triangle-up") if side == 1 else (
                "triangle-up" if not flux else "triangle-down")
            hover = f"%{{customdata:{fmt}}} (outside the plotted range)"
            shown = np.clip(shown, *y_range)  # type: ignore[misc]  # side != 0 only with a range
        trace = dict(type=kind, x=since_reference(bad["mjd"].to_numpy(float)[index]), y=typed(shown),
                     mode="markers", name=f"{band} rejected", legendgroup=band, showlegend=first,
                     marker=dict(size=6, color=REJECTED, symbol=symbol, line=dict(width=1, color=REJECTED)),
                     hovertemplate=f"{band} {when}: {hover}<br>{table}<br>rejected: {_hover_text(reason)}"
                                   "<extra></extra>")
        if side:
            trace["customdata"] = typed(values[index])
        data.append(trace)
        first = False
    return int((edge != 0).sum())


def _visit_traces(vb: pd.DataFrame, band: str, y: str, ey: str, scale: float, fmt: str) -> list[dict[str, Any]]:
    out = []
    limit = vb["upper_limit"].astype(bool)
    det, lim = vb[~limit], vb[limit]
    colour = BAND_COLOURS[band]
    if len(det):
        out.append(dict(
            type="scatter", x=since_reference(det["mjd"]), y=typed(det[y].to_numpy(float) * scale),
            mode="markers", name=f"{band} visit median", legendgroup=band,
            marker=dict(size=9, color=colour, line=dict(width=1, color="#222")),
            error_y=dict(type="data", array=typed(np.nan_to_num(det[ey].to_numpy(float)) * scale), color=colour),
            customdata=_counts(det[["n_used", "n_rejected", "n_limits"]].to_numpy(int)),
            hovertemplate=f"{band} visit, MJD {REFERENCE_MJD:.0f} + %{{x:.1f}}: %{{y:{fmt}}} ± "
                          f"%{{error_y.array:{fmt}}}<br>%{{customdata[0]}} used, %{{customdata[1]}} rejected, "
                          "%{customdata[2]} upper limits set aside<extra></extra>"))
    if len(lim):
        out.append(dict(
            type="scatter", x=since_reference(lim["mjd"]), y=typed(lim[y].to_numpy(float) * scale),
            mode="markers", name=f"{band} visit 95% upper limit", legendgroup=band,
            marker=dict(size=11, symbol="triangle-down", color=colour, line=dict(width=1, color="#222")),
            customdata=_counts(lim["n_limits"].to_numpy(int)),
            hovertemplate=f"{band} visit, MJD {REFERENCE_MJD:.0f} + %{{x:.1f}}: 95% upper limit %{{y:{fmt}}}"
                          "<br>from %{customdata} limits<extra></extra>"))
    return out


def _counts(counts: np.ndarray) -> dict[str, str]:
    """Epoch counts as the smallest unsigned type that holds them (1 byte each nearly always)."""
    return typed(counts, "u1" if counts.size == 0 or counts.max() < 256 else "u4")


def _colour_traces(lc: Any, lo: float, hi: float) -> list[dict[str, Any]]:
    """W1−W2 per visit in the lower panel; an empty trace keeps the panel and its axis."""
    colour = lc.colour()
    if colour.empty:
        return [dict(type="scatter", x=[lo - REFERENCE_MJD, hi - REFERENCE_MJD], y=[None, None], xaxis="x2",
                     yaxis="y2", mode="markers", showlegend=False, hoverinfo="skip")]  # no NaN paths drawn
    return [dict(type="scatter", x=since_reference(colour["mjd"]), y=typed(colour["w1_w2"]), xaxis="x2",
                 yaxis="y2", mode="markers", name="W1−W2 (visits)", marker=dict(size=7, color="#444"),
                 error_y=dict(type="data", array=typed(colour["w1_w2_err"]), color="#444"),
                 hovertemplate=f"W1−W2 %{{y:.3f}} ± %{{error_y.array:.3f}} mag, MJD {REFERENCE_MJD:.0f} + "
                               "%{x:.1f}<extra></extra>")]


#: Points drawn per periodogram curve: the power's upper envelope (a grid has ~10^5 frequencies).
PERIODOGRAM_POINTS = 3000


def _envelope(frequency: np.ndarray, power: np.ndarray, points: int = PERIODOGRAM_POINTS) -> tuple[
        np.ndarray, np.ndarray]:
    """The highest power in each of ``points`` bins equal in log frequency (the plot's x is log
    period), at its own frequency: every peak survives the thinning, long periods keep detail."""
    edges = np.unique(np.searchsorted(frequency, np.geomspace(frequency[0], frequency[-1], points + 1)))
    edges = edges[edges < len(frequency)]
    top = np.array([start + int(np.argmax(power[start:stop]))
                    for start, stop in zip(edges, [*edges[1:], len(power)], strict=True)])
    return frequency[top], power[top]


def periodogram_figure(view: View, band: str) -> Figure:
    """Power against period (log axis) for each band, the spectral window in grey, WISE's
    aliases as dotted lines, the best period of ``band`` marked."""
    if view.periodogram_failure is not None:
        return message_figure(f"No periodogram: {view.periodogram_failure}. The rest of the view is unaffected.")
    if not view.periodograms:
        return message_figure("No periodogram: fewer than 10 detected exposures passed the cuts in W1 and W2.")
    from dashboard.science.periodogram import ALIASES

    data: list[dict[str, Any]] = []
    for name, result in view.periodograms.items():
        f, p = _envelope(result.frequency_per_day, result.power)
        data.append(dict(type="scatter", x=typed(1.0 / f, "f8"), y=typed(p), mode="lines", name=f"{name} power",
                         line=dict(color=BAND_COLOURS[name], width=1), hovertemplate=f"{name}: P = %{{x:.5g}} d, "
                                                                                      "power %{y:.3f}<extra></extra>"))
    chosen = view.periodograms.get(band) or next(iter(view.periodograms.values()))
    f, w = _envelope(chosen.frequency_per_day, chosen.window)
    data.insert(0, dict(type="scatter", x=typed(1.0 / f, "f8"), y=typed(w), mode="lines", name="spectral window",
                        line=dict(color="#bbb", width=1), hoverinfo="skip"))
    shapes = [dict(type="line", xref="x", yref="paper", x0=1 / fa, x1=1 / fa, y0=0, y1=1,
                   line=dict(color="#999", dash="dot", width=1)) for fa in ALIASES.values()]
    notes = [dict(x=math.log10(1 / fa), y=1, xref="x", yref="paper", text=escape(name.split(" (")[0]),
                  showarrow=False, yanchor="bottom", xanchor="right" if i % 2 else "left", yshift=2,
                  font=dict(size=10, color="#777")) for i, (name, fa) in enumerate(ALIASES.items())]
    periods = 1.0 / chosen.frequency_per_day[[-1, 0]]
    values, labels = log_ticks(float(periods[0]), float(periods[1]))
    title = (f"{chosen.band} best period {chosen.best_period_d:.5g} ± {chosen.best_period_err_d:.2g} d<br>"
             f"FAP {chosen.fap:.2g}, {chosen.n_epochs} exposures")  # two short lines: readable on a phone
    if chosen.alias:
        title += f"<br><span style='color:#b45309'>on a WISE alias: {escape(chosen.alias)}</span>"
    return {"data": data, "layout": _base_layout(
        380, margin=dict(l=60, r=20, t=95 if chosen.alias else 75, b=80), shapes=shapes, annotations=notes,
        title=dict(text=title, font=dict(size=13)), hovermode="closest",
        xaxis=dict(_AXIS, type="log", title=dict(text="period (days)"), tickvals=values, ticktext=labels),
        yaxis=dict(_AXIS, title=dict(text="Lomb–Scargle power"), rangemode="tozero"),
        legend=dict(orientation="h", yref="container", y=0, yanchor="bottom", x=0))}


def folded_figure(view: View, band: str, period_d: float | None, how: str) -> Figure:
    """``band``'s exposures that passed, at phase 0–2 of ``period_d`` (from the first exposure)."""
    from dashboard.science.periodogram import fold, usable_epochs

    used = usable_epochs(view.lightcurve.epochs, band)
    if period_d is None or used.empty:
        return message_figure(f"No {band} fold: " + ("no period" if period_d is None else "no detected exposures"))
    t0 = float(used["mjd"].iloc[0])
    phase = fold(used["mjd"].to_numpy(float), period_d, t0)
    mag, err = used["mag"].to_numpy(float), used["mag_err"].to_numpy(float)
    data = [dict(type=_trace_type(2 * len(used)), x=typed(np.concatenate([phase, phase + 1])),
                 y=typed(np.concatenate([mag, mag])), mode="markers", name=f"{band} exposures",
                 marker=dict(size=5, color=BAND_COLOURS[band], opacity=0.6),
                 error_y=dict(type="data", array=typed(np.concatenate([err, err])), thickness=0.6, width=0,
                              color=BAND_COLOURS[band]),
                 hovertemplate=f"{band} phase %{{x:.3f}}: %{{y:.3f}} mag<extra></extra>")]
    return {"data": data, "layout": _base_layout(
        380, margin=dict(l=60, r=20, t=75, b=50), showlegend=False, hovermode="closest",
        title=dict(text=f"{band} folded at P = {period_d:.6g} d ({escape(how)})<br>phase 0 at MJD {t0:.3f}",
                   font=dict(size=13)),
        xaxis=dict(_AXIS, range=[0, 2], title=dict(text="phase"), dtick=0.25),
        yaxis=dict(_AXIS, autorange="reversed", title=dict(text=f"{band} (Vega mag)")))}


def colour_magnitude_figure(view: View) -> Figure:
    """W1 against W1−W2 per visit, joined in time order and coloured by year, with the fitted
    slope and the reddening vector (colour_track.py)."""
    from dashboard.science.colour_track import EXTINCTION_LAW, REDDENING_SLOPE

    track = view.colour_track
    if track is None or track.n_visits < 2:
        return message_figure("No colour–magnitude track: it needs visits detected in both W1 and W2 "
                              "(binning on).")
    years = 1858.87 + track.mjd / 365.25  # MJD 0 is 1858-11-17
    data: list[dict[str, Any]] = [dict(
        type="scatter", x=typed(track.colour), y=typed(track.w1), mode="lines+markers", name="visits",
        line=dict(color="#bbb", width=1),
        marker=dict(size=9, color=typed(years), colorscale="Viridis", showscale=True,
                    colorbar=dict(title=dict(text="year"), thickness=12, len=0.8)),
        error_x=dict(type="data", array=typed(track.colour_err), color="#999", thickness=0.8, width=0),
        error_y=dict(type="data", array=typed(track.w1_err), color="#999", thickness=0.8, width=0),
        customdata=typed(track.mjd, "f8"),
        hovertemplate="W1−W2 %{x:.3f}, W1 %{y:.3f} mag<br>MJD %{customdata:.1f}<extra></extra>")]
    title = f"{track.n_visits} visits"
    x0, x1 = float(np.nanmin(track.colour)), float(np.nanmax(track.colour))
    if track.slope is not None and track.slope_err is not None:
        mean_x = float(np.nanmean(track.colour))
        mean_y = float(np.nanmean(track.w1))
        xs = np.array([x0, x1])
        data.append(dict(type="scatter", x=xs.tolist(), y=(mean_y + track.slope * (xs - mean_x)).tolist(),
                         mode="lines", name="fit", line=dict(color="#111", dash="dash"), hoverinfo="skip"))
        title += f", slope dW1/d(W1−W2) = {track.slope:.2f} ± {track.slope_err:.2f}"
    span = max(x1 - x0, 0.05)
    ax, ay = x0 + 0.1 * span, float(np.nanmin(track.w1))  # the arrow: reddening, a quarter of the colour range
    arrow = dict(x=ax + 0.25 * span, y=ay + 0.25 * span * REDDENING_SLOPE, ax=ax, ay=ay, xref="x", yref="y",
                 axref="x", ayref="y", showarrow=True, arrowhead=3, arrowwidth=1.5, arrowcolor="#b45309",
                 text="")
    note = dict(x=ax, y=ay, xref="x", yref="y", text=f"reddening (slope {REDDENING_SLOPE:.1f})",
                showarrow=False, yshift=10, xanchor="left", font=dict(size=10, color="#b45309"),
                hovertext=escape(EXTINCTION_LAW))
    return {"data": data, "layout": _base_layout(
        380, margin=dict(l=60, r=20, t=50, b=50), showlegend=False, hovermode="closest",
        title=dict(text=f"W1 against W1−W2<br><span style='font-size:12px'>{title}</span>", font=dict(size=13)),
        annotations=[arrow, note],
        xaxis=dict(_AXIS, title=dict(text="W1 − W2 (mag)")),
        yaxis=dict(_AXIS, autorange="reversed", title=dict(text="W1 (Vega mag)")))}


SKY_MARKERS = {"AllWISE": ("circle-open", "#1f77b4", 11), "selected": ("circle-open", "#d62728", 17),
               "Gaia DR3": ("x-thin-open", "#2ca02c", 9), "SIMBAD": ("diamond-open", "#9467bd", 10),
               "target": ("cross-thin-open", "#ff7f0e", 16)}


def sky_figure(cutout: Any, band: str, cone_ra: float, cone_dec: float, radius_arcsec: float,
               layers: dict[str, tuple[np.ndarray, np.ndarray, list[str]]]) -> Figure:
    """The WISE cutout (stretched, sky/image.py) with the search cone, a scale bar, N/E, and each
    layer of positions (AllWISE, the selected source, Gaia DR3, SIMBAD, the target) placed by the
    image's WCS. ``layers``: name -> (ra, dec, hover labels). North up, east left."""
    ny, nx = cutout.data.shape
    east_left, north_up = cutout.orientation()
    scale = cutout.pixel_scale_arcsec()
    data: list[dict[str, Any]] = [{
        "type": "heatmap", "z": typed(cutout.stretched(), "f4"), "colorscale": "Greys", "reversescale": True,
        "showscale": False, "hoverinfo": "skip", "name": f"AllWISE {band}"}]
    theta = np.linspace(0, 2 * np.pi, 73)
    ring_dec = cone_dec + radius_arcsec / 3600 * np.sin(theta)
    ring_ra = cone_ra + radius_arcsec / 3600 * np.cos(theta) / max(np.cos(np.radians(cone_dec)), 1e-6)
    x, y = cutout.to_pixels(ring_ra, ring_dec)
    data.append({"type": "scatter", "mode": "lines", "x": x.round(2).tolist(), "y": y.round(2).tolist(),
                 "line": {"color": "#ff7f0e", "dash": "dot", "width": 1.5}, "name": f"cone {radius_arcsec:g}″",
                 "hoverinfo": "skip"})
    for name, (ra, dec, labels) in layers.items():
        if len(ra) == 0:
            continue
        symbol, colour, size = SKY_MARKERS[name]
        px, py = cutout.to_pixels(np.asarray(ra, float), np.asarray(dec, float))
        data.append({"type": "scatter", "mode": "markers", "x": px.round(2).tolist(), "y": py.round(2).tolist(),
                     "name": name, "text": [escape(t) for t in labels], "hovertemplate": "%{text}<extra></extra>",
                     "marker": {"symbol": symbol, "color": colour, "size": size, "line": {"width": 2}}})
    bar = 10.0 if nx * scale > 40 else 5.0
    x0, y0 = nx * 0.06, ny * 0.06
    x1 = x0 + (bar / scale) * (1 if east_left else -1)
    data.append({"type": "scatter", "mode": "lines", "x": [x0, x1], "y": [y0, y0], "showlegend": False,
                 "line": {"color": "#000", "width": 3}, "hoverinfo": "skip"})
    annotations = [dict(x=(x0 + x1) / 2, y=y0, yshift=10, text=f"{bar:g}″", showarrow=False, xref="x", yref="y",
                        font=dict(size=12, color="#000"), bgcolor="rgba(255,255,255,0.7)"),
                   dict(x=0.98, y=0.98, xref="paper", yref="paper", showarrow=False, xanchor="right", yanchor="top",
                        text="N ↑  E ←", font=dict(size=12, color="#000"), bgcolor="rgba(255,255,255,0.7)")]
    axis = dict(visible=False, constrain="domain")
    return {"data": data, "layout": _base_layout(
        430, margin=dict(l=10, r=10, t=30, b=10), annotations=annotations,
        title=dict(text=f"AllWISE Atlas {band} (IRSA SIA cutout, {nx * scale:.0f}″ wide)", font=dict(size=13)),
        xaxis=axis | {"range": [-0.5, nx - 0.5] if east_left else [nx - 0.5, -0.5]},
        yaxis=axis | {"scaleanchor": "x", "range": [-0.5, ny - 0.5] if north_up else [ny - 0.5, -0.5]},
        legend=dict(orientation="h", y=-0.02, yanchor="top", x=0, font=dict(size=11)))}
