"""Periodogram time per band at 10^3, 10^4 and 10^5 epochs, against astropy's LombScargle.

Epochs: AT2019dsg's real W1 exposure times (20 visits, 2010-2024) DENSIFIED: each visit gets
more exposures at times drawn uniformly within that visit's own real span, so the baseline and
the visit pattern stay the real ones (never stretched in time) and only the exposures per visit
grow, as near the ecliptic poles. Magnitudes: a sinusoid (P = 3.7 d) plus noise at the real
median error; the periodogram must find it.

Timed: ``periodogram.periodogram`` (power, spectral window, Baluev FAP, peak width: what the
page and the bundle compute) and, for comparison, astropy's ``LombScargle.power`` on the same
grid with its fast method. Goal (issue 16): <= 0.2 s at 10^4 on this machine.

Run: python benchmarks/periodogram.py
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from _common import timed
from dashboard.pipeline import observe, view
from dashboard.science import periodogram as pg
from dashboard.science.analysis import AnalysisParams

SIZES = (1_000, 10_000, 100_000)
PERIOD_D = 3.7


def real_w1_epochs() -> pd.DataFrame:
    from dataclasses import replace

    from dashboard.config import Settings

    shown = view(observe("AT2019dsg", 2.5, replace(Settings(), offline=True)), AnalysisParams())
    return pg.usable_epochs(shown.lightcurve.epochs, "W1")


def densified(real: pd.DataFrame, n: int, seed: int = 3) -> pd.DataFrame:
    """``n`` W1 epochs inside the real visits' time spans (see the module docstring)."""
    rng = np.random.default_rng(seed)
    spans = real.groupby("visit")["mjd"].agg(["min", "max"])
    spans["max"] = np.maximum(spans["max"], spans["min"] + 0.05)  # a one-exposure visit: its own orbit
    pick = rng.integers(0, len(spans), n)
    t = np.sort(rng.uniform(spans["min"].to_numpy()[pick], spans["max"].to_numpy()[pick]))
    err = float(real["mag_err"].median())
    mag = 13.0 + 0.1 * np.sin(2 * np.pi * t / PERIOD_D) + rng.normal(0, err, n)
    return pd.DataFrame({"mjd": t, "band": "W1", "mag": mag, "mag_err": err, "passed": True, "outlier": False,
                         "upper_limit": False})


def main() -> dict[str, float]:
    from astropy.timeseries import LombScargle

    real = real_w1_epochs()
    print(f"real W1 epochs: {len(real)} in {real['visit'].nunique()} visits, "
          f"MJD {real['mjd'].min():.1f}-{real['mjd'].max():.1f}")
    pg.periodogram(densified(real, 1000), "W1")  # warm-up: imports, FFT plans
    results: dict[str, float] = {}
    for n in SIZES:
        epochs = densified(real, n)
        found = pg.periodogram(epochs, "W1")
        assert found is not None and abs(found.best_period_d - PERIOD_D) < 3 * found.best_period_err_d + 1e-3
        ours = timed(lambda e=epochs: pg.periodogram(e, "W1"))
        grid = found.grid
        ls = LombScargle(epochs["mjd"], epochs["mag"], epochs["mag_err"])
        theirs = timed(lambda ls=ls, f=grid.frequencies(): ls.power(f, method="fast", assume_regular_frequency=True),
                       repeat=1)
        print(f"{n:>7} epochs, {grid.n} frequencies: periodogram (power + window + FAP) {ours:.3f} s; "
              f"astropy LombScargle power alone {theirs:.3f} s; best period {found.best_period_d:.4f} d")
        results[f"periodogram_s_{n:.0e}".replace("+0", "")] = ours
    return results


if __name__ == "__main__":
    main()
