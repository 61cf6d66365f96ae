"""Is the light curve variable? Per band statistics of the visit fluxes, one definition for the
page, the CLI and the bundle's manifest.

* ``chi2_red``: chi^2 of the visit fluxes about their error-weighted mean, over n - 1.
* ``p_constant``: probability of a chi^2 at least this large if the source were constant
  (chi^2 survival function, n - 1 degrees of freedom).
* ``amplitude_mag``: brightest to faintest visit magnitude.
* ``fvar``, ``fvar_err``: fractional variability amplitude, F_var = sqrt((S^2 - <sigma^2>) / xbar^2),
  and its error, eq. (10) and (B2) of Vaughan et al. 2003, MNRAS 345, 1271. None where the
  scatter does not exceed the errors (S^2 <= <sigma^2>): no excess variance to measure.
Visits that are upper limits are left out of all of them.

Error floor (``error_floor``): WISE single-exposure uncertainties understate the real scatter, so
chi^2 against a constant calls too many sources variable. The floor is measured from the data: a
source does not vary within a ~1-day visit, so within visits the exposures' scatter about their
visit median should match their quoted errors. With r_i the residual of exposure i from its
visit's median magnitude and sigma_i its quoted error, the floor s (mag) solves
sum_i r_i^2 / (sigma_i^2 + s^2) = N - V (N exposures in V visits with at least
``FLOOR_MIN_PER_VISIT`` each): the extra variance ("jitter") added in quadrature that makes the
within-visit chi^2 per degree of freedom one (the intrinsic-scatter model of e.g. Hogg, Bovy &
Lang 2010, arXiv:1008.4686). s = 0 when the quoted errors already explain the scatter. Each
visit's flux error then becomes sqrt(sigma_visit^2 + (F ln10/2.5 s)^2 / n_used), and
``chi2_red_floor`` and ``p_constant_floor`` are the statistics above with those errors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .distributions import chi2_sf

#: Fewest exposures a visit needs to count towards the error floor (its median must be meaningful).
FLOOR_MIN_PER_VISIT = 3


@dataclass(frozen=True)
class BandStats:
    n_visits: int
    amplitude_mag: float | None
    chi2_red: float | None
    p_constant: float | None
    fvar: float | None
    fvar_err: float | None
    error_floor_mag: float | None = None
    chi2_red_floor: float | None = None
    p_constant_floor: float | None = None


def band_stats(flux: np.ndarray, flux_err: np.ndarray, mag: np.ndarray) -> BandStats:
    ok = np.isfinite(flux) & np.isfinite(flux_err) & (flux_err > 0)
    f, e = flux[ok], flux_err[ok]
    n = len(f)
    finite_mag = mag[np.isfinite(mag)]
    amplitude = float(finite_mag.max() - finite_mag.min()) if len(finite_mag) >= 2 else None
    if n < 2:
        return BandStats(len(flux), amplitude, None, None, None, None)
    w = 1.0 / e**2
    mean = float(np.sum(w * f) / np.sum(w))
    chi2 = float(np.sum(((f - mean) / e) ** 2))
    chi2_red = chi2 / (n - 1)
    p_constant = chi2_sf(chi2, n - 1)
    xbar = float(np.mean(f))
    s2 = float(np.var(f, ddof=1))
    mse = float(np.mean(e**2))
    fvar = fvar_err = None
    if s2 > mse and xbar != 0:
        fvar = math.sqrt((s2 - mse) / xbar**2)
        fvar_err = math.sqrt((math.sqrt(1 / (2 * n)) * mse / (xbar**2 * fvar)) ** 2
                             + (math.sqrt(mse / n) / abs(xbar)) ** 2)
    return BandStats(len(flux), amplitude, chi2_red, p_constant, fvar, fvar_err)


def error_floor(visit: np.ndarray, mag: np.ndarray, mag_err: np.ndarray) -> float | None:
    """The error floor (mag) of one band's exposures grouped by ``visit`` (module docstring); None
    with no visit of ``FLOOR_MIN_PER_VISIT`` exposures."""
    ok = np.isfinite(mag) & np.isfinite(mag_err) & (mag_err > 0)
    if not ok.any():
        return None
    order = np.lexsort((mag[ok], np.asarray(visit)[ok]))  # by visit, then magnitude: medians by index
    v, m, e = np.asarray(visit)[ok][order], mag[ok][order], mag_err[ok][order]
    starts = np.flatnonzero(np.concatenate([[True], v[1:] != v[:-1]]))
    counts = np.diff(np.concatenate([starts, [len(v)]]))
    median = (m[starts + (counts - 1) // 2] + m[starts + counts // 2]) / 2
    keep = np.repeat(counts >= FLOOR_MIN_PER_VISIT, counts)
    residual, variance = (m - np.repeat(median, counts))[keep], (e**2)[keep]
    dof = len(residual) - int((counts >= FLOOR_MIN_PER_VISIT).sum())
    if not keep.any() or dof <= 0:
        return None

    def excess(s: float) -> float:
        return float(np.sum(residual**2 / (variance + s * s))) - dof

    if excess(0.0) <= 0:
        return 0.0
    low, high = 0.0, 1.0
    while excess(high) > 0 and high < 100:
        high *= 2
    for _ in range(60):  # bisection: excess falls as s grows
        mid = (low + high) / 2
        low, high = (mid, high) if excess(mid) > 0 else (low, mid)
    return (low + high) / 2


def variability(visits: pd.DataFrame, epochs: pd.DataFrame | None = None) -> dict[str, BandStats]:
    """``BandStats`` per band from the detected visits; with ``epochs`` (their exposures, with
    ``visit`` and ``outlier``), also the error floor and the statistics with it applied."""
    out: dict[str, BandStats] = {}
    if visits.empty:
        return out
    for band, group in visits[~visits["upper_limit"].astype(bool)].groupby("band"):
        flux, flux_err = group["flux_jy"].to_numpy(float), group["flux_err_jy"].to_numpy(float)
        stats = band_stats(flux, flux_err, group["mag"].to_numpy(float))
        floor = None if epochs is None else _floor_of(epochs, str(band))
        if floor is not None:
            n_used = np.maximum(group["n_used"].to_numpy(float), 1.0)
            floored_err = np.sqrt(flux_err**2 + (flux * math.log(10) / 2.5 * floor) ** 2 / n_used)
            with_floor = band_stats(flux, floored_err, group["mag"].to_numpy(float))
            stats = replace(stats, error_floor_mag=floor, chi2_red_floor=with_floor.chi2_red,
                            p_constant_floor=with_floor.p_constant)
        out[str(band)] = stats
    return out


def _floor_of(epochs: pd.DataFrame, band: str) -> float | None:
    used = ((epochs["band"].to_numpy(object) == band) & epochs["passed"].to_numpy(bool)
            & ~epochs["outlier"].to_numpy(bool) & ~epochs["upper_limit"].to_numpy(bool))
    return error_floor(epochs["visit"].to_numpy()[used], epochs["mag"].to_numpy(float)[used],
                       epochs["mag_err"].to_numpy(float)[used])


def describe(stats: dict[str, BandStats]) -> str:
    """One line per view: each band's statistics, with and without the error floor (page and CLI)."""
    parts = []
    for band, s in stats.items():
        text = f"{band}: {s.n_visits} visits"
        if s.amplitude_mag is not None:
            text += f", amplitude {s.amplitude_mag:.2f} mag"
        if s.chi2_red is not None:
            text += f", χ²_red {s.chi2_red:.1f}"
        if s.p_constant is not None:
            text += f", p(constant) {s.p_constant:.2g}"
        if s.fvar is not None and s.fvar_err is not None:
            text += f", F_var {s.fvar:.3f} ± {s.fvar_err:.3f}"
        if s.error_floor_mag is not None and s.chi2_red_floor is not None:
            text += (f"; with a {s.error_floor_mag:.3f} mag error floor (from the scatter within visits): "
                     f"χ²_red {s.chi2_red_floor:.1f}, p(constant) {s.p_constant_floor:.2g}")
        parts.append(text)
    return " · ".join(parts)
