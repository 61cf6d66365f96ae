"""Infrared excess of a star: W3 and W4 above the photosphere fitted blueward of 2.5 µm.

**Which sources.** A star of the Galaxy: its Gaia DR3 counterpart (``gaia_photometry.py``) has a
parallax at least ``PARALLAX_SNR`` times its error, and the AllWISE source is point-like
(``ext_flg`` 0). For any other source the SED says why no excess is tested.

**Method**, in order:

1. The photosphere: a blackbody fitted (``sed_fit.fit_blackbody``, with ``blackbody.py``'s
   Planck function, the module the flare's dust fit uses) to the detections blueward of
   ``PHOTOSPHERE_MAX_UM`` (Gaia G, BP, RP; 2MASS J, H, Ks), at least three of them. A star's
   photosphere there is close to a blackbody; a disc or a shell adds flux only further out.
2. Each of W3 and W4 (detected, and not saturated: a saturated band's fit is biased, so it is
   left out, ``analysis.View.sed_shape``) predicted as the catalog quotes it: Ω B_ν(ν*, T) f_c(T) at the band's
   isophotal frequency ν*, with the colour correction for a blackbody of the Explanatory
   Supplement (sec. IV.4.h; ``blackbody_table.colour_corrections``). The catalog's flux densities
   are quoted for F_ν ∝ ν⁻² (``photometry.mag_to_jy`` with α = 2): f_c converts a blackbody's
   true F_ν at ν* to that quoted value, as the ``alpha`` correction does for a power law.
3. The prediction's own uncertainty σ_pred: half the spread of the predictions over the
   temperatures the photosphere's fit allows (χ² within 1 of its minimum, Ω refitted at each T;
   the interval widened as the fit's is, by χ²/dof when that exceeds 1). Few or poor blue points
   (a bright star's saturated 2MASS magnitudes, 0.2–0.3 mag) leave T loose and the prediction
   with it; this says so instead of claiming an excess or a deficit.
4. The excess in σ: (F_obs − F_pred) / √(σ_obs² + σ_pred² + (floor · F_pred)²) with a systematic
   floor per band, ``SYSTEMATIC_FLOOR``: W3 10 %, W4 15 %. These are this project's choice, not a paper's: a
   blackbody is not a stellar atmosphere (molecular bands, the H⁻ opacity's infrared slope), and
   W4's effective wavelength itself is uncertain by 3.3 % (Brown, Jarrett & Cluver 2014, PASA 31,
   e049). A band is in excess at ``EXCESS_SIGMA`` (3) or more.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from dashboard.science.blackbody import planck_nu
from dashboard.science.blackbody_table import colour_corrections
from dashboard.science.sed_fit import C_UM_HZ, BlackbodyFit, Points, chi2_curve, detections, fit_blackbody

PARALLAX_SNR = 5.0
PHOTOSPHERE_MAX_UM = 2.5
SYSTEMATIC_FLOOR = {"W3": 0.10, "W4": 0.15}
EXCESS_SIGMA = 3.0


@dataclass(frozen=True)
class Star:
    """What decides whether the source is a star: its Gaia parallax's significance and ``ext_flg``."""

    parallax_snr: float | None
    ext_flg: int | None

    def why_not(self) -> str:
        """Why the excess is not tested, or "" when it is a star by this rule."""
        if self.parallax_snr is None:
            return "no Gaia DR3 counterpart with a parallax"
        if self.parallax_snr < PARALLAX_SNR:
            return f"Gaia parallax/error {self.parallax_snr:.1f} < {PARALLAX_SNR:g}: not shown to be a star"
        if self.ext_flg != 0:
            return f"ext_flg {self.ext_flg}: not a point source"
        return ""


@dataclass(frozen=True)
class BandExcess:
    band: str
    observed_jy: float
    predicted_jy: float
    predicted_err_jy: float  # the photosphere fit's own uncertainty at this band
    sigma: float  # (observed - predicted) / combined error

    @property
    def in_excess(self) -> bool:
        return self.sigma >= EXCESS_SIGMA


@dataclass(frozen=True)
class InfraredExcess:
    photosphere: BlackbodyFit
    bands: tuple[BandExcess, ...]

    def text(self) -> str:
        said = "; ".join(f"{b.band} {b.sigma:+.1f}σ ({b.observed_jy / b.predicted_jy:.2f} ± "
                         f"{b.predicted_err_jy * b.observed_jy / b.predicted_jy ** 2:.2f}× the photosphere)"
                         for b in self.bands)
        verdict = "infrared excess" if any(b.in_excess for b in self.bands) else "no infrared excess"
        return (f"{verdict} (≥ {EXCESS_SIGMA:g}σ over a {self.photosphere.temperature_k:.0f} K blackbody through "
                f"{', '.join(self.photosphere.bands)}): {said or 'no W3 or W4 detection'}")

    def manifest_entry(self) -> dict[str, object]:
        return {"photosphere_k": self.photosphere.temperature_k, "photosphere_bands": list(self.photosphere.bands),
                "bands": [{**b.__dict__, "in_excess": b.in_excess} for b in self.bands],
                "systematic_floor": SYSTEMATIC_FLOOR, "threshold_sigma": EXCESS_SIGMA,
                "rule": f"a star: Gaia parallax/error >= {PARALLAX_SNR:g} and ext_flg 0; photosphere fitted "
                        f"blueward of {PHOTOSPHERE_MAX_UM:g} um"}


def infrared_excess(points: Points, star: Star) -> InfraredExcess | str:
    """W3's and W4's excess over the star's photosphere (module docstring), or why none is tested."""
    why = star.why_not()
    if why:
        return f"no infrared-excess test: {why}"
    blue = tuple(str(b) for b, lam in zip(points.band, points.wavelength_um, strict=True) if lam < PHOTOSPHERE_MAX_UM)
    photosphere = fit_blackbody(points, blue) if blue else "no detection blueward of 2.5 µm"
    if isinstance(photosphere, str):
        return f"no infrared-excess test: the photosphere has no fit ({photosphere})"
    spread = _prediction_spread(points, blue)
    out = []
    for band in SYSTEMATIC_FLOOR:
        at = np.flatnonzero(points.band == band)
        if not len(at):
            continue
        i = int(at[0])
        nu = C_UM_HZ / float(points.wavelength_um[i])
        quoted = float(photosphere.solid_angle_sr * planck_nu(nu, photosphere.temperature_k) / 1e-26
                       * colour_corrections(band, photosphere.temperature_k))
        low, high = spread(band, nu)
        model_err = (high - low) / 2
        error = math.sqrt(float(points.flux_err_jy[i]) ** 2 + model_err ** 2 + (SYSTEMATIC_FLOOR[band] * quoted) ** 2)
        observed = float(points.flux_jy[i])
        out.append(BandExcess(band, observed, quoted, model_err, (observed - quoted) / error))
    return InfraredExcess(photosphere, tuple(out))


def _prediction_spread(points: Points, blue: tuple[str, ...]) -> Callable[[str, float], tuple[float, float]]:
    """For a band, the lowest and highest quoted flux density of the blackbodies the photosphere's
    fit allows (step 3): on ``sed_fit.chi2_curve``'s grid of T, with Ω refitted at each."""
    rows = detections(points, blue)
    log_t, chi2, omega = chi2_curve(C_UM_HZ / rows.wavelength_um, rows.flux_jy, rows.flux_err_jy,
                                    rows.band.tolist())
    best = float(chi2.min())
    dof = len(rows.band) - 2
    allowed = chi2 <= best + max(1.0, best / dof if dof > 0 else 1.0)
    t = np.exp(log_t[allowed])

    def spread(band: str, nu: float) -> tuple[float, float]:
        quoted = omega[allowed] * planck_nu(nu, t) / 1e-26 * colour_corrections(band, t)
        return float(quoted.min()), float(quoted.max())

    return spread
