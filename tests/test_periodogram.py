"""Periodogram and folding on real WISE sampling.

The light curves here are BUILT: the exposure times and quoted errors are AT2019dsg's real
recorded NEOWISE-R and AllWISE epochs (offline archive), the magnitudes a sinusoid of known
period plus Gaussian noise at those errors. No recording holds a periodic WISE source.
"""

from __future__ import annotations

import numpy as np
import pytest

from dashboard.science import periodogram as pg


@pytest.fixture(scope="module")
def real_epochs(offline_view):
    view = offline_view("AT2019dsg", 2.5)
    epochs = view.lightcurve.epochs
    assert len(pg.usable_epochs(epochs, "W1")) > 200  # real times: 20 visits over 2010-2024
    return epochs


def injected(epochs, period_d: float, amplitude: float = 0.15, seed: int = 7):
    """The real epochs with their W1/W2 magnitudes replaced by 13 + A sin(2 pi t / P) + noise."""
    rng = np.random.default_rng(seed)
    out = epochs.copy()
    t = out["mjd"].to_numpy(float)
    err = np.nan_to_num(out["mag_err"].to_numpy(float), nan=0.03)
    out["mag"] = 13.0 + amplitude * np.sin(2 * np.pi * t / period_d) + rng.normal(0, 1, len(t)) * err
    return out


@pytest.mark.parametrize("period_d", [0.2718, 3.7, 700.0])
def test_an_injected_period_is_recovered_on_real_wise_sampling(real_epochs, period_d):
    result = pg.periodogram(injected(real_epochs, period_d), "W1")
    assert result is not None
    assert result.best_period_d == pytest.approx(period_d, abs=max(3 * result.best_period_err_d, 1e-4))
    assert result.fap < 1e-10 and result.alias is None
    assert result.n_epochs == len(pg.usable_epochs(real_epochs, "W1"))
    assert result.grid.max_per_day == pytest.approx(1 / pg.ORBIT_DAYS)


def test_the_power_equals_astropys_lomb_scargle(real_epochs):
    from astropy.timeseries import LombScargle

    epochs = injected(real_epochs, 3.7)
    result = pg.periodogram(epochs, "W1")
    used = pg.usable_epochs(epochs, "W1")
    frequency = result.frequency_per_day
    every = slice(None, None, 997)
    reference = LombScargle(used["mjd"], used["mag"], used["mag_err"]).power(frequency[every], method="slow")
    assert np.allclose(result.power[every], reference, atol=1e-8)


def test_a_best_peak_on_a_wise_alias_is_flagged(real_epochs):
    """A one-year signal is seen at two phases a year (visits 182.6 d apart): its peak sits on the
    'one year' alias and is flagged so. (A signal at exactly the visit cadence is invisible: every
    visit sees the same phase.)"""
    result = pg.periodogram(injected(real_epochs, 365.25, amplitude=0.4), "W1")
    assert result.alias == "one year"


def test_the_spectral_window_peaks_at_wise_sampling(real_epochs):
    """The window (a constant signal at the real times) is highest at the visit cadence and its
    harmonics, never where a periodic source was injected."""
    result = pg.periodogram(injected(real_epochs, 3.7), "W1")
    top = result.frequency_per_day[int(np.argmax(result.window))]
    cadence = 1 / 182.6
    assert min(abs(top - k * cadence) for k in range(1, 4)) < 2 / (real_epochs["mjd"].max() - real_epochs["mjd"].min())


def test_folding_puts_the_injected_maximum_at_one_phase(real_epochs):
    period = 3.7
    epochs = pg.usable_epochs(injected(real_epochs, period, amplitude=0.3), "W1")
    phase = pg.fold(epochs["mjd"].to_numpy(), period, float(epochs["mjd"].iloc[0]))
    assert ((phase >= 0) & (phase < 1)).all()
    model = np.sin(2 * np.pi * epochs["mjd"].to_numpy() / period)
    faint = epochs["mag"].to_numpy() > 13.2  # near the sinusoid's maximum magnitude
    concentration = abs(np.mean(np.exp(2j * np.pi * phase[faint])))  # 1: one phase; 0: spread over the cycle
    assert concentration > 0.8 and model[faint].mean() > 0.6


def test_too_few_epochs_give_no_periodogram(real_epochs):
    assert pg.periodogram(real_epochs.head(5), "W1") is None
    assert pg.periodogram(real_epochs.iloc[0:0], "W2") is None


def test_the_same_epochs_give_the_same_digits_every_time(offline_view):
    """Same data, same bytes: FINUFFT's threads summed in a varying order, so AT2019dsg's W1
    power and FAP differed in the last digits from call to call (and so did two bundles)."""
    epochs = offline_view("AT2019dsg", 2.5).lightcurve.epochs
    found = [pg.periodogram(epochs, "W1") for _ in range(4)]
    assert all(np.array_equal(f.power, found[0].power) and np.array_equal(f.window, found[0].window)
               and f.fap == found[0].fap for f in found[1:])
