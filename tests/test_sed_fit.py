"""The SED's spectral index and blackbody fit (``science/sed_fit.py``): CONSTRUCTED power laws and
blackbodies whose α and T are set, and real SEDs of the demo archive."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.science.blackbody import colour_correction_blackbody, planck_nu
from dashboard.science.photometry import BANDS
from dashboard.science.sed_fit import C_UM_HZ, fit_blackbody, greene_class, spectral_index

#: 2MASS Ks beside the WISE bands (Cohen et al. 2003: isophotal wavelength 2.159 um).
WAVELENGTHS = {"Ks": 2.159, **{b: BANDS[b].wavelength_um for b in BANDS}}


def sed_of(flux: dict[str, float], rel_err: float = 0.02, limits: tuple[str, ...] = ()) -> pd.DataFrame:
    """CONSTRUCTED: an SED table with these flux densities (Jy)."""
    return pd.DataFrame([{"band": b, "wavelength_um": WAVELENGTHS[b], "flux_jy": f, "flux_err_jy": f * rel_err,
                          "measured": True, "upper_limit": b in limits, "passed": True} for b, f in flux.items()])


@pytest.mark.parametrize("alpha", [-2.0, -1.0, -0.3, 0.0, 0.5, 1.5])
def test_a_power_law_gives_back_its_alpha(alpha):
    """lambda F_lambda ~ lambda^alpha, i.e. F_nu ~ lambda^(alpha + 1): the fit returns alpha, not alpha - 1."""
    flux = {b: 0.01 * (WAVELENGTHS[b] / 3.0) ** (alpha + 1) for b in ("Ks", "W1", "W2", "W3")}
    found = spectral_index(sed_of(flux))
    assert found.alpha == pytest.approx(alpha, abs=1e-9) and found.bands == ("Ks", "W1", "W2", "W3")
    assert found.alpha_err > 0


def test_limits_never_enter_and_too_few_detections_say_so():
    flux = {b: 0.01 * (WAVELENGTHS[b] / 3.0) for b in ("Ks", "W1", "W2", "W3")}
    flux["W3"] = 100.0  # a wild value, but a limit: left out
    assert spectral_index(sed_of(flux, limits=("W3",))).alpha == pytest.approx(0.0, abs=1e-9)
    assert "two are needed" in spectral_index(sed_of({"W1": 1.0}))


@pytest.mark.parametrize("alpha, name", [(0.3, "I"), (0.29, "flat"), (-0.3, "flat"), (-0.31, "II"), (-1.6, "II"),
                                         (-1.61, "III")])
def test_greene_classes_at_their_boundaries(alpha, name):
    assert greene_class(alpha) == name


@pytest.mark.parametrize("temperature", [400.0, 900.0, 3000.0])
def test_a_blackbody_gives_back_its_temperature(temperature):
    """CONSTRUCTED: the fluxes WISE would quote (B_nu through the colour correction), Ks without one."""
    omega = 1e-16
    flux = {b: omega * float(planck_nu(C_UM_HZ / WAVELENGTHS[b], temperature)) / 1e-26
            * (colour_correction_blackbody(b, temperature) if b != "Ks" else 1.0) for b in WAVELENGTHS}
    fit = fit_blackbody(sed_of(flux, rel_err=0.01))
    assert fit.temperature_k == pytest.approx(temperature, rel=1e-4)
    assert fit.solid_angle_sr == pytest.approx(omega, rel=1e-3) and fit.chi2 < 1e-6
    assert 0 < fit.temperature_err_k < 0.1 * temperature


def test_a_fit_needs_three_points():
    assert "at least three" in fit_blackbody(sed_of({"W1": 1.0, "W2": 0.8}))


def test_real_seds_a_falling_host_and_a_rising_ulirg(offline_view):
    """Real AllWISE/All-Sky rows. ASASSN-14li's host: W1 1.846, W2 1.036, W3 0.358 mJy, falling as
    a stellar population's Rayleigh-Jeans side (by hand, W1 to W2 alone: log(0.2251/0.5505) /
    log(4.603/3.353) = -2.82): alpha < -1.6. Arp 220's nucleus rises steeply into W3 (warm dust):
    alpha > 0.3. Neither is a young star: the classes are Greene et al.'s names for the numbers."""
    host = spectral_index(offline_view("ASASSN-14li", 2.5).sed, ("W1", "W2", "W3"))
    assert -3.0 < host.alpha < -2.5 and host.greene_class == "III" and host.bands == ("W1", "W2", "W3")
    ulirg = spectral_index(offline_view("Arp 220", 60.0).sed, ("W1", "W2", "W3"))
    assert ulirg.alpha > 1.0 and ulirg.greene_class == "I"


def test_saturated_bands_read_as_limits_give_no_index(offline_view):
    """HD 199101 (a Cohen standard, real row): W1 and W2 saturated with ph_qual U, W3 no
    measurement: nothing to fit, and the answer says so."""
    assert "two are needed" in spectral_index(offline_view("HD 199101", 4.9).sed, ("W1", "W2", "W3"))
