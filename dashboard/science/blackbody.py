"""The Planck function seen through the WISE bands: colour corrections, and a blackbody's
temperature from two bands. One module for the SED's blackbody fit and the dust echo's
temperature per visit.

WISE quotes a flux density at each band's isophotal wavelength for a reference spectrum
F_ν ∝ ν⁻²; a source of another spectrum has a true flux density F_ν(ν*) = F_quoted / f_c, with
(Wright et al. 2010, AJ 140, 1868, eq. 1; Explanatory Supplement sec. IV.4.h.vi)

    f_c = ∫ [F_ν(ν) / F_ν(ν*)] (ν/ν*)⁻¹ R(ν) dν  /  ∫ (ν/ν*)⁻³ R(ν) dν,

R the band's relative spectral response (Wright et al. 2010, Fig. 6; the curves speclite ships
as ``wise2010-W1`` … ``W4``) and ν* its isophotal frequency. For a power law F_ν ∝ ν^−α this gives
the Supplement's Table 1 (``photometry.COLOUR_CORRECTIONS``, the ``alpha`` option of the SED:
tested equal to 2e-4); for a blackbody B_ν(T) it gives the Supplement's blackbody rows
(800 K: W1 0.9884, W2 0.9853). The ``alpha`` option and the blackbody fit are the same
correction for two spectral shapes.

A temperature from two bands (``temperature_from_ratio``): the ratio of the corrected flux
densities equals the ratio of B_ν at the two isophotal frequencies; f_c depends on T, so the
two are iterated to consistency (a fixed point, converged to 1e-6 in T within a few steps).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from dashboard.science.photometry import BANDS

H = 6.62607015e-34  # J s
C = 2.99792458e8  # m / s
K_B = 1.380649e-23  # J / K
SIGMA_SB = 5.670374419e-8  # W m^-2 K^-4
#: Temperatures the fit may return (K): below 100 K W1 holds no blackbody light to speak of;
#: dust sublimates near 2000 K, and above 10^5 K W1/W2 sit on the Rayleigh-Jeans tail.
T_RANGE = (100.0, 1.0e5)


def planck_nu(nu_hz: np.ndarray | float, temperature_k: float) -> np.ndarray:
    """B_ν(T) in W m⁻² Hz⁻¹ sr⁻¹."""
    nu = np.asarray(nu_hz, dtype=float)
    return 2 * H * nu ** 3 / C ** 2 / np.expm1(H * nu / (K_B * temperature_k))


def isophotal_hz(band: str) -> float:
    return C / (BANDS[band].wavelength_um * 1e-6)


@functools.cache
def response(band: str) -> tuple[np.ndarray, np.ndarray]:
    """The band's relative spectral response (Wright et al. 2010) on a frequency grid, ascending."""
    from speclite.filters import load_filter  # loads its ECSV curves on first use

    curve = load_filter(f"wise2010-{band}")
    nu = C / (np.asarray(curve.wavelength, dtype=float) * 1e-10)  # speclite's wavelengths are in Angstrom
    order = np.argsort(nu)
    return nu[order], np.asarray(curve.response, dtype=float)[order]


def _norm(band: str) -> float:
    nu, r = response(band)
    return float(np.trapezoid((nu / isophotal_hz(band)) ** -3 * r, nu))


def colour_correction_power_law(band: str, alpha: float) -> float:
    """f_c of F_ν ∝ ν^−α (the Supplement's Table 1 for α = −3 … 4)."""
    nu, r = response(band)
    x = nu / isophotal_hz(band)
    return float(np.trapezoid(x ** (-alpha - 1) * r, nu)) / _norm(band)


def colour_correction_blackbody(band: str, temperature_k: float) -> float:
    """f_c of B_ν(T)."""
    nu, r = response(band)
    nu0 = isophotal_hz(band)
    shape = planck_nu(nu, temperature_k) / planck_nu(nu0, temperature_k)
    return float(np.trapezoid(shape * (nu / nu0) ** -1 * r, nu)) / _norm(band)


def corrected(flux: float, band: str, temperature_k: float, corrections: bool = True) -> float:
    """The flux density at the band's isophotal frequency for a blackbody of this temperature."""
    return flux / colour_correction_blackbody(band, temperature_k) if corrections else flux


def _ratio_temperature(ratio: float, blue: str, red: str) -> float | None:
    """T with B_ν(ν_red, T) / B_ν(ν_blue, T) = ratio (no colour correction); None out of range."""
    nu_b, nu_r = isophotal_hz(blue), isophotal_hz(red)

    def gap(log_t: float) -> float:
        t = math.exp(log_t)
        return math.log(float(planck_nu(nu_r, t) / planck_nu(nu_b, t))) - math.log(ratio)

    lo, hi = math.log(T_RANGE[0]), math.log(T_RANGE[1])
    if ratio <= 0 or gap(lo) * gap(hi) > 0:
        return None
    return math.exp(brentq(gap, lo, hi, xtol=1e-10))


def temperature_from_ratio(flux_blue: float, flux_red: float, blue: str = "W1", red: str = "W2",
                           corrections: bool = True) -> float | None:
    """The blackbody temperature whose B_ν ratio at the two isophotal frequencies equals that of
    the flux densities (as WISE quotes them), colour-corrected for the blackbody itself when
    ``corrections`` (iterated to consistency). None when the ratio allows no temperature in
    ``T_RANGE`` (bluer than the Rayleigh-Jeans limit, or a flux not positive)."""
    if not (flux_blue > 0 and flux_red > 0):
        return None
    t = _ratio_temperature(flux_red / flux_blue, blue, red)
    for _ in range(50) if corrections else ():
        if t is None:
            return None
        ratio = corrected(flux_red, red, t) / corrected(flux_blue, blue, t)
        new = _ratio_temperature(ratio, blue, red)
        if new is None or abs(new - t) < 1e-6 * t:
            return new
        t = new
    return t


@dataclass(frozen=True)
class Blackbody:
    """A blackbody sphere seen at an angular-diameter distance: its solid angle from one band."""

    temperature_k: float
    solid_angle_sr: float

    @classmethod
    def through(cls, flux_jy: float, band: str, temperature_k: float, corrections: bool = True) -> Blackbody:
        """The blackbody of this temperature that gives ``flux_jy`` in ``band`` (as WISE quotes it)."""
        true_flux = corrected(flux_jy, band, temperature_k, corrections) * 1e-26  # Jy -> W m^-2 Hz^-1
        return cls(temperature_k, true_flux / float(planck_nu(isophotal_hz(band), temperature_k)))

    def radius_m(self, angular_diameter_distance_m: float) -> float:
        """R from Ω = π R² / D_A² (a sphere)."""
        return angular_diameter_distance_m * math.sqrt(self.solid_angle_sr / math.pi)
