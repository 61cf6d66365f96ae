"""The visit images: the chosen visit's co-add, the reference's, their difference (one row), and
the strip of every visit's co-add in one stretch, so that a change is seen at a glance."""

from __future__ import annotations

from typing import Any

import numpy as np

from dashboard.sky.evidence import VisitEvidence
from dashboard.ui.figures.style import Figure, base_layout, message_figure, typed

#: One stretch for every image of a figure: these percentiles of all their pixels.
STRETCH = (1.0, 99.5)


def _limits(images: list[np.ndarray]) -> tuple[float, float]:
    values = np.concatenate([im[np.isfinite(im)].ravel() for im in images]) if images else np.zeros(0)
    if not len(values):
        return 0.0, 1.0
    low, high = np.percentile(values, STRETCH)
    return float(low), float(high if high > low else low + 1.0)


def _panel(data: list[dict[str, Any]], n: int, image: np.ndarray, zmin: float, zmax: float, title: str,
           colorscale: str = "Greys", reverse: bool = True) -> dict[str, Any]:
    """A heatmap on axes x{n}/y{n}, east left (the grid's x grows westwards: x is reversed)."""
    axis = "" if n == 1 else str(n)
    data.append({"type": "heatmap", "z": typed(np.asarray(image, np.float32), "f4"), "zmin": zmin, "zmax": zmax,
                 "colorscale": colorscale, "reversescale": reverse, "showscale": False, "name": title,
                 "xaxis": f"x{axis}", "yaxis": f"y{axis}", "hovertemplate": f"{title}: %{{z:.1f}}<extra></extra>"})
    return {"text": title, "xref": f"x{axis} domain", "yref": f"y{axis} domain", "x": 0.5, "y": 1.0,
            "yanchor": "bottom", "showarrow": False, "font": {"size": 12}}


def _axes(layout: dict[str, Any], count: int, size: int, gap: float = 0.02) -> None:
    width = (1 - gap * (count - 1)) / count
    for n in range(1, count + 1):
        axis = "" if n == 1 else str(n)
        left = (n - 1) * (width + gap)
        layout[f"xaxis{axis}"] = {"domain": [left, left + width], "visible": False, "range": [size - 0.5, -0.5],
                                  "constrain": "domain"}
        layout[f"yaxis{axis}"] = {"visible": False, "scaleanchor": f"x{axis}", "range": [-0.5, size - 0.5],
                                  "anchor": f"x{axis}"}


def _marks(data: list[dict[str, Any]], n: int, size: int, detections: tuple[np.ndarray, np.ndarray] | None,
           to_pixels: Any) -> None:
    axis = "" if n == 1 else str(n)
    centre = (size - 1) / 2
    data.append({"type": "scatter", "mode": "markers", "x": [centre], "y": [centre], "xaxis": f"x{axis}",
                 "yaxis": f"y{axis}", "name": "target", "showlegend": n == 1, "hoverinfo": "name",
                 "marker": {"symbol": "cross-thin-open", "size": 16, "color": "#ff7f0e", "line": {"width": 2}}})
    if detections is not None and len(detections[0]) and to_pixels is not None:
        x, y = to_pixels(*detections)
        data.append({"type": "scatter", "mode": "markers", "x": np.round(x, 2).tolist(), "y": np.round(y, 2).tolist(),
                     "xaxis": f"x{axis}", "yaxis": f"y{axis}", "name": "this visit's detections",
                     "showlegend": n == 1, "hoverinfo": "name",
                     "marker": {"symbol": "circle-open", "size": 6, "color": "#1f77b4"}})


def visit_figure(evidence: VisitEvidence, band: int = 1) -> Figure:
    """The chosen visit, the reference and visit − reference in ``band``, in one stretch."""
    image = evidence.images.get((evidence.visit, band))
    if image is None:
        return message_figure(f"No W{band} frame of visit {evidence.visit} could be co-added (see the frame list)")
    from astropy.io.fits import Header
    from astropy.wcs import WCS

    wcs = WCS(Header.fromstring(image.header_text))

    def to_pixels(ra: np.ndarray, dec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x, y = wcs.all_world2pix(ra, dec, 0)
        return np.asarray(x, float), np.asarray(y, float)

    size = image.data.shape[0]
    ref = evidence.images.get((evidence.ref, band)) if evidence.ref is not None else None
    shown = [image.data] + ([ref.data] if ref is not None else [])
    zmin, zmax = _limits(shown)
    data: list[dict[str, Any]] = []
    titles = [_panel(data, 1, image.data, zmin, zmax, f"visit {evidence.visit} · {len(image.frames)} frames")]
    _marks(data, 1, size, evidence.positions.get(evidence.visit), to_pixels)
    count = 1
    if ref is not None:
        titles.append(_panel(data, 2, ref.data, zmin, zmax, f"ref {evidence.ref} · {len(ref.frames)}"))
        _marks(data, 2, size, None, None)
        diff = evidence.difference(band)
        if diff is not None:
            span = float(np.nanpercentile(np.abs(diff), 99.5)) if np.isfinite(diff).any() else 1.0
            titles.append(_panel(data, 3, diff, -span or -1.0, span or 1.0,
                                 f"{evidence.visit} − {evidence.ref}", "RdBu", False))
            _marks(data, 3, size, None, None)
            count = 3
        else:
            count = 2
    layout = base_layout(300, margin={"l": 10, "r": 10, "t": 30, "b": 10}, annotations=titles,
                         showlegend=False)  # the markers are explained under the figure (ui/layout.py)
    _axes(layout, count, size)
    figure: dict[str, Any] = {"data": data, "layout": layout}
    if ref is not None:
        _blink(figure, image.data, ref.data, titles, evidence)
    return figure


def _blink(figure: dict[str, Any], visit: np.ndarray, ref: np.ndarray, titles: list[dict[str, Any]],
           evidence: VisitEvidence) -> None:
    """A blink of the two visits in the first panel: the reference as a second, hidden layer of
    the same axes, and two buttons that show one or the other in place (one stretch, one grid):
    what changed jumps out where side by side it hides."""
    data = figure["data"]
    layer = dict(data[0], z=typed(np.asarray(ref, np.float32), "f4"), visible=False,
                 name=f"visit {evidence.ref} (blink)", hovertemplate=f"visit {evidence.ref}: %{{z:.1f}}<extra></extra>")
    data.insert(1, layer)
    show_visit = {"visible": [True, False]}
    show_ref = {"visible": [False, True]}
    figure["layout"]["updatemenus"] = [{
        "type": "buttons", "direction": "right", "showactive": True, "active": 0, "x": 0.0, "y": -0.03,
        "xanchor": "left", "yanchor": "top", "pad": {"t": 0, "r": 0}, "buttons": [
            {"label": f"visit {evidence.visit}", "method": "update",
             "args": [show_visit, {"annotations[0].text": titles[0]["text"]}, [0, 1]]},
            {"label": f"blink: visit {evidence.ref}", "method": "update",
             "args": [show_ref, {"annotations[0].text": f"visit {evidence.ref} in place of {evidence.visit}"},
                      [0, 1]]}]}]
    figure["layout"]["margin"]["b"] = 40


def strip_figure(evidence: VisitEvidence) -> Figure:
    """Every visit's W1 co-add, in time order and one stretch (a few frames each), each titled
    with its visit number (the visit list above gives its MJD)."""
    visits = sorted(evidence.strip)
    if not visits:
        return message_figure("No visit could be co-added for the strip")
    images = [evidence.strip[v].data for v in visits]
    zmin, zmax = _limits(images)
    data: list[dict[str, Any]] = []
    titles = []
    for n, v in enumerate(visits, start=1):
        titles.append(_panel(data, n, evidence.strip[v].data, zmin, zmax, f"{v}"))
        titles[-1]["font"] = {"size": 9}
    layout = base_layout(120, margin={"l": 5, "r": 5, "t": 22, "b": 5}, annotations=titles, showlegend=False)
    _axes(layout, len(visits), images[0].shape[0], gap=0.004)
    return {"data": data, "layout": layout}
