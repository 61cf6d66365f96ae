"""The blackbody through the WISE bands (``science/blackbody.py``): colour corrections computed
from the bands' response curves reproduce the Explanatory Supplement's tables, and a blackbody's
temperature comes back from its own W1/W2 fluxes. Blackbodies here are CONSTRUCTED."""

from __future__ import annotations

import pytest

from dashboard.science.blackbody import (
    Blackbody,
    colour_correction_blackbody,
    colour_correction_power_law,
    isophotal_hz,
    planck_nu,
    temperature_from_ratio,
)
from dashboard.science.photometry import COLOUR_CORRECTIONS


@pytest.mark.parametrize("alpha", sorted(COLOUR_CORRECTIONS))
def test_power_law_corrections_from_the_response_curves_are_the_supplements_table(alpha):
    """The ``alpha`` option's table (ES IV.4.h.vi Table 1, transcribed) recomputed from the curves."""
    for i, band in enumerate(("W1", "W2", "W3", "W4")):
        assert colour_correction_power_law(band, alpha) == pytest.approx(COLOUR_CORRECTIONS[alpha][i], abs=2.5e-4)


def test_the_reference_spectrum_needs_no_correction():
    for band in ("W1", "W2", "W3", "W4"):
        assert colour_correction_power_law(band, 2) == pytest.approx(1.0, abs=1e-12)


def test_blackbody_corrections_at_800_k_are_the_supplements():
    """ES IV.4.h.vi, blackbody rows: 800 K gives W1 0.9884, W2 0.9853."""
    assert colour_correction_blackbody("W1", 800.0) == pytest.approx(0.9884, abs=1e-4)
    assert colour_correction_blackbody("W2", 800.0) == pytest.approx(0.9853, abs=1e-4)


@pytest.mark.parametrize("temperature", [300.0, 800.0, 1500.0, 2500.0])
def test_a_blackbodys_temperature_comes_back_from_its_w1_w2_fluxes(temperature):
    """CONSTRUCTED: the fluxes WISE would quote for a blackbody (B_ν at ν* times f_c(T))."""
    quoted = {b: float(planck_nu(isophotal_hz(b), temperature)) * colour_correction_blackbody(b, temperature)
              for b in ("W1", "W2")}
    assert temperature_from_ratio(quoted["W1"], quoted["W2"]) == pytest.approx(temperature, rel=1e-5)
    # without the correction the answer is off by what the correction is worth
    plain = temperature_from_ratio(quoted["W1"], quoted["W2"], corrections=False)
    assert plain != pytest.approx(temperature, rel=1e-4)


def test_corrections_on_and_off_differ_as_the_table_says():
    """CONSTRUCTED at 800 K: the W2/W1 ratio quoted is the true one times 0.9853/0.9884; reading
    it without the correction gives a temperature for that ratio, not for the true one."""
    true = {b: float(planck_nu(isophotal_hz(b), 800.0)) for b in ("W1", "W2")}
    off = temperature_from_ratio(true["W1"] * 0.9884, true["W2"] * 0.9853, corrections=False)
    on = temperature_from_ratio(true["W1"] * 0.9884, true["W2"] * 0.9853)
    assert on == pytest.approx(800.0, rel=1e-3) and off > 800.0  # a slightly bluer ratio reads hotter


def test_no_temperature_for_a_ratio_bluer_than_any_blackbody_or_a_negative_flux():
    assert temperature_from_ratio(1.0, 0.1) is None  # W2/W1 = 0.1: bluer than Rayleigh-Jeans allows in W1/W2
    assert temperature_from_ratio(-1.0, 2.0) is None


def test_a_blackbodys_radius_from_its_flux():
    """CONSTRUCTED: a 1000 K sphere of 0.1 pc at 100 Mpc (angular-diameter distance)."""
    pc = 3.0856775814913673e16
    radius, distance, t = 0.1 * pc, 100e6 * pc, 1000.0
    omega = 3.141592653589793 * radius ** 2 / distance ** 2
    quoted = float(planck_nu(isophotal_hz("W1"), t)) * omega * colour_correction_blackbody("W1", t) / 1e-26
    assert Blackbody.through(quoted, "W1", t).radius_m(distance) == pytest.approx(radius, rel=1e-9)


def test_the_tabulated_corrections_equal_the_plain_integral():
    """The speed path (``blackbody_table.colour_corrections``) against the integral, off the grid."""
    import numpy as np

    from dashboard.science.blackbody_table import colour_corrections

    for band in ("W1", "W2", "W3", "W4"):
        for t in np.geomspace(120.0, 9e4, 37):
            assert float(colour_corrections(band, t)) == pytest.approx(colour_correction_blackbody(band, t), rel=1e-5)
