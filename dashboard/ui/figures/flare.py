"""The flare and dust-echo figures: each visit's excess over its band's baseline with the Bayesian
blocks, and the dust's temperature (radius and luminosity with a redshift) against time
(``science/flares.py``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from dashboard.science.flares import FlareAnalysis, flare_row
from dashboard.ui.figures.style import AXIS, BAND_COLOURS, Figure, base_layout, message_figure


def excess_figure(found: FlareAnalysis) -> Figure:
    """Excess (mJy) per visit and band with errors; each block's level less the baseline as a
    step; the flare's start, peak and end as dashed lines (the sentence above says so)."""
    if found.failure is not None or found.excess.empty:
        return message_figure(f"No flare search: {found.failure or 'no detected visits'}")
    data: list[dict[str, Any]] = []
    for band, base in found.baselines.items():
        rows = found.excess[found.excess["band"] == band]
        colour = BAND_COLOURS[band]
        data.append(dict(type="scatter", mode="markers", name=f"{band} visit excess", x=rows["mjd"].tolist(),
                         y=(rows["excess_jy"] * 1e3).round(5).tolist(), marker=dict(color=colour, size=7),
                         error_y=dict(type="data", array=(rows["excess_err_jy"] * 1e3).round(5).tolist(),
                                      color=colour, thickness=1),
                         hovertemplate=f"{band} MJD %{{x:.1f}}: %{{y:.3g}} mJy<extra></extra>"))
        x, y = [], []
        for block in base.blocks:
            level = (block.level - base.level) * 1e3
            x += [block.start, block.end, None]
            y += [level, level, None]
        data.append(dict(type="scatter", mode="lines", name=f"{band} blocks − baseline", x=x, y=y,
                         line=dict(color=colour, width=2, dash="dot"), hoverinfo="skip"))
    shapes = [dict(type="line", xref="x", yref="paper", x0=t, x1=t, y0=0, y1=1,
                   line=dict(color="#b5179e", dash="dash", width=1))
              for t in (found.flare.start_mjd, found.flare.peak_mjd, found.flare.end_mjd) if t is not None]
    shapes.append(dict(type="line", xref="paper", yref="y", x0=0, x1=1, y0=0, y1=0, line=dict(color="#888", width=1)))
    return {"data": data, "layout": base_layout(
        360, margin=dict(l=70, r=20, t=30, b=40), shapes=shapes,
        title=dict(text="Excess over the baseline", font=dict(size=13)),
        xaxis=dict(AXIS, title=dict(text="MJD")), yaxis=dict(AXIS, title=dict(text="excess (mJy)")),
        legend=dict(orientation="h", yref="container", y=0, yanchor="bottom", x=0))}


def dust_figure(found: FlareAnalysis) -> Figure:
    """The dust per visit: temperature (rest frame with a redshift), and radius and luminosity."""
    dust = found.dust
    if dust.empty:
        return message_figure("No visit with an excess in both W1 and W2: no dust temperature")
    rest = "t_rest_k" in dust
    panels = [("t_rest_k" if rest else "t_obs_k", "t_rest_err_k" if rest else "t_obs_err_k",
               f"T {'rest' if rest else 'observed'} (K)")]
    if rest:
        panels += [("radius_pc", "radius_err_pc", "R (pc)"), ("log_lum_erg_s", "log_lum_err_erg_s", "log L (erg/s)")]
    data, layout = [], {}
    height = 1.0 / len(panels)
    for i, (col, err, title) in enumerate(panels):
        axis = "" if i == 0 else str(i + 1)
        data.append(dict(type="scatter", mode="markers+lines", x=dust["mjd"].tolist(), y=dust[col].round(6).tolist(),
                         error_y=dict(type="data", array=np.nan_to_num(dust[err].to_numpy(float)).round(6).tolist()),
                         xaxis=f"x{axis}", yaxis=f"y{axis}", name=title, marker=dict(color="#7c3aed", size=7),
                         line=dict(color="#7c3aed", width=1), showlegend=False))
        domain = [1 - (i + 1) * height + 0.04, 1 - i * height]
        layout[f"yaxis{axis}"] = dict(AXIS, domain=domain, anchor=f"x{axis}", title=dict(text=title))
        layout[f"xaxis{axis}"] = dict(AXIS, anchor=f"y{axis}", matches="x" if i else None,
                                      showticklabels=i == len(panels) - 1,
                                      title=dict(text="MJD") if i == len(panels) - 1 else None)
    return {"data": data, "layout": base_layout(140 + 150 * len(panels), margin=dict(l=80, r=20, t=20, b=40),
                                                **layout)}


def flare_sentence(found: FlareAnalysis) -> str:
    """One sentence with the numbers: the answer, and for a flare its timing, excess and dust."""
    row = flare_row(found)
    if not found.flare.found:
        reason = str(row["reason"])
        return reason[:1].upper() + reason[1:] + "."
    parts = [f"Flare (dashed lines: start, peak, end) from MJD {row['start_mjd']:.0f} (peak "
             f"{row['peak_mjd']:.0f}, excess W1 "
             f"{row['peak_excess_w1_mjy']:.3g} mJy, W2 {row['peak_excess_w2_mjy']:.3g} mJy)"]
    if np.isfinite(float(row["delay_days"])):  # type: ignore[arg-type]
        delay = float(row["delay_days"])  # type: ignore[arg-type]
        parts.append(f"{abs(delay):.0f} d {'after' if delay >= 0 else 'before'} t0 (light travel "
                     f"{abs(float(row['light_travel_pc'])):.3g} pc)")  # type: ignore[arg-type]
    if np.isfinite(float(row["t_dust_k_at_peak"])):  # type: ignore[arg-type]
        parts.append(f"dust {row['t_dust_k_at_peak']:.0f} K near the peak ({row['t_dust_frame']} frame)")
    if found.params.redshift is None:
        parts.append("give the redshift (z) for the rest-frame temperature, radius and luminosity")
    elif np.isfinite(float(row["energy_erg"])):  # type: ignore[arg-type]
        parts.append(f"{row['energy_erg']:.2g} erg radiated over the dust visits")
    return "; ".join(parts) + "."
