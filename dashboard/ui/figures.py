"""Every Plotly figure of the page, built from the service layer's objects (no callbacks here).

Text that came from a user or a link (target names, messages echoing input) is HTML-escaped
before it reaches a title, an annotation or a hover: plotly renders a subset of HTML there.
"""

from __future__ import annotations

from datetime import date
from html import escape as _html_escape

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..wise.analysis import View

BAND_COLOURS = {"W1": "#1f77b4", "W2": "#d62728", "W3": "#2ca02c", "W4": "#9467bd"}
REJECTED = "#b0b0b0"
WEBGL_THRESHOLD = 2000


def escape(text: str) -> str:
    """Text as text in plotly's pseudo-HTML: <, > and & escaped (plotly shows &quot; literally)."""
    return _html_escape(text, quote=False)


FONT = dict(family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size=13)


def _mjd(year: int) -> float:
    return float((date(year, 1, 1) - date(1858, 11, 17)).days)


def message_figure(text: str) -> go.Figure:
    """An empty plot that says why it is empty (loading, no data, an error)."""
    import textwrap

    fig = go.Figure()
    fig.add_annotation(text="<br>".join(escape(line) for line in textwrap.wrap(text, 48)) or " ", showarrow=False,
                       font=dict(size=14, color="#555"), xref="paper", yref="paper",
                       x=0.5, y=0.5)
    fig.update_layout(template="plotly_white", font=FONT, xaxis=dict(visible=False), yaxis=dict(visible=False),
                      margin=dict(l=20, r=20, t=20, b=20), height=360)
    return fig


def sed_figure(view: View, axis: str = "fnu") -> go.Figure:
    sed = view.sed
    if sed.empty or not sed["measured"].any():
        return message_figure("No AllWISE catalog photometry for this cone")
    nufnu = axis == "nufnu"
    ycol, ecol = ("nu_fnu", "nu_fnu_err") if nufnu else ("flux_jy", "flux_err_jy")
    fig = go.Figure()
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
        fig.add_trace(go.Scatter(
            x=part["wavelength_um"], y=part[ycol], mode="markers", name=name,
            marker=dict(symbol=symbol, size=13 if symbol != "circle" else 10,
                        color=colour or [BAND_COLOURS[b] for b in part["band"]],
                        line=dict(width=1, color="#333")),
            error_y=dict(type="data", array=part[ecol].fillna(0), visible=name == "detection", color="#333"),
            hovertext=hover, hoverinfo="text",
        ))
    title = view.selection.label if view.selection else ""
    fig.update_layout(
        template="plotly_white", font=FONT, height=360, margin=dict(l=70, r=20, t=40, b=50),
        title=dict(text=f"SED of {escape(title)}", font=dict(size=14)),
        xaxis=dict(type="log", title="wavelength (µm)", tickvals=[3, 4, 5, 7, 10, 15, 20, 25],
                   range=[np.log10(2.7), np.log10(27)]),
        yaxis=dict(type="log", title="ν F_ν (erg s⁻¹ cm⁻²)" if nufnu else "F_ν (Jy)", exponentformat="power",
                   dtick="D2"),
        legend=dict(orientation="h", y=-0.22), showlegend=True,
    )
    return fig


def _scatter(n: int):
    return go.Scattergl if n > WEBGL_THRESHOLD else go.Scatter


def _padded(values: np.ndarray, fraction: float = 0.08) -> tuple[float, float] | None:
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return None
    lo, hi = float(values.min()), float(values.max())
    pad = max((hi - lo) * fraction, 0.02 if hi - lo < 1 else 0.0, abs(hi) * 1e-3)
    return lo - pad, hi + pad


def lightcurve_figure(view: View, unit: str = "mag") -> go.Figure:
    """Exposures, visits, limits (triangles towards fainter values) and rejected epochs.

    The y range follows the data that passed (with a margin): a rejected point outside it is
    drawn at the edge as an arrow, and how many are outside is written under the plot. Bands
    without a measurement are never drawn."""
    lc = view.lightcurve
    epochs = lc.epochs[lc.epochs["measured"].astype(bool)] if "measured" in lc.epochs else lc.epochs
    if epochs.empty:
        return message_figure("No W1/W2 epochs for this source")
    visits = lc.visits
    flux = unit == "flux"
    y, ey = ("flux_jy", "flux_err_jy") if flux else ("mag", "mag_err")
    scale = 1e3 if flux else 1.0  # show mJy
    fmt = ".3g" if flux else ".3f"
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.74, 0.26], vertical_spacing=0.04)
    kept = epochs[epochs["passed"] & ~epochs["outlier"].astype(bool)]
    kept_values = [kept[y].to_numpy(float) * scale]
    if not visits.empty:  # visit medians with their error bars
        v, ev = visits[y].to_numpy(float) * scale, np.nan_to_num(visits[ey].to_numpy(float)) * scale
        kept_values += [v - ev, v + ev]
    y_range = _padded(np.concatenate(kept_values))
    outside = 0
    for band in ("W1", "W2"):
        part = epochs[epochs["band"] == band]
        good = part[part["passed"] & ~part["outlier"].astype(bool)]
        bad = part[~part["passed"] | part["outlier"].astype(bool)]
        trace = _scatter(len(part))
        detected = good[~good["upper_limit"].astype(bool)]
        limits = good[good["upper_limit"].astype(bool)]
        for i, (table, rows) in enumerate(detected.groupby("table", sort=True)):
            # one trace per table: the table name lives in the trace, not in every point
            fig.add_trace(trace(
                x=rows["mjd"].to_numpy(), y=(rows[y] * scale).to_numpy(np.float32), mode="markers",
                name=f"{band} exposures", legendgroup=band, showlegend=i == 0,
                marker=dict(size=4, color=BAND_COLOURS[band], opacity=0.35),
                error_y=dict(type="data", array=(rows[ey] * scale).fillna(0).to_numpy(np.float32), thickness=0.6,
                             width=0, color=BAND_COLOURS[band]) if not lc.binning.enabled else None,
                hovertemplate=f"{band} MJD %{{x:.4f}}: %{{y:{fmt}}}<br>{table}<extra></extra>",
            ), row=1, col=1)
        if len(limits):
            fig.add_trace(trace(
                x=limits["mjd"].to_numpy(), y=(limits[y] * scale).to_numpy(np.float32), mode="markers",
                name=f"{band} exposure 95% upper limits", legendgroup=band,
                marker=dict(size=7, color=BAND_COLOURS[band], symbol="triangle-down-open", opacity=0.6),
                hovertemplate=f"{band} MJD %{{x:.4f}}: 95% upper limit %{{y:{fmt}}}<extra></extra>",
            ), row=1, col=1)
        if len(bad):
            why = np.where(bad["passed"], "visit outlier", bad["reasons"].astype(str))
            values = (bad[y] * scale).to_numpy(float)
            marker_symbol = np.full(len(bad), "x-thin", dtype=object)
            if y_range is not None:
                low, high = y_range
                above, below = values > high, values < low
                outside += int((above | below).sum())
                # the edge that is "up" on screen: magnitudes are drawn reversed
                marker_symbol[above] = "triangle-down" if not flux else "triangle-up"
                marker_symbol[below] = "triangle-up" if not flux else "triangle-down"
                values = np.clip(values, low, high)
            fig.add_trace(trace(
                x=bad["mjd"].to_numpy(), y=values.astype(np.float32), mode="markers",
                name=f"{band} rejected", legendgroup=band,
                marker=dict(size=6, color=REJECTED, symbol=marker_symbol.tolist(), line=dict(width=1, color=REJECTED)),
                customdata=np.stack([bad["table"].astype(str), why, (bad[y] * scale).round(4).astype(str)], axis=-1),
                hovertemplate=f"{band} %{{x:.4f}}: %{{customdata[2]}}<br>%{{customdata[0]}}<br>rejected: "
                              "%{customdata[1]}<extra></extra>",
            ), row=1, col=1)
        if not visits.empty:
            vb = visits[visits["band"] == band]
            det = vb[~vb["upper_limit"].astype(bool)]
            lim = vb[vb["upper_limit"].astype(bool)]
            if len(det):
                fig.add_trace(go.Scatter(
                    x=det["mjd"], y=det[y] * scale, mode="markers", name=f"{band} visit median", legendgroup=band,
                    marker=dict(size=9, color=BAND_COLOURS[band], line=dict(width=1, color="#222")),
                    error_y=dict(type="data", array=(det[ey] * scale).fillna(0)),
                    customdata=det[["n_used", "n_rejected", "n_limits"]],
                    hovertemplate=f"{band} visit %{{x:.1f}}: %{{y:{fmt}}} ± %{{error_y.array:{fmt}}}"
                                  "<br>%{customdata[0]} used, %{customdata[1]} rejected, %{customdata[2]} upper "
                                  "limits set aside<extra></extra>",
                ), row=1, col=1)
            if len(lim):
                fig.add_trace(go.Scatter(
                    x=lim["mjd"], y=lim[y] * scale, mode="markers", name=f"{band} visit 95% upper limit",
                    legendgroup=band, marker=dict(size=11, symbol="triangle-down", color=BAND_COLOURS[band],
                                                  line=dict(width=1, color="#222")),
                    customdata=lim[["n_limits"]],
                    hovertemplate=f"{band} visit %{{x:.1f}}: 95% upper limit %{{y:{fmt}}}"
                                  "<br>from %{customdata[0]} limits<extra></extra>",
                ), row=1, col=1)
    colour = lc.colour()
    if colour.empty:  # keep the colour panel and its MJD axis, and say why it is empty
        fig.add_trace(go.Scatter(x=[float(epochs["mjd"].min()), float(epochs["mjd"].max())], y=[None, None],
                                 showlegend=False, hoverinfo="skip"), row=2, col=1)
        fig.add_annotation(text="no W1−W2: needs a visit detected in both bands" if lc.binning.enabled
                           else "W1−W2 is computed per visit: turn binning on", xref="x2 domain", yref="y2 domain",
                           x=0.5, y=0.5, showarrow=False, font=dict(size=11, color="#777"))
    else:
        fig.add_trace(go.Scatter(x=colour["mjd"], y=colour["w1_w2"], mode="markers", name="W1−W2 (visits)",
                                 marker=dict(size=7, color="#444"),
                                 error_y=dict(type="data", array=colour["w1_w2_err"]),
                                 hovertemplate="W1−W2 %{y:.3f} ± %{error_y.array:.3f}<extra></extra>"),
                      row=2, col=1)
    lo, hi = float(epochs["mjd"].min()), float(epochs["mjd"].max())
    years = [yr for yr in range(2009, 2026) if lo - 200 <= _mjd(yr) <= hi + 200]
    year_lines = [dict(type="line", xref="x", yref="paper", x0=_mjd(yr), x1=_mjd(yr), y0=0, y1=1, layer="below",
                       line=dict(color="#eee", width=1)) for yr in years]  # one layout update, not add_vline
    annotations = []
    if outside:
        annotations.append(dict(text=f"{outside} rejected point(s) outside the plotted range, drawn at its edge (▲▼)",
                                xref="paper", yref="paper", x=0, y=-0.2, showarrow=False, xanchor="left",
                                font=dict(size=11, color="#666")))
    fig.update_layout(
        shapes=year_lines, annotations=list(fig.layout.annotations) + annotations,
        template="plotly_white", font=FONT, height=520, margin=dict(l=70, r=20, t=60, b=70),
        legend=dict(orientation="h", y=-0.28), hovermode="closest",
        xaxis3=dict(overlaying="x", side="top", tickvals=[_mjd(y) for y in years], ticktext=[str(y) for y in years],
                    range=[lo - 60, hi + 60], showgrid=False, anchor="y"),
    )
    fig.add_trace(go.Scatter(x=[lo, hi], y=[None, None], xaxis="x3", showlegend=False, hoverinfo="skip"))
    fig.update_xaxes(range=[lo - 60, hi + 60], row=1, col=1)
    fig.update_xaxes(title_text="MJD", range=[lo - 60, hi + 60], row=2, col=1)
    if y_range is not None:
        fig.update_yaxes(range=list(y_range)[::-1] if not flux else list(y_range), row=1, col=1)
    fig.update_yaxes(title_text="F<sub>ν</sub> (mJy)" if flux else "Vega mag",
                     autorange=False if y_range is not None else (True if flux else "reversed"), row=1, col=1)
    fig.update_yaxes(title_text="W1−W2 (mag)", row=2, col=1)
    return fig
