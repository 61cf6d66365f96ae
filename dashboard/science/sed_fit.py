"""What the SED's shape says: the infrared spectral index and a blackbody fit.

**Spectral index** (Lada 1987; Greene et al. 1994, ApJ 434, 614): α = d log(λF_λ) / d log λ,
fitted by weighted least squares over the detections of the bands named (upper limits never
enter), σ(log λF_λ) = σ_F / (F ln 10). λF_λ = νF_ν, so log(λF_λ) is log(F_ν) + log(c/λ): fitting
log F_λ instead would give α − 1 (a slip seen in public code; ``tests/test_sed_fit.py`` sets
power laws and gets their α back). The default range is Ks to W3 (2.2–12 µm, the closest the
catalog comes to Greene et al.'s 2–10 µm); Ks to W4 is given beside it. Without 2MASS in the
SED the range starts at W1, and the bands used are always named. Greene et al.'s classes:
I α ≥ 0.3; flat −0.3 ≤ α < 0.3; II −1.6 ≤ α < −0.3; III α < −1.6 (meant for point sources:
young stars, not galaxies).

**Blackbody fit**: F_ν(quoted) = Ω B_ν(ν*, T) f_c(T) at each band's isophotal frequency ν*,
with the WISE colour correction for a blackbody f_c (``blackbody.py``, read from its tabulated
speed path ``blackbody_table.colour_corrections``; 1 for bands without one), by least squares:
for each T the best Ω is linear, and T minimises χ² (a grid in log T, refined); its uncertainty
is where χ² rises by 1, widened by √(χ²/dof) when the fit is worse than the errors allow (a
blackbody is rarely the whole story). At least three detections are needed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar

from dashboard.science.blackbody import T_RANGE, planck_nu
from dashboard.science.blackbody_table import colour_corrections

C_UM_HZ = 2.99792458e14
#: Greene et al. 1994's class boundaries in α.
GREENE_CLASSES = ((0.3, "I"), (-0.3, "flat"), (-1.6, "II"))
DEFAULT_INDEX_BANDS = ("Ks", "W1", "W2", "W3")
WIDE_INDEX_BANDS = ("Ks", "W1", "W2", "W3", "W4")
WISE = ("W1", "W2", "W3", "W4")


def detections(sed: pd.DataFrame, bands: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The SED rows that are measured detections with a positive flux and error (never a limit)."""
    if sed.empty:
        return sed
    keep = sed["measured"].astype(bool) & ~sed["upper_limit"].astype(bool)
    keep &= np.isfinite(sed["flux_jy"].to_numpy(float)) & (sed["flux_jy"].to_numpy(float) > 0)
    keep &= np.isfinite(sed["flux_err_jy"].to_numpy(float)) & (sed["flux_err_jy"].to_numpy(float) > 0)
    if "passed" in sed:
        keep &= sed["passed"].astype(bool)
    rows = sed[keep]
    return rows[rows["band"].isin(bands)] if bands is not None else rows


@dataclass(frozen=True)
class SpectralIndex:
    alpha: float
    alpha_err: float
    bands: tuple[str, ...]
    greene_class: str

    def text(self) -> str:
        return (f"α = {self.alpha:+.2f} ± {self.alpha_err:.2f} ({self.bands[0]}–{self.bands[-1]}: "
                f"{', '.join(self.bands)}); Greene class {self.greene_class}")


def greene_class(alpha: float) -> str:
    return next((name for bound, name in GREENE_CLASSES if alpha >= bound), "III")


def spectral_index(sed: pd.DataFrame, bands: tuple[str, ...] = DEFAULT_INDEX_BANDS) -> SpectralIndex | str:
    """α over the detections of ``bands``, or why there is none (fewer than two detections)."""
    rows = detections(sed, bands)
    if len(rows) < 2:
        return f"no spectral index over {', '.join(bands)}: {len(rows)} detection(s), two are needed"
    lam = rows["wavelength_um"].to_numpy(float)
    flux = rows["flux_jy"].to_numpy(float)
    x = np.log10(lam)
    y = np.log10(flux * C_UM_HZ / lam)  # log(nu F_nu) = log(lambda F_lambda), up to a constant
    sigma = rows["flux_err_jy"].to_numpy(float) / (flux * math.log(10))
    w = 1.0 / sigma ** 2
    design = np.vstack([x, np.ones_like(x)]).T
    cov = np.linalg.inv(design.T @ (design * w[:, None]))
    slope = float((cov @ (design.T @ (w * y)))[0])
    return SpectralIndex(slope, float(math.sqrt(cov[0, 0])), tuple(rows["band"]), greene_class(slope))


@dataclass(frozen=True)
class BlackbodyFit:
    temperature_k: float
    temperature_err_k: float
    solid_angle_sr: float
    chi2: float
    dof: int
    bands: tuple[str, ...]

    def model_jy(self, wavelength_um: np.ndarray) -> np.ndarray:
        """The fitted blackbody's F_ν (Jy) at these wavelengths (no colour correction: the true curve)."""
        return self.solid_angle_sr * planck_nu(C_UM_HZ / np.asarray(wavelength_um, float), self.temperature_k) / 1e-26

    def text(self) -> str:
        return (f"blackbody T = {self.temperature_k:.0f} ± {self.temperature_err_k:.0f} K, χ² = {self.chi2:.1f} "
                f"for {self.dof} degree(s) of freedom ({', '.join(self.bands)})")


def _chi2_at(log_t: float, nu: np.ndarray, flux: np.ndarray, err: np.ndarray, bands: list[str]) -> tuple[float, float]:
    """χ² and the best Ω at T = exp(log_t)."""
    t = math.exp(log_t)
    shape = planck_nu(nu, t) * np.array([float(colour_corrections(b, t)) if b in WISE else 1.0 for b in bands])
    shape = shape / 1e-26  # Jy per steradian
    w = 1.0 / err ** 2
    omega = float((w * shape * flux).sum() / (w * shape ** 2).sum())
    return float((w * (flux - omega * shape) ** 2).sum()), omega


def fit_blackbody(sed: pd.DataFrame, bands: tuple[str, ...] | None = None) -> BlackbodyFit | str:
    """The blackbody through the detections of ``bands`` (all detections when None), or why none."""
    rows = detections(sed, bands)
    if len(rows) < 3:
        return f"no blackbody fit: {len(rows)} detection(s) in the bands chosen; at least three are needed"
    nu = C_UM_HZ / rows["wavelength_um"].to_numpy(float)
    flux, err = rows["flux_jy"].to_numpy(float), rows["flux_err_jy"].to_numpy(float)
    names = list(rows["band"])
    grid = np.linspace(math.log(T_RANGE[0]), math.log(T_RANGE[1]), 120)
    chi = [_chi2_at(g, nu, flux, err, names)[0] for g in grid]
    best = int(np.argmin(chi))
    low, high = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    found = minimize_scalar(lambda g: _chi2_at(g, nu, flux, err, names)[0], bounds=(low, high), method="bounded",
                            options={"xatol": 1e-7})
    log_t = float(found.x)
    chi2, omega = _chi2_at(log_t, nu, flux, err, names)
    dof = len(rows) - 2
    # a fit worse than the errors allow (chi2 per degree of freedom above 1) widens its error by sqrt(chi2/dof)
    scale = math.sqrt(max(1.0, chi2 / dof)) if dof > 0 else 1.0
    return BlackbodyFit(math.exp(log_t), _t_error(log_t, chi2, nu, flux, err, names) * scale, omega, chi2, dof,
                        tuple(names))


def _t_error(log_t: float, chi2: float, nu: np.ndarray, flux: np.ndarray, err: np.ndarray, names: list[str]) -> float:
    """Half the width of the T interval where χ² is within 1 of its minimum (Ω refitted)."""
    def rise(g: float) -> float:
        return _chi2_at(g, nu, flux, err, names)[0] - chi2 - 1.0

    edges = []
    for direction in (-1, 1):
        step, g = 1e-4, log_t
        while abs(g - log_t) < 5 and rise(g + direction * step) < 0:
            step *= 2
        g = log_t + direction * step
        lo, hi = sorted((log_t, g))
        for _ in range(60):  # bisection on the crossing
            mid = (lo + hi) / 2
            inside = rise(mid) < 0
            if direction > 0:
                lo, hi = (mid, hi) if inside else (lo, mid)
            else:
                lo, hi = (lo, mid) if inside else (mid, hi)
        edges.append(math.exp((lo + hi) / 2))
    return (edges[1] - edges[0]) / 2


@dataclass(frozen=True)
class SedShape:
    """What the page, the manifest and ``fetch`` say of the SED's shape: each a result or why none."""

    index: SpectralIndex | str
    index_wide: SpectralIndex | str
    blackbody: BlackbodyFit | str
    fit_bands: tuple[str, ...] | None

    def lines(self) -> list[str]:
        return [x if isinstance(x, str) else x.text() for x in (self.index, self.index_wide, self.blackbody)]

    def manifest_entry(self) -> dict[str, object]:
        def entry(x: SpectralIndex | BlackbodyFit | str) -> object:
            return {"none": x} if isinstance(x, str) else {**x.__dict__, "bands": list(x.bands)}

        return {"spectral_index": entry(self.index), "spectral_index_wide": entry(self.index_wide),
                "blackbody": entry(self.blackbody), "fit_bands": list(self.fit_bands) if self.fit_bands else "every "
                "detection", "method": "alpha = d log(lambda F_lambda) / d log lambda by weighted least squares over "
                "detections (Greene et al. 1994 classes); blackbody F_nu = Omega B_nu(T) f_c(T) by least squares "
                "(WISE colour corrections for a blackbody, Wright et al. 2010 response curves)"}


def sed_shape(sed: pd.DataFrame, fit_bands: tuple[str, ...] | None = None) -> SedShape:
    index = spectral_index(sed, DEFAULT_INDEX_BANDS)
    wide = spectral_index(sed, WIDE_INDEX_BANDS)
    return SedShape(index, wide, fit_blackbody(sed, fit_bands), fit_bands)
