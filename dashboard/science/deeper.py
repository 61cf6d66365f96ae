"""Deeper W1/W2 photometry of the selected AllWISE source from CatWISE2020 and unWISE.

Both catalogs measure W1 and W2 on the unWISE coadds of WISE and NEOWISE images (2010-2018):
CatWISE2020 (Marocco et al. 2021, ApJS 253, 8) with a PSF fit that includes motion, unWISE
(Schlafly, Meisner & Green 2019, ApJS 240, 30) with crowdsourced PSF photometry; both are
``phot = profile``. A row joins the SED only if it is the nearest to the selected AllWISE source
within the epoch match radius, compared at one epoch:

* CatWISE2020: its motion-fit position (``ra_pm``, ``dec_pm``, at MJD 57170 = 2015.40; the
  Preliminary Catalog used MJD 56700) is carried to the AllWISE epoch (MJD 55400) with the Gaia
  DR3 counterpart's proper motion where Gaia has one for the source, else with the row's own
  ``pmra``/``pmdec`` (arcsec/yr in the release, Gaia's are mas/yr).
* unWISE: its position as catalogued (the coadds span the years; its epoch is not given), so a
  fast mover may not match; the page says none matched.

unWISE fluxes are Vega nanomaggies: m = 22.5 - 2.5 log10(flux) (Schlafly et al. 2019 sec. 2;
IRSA's unWISE documentation); a flux <= 0 has no magnitude. Flux densities use the AllWISE zero
points (``photometry.BANDS``) for both catalogs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard.core.geometry import separation_arcsec
from dashboard.core.measurement import finite_number
from dashboard.core.tables import CATWISE, UNWISE
from dashboard.science.motion import ALLWISE_EPOCH_MJD, Motion, counterpart_of
from dashboard.science.photometry import BANDS, MAG_TO_FLUX_ERR, SURVEY, mag_err_to_jy, mag_to_jy, nu_fnu
from dashboard.science.select import Selection

#: The standard epoch of CatWISE2020 motion-fit positions (Marocco et al. 2021).
CATWISE_EPOCH_MJD = 57170.0
#: Vega nanomaggies -> magnitude (Schlafly, Meisner & Green 2019).
UNWISE_ZERO_POINT_MAG = 22.5


def mjd_to_jyear(mjd: float) -> float:
    return 2000.0 + (mjd - 51544.5) / 365.25


@dataclass(frozen=True)
class DeeperMatch:
    """What one added catalog gave the SED: the matched row's separation, the motion used, or why none."""

    catalog: str
    matched: bool
    note: str
    separation_arcsec: float | None = None
    motion: str | None = None  # "Gaia DR3 …", "CatWISE2020 pmra/pmdec", "none"
    #: the Gaia DR3 astrometry the match used (the manifest records it, so reproduce.py replays it)
    gaia: Motion | None = None

    def as_dict(self) -> dict[str, object]:
        return {"catalog": self.catalog, "matched": self.matched, "note": self.note,
                "separation_arcsec": self.separation_arcsec, "motion_used": self.motion,
                "gaia_motion": self.gaia.as_dict() if self.gaia is not None else None}


def _row(catalog: str, band: str, mag: float | None, err: float | None, reason: str,
         source_id: str = "") -> dict[str, object]:
    info = BANDS[band]
    measured = mag is not None
    flux = float(mag_to_jy(mag, band)) if mag is not None else math.nan
    flux_err = float(mag_err_to_jy(flux, err)) if measured and err is not None else math.nan
    return {"band": band, "wavelength_um": info.wavelength_um, "mag": mag if mag is not None else math.nan,
            "mag_err": err if err is not None and measured else math.nan, "flux_jy": flux, "flux_err_jy": flux_err,
            "nu_fnu": float(nu_fnu(flux, info.wavelength_um)),
            "nu_fnu_err": float(nu_fnu(flux_err, info.wavelength_um)),
            "upper_limit": False, "lower_limit": False, "measured": measured, "ph_qual": "n/a", "cc_flag": "n/a",
            "sat": math.nan, "saturated": False, "phot": "profile", "phot_reason": reason, "catalog": catalog,
            "survey": SURVEY, "source_id": source_id,
            "note": reason if measured else f"no {band} magnitude in {catalog}", "reasons": "", "passed": measured}


def _nearest(sep: np.ndarray, radius_arcsec: float) -> int | None:
    if len(sep) == 0 or not np.isfinite(sep).any():
        return None
    best = int(np.nanargmin(sep))
    return best if sep[best] <= radius_arcsec else None


def catwise_rows(rows: pd.DataFrame, selection: Selection, radius_arcsec: float,
                 counterparts: tuple[Motion, ...]) -> tuple[list[dict[str, object]], DeeperMatch]:
    """The CatWISE2020 W1/W2 points of the selected source (module docstring)."""
    if rows.empty:
        return [], DeeperMatch(CATWISE.name, False, f"No {CATWISE.title} row in the cone.")
    gaia = counterpart_of(counterparts, selection.designation, selection.ra, selection.dec)
    ra_pm = rows["ra_pm"].to_numpy(float) if "ra_pm" in rows else rows["ra"].to_numpy(float)
    dec_pm = rows["dec_pm"].to_numpy(float) if "dec_pm" in rows else rows["dec"].to_numpy(float)
    if gaia is not None:  # where the source was at CatWISE's epoch
        at_ra, at_dec = gaia.positions(np.array([CATWISE_EPOCH_MJD]))
        sep = separation_arcsec(ra_pm, dec_pm, float(at_ra[0]), float(at_dec[0]))
        motion = f"Gaia DR3 {gaia.source_id} proper motion"
    else:  # each row carried back to the AllWISE epoch by its own motion
        years = (ALLWISE_EPOCH_MJD - CATWISE_EPOCH_MJD) / 365.25
        pmra = np.nan_to_num(rows["pmra"].to_numpy(float)) if "pmra" in rows else np.zeros(len(rows))
        pmdec = np.nan_to_num(rows["pmdec"].to_numpy(float)) if "pmdec" in rows else np.zeros(len(rows))
        back_dec = dec_pm + pmdec * years / 3600.0
        back_ra = ra_pm + pmra * years / 3600.0 / np.maximum(np.cos(np.radians(dec_pm)), 1e-6)
        sep = separation_arcsec(back_ra, back_dec, selection.ra, selection.dec)
        motion = "CatWISE2020 pmra/pmdec of each row (arcsec/yr), from MJD 57170 to the AllWISE epoch MJD 55400"
    best = _nearest(sep, radius_arcsec)
    if best is None:
        return [], DeeperMatch(CATWISE.name, False, f"No {CATWISE.title} row within {radius_arcsec:g}″ of the "
                                                    "selected source.", motion=motion, gaia=gaia)
    row = rows.iloc[best]
    reason = f"CatWISE2020 PSF fit (w?mpro), {sep[best]:.2f}″ from the AllWISE source"
    name = str(row.get("source_name") or "")
    out = [_row(CATWISE.name, band, finite_number(row.get(f"{band.lower()}mpro")),
                finite_number(row.get(f"{band.lower()}sigmpro")), reason.replace("w?", band.lower()), name)
           for band in ("W1", "W2")]
    return out, DeeperMatch(CATWISE.name, True, reason, round(float(sep[best]), 3), motion, gaia)


def unwise_rows(rows: pd.DataFrame, selection: Selection,
                radius_arcsec: float) -> tuple[list[dict[str, object]], DeeperMatch]:
    """The unWISE W1/W2 points of the selected source (module docstring)."""
    if rows.empty:
        return [], DeeperMatch(UNWISE.name, False, f"No {UNWISE.title} row in the cone.")
    sep = separation_arcsec(rows["ra"].to_numpy(float), rows["dec"].to_numpy(float), selection.ra, selection.dec)
    best = _nearest(sep, radius_arcsec)
    if best is None:
        return [], DeeperMatch(UNWISE.name, False, f"No {UNWISE.title} row within {radius_arcsec:g}″ of the "
                                                   "selected source.", motion="none")
    row = rows.iloc[best]
    out = []
    for band, suffix in (("W1", "1"), ("W2", "2")):
        flux = finite_number(row.get(f"flux_{suffix}"))
        dflux = finite_number(row.get(f"dflux_{suffix}"))
        mag = UNWISE_ZERO_POINT_MAG - 2.5 * math.log10(flux) if flux is not None and flux > 0 else None
        err = dflux / flux / MAG_TO_FLUX_ERR if mag is not None and flux and dflux is not None else None
        out.append(_row(UNWISE.name, band, mag, err, f"unWISE PSF flux_{suffix} (Vega nanomaggies, m = 22.5 − "
                                                      f"2.5 log10 flux), {sep[best]:.2f}″ from the AllWISE source"))
    return out, DeeperMatch(UNWISE.name, True, f"unWISE row {sep[best]:.2f}″ away", round(float(sep[best]), 3), "none")
