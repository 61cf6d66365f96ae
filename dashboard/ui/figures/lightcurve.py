"""The light-curve figure: epochs, rejected epochs with their reason, per-visit medians."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from dashboard.science.analysis import View
from dashboard.ui.figures.style import (
    AXIS,
    BAND_COLOURS,
    GRID,
    REFERENCE_MJD,
    REJECTED,
    Figure,
    base_layout,
    counts_data,
    hover_text,
    message_figure,
    mjd_of_year,
    padded,
    since_reference,
    trace_type,
    typed,
)


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
        y_range = padded(np.concatenate(kept_values))
    outside = 0
    for band in ("W1", "W2"):
        in_band = (epochs["band"] == band).to_numpy()
        part = epochs[in_band]
        kind = trace_type(len(part))
        colour = BAND_COLOURS[band]
        good = part[kept_mask[in_band]]
        upper = good["upper_limit"].astype(bool).to_numpy()
        saturated = good["saturated"].astype(bool).to_numpy() if "saturated" in good else np.zeros(len(good), bool)
        detected, limits, bright = good[~upper & ~saturated], good[upper], good[~upper & saturated]
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
        if len(bright):  # kept only with the 'sat' cut off: drawn apart, as biased
            data.append(dict(type=kind, x=since_reference(bright["mjd"]), y=typed(bright[y].to_numpy(float) * scale),
                             mode="markers", name=f"{band} saturated exposures (biased)", legendgroup=band,
                             marker=dict(size=7, color=colour, symbol="diamond-open", opacity=0.8),
                             hovertemplate=f"{band} {when}: %{{y:{fmt}}}<br>saturated: brighter than the onset or "
                                           f"w?sat above the threshold (biased)<extra></extra>"))
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
    return {"data": data, "layout": base_layout(
        560, margin=dict(l=75, r=20, t=80 if outside else 60, b=40), hovermode="closest", annotations=annotations,
        legend=dict(orientation="h", x=0, y=-0.14, yanchor="top", font=dict(size=12)),
        xaxis=dict(AXIS, anchor="y", domain=[0, 1], range=x_span, matches="x2", showticklabels=False,
                   showgrid=False),
        xaxis2=dict(AXIS, anchor="y2", domain=[0, 1], range=x_span,
                    title=dict(text=f"MJD − {REFERENCE_MJD:.0f} (days)", standoff=4)),
        xaxis3=dict(overlaying="x", side="top", tickvals=[mjd_of_year(yr) - REFERENCE_MJD for yr in years],
                    ticktext=_year_labels(years), range=x_span, anchor="y", matches="x", gridcolor=GRID,
                    ticks="outside", tickcolor="#888"),  # its grid marks the years
        yaxis=y_axis,
        yaxis2=dict(AXIS, domain=[0.0, 0.24], anchor="x2", title=dict(text="W1−W2 (mag)")),
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
