"""2MASS J, H and Ks beside WISE: the AllWISE source's own 2MASS association.

The AllWISE Source Catalog carries, for each source, the 2MASS Point Source Catalog source it is
associated with (AllWISE Explanatory Supplement, Cutri et al. 2013, sec. II.1.a): ``tmass_key``,
the distance ``r_2mass`` (arcsec) and that source's J, H, Ks magnitudes ``j_m_2mass``/``h_m_2mass``/
``k_m_2mass`` with their errors ``*_msig_2mass``. They are the 2MASS PSC's "default" magnitudes
(Skrutskie et al. 2006): a magnitude without an error is a 95 % confidence upper limit. No second
cross-match is made here: the catalog's association is the one used, and said.

Flux densities, in order:

1. F_ν = F_ν0 · 10^(−0.4 m) with the zero-magnitude flux densities of Cohen, Wheaton & Megeath
   2003 (AJ 126, 1090, table 2), at the bands' isophotal wavelengths: ``ZERO_POINTS``
   (J 1594 Jy at 1.235 µm, H 1024 Jy at 1.662 µm, Ks 666.7 Jy at 2.159 µm, as the 2MASS
   Explanatory Supplement sec. VI.4.a quotes them; some public copies give Ks 666.8 Jy, 0.015 %
   apart: NOT VERIFIED against the paper's table).
2. σ_F = F · ln(10)/2.5 · σ_m, as for WISE (``photometry.mag_err_to_jy``).
3. No colour correction: the zero points are for the 2MASS bands' own isophotal wavelengths.

The rows have the SED table's columns; their ``catalog`` is ``CATALOG`` and their ``phot`` is
``2mass`` (never one of WISE's photometry choices: the W-band options and cuts do not touch them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from dashboard.core.measurement import SourceRow, finite_number
from dashboard.science.photometry import MAG_TO_FLUX_ERR, nu_fnu

#: What the rows' ``catalog`` says: the 2MASS PSC, through AllWISE's association.
CATALOG = "2mass_psc"
TITLE = "2MASS PSC (AllWISE's association)"


@dataclass(frozen=True)
class TwoMassBand:
    name: str
    column: str  # the AllWISE catalog's column letter: j, h, k
    wavelength_um: float
    zero_point_jy: float


ZERO_POINTS: dict[str, TwoMassBand] = {
    "J": TwoMassBand("J", "j", 1.235, 1594.0),
    "H": TwoMassBand("H", "h", 1.662, 1024.0),
    "Ks": TwoMassBand("Ks", "k", 2.159, 666.7),
}
REFERENCE = "Cohen, Wheaton & Megeath 2003, AJ 126, 1090, table 2 (2MASS ES sec. VI.4.a)"


def two_mass_rows(source: SourceRow) -> list[dict[str, Any]]:
    """The J, H, Ks rows of the source's 2MASS association; none when the catalog row carries no
    association (no ``tmass_key`` and no magnitude: a row of an earlier query, or no 2MASS source)."""
    if all(finite_number(source.get(f"{band.column}_m_2mass")) is None for band in ZERO_POINTS.values()):
        return []
    distance = finite_number(source.get("r_2mass"))
    ident = _key_text(source.get("tmass_key"))
    said = f"2MASS PSC source {ident}" if ident else "2MASS PSC source"
    said += f", {distance:.2f}″ from the AllWISE source" if distance is not None else ""
    return [_row(band, finite_number(source.get(f"{band.column}_m_2mass")),
                 finite_number(source.get(f"{band.column}_msig_2mass")), said, ident)
            for band in ZERO_POINTS.values()]


def _key_text(key: object) -> str:
    """``tmass_key`` as text: an integer (a column with nulls reads as float), or "" when absent."""
    number = finite_number(key)
    if number is not None and float(number).is_integer():
        return str(int(number))
    return "" if key is None or str(key) in ("", "nan", "<NA>", "None") else str(key)


def _row(band: TwoMassBand, mag: float | None, err: float | None, said: str, ident: str) -> dict[str, Any]:
    measured = mag is not None
    upper = measured and err is None
    flux = band.zero_point_jy * 10 ** (-0.4 * mag) if mag is not None else math.nan
    flux_err = flux * MAG_TO_FLUX_ERR * err if (err is not None and measured) else math.nan
    note = said + ("; no error: a 95% upper limit" if upper else "") if measured else f"no {band.name} magnitude"
    return {"band": band.name, "wavelength_um": band.wavelength_um, "mag": mag if measured else math.nan,
            "mag_err": err if (err is not None and measured) else math.nan, "flux_jy": flux, "flux_err_jy": flux_err,
            "nu_fnu": float(nu_fnu(flux, band.wavelength_um)),
            "nu_fnu_err": float(nu_fnu(flux_err, band.wavelength_um)),
            "upper_limit": bool(upper), "lower_limit": False, "measured": measured, "ph_qual": "n/a",
            "cc_flag": "n/a", "sat": math.nan, "saturated": False, "phot": "2mass",
            "phot_reason": f"2MASS PSC default magnitude ({REFERENCE} zero point)", "catalog": CATALOG,
            "survey": "2MASS", "source_id": ident, "note": note, "reasons": "", "passed": measured}


def manifest_entry() -> dict[str, Any]:
    """The manifest's record of the 2MASS bands: zero points, wavelengths, where the values come from."""
    return {"source": "allwise_p3as_psd: tmass_key, r_2mass, j/h/k_m_2mass, j/h/k_msig_2mass (AllWISE ES sec. "
                      "II.1.a), the catalog's own association", "reference": REFERENCE,
            "bands": {b.name: {"wavelength_um": b.wavelength_um, "zero_point_jy": b.zero_point_jy}
                      for b in ZERO_POINTS.values()},
            "limits": "a magnitude without an error is a 95% upper limit (2MASS PSC default magnitude)"}
