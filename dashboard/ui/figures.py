"""Every Plotly figure of the page, built from the service layer's objects (no callbacks here)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..wise.analysis import View

BAND_COLOURS = {"W1": "#1f77b4", "W2": "#d62728", "W3": "#2ca02c", "W4": "#9467bd"}
REJECTED = "#b0b0b0"
WEBGL_THRESHOLD = 2000
FONT = dict(family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size=13)


def _mjd(year: int) -> float:
    return float((date(year, 1, 1) - date(1858, 11, 17)).days)


def message_figure(text: str) -> go.Figure:
    """An empty plot that says why it is empty (loading, no data, an error)."""
    import textwrap

    fig = go.Figure()
    fig.add_annotation(text="<br>".join(textwrap.wrap(text, 70)) or " ", showarrow=False,
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
    for name, mask, symbol, colour in groups:
        part = sed[mask]
        if part.empty:
            continue
        hover = [
            f"{r.band} {r.wavelength_um:.2f} um<br>mag {r.mag:.3f}"
            + (f" ± {r.mag_err:.3f}" if np.isfinite(r.mag_err) else "")
            + f"<br>F_nu {r.flux_jy:.4g} Jy" + (f" ± {r.flux_err_jy:.2g}" if np.isfinite(r.flux_err_jy) else "")
            + (" (95% upper limit)" if r.upper_limit else "")
            + f"<br>ph_qual {r.ph_qual}, cc_flags {r.cc_flag}" + (f"<br>{r.reasons}" if r.reasons else "")
            + (f"<br>{r.note}" if r.note else "")
            for r in part.itertuples()
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
        title=dict(text=f"SED of {title}", font=dict(size=14)),
        xaxis=dict(type="log", title="wavelength (µm)", tickvals=[3, 4, 5, 7, 10, 15, 20, 25],
                   range=[np.log10(2.7), np.log10(27)]),
        yaxis=dict(type="log", title="ν F_ν (erg s⁻¹ cm⁻²)" if nufnu else "F_ν (Jy)", exponentformat="power",
                   dtick="D2"),
        legend=dict(orientation="h", y=-0.22), showlegend=True,
    )
    return fig


def _scatter(n: int):
    return go.Scattergl if n > WEBGL_THRESHOLD else go.Scatter


def lightcurve_figure(view: View, unit: str = "mag") -> go.Figure:
    epochs = view.lightcurve.epochs
    if epochs.empty:
        return message_figure("No W1/W2 epochs for this source")
    visits = view.lightcurve.visits
    flux = unit == "flux"
    y, ey = ("flux_jy", "flux_err_jy") if flux else ("mag", "mag_err")
    scale = 1e3 if flux else 1.0  # show mJy
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.74, 0.26], vertical_spacing=0.04)
    for band in ("W1", "W2"):
        part = epochs[epochs["band"] == band]
        good = part[part["passed"] & ~part["outlier"]]
        bad = part[~part["passed"] | part["outlier"]]
        trace = _scatter(len(part))
        for i, (table, rows) in enumerate(good.groupby("table", sort=True)):
            # one trace per table: the table name lives in the trace, not in every point
            fig.add_trace(trace(
                x=rows["mjd"].to_numpy(), y=(rows[y] * scale).to_numpy(np.float32), mode="markers",
                name=f"{band} exposures", legendgroup=band, showlegend=i == 0,
                marker=dict(size=4, color=BAND_COLOURS[band], opacity=0.35),
                hovertemplate=f"{band} MJD %{{x:.4f}}: %{{y:.3f}}<br>{table}<extra></extra>",
            ), row=1, col=1)
        if len(bad):
            why = np.where(bad["passed"], "visit outlier", bad["reasons"].astype(str))
            fig.add_trace(trace(
                x=bad["mjd"].to_numpy(), y=(bad[y] * scale).to_numpy(np.float32), mode="markers",
                name=f"{band} rejected", legendgroup=band,
                marker=dict(size=5, color=REJECTED, symbol="x-thin", line=dict(width=1, color=REJECTED)),
                customdata=np.stack([bad["table"].astype(str), why], axis=-1),
                hovertemplate=f"{band} %{{x:.4f}}: %{{y:.3f}}<br>%{{customdata[0]}}<br>rejected: %{{customdata[1]}}"
                              "<extra></extra>",
            ), row=1, col=1)
        if not visits.empty:
            vb = visits[(visits["band"] == band) & ~visits["upper_limit"]]
            fig.add_trace(go.Scatter(
                x=vb["mjd"], y=vb[y] * scale, mode="markers", name=f"{band} visit median", legendgroup=band,
                marker=dict(size=9, color=BAND_COLOURS[band], line=dict(width=1, color="#222")),
                error_y=dict(type="data", array=(vb[ey] * scale).fillna(0)), customdata=vb[["n_used", "n_rejected"]],
                hovertemplate=f"{band} visit %{{x:.1f}}: %{{y:.3f}} ± %{{error_y.array:.3f}}"
                              "<br>%{customdata[0]} used, %{customdata[1]} rejected<extra></extra>",
            ), row=1, col=1)
    colour = view.lightcurve.colour()
    if not colour.empty:
        fig.add_trace(go.Scatter(x=colour["mjd"], y=colour["w1_w2"], mode="markers", name="W1−W2 (visits)",
                                 marker=dict(size=7, color="#444"), error_y=dict(type="data", array=colour["err"]),
                                 hovertemplate="W1−W2 %{y:.3f} ± %{error_y.array:.3f}<extra></extra>"),
                      row=2, col=1)
    lo, hi = float(epochs["mjd"].min()), float(epochs["mjd"].max())
    years = [yr for yr in range(2009, 2026) if lo - 200 <= _mjd(yr) <= hi + 200]
    year_lines = [dict(type="line", xref="x", yref="paper", x0=_mjd(yr), x1=_mjd(yr), y0=0, y1=1, layer="below",
                       line=dict(color="#eee", width=1)) for yr in years]  # one layout update, not add_vline
    fig.update_layout(
        shapes=year_lines,
        template="plotly_white", font=FONT, height=520, margin=dict(l=70, r=20, t=60, b=50),
        legend=dict(orientation="h", y=-0.12), hovermode="closest",
        xaxis3=dict(overlaying="x", side="top", tickvals=[_mjd(y) for y in years], ticktext=[str(y) for y in years],
                    range=[lo - 60, hi + 60], showgrid=False, anchor="y"),
    )
    fig.add_trace(go.Scatter(x=[lo, hi], y=[None, None], xaxis="x3", showlegend=False, hoverinfo="skip"))
    fig.update_xaxes(range=[lo - 60, hi + 60], row=1, col=1)
    fig.update_xaxes(title_text="MJD", range=[lo - 60, hi + 60], row=2, col=1)
    fig.update_yaxes(title_text="F_ν (mJy)" if flux else "Vega mag", autorange=True if flux else "reversed",
                     row=1, col=1)
    fig.update_yaxes(title_text="W1−W2", row=2, col=1)
    return fig


def filter_rows(view: View) -> list[dict]:
    """The per-criterion report as table rows for the page."""
    rows = []
    for f in view.filters:
        removed = f.get("removed")
        rows.append({"table": f["table"], "criterion": f["criterion"],
                     "removed": "server-side" if removed is None else removed,
                     "not recorded": f.get("not_recorded", 0), "status": f["status"]})
    for table, counts in view.match_counts.items():
        for name, n in counts.items():
            if n:
                rows.append({"table": table, "criterion": name.replace("_", " "), "removed": n,
                             "not recorded": 0, "status": "not this source's epochs"})
    return rows


def source_rows(view: View) -> list[dict]:
    """The source table's rows, with decoded flags for tooltips."""
    from ..wise.flags import decode

    out = []
    sources = view.sources
    for _, row in sources.iterrows():
        item = {"key": row["key"], "designation": row.get("designation") or "not recorded",
                "sep": round(float(row["separation_arcsec"]), 2)}
        for b in "1234":
            for col in (f"w{b}mpro", f"w{b}sigmpro", f"w{b}snr"):
                v = row.get(col)
                item[col] = None if v is None or pd.isna(v) else round(float(v), 3)
        for col in ("ph_qual", "cc_flags", "ext_flg"):
            v = row.get(col)
            missing = v is None or (not isinstance(v, str) and pd.isna(v))
            item[col] = "not recorded" if missing else (int(v) if col == "ext_flg" else v)
            item[f"{col}_tip"] = decode(col, None if missing else v)
        out.append(item)
    return out
