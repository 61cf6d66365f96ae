"""Lomb–Scargle periodogram and folding of the single-exposure W1/W2 magnitudes.

Why single exposures, not visits: NEOWISE samples a visit every ~1.57 h (one orbit) for about a
day, and visits come every ~6 months, so periods from hours to years are only visible in the
exposures. The epochs used are those that passed the cuts, were not visit outliers and are
detections (no upper limits).

Method (parameters named below):
* Power: the generalized (floating-mean, error-weighted) Lomb–Scargle periodogram, "standard"
  normalization (Lomb 1976; Scargle 1982; Zechmeister & Kürster 2009; VanderPlas 2018, ApJS 236,
  16), computed by nifty-ls (Garrison et al. 2024, RNAAS 8, 250), which equals astropy's
  ``LombScargle`` to ~1e-10 and is ~20x faster on WISE grids (benchmarks/periodogram.py).
* Grid: from 1/baseline to 1/``ORBIT_DAYS`` (the within-visit cadence), ``SAMPLES_PER_PEAK``
  points per peak width 1/baseline: a uniform grid in frequency.
* False-alarm probability of the highest peak: astropy's Baluev (2008, MNRAS 385, 1279) bound.
* Period uncertainty: the half width at half maximum of the best peak, in period.
* Spectral window: the same periodogram of a constant signal at the same times (no centring, no
  mean fit): where sampling alone makes peaks. WISE's known aliases (``ALIASES``) are checked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: FINUFFT threads per periodogram: one, for the same digits on every call (``periodogram``).
THREADS = 1
#: NEOWISE's orbit, the cadence of exposures within a visit (days; 94.6 min).
ORBIT_DAYS = 94.6 / 1440.0
#: Frequency samples per peak width (1/baseline).
SAMPLES_PER_PEAK = 5
#: Fewest detected exposures for a periodogram.
MIN_EPOCHS = 10
#: Frequencies (per day) where WISE's sampling puts peaks of its own.
ALIASES: dict[str, float] = {
    "WISE orbit (94.6 min)": 1.0 / ORBIT_DAYS,
    "visit cadence (182.6 d)": 1.0 / 182.6,
    "one year": 1.0 / 365.25,
}
#: Fewest cycles of the best period the baseline must hold before its FAP speaks for a period.
MIN_CYCLES = 3.0
#: A visit light curve with p(constant) below this varies: its FAP is cautioned (red noise).
VARIABLE_P = 1e-3
#: Why the caution: Baluev's FAP tests against white noise, and aperiodic (red-noise) variability
#: or a single flare gives low FAPs at spurious periods (Vaughan et al. 2016, MNRAS 461, 3145).
RED_NOISE_REFERENCE = "Vaughan et al. 2016, MNRAS 461, 3145"
#: How near (in peak widths) a best peak must be to an alias to be called one.
ALIAS_WIDTHS = 2.0
METHOD = ("generalized Lomb-Scargle, standard normalization (Zechmeister & Kuerster 2009; VanderPlas 2018, "
          "ApJS 236, 16) by nifty-ls (Garrison et al. 2024, RNAAS 8, 250); FAP: Baluev 2008, MNRAS 385, 1279 "
          "(astropy); on the single-exposure magnitudes that passed the cuts, detections only")


@dataclass(frozen=True)
class Grid:
    min_per_day: float
    max_per_day: float
    n: int

    def frequencies(self) -> np.ndarray:
        return np.linspace(self.min_per_day, self.max_per_day, self.n)


@dataclass(frozen=True)
class Periodogram:
    """One band's periodogram: power (and the spectral window) on ``grid``, and its best peak."""

    band: str
    grid: Grid
    power: np.ndarray
    window: np.ndarray
    best_period_d: float
    best_period_err_d: float
    fap: float
    n_epochs: int
    t0_mjd: float  # phase zero of a fold: the first epoch used
    alias: str | None  # the known WISE alias the best peak sits on, if any

    @property
    def frequency_per_day(self) -> np.ndarray:
        return self.grid.frequencies()

    @property
    def cycles(self) -> float:
        """How many cycles of the best period the baseline (1 / the grid's lowest frequency) holds."""
        return 1.0 / (self.grid.min_per_day * self.best_period_d)

    def red_noise_caution(self, p_constant: float | None) -> str | None:
        """Why this FAP may not mean a period, or None: fewer than ``MIN_CYCLES`` cycles in the
        baseline, or a light curve that varies (``p_constant`` < ``VARIABLE_P``), as a single flare
        (a TDE) or red noise does. The FAP assumes white noise about a constant."""
        reasons = []
        if self.cycles < MIN_CYCLES:
            reasons.append(f"the baseline holds {self.cycles:.1f} cycles of it")
        if p_constant is not None and p_constant < VARIABLE_P:
            reasons.append(f"the visits vary (p(constant) < {VARIABLE_P:g})")
        if not reasons:
            return None
        return (f"Red-noise caution: the FAP assumes white noise about a constant; here {' and '.join(reasons)}. "
                f"Aperiodic variability (a single flare such as a TDE, red noise) gives low FAPs at spurious "
                f"periods ({RED_NOISE_REFERENCE}).")

    def summary(self) -> dict[str, object]:
        """What the manifest records."""
        return {"best_period_d": self.best_period_d, "best_period_err_d": self.best_period_err_d, "fap": self.fap,
                "fap_method": "baluev", "n_epochs": self.n_epochs, "t0_mjd": self.t0_mjd, "alias": self.alias,
                "grid": {"min_per_day": self.grid.min_per_day, "max_per_day": self.grid.max_per_day,
                         "n": self.grid.n}, "method": METHOD}


def usable_epochs(epochs: pd.DataFrame, band: str) -> pd.DataFrame:
    """The band's exposures a periodogram or a fold uses: passed, not outliers, detected."""
    if epochs.empty:
        return epochs
    keep = ((epochs["band"] == band) & epochs["passed"].astype(bool) & ~epochs["outlier"].astype(bool)
            & ~epochs["upper_limit"].astype(bool) & np.isfinite(epochs["mag"].to_numpy(float))
            & np.isfinite(epochs["mag_err"].to_numpy(float)) & (epochs["mag_err"].to_numpy(float) > 0))
    return epochs[keep].sort_values("mjd", kind="stable")


def grid_for(mjd: np.ndarray) -> Grid:
    baseline = float(mjd.max() - mjd.min())
    low, high = 1.0 / baseline, 1.0 / ORBIT_DAYS
    return Grid(low, high, int(np.ceil((high - low) * SAMPLES_PER_PEAK * baseline)) + 1)


def periodogram(epochs: pd.DataFrame, band: str) -> Periodogram | None:
    """The band's periodogram, or None with fewer than ``MIN_EPOCHS`` usable exposures or no baseline."""
    import nifty_ls

    used = usable_epochs(epochs, band)
    t = used["mjd"].to_numpy(float)
    if len(t) < MIN_EPOCHS or t.max() - t.min() <= ORBIT_DAYS:
        return None
    y, dy = used["mag"].to_numpy(float), used["mag_err"].to_numpy(float)
    grid = grid_for(t)
    # one thread: FINUFFT's threads sum in an order that varies from call to call, so the same
    # epochs gave powers (and a FAP) differing in the last digits, and two bundles of one view
    # differed; on one thread it is as fast on WISE grids (74 vs 89 ms at 3.5e5 frequencies)
    power = nifty_ls.lombscargle(t, y, dy, fmin=grid.min_per_day, fmax=grid.max_per_day, Nf=grid.n,
                                 nthreads=THREADS).power
    window = nifty_ls.lombscargle(t, np.ones_like(t), None, fmin=grid.min_per_day, fmax=grid.max_per_day,
                                  Nf=grid.n, center_data=False, fit_mean=False, nthreads=THREADS).power
    best = int(np.nanargmax(power))
    frequency = grid.frequencies()
    f_best = float(frequency[best])
    return Periodogram(band=band, grid=grid, power=power, window=window, best_period_d=1.0 / f_best,
                       best_period_err_d=_half_width(frequency, power, best) / f_best**2,
                       fap=_fap(t, y, dy, float(power[best]), grid), n_epochs=len(t), t0_mjd=float(t[0]),
                       alias=_alias(f_best, float(t.max() - t.min())))


def fold(mjd: np.ndarray, period_d: float, t0_mjd: float) -> np.ndarray:
    """Phase in [0, 1) of each time at ``period_d`` from ``t0_mjd``."""
    return np.mod((np.asarray(mjd, float) - t0_mjd) / period_d, 1.0)


def _half_width(frequency: np.ndarray, power: np.ndarray, best: int) -> float:
    """Half width at half maximum of the peak at ``best`` (per day), from both sides."""
    half = power[best] / 2.0
    left = best
    while left > 0 and power[left] > half:
        left -= 1
    right = best
    while right < len(power) - 1 and power[right] > half:
        right += 1
    return float(frequency[right] - frequency[left]) / 2.0


def _fap(t: np.ndarray, y: np.ndarray, dy: np.ndarray, peak: float, grid: Grid) -> float:
    from astropy.timeseries import LombScargle

    fap = LombScargle(t, y, dy).false_alarm_probability(peak, method="baluev", minimum_frequency=grid.min_per_day,
                                                        maximum_frequency=grid.max_per_day)
    return float(np.clip(fap, 0.0, 1.0))


def _alias(f_best: float, baseline: float) -> str | None:
    """The WISE alias (or its second or third harmonic) within ``ALIAS_WIDTHS`` peak widths
    (1/baseline) of the best peak."""
    for name, f_alias in ALIASES.items():
        for k in (1, 2, 3):
            if abs(f_best - k * f_alias) <= ALIAS_WIDTHS / baseline:
                return name if k == 1 else f"{name}, harmonic {k}"
    return None
