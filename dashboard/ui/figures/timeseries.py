"""The time-series figures: the periodogram, the folded light curve, the colour-magnitude track."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dashboard.science.analysis import View
from dashboard.science.colour_track import EXTINCTION_LAW, REDDENING_SLOPE
from dashboard.science.periodogram import ALIASES, fold, usable_epochs
from dashboard.ui.figures.style import (
    AXIS,
    BAND_COLOURS,
    Figure,
    base_layout,
    escape,
    log_ticks,
    message_figure,
    trace_type,
    typed,
)

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
    lines = 2
    if chosen.alias:
        title += f"<br><span style='color:#b45309'>on a WISE alias: {escape(chosen.alias)}</span>"
        lines += 1
    if view.periodogram_caution(chosen.band):  # beside the FAP; the full text is in the note below
        title += "<br><span style='color:#b45309'>red-noise caution: the FAP assumes white noise</span>"
        lines += 1
    return {"data": data, "layout": base_layout(
        336 + 22 * lines, margin=dict(l=60, r=20, t=45 + 22 * lines, b=80), shapes=shapes, annotations=notes,
        title=dict(text=title, font=dict(size=13)), hovermode="closest",
        xaxis=dict(AXIS, type="log", title=dict(text="period (days)"), tickvals=values, ticktext=labels),
        yaxis=dict(AXIS, title=dict(text="Lomb–Scargle power"), rangemode="tozero"),
        legend=dict(orientation="h", yref="container", y=0, yanchor="bottom", x=0))}


def folded_figure(view: View, band: str, period_d: float | None, how: str, unit: str = "mag") -> Figure:
    """``band``'s exposures that passed, at phase 0–2 of ``period_d`` (from the first exposure), in
    the light curve's unit (Vega magnitude, or flux density in mJy)."""
    used = usable_epochs(view.lightcurve.epochs, band)
    if period_d is None or used.empty:
        return message_figure(f"No {band} fold: " + ("no period" if period_d is None else "no detected exposures"))
    t0 = float(used["mjd"].iloc[0])
    phase = fold(used["mjd"].to_numpy(float), period_d, t0)
    flux = unit == "flux"
    value, err = ((used["flux_jy"].to_numpy(float) * 1e3, used["flux_err_jy"].to_numpy(float) * 1e3) if flux
                  else (used["mag"].to_numpy(float), used["mag_err"].to_numpy(float)))
    data = [dict(type=trace_type(2 * len(used)), x=typed(np.concatenate([phase, phase + 1])),
                 y=typed(np.concatenate([value, value])), mode="markers", name=f"{band} exposures",
                 marker=dict(size=5, color=BAND_COLOURS[band], opacity=0.6),
                 error_y=dict(type="data", array=typed(np.concatenate([err, err])), thickness=0.6, width=0,
                              color=BAND_COLOURS[band]),
                 hovertemplate=f"{band} phase %{{x:.3f}}: %{{y:.4g}} {'mJy' if flux else 'mag'}<extra></extra>")]
    return {"data": data, "layout": base_layout(
        380, margin=dict(l=60, r=20, t=75, b=50), showlegend=False, hovermode="closest",
        title=dict(text=f"{band} folded at P = {period_d:.6g} d ({escape(how)})<br>phase 0 at MJD {t0:.3f}",
                   font=dict(size=13)),
        xaxis=dict(AXIS, range=[0, 2], title=dict(text="phase"), dtick=0.25),
        yaxis=dict(AXIS, autorange=True if flux else "reversed",
                   title=dict(text=f"{band} F<sub>ν</sub> (mJy)" if flux else f"{band} (Vega mag)")))}


def colour_magnitude_figure(view: View) -> Figure:
    """W1 against W1−W2 per visit, joined in time order and coloured by year, with the fitted
    slope and the reddening vector (colour_track.py)."""
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
    return {"data": data, "layout": base_layout(
        380, margin=dict(l=60, r=20, t=50, b=50), showlegend=False, hovermode="closest",
        title=dict(text=f"W1 against W1−W2<br><span style='font-size:12px'>{title}</span>", font=dict(size=13)),
        annotations=[arrow, note],
        xaxis=dict(AXIS, title=dict(text="W1 − W2 (mag)")),
        yaxis=dict(AXIS, autorange="reversed", title=dict(text="W1 (Vega mag)")))}
