"""The colour–colour figure: W1−W2 against W2−W3 (Vega, catalog ``w?mpro``) for every source of
the cone, the selected one marked, a colour bounded by a limit drawn as an arrow (never as a
point), and the published AGN regions drawn and named (``science/colours.py``)."""

from __future__ import annotations

import math
from typing import Any

from dashboard.science.analysis import View
from dashboard.science.colours import (
    ASSEF18_C75,
    ASSEF18_R90,
    CLASS_COLUMN,
    JARRETT11,
    MATEOS12,
    STERN12_W1W2,
    Magnitudes,
)
from dashboard.science.photometry import BANDS
from dashboard.ui.figures.style import AXIS, Figure, base_layout, escape, message_figure

#: The plotted W2−W3 span (mag); the wedge and the box are drawn within it.
X_SPAN = (-1.0, 6.5)
REGION_COLOURS = {"Jarrett11": "#7c3aed", "Mateos12": "#0891b2", "Stern12": "#b91c1c", "C75": "#c2410c",
                  "R90": "#a16207"}


def _mateos_polygon() -> tuple[list[float], list[float]]:
    """The Mateos et al. 2012 wedge in magnitudes: its lines meet where x and y (log flux
    ratios) satisfy two of them; mapped with x = 0.4 (W2−W3) + log10(F3/F2), y = 0.4 (W1−W2) +
    log10(F2/F1), and cut at the plot's right edge."""
    f1, f2, f3 = (BANDS[b].zero_point_jy for b in ("W1", "W2", "W3"))
    x0, y0 = math.log10(f3 / f2), math.log10(f2 / f1)
    k = MATEOS12
    def meet(a1: float, b1: float, a2: float, b2: float) -> tuple[float, float]:  # y = a x + b
        x = (b2 - b1) / (a1 - a2)
        return x, a1 * x + b1
    corners = [meet(k["slope"], k["upper"], k["edge_slope"], k["edge"]),
               meet(k["slope"], k["lower"], k["edge_slope"], k["edge"])]
    x_right = 0.4 * X_SPAN[1] + x0
    corners += [(x_right, k["slope"] * x_right + k["lower"]), (x_right, k["slope"] * x_right + k["upper"])]
    corners.append(corners[0])
    return [(x - x0) / 0.4 for x, _ in corners], [(y - y0) / 0.4 for _, y in corners]


def _regions() -> list[dict[str, Any]]:
    k = JARRETT11
    low = (k["w2w3_min"], k["slope"] * k["w2w3_min"] + k["intercept"])
    high = (k["w2w3_max"], k["slope"] * k["w2w3_max"] + k["intercept"])
    mx, my = _mateos_polygon()
    line = dict(type="scatter", mode="lines", hoverinfo="name")
    return [
        dict(line, x=[low[0], high[0], high[0], low[0], low[0]], y=[low[1], high[1], k["w1w2_max"], k["w1w2_max"],
                                                                        low[1]],
             name="Jarrett+11 box", line=dict(color=REGION_COLOURS["Jarrett11"], width=1.5)),
        dict(line, x=mx, y=my, name="Mateos+12 wedge", line=dict(color=REGION_COLOURS["Mateos12"], width=1.5)),
        dict(line, x=list(X_SPAN), y=[STERN12_W1W2] * 2, name=f"Stern+12: ≥ {STERN12_W1W2} (W2 ≤ 15.05)",
             line=dict(color=REGION_COLOURS["Stern12"], dash="dash", width=1.2)),
        dict(line, x=list(X_SPAN), y=[ASSEF18_C75] * 2, name=f"Assef+18 C75: > {ASSEF18_C75}",
             line=dict(color=REGION_COLOURS["C75"], dash="dot", width=1.2)),
        dict(line, x=list(X_SPAN), y=[ASSEF18_R90[0]] * 2,
             name=f"Assef+18 R90: > {ASSEF18_R90[0]} to W2 {ASSEF18_R90[2]}, rising fainter",
             line=dict(color=REGION_COLOURS["R90"], dash="dashdot", width=1.2)),
    ]


def _arrow_angle(m: Magnitudes) -> float | None:
    """The direction a bounded colour may move (plotly's marker angle, 0 = up, 90 = right):
    W1 a limit: W1−W2 a lower bound (up); W2 a limit: W1−W2 an upper bound and W2−W3 a lower
    bound (down and right); W3 a limit: W2−W3 an upper bound (left). None for a point."""
    dx = (1 if m.kind[1] == "limit" else 0) - (1 if m.kind[2] == "limit" else 0)
    dy = (1 if m.kind[0] == "limit" else 0) - (1 if m.kind[1] == "limit" else 0)
    if dx == 0 and dy == 0:
        return None
    return math.degrees(math.atan2(dx, dy)) % 360


def colour_colour_figure(view: View) -> Figure:
    if view.sources.empty:
        return message_figure("No catalog sources: no colours")
    points: dict[str, list] = {"x": [], "y": [], "text": [], "angle": [], "selected": []}
    left_out = 0
    selected = view.selection.key if view.selection else None
    for row in view.sources.to_dict("records"):
        m = Magnitudes.of(row)
        if "missing" in m.kind:
            left_out += 1
            continue
        c12, c23 = m.value[0] - m.value[1], m.value[1] - m.value[2]
        angle = _arrow_angle(m)
        bounds = {None: "", 0.0: " (W1−W2 a lower bound)", 180.0: " (W1−W2 an upper bound)",
                  270.0: " (W2−W3 an upper bound)"}.get(angle, " (bounded by limits)")
        points["x"].append(round(c23, 3))
        points["y"].append(round(c12, 3))
        points["angle"].append(angle)
        points["selected"].append(row.get("key") == selected)
        points["text"].append(f"{escape(str(row.get('designation') or 'no designation'))}<br>W1−W2 {c12:.3f}, "
                              f"W2−W3 {c23:.3f}{bounds}<br>{escape(str(row.get(CLASS_COLUMN) or '—'))}")
    data = _regions() + _point_traces(points)
    title = "W1−W2 against W2−W3 (catalog profile fit, Vega)"
    note = f"{left_out} source(s) without a W1, W2 or W3 measurement not drawn" if left_out else ""
    return {"data": data, "layout": base_layout(
        430, margin=dict(l=70, r=20, t=40, b=40), title=dict(text=title, font=dict(size=14)),
        xaxis=dict(AXIS, title=dict(text="W2−W3 (mag)"), range=list(X_SPAN)),
        yaxis=dict(AXIS, title=dict(text="W1−W2 (mag)"), range=[-0.6, 2.2]),
        legend=dict(orientation="h", yref="container", y=0, yanchor="bottom", x=0, font=dict(size=11)),
        annotations=[dict(text=note, xref="paper", yref="paper", x=0, y=1, yanchor="bottom", showarrow=False,
                          font=dict(size=11, color="#666"))] if note else [])}


def _point_traces(points: dict[str, list]) -> list[dict[str, Any]]:
    """Detections as circles, colours bounded by a limit as arrows; the selected source larger."""
    traces = []
    for name, is_limit in (("sources", False), ("colours bounded by a 95% limit (arrow: allowed side)", True)):
        index = [i for i, a in enumerate(points["angle"]) if (a is not None) == is_limit]
        if not index:
            continue
        traces.append(dict(
            type="scatter", mode="markers", name=name, x=[points["x"][i] for i in index],
            y=[points["y"][i] for i in index], hovertext=[points["text"][i] for i in index], hoverinfo="text",
            marker=dict(symbol="arrow" if is_limit else "circle",
                        angle=[points["angle"][i] or 0 for i in index] if is_limit else 0,
                        size=[16 if points["selected"][i] else 10 for i in index], color="#1f2937",
                        line=dict(width=[2 if points["selected"][i] else 0.5 for i in index], color="#f59e0b"))))
    return traces
