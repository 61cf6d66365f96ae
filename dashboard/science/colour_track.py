"""The colour–magnitude track: W1 against W1−W2 per visit, its slope, and the reddening vector.

Why: a source that dims because dust moves in front of it gets redder along the reddening
vector; one whose emission changes (accretion, a dust echo heating up) follows another slope.
The slope is an error-weighted least-squares fit of W1 on W1−W2 over the visits detected in
both bands (``LightCurve.colour``), with its 1-sigma error from the fit's covariance scaled by
sqrt(chi2_red) when the scatter exceeds the errors.

Reddening: A_W1/A_V = 0.039 and A_W2/A_V = 0.026 (Wang & Chen 2019, ApJ 877, 116, Table 3), so
extinction moves a point by dW1 / d(W1−W2) = 0.039 / 0.013 = 3.0, towards fainter and redder.
Checked against two independent transcriptions of that table found through the search tool: one
gives A/A_V = 0.039, 0.026 directly; one gives A/E(G_BP−G_RP) = 0.094 (W1), 0.063 (W2), 2.394 (V),
i.e. A/A_V = 0.0393, 0.0263. The paper itself is not reachable from this machine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: A_lambda / A_V for W1 and W2 (Wang & Chen 2019; see the module docstring).
A_W1_PER_AV, A_W2_PER_AV = 0.039, 0.026
EXTINCTION_LAW = ("Wang & Chen 2019, ApJ 877, 116, Table 3: A_W1/A_V = 0.039, A_W2/A_V = 0.026 "
                  "(two independent transcriptions of Table 3 agree; the paper itself was not read)")
REDDENING_SLOPE = A_W1_PER_AV / (A_W1_PER_AV - A_W2_PER_AV)  # dW1 / d(W1-W2) along the reddening vector


@dataclass(frozen=True)
class ColourTrack:
    mjd: np.ndarray
    colour: np.ndarray  # W1 - W2 per visit
    colour_err: np.ndarray
    w1: np.ndarray
    w1_err: np.ndarray
    slope: float | None  # dW1 / d(W1 - W2)
    slope_err: float | None

    @property
    def n_visits(self) -> int:
        return len(self.mjd)

    def summary(self) -> dict[str, object]:
        return {"slope": self.slope, "slope_err": self.slope_err, "n_visits": self.n_visits,
                "reddening_slope": REDDENING_SLOPE, "extinction_law": EXTINCTION_LAW,
                "method": "weighted least squares of W1 on W1-W2 per visit (W1 errors)"}


def colour_track(colour: pd.DataFrame, visits: pd.DataFrame) -> ColourTrack:
    """From ``LightCurve.colour()`` and the visits (for W1 and its error), in time order. A
    colour's visit is looked up among the detected W1 visits by its number (a pandas join cost
    ~2 ms a view)."""
    detected_w1 = np.flatnonzero((visits["band"].to_numpy(object) == "W1") & ~visits["upper_limit"].to_numpy(bool))
    w1_row = dict(zip(visits["visit"].to_numpy(np.int64)[detected_w1].tolist(), detected_w1.tolist(), strict=True))
    rows = [w1_row.get(v, -1) for v in colour["visit"].to_numpy(np.int64).tolist()]
    found = np.array([r >= 0 for r in rows], bool)
    row = np.array([r for r in rows if r >= 0], np.int64)
    mjd = colour["mjd"].to_numpy(float)[found]
    order = np.argsort(mjd, kind="stable")
    x, xe = colour["w1_w2"].to_numpy(float)[found][order], colour["w1_w2_err"].to_numpy(float)[found][order]
    y, ye = visits["mag"].to_numpy(float)[row][order], visits["mag_err"].to_numpy(float)[row][order]
    slope, slope_err = _fit(x, y, ye)
    return ColourTrack(mjd[order], x, xe, y, ye, slope, slope_err)


def _fit(x: np.ndarray, y: np.ndarray, err: np.ndarray) -> tuple[float | None, float | None]:
    ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(err) & (err > 0)
    x, y, err = x[ok], y[ok], err[ok]
    if len(x) < 3 or np.ptp(x) == 0:
        return None, None
    w = 1.0 / err**2
    design = np.column_stack([np.ones_like(x), x])
    cov = np.linalg.inv(design.T @ (design * w[:, None]))
    intercept, slope = cov @ (design.T @ (w * y))
    chi2_red = float(np.sum(w * (y - intercept - slope * x) ** 2)) / (len(x) - 2)
    return float(slope), float(math.sqrt(cov[1, 1] * max(chi2_red, 1.0)))
