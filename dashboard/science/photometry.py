"""Vega magnitudes -> flux densities, and the W1-W4 SED of one AllWISE source.

F_nu = F_nu0 / f_c x 10^(-0.4 m), with the zero points F_nu0 and isophotal wavelengths of
Wright et al. 2010 (AJ 140, 1868) and Jarrett et al. 2011 (ApJ 735, 112), tabulated in the
WISE Explanatory Supplement sec. IV.4.h.i.1 (Table 1). f_c = 1 for the reference spectrum
F_nu ~ nu^-2; the optional power-law colour corrections are those of ES sec. IV.4.h.vi.

Errors: sigma_F = F x ln(10)/2.5 x sigma_m (first-order propagation of the magnitude error).

``ph_qual`` is read per band (AllWISE ES sec. II.1.a): 'U' means w?mpro is a 95 % confidence
upper limit (no error bar); 'X' or a null magnitude is no measurement; 'Z' is a real magnitude
whose error could not be measured (a point, flagged).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dashboard.core.measurement import SourceRow, finite_number, no_measurement
from dashboard.science.apertures import BandPhotometry, choose
from dashboard.science.saturation import is_saturated

ZP_SOURCE = ("Wright et al. 2010, AJ 140, 1868; Jarrett et al. 2011, ApJ 735, 112; "
             "WISE Explanatory Supplement sec. IV.4.h.i.1")


@dataclass(frozen=True)
class Band:
    name: str
    zero_point_jy: float
    wavelength_um: float


BANDS: dict[str, Band] = {
    "W1": Band("W1", 309.540, 3.3526),
    "W2": Band("W2", 171.787, 4.6028),
    "W3": Band("W3", 31.674, 11.5608),
    "W4": Band("W4", 8.363, 22.0883),
}

#: f_c for F_nu ~ nu^-alpha, alpha = -3..4 (Wright et al. 2010 / ES IV.4.h.vi, Table 1).
#: NOT VERIFIED against the Supplement itself: transcribed from public code copies.
COLOUR_CORRECTIONS: dict[int, tuple[float, float, float, float]] = {
    -3: (1.0283, 1.0206, 1.1344, 1.0142),
    -2: (1.0084, 1.0066, 1.0088, 1.0013),
    -1: (0.9961, 0.9976, 0.9393, 0.9934),
    0: (0.9907, 0.9935, 0.9169, 0.9905),
    1: (0.9921, 0.9943, 0.9373, 0.9926),
    2: (1.0, 1.0, 1.0, 1.0),
    3: (1.0142, 1.0107, 1.1081, 1.0130),
    4: (1.0347, 1.0265, 1.2687, 1.0319),
}
#: ES IV.4.h.i.2 "additional W4 correction for red sources": 8 % lower W4 flux.
#: NOT VERIFIED against the Supplement (value from public code copies).
W4_RED_FACTOR = 0.92

#: Nominal instrumental zero points (mag) turning single-exposure DN fluxes into flux densities
#: (ES IV.4.h, "conv2flux"; the per-frame MAGZP is not queried). Used by timewise the same way.
DN_MAGZP = {"W1": 20.752, "W2": 19.596}
MAG_TO_FLUX_ERR = math.log(10) / 2.5
C_UM_HZ = 2.99792458e14  # speed of light in um/s


def mag_to_jy(mag: np.ndarray | float, band: str, *, alpha: int | None = None) -> np.ndarray:
    zp = BANDS[band].zero_point_jy
    if alpha is not None:
        zp = zp / COLOUR_CORRECTIONS[alpha]["W1 W2 W3 W4".split().index(band)]
    return zp * np.power(10.0, -0.4 * np.asarray(mag, dtype=float))


def mag_err_to_jy(flux_jy: np.ndarray | float, mag_err: np.ndarray | float) -> np.ndarray:
    return np.asarray(flux_jy, dtype=float) * MAG_TO_FLUX_ERR * np.asarray(mag_err, dtype=float)


def dn_to_jy(dn: np.ndarray, band: str, magzp: np.ndarray | float | None = None) -> np.ndarray:
    """Single-exposure instrumental flux (DN) -> Jy: DN x F_nu0 x 10^(-0.4 MAGZP); keeps flux <= 0.

    ``magzp`` defaults to the nominal instrumental zero point of the band."""
    zp = DN_MAGZP[band] if magzp is None else magzp
    return np.asarray(dn, dtype=float) * BANDS[band].zero_point_jy * np.power(10.0, -0.4 * np.asarray(zp))


def nu_fnu(flux_jy: np.ndarray | float, wavelength_um: float) -> np.ndarray:
    """nu F_nu in erg s^-1 cm^-2 (1 Jy = 1e-23 erg s^-1 cm^-2 Hz^-1)."""
    return np.asarray(flux_jy, dtype=float) * 1e-23 * C_UM_HZ / wavelength_um


@dataclass(frozen=True)
class SedOptions:
    """How the SED reads the catalog: the photometry per band (``apertures.PHOT_MODES``) and the
    optional corrections, off by default; all recorded in the manifest."""

    alpha: int | None = None
    w4_red_correction: bool = False
    phot: str = "auto"


def is_upper_limit(letter: str | None, mag: float | None, err: float | None) -> bool:
    """A band's catalog magnitude is a 95% upper limit on the flux (the source is fainter than
    it): ``ph_qual`` 'U' (AllWISE Explanatory Supplement sec. II.1.a); where ``ph_qual`` was not
    recorded, a magnitude with a null error, which is how the catalog writes a limit."""
    if letter is None:
        return err is None and mag is not None
    return letter == "U"


def saturated_bands(source: SourceRow) -> dict[str, bool]:
    """Per band, whether the catalog row meets the saturation rule (``is_saturated``)."""
    return {band: is_saturated(band, finite_number(source.get(f"{band.lower()}mpro")),
                               finite_number(source.get(f"{band.lower()}sat"))) for band in BANDS}


def sed(source: SourceRow, options: SedOptions = SedOptions(), catalog: str = "allwise_p3as_psd") -> pd.DataFrame:
    """One row per band: the source's magnitude, flux density and how to read it.

    Columns: band, wavelength_um, mag, mag_err, flux_jy, flux_err_jy, nu_fnu, nu_fnu_err,
    upper_limit, lower_limit, measured, ph_qual, cc_flag, sat (``w?sat``), saturated, phot (the
    photometry used, ``apertures.choose``), phot_reason, catalog (the table the row came from), note.
    """
    return pd.DataFrame(sed_rows(source, options, catalog))


#: The ``survey`` of a WISE row of the SED (AllWISE, and the deeper W1/W2 of CatWISE2020 and unWISE):
#: the mission whose measurement it is. 2MASS and Gaia DR3 rows say theirs; ``source_id`` is the
#: row's source in its own catalog.
SURVEY = "WISE"


def sed_rows(source: SourceRow, options: SedOptions = SedOptions(),
             catalog: str = "allwise_p3as_psd") -> list[dict[str, Any]]:
    """``sed``'s rows as dicts, without the frame (the batch reads thousands of sources)."""
    ph_qual = _flag_string(source.get("ph_qual"))
    cc_flags = _flag_string(source.get("cc_flags"))
    designation = str(source.get("designation") or "")
    rows = []
    saturated_in = saturated_bands(source)
    names = [band.name.lower() for band in BANDS.values()]
    mags = [finite_number(source.get(f"{b}mpro")) for b in names]
    errs = [finite_number(source.get(f"{b}sigmpro")) for b in names]
    snrs = [finite_number(source.get(f"{b}snr")) for b in names]
    letters = [ph_qual[i] if ph_qual else None for i in range(len(names))]
    missing, why = _no_measurement_per_band(source, names, mags, errs, snrs, letters)
    for i, band in enumerate(BANDS.values()):
        b = names[i]
        mag, err, letter = mags[i], errs[i], letters[i]
        sat = finite_number(source.get(f"{b}sat"))
        choice = choose(source, band.name, options.phot, saturated=saturated_in)
        cc = cc_flags[i] if cc_flags else None
        upper = is_upper_limit(letter, mag, err)
        measured = not bool(missing[i])
        note = ""
        if choice.kind != "profile":  # ph_qual grades the profile fit, not this
            mag, err, upper, measured = _aperture_reading(choice)
            note = choice.reason
        elif letter is None:
            note = "ph_qual not recorded"
            if upper:
                note += "; null error read as a limit"
        elif letter == "Z":
            note = "Z: magnitude without a measurable error"
        saturated = measured and saturated_in[band.name]
        if not measured:
            note = f"no measurement in {band.name} ({why[i]})"
        flux = float(mag_to_jy(mag, band.name, alpha=options.alpha)) if (measured and mag is not None) else math.nan
        if measured and band.name == "W4" and options.w4_red_correction:
            flux *= W4_RED_FACTOR
        flux_err = float(mag_err_to_jy(flux, err)) if (measured and err is not None and not upper) else math.nan
        rows.append({
            "band": band.name, "wavelength_um": band.wavelength_um,
            "mag": mag if (mag is not None and measured) else math.nan,
            "mag_err": err if (err is not None and not upper and measured) else math.nan,
            "flux_jy": flux, "flux_err_jy": flux_err,
            "nu_fnu": float(nu_fnu(flux, band.wavelength_um)),
            "nu_fnu_err": float(nu_fnu(flux_err, band.wavelength_um)),
            "upper_limit": bool(upper and measured), "lower_limit": bool(choice.lower_limit and measured),
            "measured": bool(measured),
            "ph_qual": letter if letter is not None else "not recorded",
            "cc_flag": cc if cc is not None else "not recorded",
            "sat": sat if sat is not None else math.nan, "saturated": bool(saturated),
            "phot": choice.kind, "phot_reason": choice.reason, "catalog": catalog,
            "survey": SURVEY, "source_id": designation, "note": note,
        })
    return rows


def _no_measurement_per_band(source: SourceRow, names: list[str], mags: list[float | None],
                             errs: list[float | None], snrs: list[float | None],
                             letters: list[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """``no_measurement`` of each band of one catalog row: one call for the four bands (a batch
    reads thousands of rows), one per band where only some bands have an SNR column."""
    has_snr = [f"{b}snr" in source for b in names]
    if all(has_snr) or not any(has_snr):
        return no_measurement(np.array([_nan(m) for m in mags]), np.array([_nan(e) for e in errs]),
                              np.array([_nan(x) for x in snrs]) if all(has_snr) else None,
                              np.array(letters, dtype=object))
    one = [no_measurement(np.array([_nan(m)]), np.array([_nan(e)]), np.array([_nan(x)]) if has else None,
                          np.array([letter], dtype=object))
           for m, e, x, has, letter in zip(mags, errs, snrs, has_snr, letters, strict=True)]
    return np.concatenate([m for m, _ in one]), np.concatenate([w for _, w in one])


def photometry_kinds(source: SourceRow, phot: str) -> dict[str, tuple[str, bool]]:
    """Per band, (the photometry the SED uses, saturated as the SED marks it): the batch summary's
    ``phot_w?``/``sat_w?``, read off the SED's own rows so the two never disagree."""
    return {r["band"]: (r["phot"], bool(r["saturated"])) for r in sed_rows(source, SedOptions(phot=phot))}


def _aperture_reading(choice: BandPhotometry) -> tuple[float | None, float | None, bool, bool]:
    """An aperture magnitude as the SED reads it: (mag, err, upper limit, measured). ph_qual
    grades the profile fit only; the aperture's own flag says when it is a limit."""
    return choice.mag, (None if choice.limit else choice.err), choice.limit, choice.mag is not None


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


def _flag_string(value: object) -> str | None:
    return value if isinstance(value, str) and len(value) == 4 else None
