"""The sky figure: the WISE cutout with every source, the cone and the selected source on it."""

from __future__ import annotations

from typing import Any

import numpy as np

from dashboard.ui.figures.style import Figure, base_layout, escape, typed

SKY_MARKERS = {"AllWISE": ("circle-open", "#1f77b4", 11), "selected": ("circle-open", "#d62728", 17),
               "Gaia DR3": ("x-thin-open", "#2ca02c", 9), "SIMBAD": ("diamond-open", "#9467bd", 10),
               "target": ("cross-thin-open", "#ff7f0e", 16),
               "AllWISE reject": ("square-open", "#8c564b", 10)}


def sky_figure(cutout: Any, band: str, cone_ra: float, cone_dec: float, radius_arcsec: float,
               layers: dict[str, tuple[np.ndarray, np.ndarray, list[str]]],
               outlines: dict[str, tuple[np.ndarray, np.ndarray]] | None = None) -> Figure:
    """The WISE cutout (stretched, sky/image.py) with the search cone, a scale bar, N/E, and each
    layer of positions (AllWISE, the selected source, Gaia DR3, SIMBAD, the target) placed by the
    image's WCS. ``layers``: name -> (ra, dec, hover labels); ``outlines``: name -> a closed
    curve (ra, dec), such as the elliptical aperture of the SED. North up, east left."""
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
    for name, (ra, dec) in (outlines or {}).items():
        ox, oy = cutout.to_pixels(np.asarray(ra, float), np.asarray(dec, float))
        data.append({"type": "scatter", "mode": "lines", "x": ox.round(2).tolist(), "y": oy.round(2).tolist(),
                     "line": {"color": "#d62728", "width": 1.5}, "name": escape(name), "hoverinfo": "name"})
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
    return {"data": data, "layout": base_layout(
        430, margin=dict(l=10, r=10, t=30, b=10), annotations=annotations,
        title=dict(text=f"AllWISE Atlas {band} (IRSA SIA cutout, {nx * scale:.0f}″ wide)", font=dict(size=13)),
        xaxis=axis | {"range": [-0.5, nx - 0.5] if east_left else [nx - 0.5, -0.5]},
        yaxis=axis | {"scaleanchor": "x", "range": [-0.5, ny - 0.5] if north_up else [ny - 0.5, -0.5]},
        legend=dict(orientation="h", y=-0.02, yanchor="top", x=0, font=dict(size=11)))}
