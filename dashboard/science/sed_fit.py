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
with the WISE colour correction for a blackbody f_c (``blackbody.py``, at the nodes of its tabulated
speed path ``blackbody_table.correction_grid``; 1 for bands without one), by least squares: for
each T the best Ω is linear, and T minimises χ² (on that grid of log T, 0.17 % steps, refined by a
parabola); its uncertainty
is where χ² rises by 1, widened by √(χ²/dof) when the fit is worse than the errors allow (a
blackbody is rarely the whole story). At least three detections are needed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dashboard.science.blackbody import planck_nu
from dashboard.science.blackbody_table import correction_grid

if TYPE_CHECKING:
    from dashboard.science.infrared_excess import InfraredExcess

C_UM_HZ = 2.99792458e14
#: Greene et al. 1994's class boundaries in α.
GREENE_CLASSES = ((0.3, "I"), (-0.3, "flat"), (-1.6, "II"))
DEFAULT_INDEX_BANDS = ("Ks", "W1", "W2", "W3")
WIDE_INDEX_BANDS = ("Ks", "W1", "W2", "W3", "W4")
WISE = ("W1", "W2", "W3", "W4")


@dataclass(frozen=True)
class Points:
    """The SED's detections as arrays (a measured, unrejected band with a positive flux and
    error; never a limit), read from the table once."""

    band: np.ndarray
    wavelength_um: np.ndarray
    flux_jy: np.ndarray
    flux_err_jy: np.ndarray

    @classmethod
    def of(cls, sed: pd.DataFrame) -> Points:
        if sed.empty:
            empty = np.zeros(0)
            return cls(np.zeros(0, dtype=object), empty, empty, empty)
        flux, err = sed["flux_jy"].to_numpy(float), sed["flux_err_jy"].to_numpy(float)
        with np.errstate(invalid="ignore"):
            keep = (sed["measured"].to_numpy(bool) & ~sed["upper_limit"].to_numpy(bool) & np.isfinite(flux)
                    & (flux > 0) & np.isfinite(err) & (err > 0))
        if "passed" in sed:
            keep &= sed["passed"].to_numpy(bool)
        wavelength = sed["wavelength_um"].to_numpy(float)
        order = np.flatnonzero(keep)[np.argsort(wavelength[keep], kind="stable")]  # blue to red: "Ks–W3", never "W1–Ks"
        return cls(sed["band"].to_numpy(object)[order], wavelength[order], flux[order], err[order])

    def only(self, bands: tuple[str, ...] | None) -> Points:
        if bands is None:
            return self
        keep = np.isin(self.band, list(bands))
        return Points(self.band[keep], self.wavelength_um[keep], self.flux_jy[keep], self.flux_err_jy[keep])


def detections(sed: pd.DataFrame | Points, bands: tuple[str, ...] | None = None) -> Points:
    """The detections of ``bands`` (all when None)."""
    return (sed if isinstance(sed, Points) else Points.of(sed)).only(bands)


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


def spectral_index(sed: pd.DataFrame | Points, bands: tuple[str, ...] = DEFAULT_INDEX_BANDS) -> SpectralIndex | str:
    """α over the detections of ``bands``, or why there is none (fewer than two detections)."""
    rows = detections(sed, bands)
    if len(rows.band) < 2:
        return f"no spectral index over {', '.join(bands)}: {len(rows.band)} detection(s), two are needed"
    lam, flux = rows.wavelength_um, rows.flux_jy
    x = np.log10(lam)
    y = np.log10(flux * C_UM_HZ / lam)  # log(nu F_nu) = log(lambda F_lambda), up to a constant
    sigma = rows.flux_err_jy / (flux * math.log(10))
    w = 1.0 / sigma ** 2
    design = np.vstack([x, np.ones_like(x)]).T
    cov = np.linalg.inv(design.T @ (design * w[:, None]))
    slope = float((cov @ (design.T @ (w * y)))[0])
    return SpectralIndex(slope, float(math.sqrt(cov[0, 0])), tuple(rows.band.tolist()), greene_class(slope))


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


def chi2_curve(nu: np.ndarray, flux: np.ndarray, err: np.ndarray, bands: list[str]
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """χ² and the best Ω at every temperature of the colour-correction grid (log T), at once."""
    log_t = correction_grid("W1")[0]
    t = np.exp(log_t)[:, None]
    fc = np.column_stack([correction_grid(b)[1] if b in WISE else np.ones(len(log_t)) for b in bands])
    shape = planck_nu(nu[None, :], t) * fc / 1e-26  # (temperatures, bands): Jy per steradian
    w = 1.0 / err ** 2
    omega = (w * shape * flux).sum(axis=1) / (w * shape ** 2).sum(axis=1)
    chi2 = (w * (flux - omega[:, None] * shape) ** 2).sum(axis=1)
    return log_t, chi2, omega


def fit_blackbody(sed: pd.DataFrame | Points, bands: tuple[str, ...] | None = None) -> BlackbodyFit | str:
    """The blackbody through the detections of ``bands`` (all detections when None), or why none:
    the least χ² on the grid of log T, refined by the parabola through it and its neighbours."""
    rows = detections(sed, bands)
    if len(rows.band) < 3:
        return f"no blackbody fit: {len(rows.band)} detection(s) in the bands chosen; at least three are needed"
    nu = C_UM_HZ / rows.wavelength_um
    flux, err = rows.flux_jy, rows.flux_err_jy
    names = rows.band.tolist()
    log_t, chi2, omega = chi2_curve(nu, flux, err, names)
    best = int(np.clip(np.argmin(chi2), 1, len(log_t) - 2))
    (x0, x1), (y0, y1, y2) = log_t[best - 1:best + 1], chi2[best - 1:best + 2]
    curvature = y0 - 2 * y1 + y2
    shift = 0.5 * (y0 - y2) / curvature if curvature > 0 else 0.0
    step = x1 - x0
    best_log_t = x1 + float(np.clip(shift, -1, 1)) * step
    best_chi2 = float(y1 - 0.25 * (y0 - y2) * shift) if curvature > 0 else float(y1)
    dof = len(names) - 2
    # a fit worse than the errors allow (chi2 per degree of freedom above 1) widens its error by sqrt(chi2/dof)
    scale = math.sqrt(max(1.0, best_chi2 / dof)) if dof > 0 else 1.0
    error = _t_error(log_t, chi2, best_log_t, best_chi2)
    return BlackbodyFit(math.exp(best_log_t), error * scale, float(np.interp(best_log_t, log_t, omega)),
                        max(best_chi2, 0.0), dof, tuple(names))


def _t_error(log_t: np.ndarray, chi2: np.ndarray, best_log_t: float, best_chi2: float) -> float:
    """Half the width of the T interval where χ² is within 1 of its minimum (Ω refitted at each
    T), the crossings read off the grid by linear interpolation (the grid's edge if beyond it)."""
    level = best_chi2 + 1.0
    below, above = log_t < best_log_t, log_t > best_log_t
    edges = []
    for side, order in ((below, -1), (above, 1)):
        xs, ys = log_t[side][::order], chi2[side][::order]  # outward from the minimum
        out = np.flatnonzero(ys >= level)
        if not len(out):
            edges.append(float(xs[-1]) if len(xs) else best_log_t)
            continue
        k = int(out[0])
        x_in, y_in = (float(xs[k - 1]), float(ys[k - 1])) if k > 0 else (best_log_t, best_chi2)
        edges.append(x_in + (level - y_in) * (float(xs[k]) - x_in) / (float(ys[k]) - y_in))
    return (math.exp(max(edges)) - math.exp(min(edges))) / 2


@dataclass(frozen=True)
class SedShape:
    """What the page, the manifest and ``fetch`` say of the SED's shape: each a result or why none.
    ``excess``: a star's infrared excess (``infrared_excess.py``), or why it was not tested."""

    index: SpectralIndex | str
    index_wide: SpectralIndex | str
    blackbody: BlackbodyFit | str
    fit_bands: tuple[str, ...] | None
    excess: InfraredExcess | str | None = None
    #: the source is a star by ``infrared_excess.Star``'s rule (then the excess line is shown)
    star: bool = False

    def lines(self) -> list[str]:
        shown: list[SpectralIndex | BlackbodyFit | InfraredExcess | str] = [self.index, self.index_wide,
                                                                           self.blackbody]
        if self.star and self.excess:
            shown.append(self.excess)
        return [x if isinstance(x, str) else x.text() for x in shown]

    def manifest_entry(self) -> dict[str, object]:
        def entry(x: SpectralIndex | BlackbodyFit | str) -> object:
            return {"none": x} if isinstance(x, str) else {**x.__dict__, "bands": list(x.bands)}

        excess = {"none": self.excess} if isinstance(self.excess, str) or self.excess is None else \
            self.excess.manifest_entry()
        return {"spectral_index": entry(self.index), "spectral_index_wide": entry(self.index_wide),
                "blackbody": entry(self.blackbody), "infrared_excess": excess,
                "fit_bands": list(self.fit_bands) if self.fit_bands else "every detection",
                "method": "alpha = d log(lambda F_lambda) / d log lambda by weighted least squares over "
                "detections (Greene et al. 1994 classes); blackbody F_nu = Omega B_nu(T) f_c(T) by least squares "
                "(WISE colour corrections for a blackbody, Wright et al. 2010 response curves)"}


def sed_shape(sed: pd.DataFrame, fit_bands: tuple[str, ...] | None = None) -> SedShape:
    points = Points.of(sed)  # the table read once
    index = spectral_index(points, DEFAULT_INDEX_BANDS)
    wide = spectral_index(points, WIDE_INDEX_BANDS)
    return SedShape(index, wide, fit_blackbody(points, fit_bands), fit_bands)
