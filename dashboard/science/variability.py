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

from dashboard.science.distributions import chi2_sf
from dashboard.science.grouped import sort_within_groups

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


BANDS = ("W1", "W2")


def group_stats(group: np.ndarray, n_groups: int, flux: np.ndarray, flux_err: np.ndarray,
                mag: np.ndarray) -> dict[str, np.ndarray]:
    """The statistics above for every group (an object's band) of visits at once; NaN where a
    statistic is undefined (fewer than two usable visits, no excess variance)."""
    def total(weights: np.ndarray, where: np.ndarray) -> np.ndarray:
        return np.bincount(group[where], weights=weights[where], minlength=n_groups)

    n_visits = np.bincount(group, minlength=n_groups)
    finite_mag = np.isfinite(mag)
    brightest = np.full(n_groups, np.inf)
    faintest = np.full(n_groups, -np.inf)
    np.minimum.at(brightest, group[finite_mag], mag[finite_mag])
    np.maximum.at(faintest, group[finite_mag], mag[finite_mag])
    amplitude = np.where(np.bincount(group[finite_mag], minlength=n_groups) >= 2, faintest - brightest, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = np.isfinite(flux) & np.isfinite(flux_err) & (flux_err > 0)
        n = np.bincount(group[ok], minlength=n_groups).astype(float)
        w = np.where(ok, 1.0 / flux_err**2, 0.0)
        mean = total(w * flux, ok) / total(w, ok)
        chi2 = total(((flux - mean[group]) / flux_err) ** 2, ok)
        xbar = total(flux, ok) / n
        s2 = total((flux - xbar[group]) ** 2, ok) / (n - 1)
        mse = total(flux_err**2, ok) / n
        enough = n >= 2
        chi2_red = np.where(enough, chi2 / (n - 1), np.nan)
        excess = enough & (s2 > mse) & (xbar != 0)
        fvar = np.where(excess, np.sqrt((s2 - mse) / xbar**2), np.nan)
        fvar_err = np.where(excess, np.sqrt((np.sqrt(1 / (2 * n)) * mse / (xbar**2 * fvar)) ** 2
                                            + (np.sqrt(mse / n) / np.abs(xbar)) ** 2), np.nan)
    p_constant = np.full(n_groups, np.nan)
    for g in np.flatnonzero(enough):
        p_constant[g] = chi2_sf(float(chi2[g]), int(n[g]) - 1)
    return {"n_visits": n_visits, "amplitude_mag": amplitude, "chi2_red": chi2_red, "p_constant": p_constant,
            "fvar": fvar, "fvar_err": fvar_err}


def group_floors(group: np.ndarray, n_groups: int, visit: np.ndarray, mag: np.ndarray,
                 mag_err: np.ndarray) -> np.ndarray:
    """The error floor (mag) of every group's exposures at once (module docstring): NaN where a
    group has no visit of ``FLOOR_MIN_PER_VISIT`` exposures; solved by Newton's method, all groups
    together, each exactly as it would be alone."""
    floors = np.full(n_groups, np.nan)
    ok = np.isfinite(mag) & np.isfinite(mag_err) & (mag_err > 0)
    g, v, m, e = group[ok], np.asarray(visit)[ok], mag[ok], mag_err[ok]
    span = int(v.max()) + 1 if len(v) else 1
    order = sort_within_groups(g * span + v, m, stable=True)  # by group, visit, then magnitude: medians by index
    g, v, m, e = g[order], v[order], m[order], e[order]
    starts = np.flatnonzero(np.concatenate([[True], (g[1:] != g[:-1]) | (v[1:] != v[:-1])])) if len(g) else \
        np.zeros(0, np.int64)
    counts = np.diff(np.concatenate([starts, [len(g)]]))
    median = (m[starts + (counts - 1) // 2] + m[starts + counts // 2]) / 2
    full = counts >= FLOOR_MIN_PER_VISIT
    keep = np.repeat(full, counts)
    owner = g[keep]
    residual2, variance = ((m - np.repeat(median, counts)) ** 2)[keep], (e**2)[keep]
    dof = (np.bincount(owner, minlength=n_groups) - np.bincount(g[starts][full], minlength=n_groups)).astype(float)
    solvable = dof > 0

    # In t = s^2, f(t) = sum r^2 / (sigma^2 + t) - dof is convex and falls as t grows: Newton's
    # method from t = 0 (where f > 0) climbs to the root from below without overshooting, and
    # converges quadratically (a fixed bisection took 60 passes over every exposure).
    weight = np.zeros(n_groups)

    def terms(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        inverse = 1.0 / (variance + t[owner])
        scaled = residual2 * inverse
        return (np.bincount(owner, weights=scaled, minlength=n_groups) - dof,
                np.bincount(owner, weights=scaled * inverse, minlength=n_groups))

    value, slope = terms(weight)
    floors[solvable & (value <= 0)] = 0.0
    todo = solvable & np.isnan(floors)
    t = weight
    for _ in range(100):
        step = np.where(todo & (slope > 0), value / np.where(slope > 0, slope, 1.0), 0.0)
        t = t + np.maximum(step, 0.0)
        if not (step > 1e-15 * np.maximum(t, 1e-300)).any():
            break
        value, slope = terms(t)
    floors[todo] = np.sqrt(t[todo])
    return floors


def error_floor(visit: np.ndarray, mag: np.ndarray, mag_err: np.ndarray) -> float | None:
    """The error floor (mag) of one band's exposures grouped by ``visit`` (module docstring); None
    with no visit of ``FLOOR_MIN_PER_VISIT`` exposures."""
    return _known(group_floors(np.zeros(len(mag), np.int64), 1, visit, mag, mag_err)[0])


def variability(visits: pd.DataFrame, epochs: pd.DataFrame | None = None) -> dict[str, BandStats]:
    """``BandStats`` per band from the detected visits; with ``epochs`` (their exposures, with
    ``visit`` and ``outlier``), also the error floor and the statistics with it applied."""
    return variability_of_objects(visits, epochs).get(0, {})


def variability_of_objects(visits: pd.DataFrame, epochs: pd.DataFrame | None = None) -> dict[int, dict[str, BandStats]]:
    """``variability`` of many objects at once: visits and epochs carry an integer ``object``
    column (absent: one object, 0). Returns {object: {band: BandStats}}, bands with a detection."""
    if visits.empty:
        return {}
    detected = visits[~visits["upper_limit"].astype(bool)]
    obj = detected["object"].to_numpy(np.int64) if "object" in detected else np.zeros(len(detected), np.int64)
    n_groups = 2 * (int(obj.max()) + 1) if len(obj) else 0
    group = obj * 2 + (detected["band"].to_numpy(object) == "W2")
    flux, flux_err = detected["flux_jy"].to_numpy(float), detected["flux_err_jy"].to_numpy(float)
    mag = detected["mag"].to_numpy(float)
    found = group_stats(group, n_groups, flux, flux_err, mag)
    floors = np.full(n_groups, np.nan) if epochs is None else _floors_of(epochs, n_groups)
    n_used = np.maximum(detected["n_used"].to_numpy(float), 1.0)
    floored_err = np.sqrt(flux_err**2 + (flux * math.log(10) / 2.5 * floors[group]) ** 2 / n_used)
    with_floor = group_stats(group, n_groups, flux, floored_err, mag)
    out: dict[int, dict[str, BandStats]] = {}
    for g in np.flatnonzero(found["n_visits"]):
        stats = BandStats(int(found["n_visits"][g]), *(_known(found[k][g]) for k in _STATISTICS))
        if np.isfinite(floors[g]):
            stats = replace(stats, error_floor_mag=float(floors[g]), chi2_red_floor=_known(with_floor["chi2_red"][g]),
                            p_constant_floor=_known(with_floor["p_constant"][g]))
        out.setdefault(int(g) // 2, {})[BANDS[int(g) % 2]] = stats
    return out


_STATISTICS = ("amplitude_mag", "chi2_red", "p_constant", "fvar", "fvar_err")


def _floors_of(epochs: pd.DataFrame, n_groups: int) -> np.ndarray:
    obj = epochs["object"].to_numpy(np.int64) if "object" in epochs else np.zeros(len(epochs), np.int64)
    group = obj * 2 + (epochs["band"].to_numpy(object) == "W2")
    used = (epochs["passed"].to_numpy(bool) & ~epochs["outlier"].to_numpy(bool)
            & ~epochs["upper_limit"].to_numpy(bool) & (group < n_groups))
    group = group[used]
    return group_floors(group, n_groups, epochs["visit"].to_numpy()[used], epochs["mag"].to_numpy(float)[used],
                        epochs["mag_err"].to_numpy(float)[used])


def _known(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


#: Below this a probability is written as a bound: chi2's survival function underflows here
#: (denormal numbers, then 0), so the digits it gives carry no information.
SMALLEST_PROBABILITY = 1e-300


def probability_text(p: float | None) -> str:
    """A probability as a person reads it: "0.31", "4.2e-12", or "< 1e-300" (never "0" or "2.8e-316")."""
    if p is None or not np.isfinite(p):
        return "not computed"
    return f"< {SMALLEST_PROBABILITY:.0e}" if p < SMALLEST_PROBABILITY else f"{p:.2g}"


def describe(stats: dict[str, BandStats]) -> str:
    """One line per view: each band's statistics, with and without the error floor (page and CLI)."""
    parts = []
    for band, s in stats.items():
        text = f"{band}: {s.n_visits} visits"
        if s.amplitude_mag is not None:
            text += f", peak-to-peak of the visit medians {s.amplitude_mag:.2f} mag"
        if s.chi2_red is not None:
            text += f", χ²_red {s.chi2_red:.1f}"
        if s.p_constant is not None:
            text += f", p(constant) {probability_text(s.p_constant)}"
        if s.fvar is not None and s.fvar_err is not None:
            text += f", F_var {s.fvar:.3f} ± {s.fvar_err:.3f}"
        if s.error_floor_mag is not None and s.chi2_red_floor is not None:
            text += (f"; with a {s.error_floor_mag:.3f} mag error floor (from the scatter within visits): "
                     f"χ²_red {s.chi2_red_floor:.1f}, p(constant) {probability_text(s.p_constant_floor)}")
        parts.append(text)
    return " · ".join(parts)
