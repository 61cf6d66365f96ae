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
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .distributions import chi2_sf


@dataclass(frozen=True)
class BandStats:
    n_visits: int
    amplitude_mag: float | None
    chi2_red: float | None
    p_constant: float | None
    fvar: float | None
    fvar_err: float | None


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


def variability(visits: pd.DataFrame) -> dict[str, BandStats]:
    """``BandStats`` per band from the detected visits."""
    out: dict[str, BandStats] = {}
    if visits.empty:
        return out
    for band, group in visits[~visits["upper_limit"].astype(bool)].groupby("band"):
        out[str(band)] = band_stats(group["flux_jy"].to_numpy(float), group["flux_err_jy"].to_numpy(float),
                                    group["mag"].to_numpy(float))
    return out
