"""The light-curve figure: epochs, rejected epochs with their reason, per-visit medians."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dashboard.science.analysis import View
from dashboard.science.lightcurve import LightCurve
from dashboard.ui.figures.style import (
    AXIS,
    BAND_COLOURS,
    GRID,
    REFERENCE_MJD,
    REJECTED,
    Figure,
    base_layout,
    counts_data,
    date_of_mjd,
    hover_text,
    message_figure,
    mjd_of_month,
    mjd_of_year,
    padded,
    since_reference,
    trace_type,
    typed,
)


def lightcurve_figure(view: View, unit: str = "mag", x_range: tuple[float, float] | None = None,
                      y_range: tuple[float, float] | None = None, event_mjd: float | None = None,
                      time_axis: str = "mjd") -> Figure:
    """Exposures (with error bars when not binned), visits, limits (triangles towards fainter
    values), rejected epochs (one trace per reason), and W1−W2 below.

    The y range follows the data that passed (with a margin) unless ``y_range`` is given: a
    rejected point outside it is drawn at the edge as an arrow, and how many are outside is
    written under the plot. ``x_range`` is in MJD. Bands without a measurement are never drawn.
    ``event_mjd`` draws the event's date as a dashed line through both panels; ``time_axis``
    labels the x axis in MJD, calendar dates or days since the event (the plotted values stay
    MJD − REFERENCE_MJD, so a zoom is written in MJD whatever the labels)."""
    lc = view.lightcurve
    epochs = _epoch_columns(lc.epochs)
    if not len(epochs["mjd"]):
        return message_figure("No W1/W2 epochs for this source")
    visits = lc.visits
    flux = unit == "flux"
    y, ey = ("flux_jy", "flux_err_jy") if flux else ("mag", "mag_err")
    scale = 1e3 if flux else 1.0  # show mJy
    fmt = ".3g" if flux else ".3f"
    when = f"MJD {REFERENCE_MJD:.0f} + %{{x:.3f}}"
    data: list[dict[str, Any]] = []
    kept_mask = epochs["passed"] & ~epochs["outlier"]
    values, errors = epochs[y] * scale, epochs[ey]
    kept_values = [values[kept_mask]]
    if not visits.empty:  # visit medians with their error bars
        v, ev = visits[y].to_numpy(float) * scale, np.nan_to_num(visits[ey].to_numpy(float)) * scale
        kept_values += [v - ev, v + ev]
    if y_range is None:
        y_range = padded(np.concatenate(kept_values))
    outside = 0
    style = _Style(flux, scale, fmt, when, y, ey)
    for band in ("W1", "W2"):
        outside += _band_traces(data, lc, epochs, band, values, errors, kept_mask, y_range, style)
    return _figure(data, lc, epochs, outside, x_range, y_range, flux, event_mjd, time_axis)


@dataclass(frozen=True)
class _Style:
    """How the light curve's values are shown: flux (mJy) or magnitudes, and their hover text."""

    flux: bool
    scale: float
    fmt: str
    when: str
    y: str
    ey: str


def _band_traces(data: list[dict[str, Any]], lc: LightCurve, epochs: dict[str, np.ndarray], band: str,
                 values: np.ndarray, errors: np.ndarray, kept_mask: np.ndarray, y_range: tuple[float, float] | None,
                 style: _Style) -> int:
    """A band's traces: exposures (one trace per table), saturated exposures, limits, rejected
    epochs and visits, added to ``data``; returns how many rejected points lie outside ``y_range``."""
    fmt, when, scale = style.fmt, style.when, style.scale
    measured = _measured(lc.epochs)  # the rows of ``epochs``
    table_code, table_names = lc.text_codes("table")  # codes, not text compared per epoch (~10 ms at 10^5)
    band_code, band_names = lc.text_codes("band")
    table_code, band_code = table_code[measured], band_code[measured]
    in_band = band_code == (band_names.index(band) if band in band_names else -1)
    kind = trace_type(int(in_band.sum()))
    colour = BAND_COLOURS[band]
    good = in_band & kept_mask
    upper, saturated = epochs["upper_limit"], epochs["saturated"]
    detected, limits, bright = good & ~upper & ~saturated, good & upper, good & ~upper & saturated
    shown = 0
    for code, table in enumerate(table_names):
        rows = detected & (table_code == code)
        if not rows.any():
            continue
        # one trace per table: the table name lives in the trace, not in every point
        trace = dict(type=kind, x=since_reference(epochs["mjd"][rows]), y=typed(values[rows]),
                     mode="markers", name=f"{band} exposures", legendgroup=band, showlegend=shown == 0,
                     marker=dict(size=4, color=colour, opacity=0.35),
                     hovertemplate=f"{band} {when}: %{{y:{fmt}}}<br>{table}<extra></extra>")
        if not lc.binning.enabled:
            trace["error_y"] = dict(type="data", array=typed(np.nan_to_num(errors[rows]) * scale),
                                    thickness=0.6, width=0, color=colour)
        data.append(trace)
        shown += 1
    if bright.any():  # kept only with the 'sat' cut off: drawn apart, as biased
        data.append(dict(type=kind, x=since_reference(epochs["mjd"][bright]), y=typed(values[bright]),
                         mode="markers", name=f"{band} saturated exposures (biased)", legendgroup=band,
                         marker=dict(size=7, color=colour, symbol="diamond-open", opacity=0.8),
                         hovertemplate=f"{band} {when}: %{{y:{fmt}}}<br>saturated: brighter than the onset or "
                                       f"w?sat above the threshold (biased)<extra></extra>"))
    if limits.any():
        data.append(dict(type=kind, x=since_reference(epochs["mjd"][limits]), y=typed(values[limits]),
                         mode="markers", name=f"{band} exposure 95% upper limits", legendgroup=band,
                         marker=dict(size=7, color=colour, symbol="triangle-down-open", opacity=0.6),
                         hovertemplate=f"{band} {when}: 95% upper limit %{{y:{fmt}}}<extra></extra>"))
    outside = 0
    bad = in_band & ~kept_mask
    if bad.any():
        outside = _rejected_traces(data, band, {k: epochs[k][bad] for k in REJECTED_COLUMNS}, values[bad],
                                   y_range, style.flux, kind, when, fmt)
    visits = lc.visits
    if not visits.empty:
        data += _visit_traces(visits[visits["band"] == band], band, style.y, style.ey, scale, fmt)
    return outside


def _figure(data: list[dict[str, Any]], lc: LightCurve, epochs: dict[str, np.ndarray], outside: int,
            x_range: tuple[float, float] | None, y_range: tuple[float, float] | None, flux: bool,
            event_mjd: float | None, time_axis: str) -> Figure:
    """The colour panel, the notes, the axes (MJD below, years above) and the event marker."""
    lo, hi = float(epochs["mjd"].min()), float(epochs["mjd"].max())
    colour_traces = _colour_traces(lc, lo, hi)
    data += colour_traces
    years = [yr for yr in range(2009, 2027) if lo - 200 <= mjd_of_year(yr) <= hi + 200]
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
    y_axis: dict[str, Any] = dict(AXIS, domain=[0.3, 1.0], anchor="x",
                                  title=dict(text="F<sub>ν</sub> (mJy)" if flux else "Vega magnitude"))
    if y_range is not None:
        y_axis |= dict(range=list(y_range) if flux else [y_range[1], y_range[0]], autorange=False)
    else:
        y_axis |= dict(autorange=True if flux else "reversed")
    data.append(dict(type="scatter", x=x_span, y=[None, None], xaxis="x3", showlegend=False, hoverinfo="skip"))
    if event_mjd is not None:
        annotations.append(dict(text=f"t0 = MJD {event_mjd:.9g}", x=event_mjd - REFERENCE_MJD, xref="x", yref="paper",
                                y=1.0, yanchor="top", xanchor="left", xshift=3, showarrow=False,
                                font=dict(size=11, color=EVENT_COLOUR)))
    return {"data": data, "layout": base_layout(
        560, margin=dict(l=75, r=20, t=80 if outside else 60, b=40), hovermode="closest", annotations=annotations,
        legend=dict(orientation="h", x=0, y=-0.14, yanchor="top", font=dict(size=12)),
        xaxis=dict(AXIS, anchor="y", domain=[0, 1], range=x_span, matches="x2", showticklabels=False,
                   showgrid=False),
        xaxis2=dict(AXIS, anchor="y2", domain=[0, 1], range=x_span, **time_ticks(x_span, event_mjd, time_axis)),
        shapes=event_marker(event_mjd),
        xaxis3=dict(overlaying="x", side="top", tickvals=[mjd_of_year(yr) - REFERENCE_MJD for yr in years],
                    ticktext=_year_labels(years), range=x_span, anchor="y", matches="x", gridcolor=GRID,
                    ticks="outside", tickcolor="#888"),  # its grid marks the years
        yaxis=y_axis,
        yaxis2=dict(AXIS, domain=[0.0, 0.24], anchor="x2", title=dict(text="W1−W2 (mag)")),
    )}


#: The colour of the event date's line and label.
EVENT_COLOUR = "#b5179e"


def event_marker(event_mjd: float | None) -> list[dict[str, Any]]:
    """The event date as a dashed vertical line through the magnitude and colour panels."""
    if event_mjd is None:
        return []
    x = event_mjd - REFERENCE_MJD
    return [dict(type="line", xref="x", yref="paper", x0=x, x1=x, y0=0, y1=1,
                 line=dict(color=EVENT_COLOUR, width=1.5, dash="dash"))]


def time_ticks(x_span: list[float], event_mjd: float | None, time_axis: str) -> dict[str, Any]:
    """The time axis's title and ticks: MJD (plotly's own ticks), calendar dates (a tick every
    half year, or every year past eight), or days since ``event_mjd`` (a round step)."""
    lo, hi = x_span[0] + REFERENCE_MJD, x_span[1] + REFERENCE_MJD
    if time_axis == "date":  # level labels that never crowd: half years over a short span, else every 1st/2nd year
        first, last = date_of_mjd(lo).year, date_of_mjd(hi).year + 1
        months, every = ((1, 7), 1) if last - first <= 4 else ((1,), 1 if last - first <= 8 else 2)
        ticks = [(mjd_of_month(y, m), f"{y}-{m:02d}") for y in range(first, last + 1) for m in months
                 if lo <= mjd_of_month(y, m) <= hi and (y - first) % every == 0]
        return dict(tickvals=[t - REFERENCE_MJD for t, _ in ticks], ticktext=[label for _, label in ticks],
                    tickangle=0, title=dict(text="date (UTC)", standoff=4))
    if time_axis == "t0" and event_mjd is not None:
        step = next(s for s in (10, 20, 50, 100, 200, 500, 1000, 2000) if (hi - lo) / s <= 10)
        start = np.floor((lo - event_mjd) / step) * step
        days = np.arange(start, (hi - event_mjd) + step, step)
        days = days[(days + event_mjd >= lo) & (days + event_mjd <= hi)]
        return dict(tickvals=[float(d + event_mjd - REFERENCE_MJD) for d in days],
                    ticktext=[f"{d:+.0f}" if d else "0" for d in days],
                    title=dict(text=f"days since t0 (MJD {event_mjd:.9g})", standoff=4))
    return dict(title=dict(text=f"MJD − {REFERENCE_MJD:.0f} (days)", standoff=4))


def _epoch_columns(epochs: pd.DataFrame) -> dict[str, np.ndarray]:
    """The columns the figure reads, as arrays, of the epochs that hold a measurement (a band
    without one is never drawn); masks on arrays, not on the frame (a fifth of a warm view)."""
    measured = _measured(epochs)
    floats = {c: epochs[c].to_numpy(float)[measured] for c in ("mjd", "mag", "mag_err", "flux_jy", "flux_err_jy")}
    flags = {c: (epochs[c].astype(bool).to_numpy()[measured] if c in epochs else np.zeros(int(measured.sum()), bool))
             for c in ("passed", "outlier", "upper_limit", "saturated")}
    text = {c: epochs[c].to_numpy(object)[measured] for c in ("band", "table", "reasons")}
    return floats | flags | text


def _measured(epochs: pd.DataFrame) -> np.ndarray:
    """The epochs that hold a measurement (the figure draws only these)."""
    return epochs["measured"].to_numpy(bool) if "measured" in epochs else np.ones(len(epochs), bool)


def _year_labels(years: list[int]) -> list[str]:
    """Every year gets a grid line; beyond eight years only even years are labelled, so the
    labels stay level and readable on a phone (plotly would turn them on end)."""
    return [str(yr) if len(years) <= 8 or yr % 2 == 0 else "" for yr in years]


#: The epoch columns ``_rejected_traces`` reads.
REJECTED_COLUMNS = ("mjd", "passed", "reasons", "table")


def _rejected_traces(data: list[dict[str, Any]], band: str, bad: dict[str, np.ndarray], values: np.ndarray,
                     y_range: tuple[float, float] | None, flux: bool, kind: str, when: str, fmt: str) -> int:
    """One trace per (table, reason, edge): the reason lives in the trace, not in every point.
    Points outside ``y_range`` are clipped to its edge as arrows and keep their value in the hover.
    ``bad``: the rejected epochs' columns (``_epoch_columns``); ``values``: what is plotted."""
    edge = np.zeros(len(values), dtype=np.int8)  # 0 inside, 1 above, -1 below
    if y_range is not None:
        edge[values > y_range[1]] = 1
        edge[values < y_range[0]] = -1
    why = np.where(bad["passed"], "visit outlier", bad["reasons"]).astype(object)
    # groups in the order of (table, reason, edge), each group's points in their own order
    table_code, tables = pd.factorize(bad["table"], sort=True)
    why_code, whys = pd.factorize(why, sort=True)
    key = (table_code * len(whys) + why_code) * 3 + (edge + 1)
    order = np.argsort(key, kind="stable")
    starts = np.flatnonzero(np.concatenate([[True], np.diff(key[order]) != 0]))
    first = True
    for index in np.split(order, starts[1:]):
        k = int(key[index[0]])
        table, reason, side = str(tables[k // 3 // len(whys)]), str(whys[k // 3 % len(whys)]), k % 3 - 1
        shown = values[index]
        symbol = "x-thin"
        hover = f"%{{y:{fmt}}}"
        if side:
            # the edge that is "up" on screen: magnitudes are drawn reversed
            symbol = ("triangle-down" if not flux else "triangle-up") if side == 1 else (
                "triangle-up" if not flux else "triangle-down")
            hover = f"%{{customdata:{fmt}}} (outside the plotted range)"
            shown = np.clip(shown, *y_range)  # type: ignore[misc]  # side != 0 only with a range
        trace = dict(type=kind, x=since_reference(bad["mjd"][index]), y=typed(shown),
                     mode="markers", name=f"{band} rejected", legendgroup=band, showlegend=first,
                     marker=dict(size=6, color=REJECTED, symbol=symbol, line=dict(width=1, color=REJECTED)),
                     hovertemplate=f"{band} {when}: {hover}<br>{table}<br>rejected: {hover_text(reason)}"
                                   "<extra></extra>")
        if side:
            trace["customdata"] = typed(values[index])
        data.append(trace)
        first = False
    return int((edge != 0).sum())


def _visit_traces(vb: pd.DataFrame, band: str, y: str, ey: str, scale: float, fmt: str) -> list[dict[str, Any]]:
    """The visit medians (and limits) of a band; each point's last ``customdata`` is its visit
    number (``clicked_visit``: a click shows that visit's frames)."""
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
            customdata=counts_data(det[["n_used", "n_rejected", "n_limits", "visit"]].to_numpy(int)),
            hovertemplate=f"{band} visit, MJD {REFERENCE_MJD:.0f} + %{{x:.1f}}: %{{y:{fmt}}} ± "
                          f"%{{error_y.array:{fmt}}}<br>%{{customdata[0]}} used, %{{customdata[1]}} rejected, "
                          "%{customdata[2]} upper limits set aside<br>visit %{customdata[3]}: click for its "
                          "frames<extra></extra>"))
    if len(lim):
        out.append(dict(
            type="scatter", x=since_reference(lim["mjd"]), y=typed(lim[y].to_numpy(float) * scale),
            mode="markers", name=f"{band} visit 95% upper limit", legendgroup=band,
            marker=dict(size=11, symbol="triangle-down", color=colour, line=dict(width=1, color="#222")),
            customdata=counts_data(lim[["n_limits", "visit"]].to_numpy(int)),
            hovertemplate=f"{band} visit, MJD {REFERENCE_MJD:.0f} + %{{x:.1f}}: 95% upper limit %{{y:{fmt}}}"
                          "<br>from %{customdata[0]} limits<br>visit %{customdata[1]}: click for its frames"
                          "<extra></extra>"))
    return out


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


def clicked_visit(click: dict | None) -> int | None:
    """The visit of a clicked visit median or limit (its ``customdata``: counts, then the visit),
    or None for any other point (exposures carry no such list)."""
    points = (click or {}).get("points") or []
    data = points[0].get("customdata") if points and isinstance(points[0], dict) else None
    if isinstance(data, list) and len(data) in (2, 4) and isinstance(data[-1], int | float) and data[-1] >= 0:
        return int(data[-1])
    return None
