"""Each column of the bundle's tables: its unit and what it means, for the ECSV twin of every CSV.

The CSVs stay as they are (a spreadsheet reads them); each gets an ECSV twin (astropy's
Enhanced Character Separated Values: the same rows with a YAML header) that carries every
column's unit and description, so a reader need not guess that ``mjd`` is in days of UTC or
that ``nu_fnu`` is in erg s^-1 cm^-2. Column meanings follow the AllWISE Explanatory Supplement
(Cutri et al. 2013, sec. II.1.a) and the NEOWISE Explanatory Supplement (Cutri et al. 2015,
sec. II.2.a); the quantities computed here are documented where they are computed.
"""

from __future__ import annotations

import io
import warnings
from typing import Any

import numpy as np
import pandas as pd
from astropy.table import Table

from dashboard.science.colours import CLASS_COLUMN, CRITERIA

#: The time scale of every ``mjd`` of WISE and NEOWISE: the frame's mid-exposure time in UTC
#: (the single-exposure images' DATE-OBS/MJD_OBS; AllWISE ES sec. II.3, NEOWISE ES sec. II.2.a).
MJD_TIME_SCALE = "utc"

_MAG = "mag"
COLUMNS: dict[str, tuple[str | None, str]] = {
    "designation": (None, "AllWISE source designation (Jhhmmss.ss+ddmmss.s)"),
    "cntr": (None, "AllWISE catalog unique identifier"),
    "ra": ("deg", "right ascension (ICRS, J2000)"), "dec": ("deg", "declination (ICRS, J2000)"),
    "separation_arcsec": ("arcsec", "distance from the target position"),
    "ph_qual": (None, "photometric quality flag per band, W1 to W4 (A, B, C, U, X, Z)"),
    "cc_flags": (None, "contamination and confusion flag per band, W1 to W4 (0: none)"),
    "ext_flg": (None, "extended-source flag (0: point-like; 1 to 5: see AllWISE ES sec. II.1.a)"),
    "var_flg": (None, "variability flag per band (0 to 9; n: too few measurements)"),
    "nb": (None, "number of blend components used in the profile fit"),
    "na": (None, "active deblending flag"), "moon_lev": (None, "scattered moonlight contamination level per band"),
    "band": (None, "band: WISE W1-W4 (3.4, 4.6, 12, 22 um), 2MASS J, H, Ks or Gaia DR3 G, BP, RP"),
    "wavelength_um": ("um", "the band's wavelength: isophotal for WISE (Jarrett et al. 2011) and 2MASS (Cohen et al. "
                            "2003), the passband's pivot for Gaia (Riello et al. 2021)"),
    "mag": (_MAG, "Vega magnitude of the photometry named in phot; for an upper limit, the 95% limit"),
    "mag_err": (_MAG, "1-sigma uncertainty of mag"),
    "flux_jy": ("Jy", "flux density from mag with the band's zero point (Jarrett et al. 2011)"),
    "flux_err_jy": ("Jy", "1-sigma uncertainty of flux_jy"),
    "nu_fnu": ("erg / (s cm2)", "nu F_nu"), "nu_fnu_err": ("erg / (s cm2)", "1-sigma uncertainty of nu_fnu"),
    "upper_limit": (None, "True: the value is a 95% upper limit (ph_qual U), never a measurement"),
    "cc_flag": (None, "the band's cc_flags character"),
    "passed": (None, "True: kept by every quality cut; else see reasons"),
    "reasons": (None, "the cuts that rejected this row, as their rules"), "note": (None, "remarks on this band"),
    "mjd": ("d", "modified Julian date, UTC, of the exposure (for a visit: its median)"),
    "table": (None, "the IRSA table the row came from"), "measured": (None, "False: no measurement in this band"),
    "sat": (None, "fraction of the fit's pixels saturated (the catalog's w?sat of that band)"),
    "saturated": (None, "True: brighter than the band's saturation onset"),
    "visit": (None, "0-based visit number (visits split where the gap exceeds the binning gap)"),
    "outlier": (None, "True: rejected from its visit's median as an outlier"),
    "n_used": (None, "exposures in the visit's median"), "n_rejected": (None, "exposures rejected by the cuts"),
    "n_outliers": (None, "outlier exposures left out"), "n_limits": (None, "upper-limit exposures"),
    "w1_w2": (_MAG, "W1 - W2 of the visit"), "w1_w2_err": (_MAG, "1-sigma uncertainty of w1_w2"),
    "phot": (None, "the photometry used: profile (w?mpro), elliptical (w?gmag) or aperture (w?mag)"),
    "phot_reason": (None, "why this photometry was used for the band (science/apertures.py rule)"),
    "lower_limit": (None, "True: a standard aperture smaller than the resolved source, a lower limit on its flux"),
    "catalog": (None, "the table the SED row came from (IRSA's, or the Gaia archive's gaiadr3.gaia_source)"),
    "survey": (None, "the survey whose measurement the SED row is: WISE, 2MASS or Gaia DR3"),
    "source_id": (None, "the row's source in its own catalog: AllWISE or CatWISE2020 name, 2MASS tmass_key, "
                        "Gaia DR3 source_id"),
    "xscprox": ("arcsec", "distance to the associated 2MASS Extended Source Catalog source"),
    "frequency_per_day": ("1 / d", "frequency of the periodogram grid"),
    "power": (None, "Lomb-Scargle power (standard normalization)"),
}
COLUMNS |= {  # the batch summary (summary.csv): one row per target
    "line": (None, "line of the target in the list"),
    "tags": (None, "the group's tags on the target's notes, ';'-separated (a tagged batch: members only)"),
    "id": (None, "the target's id in the list"),
    "input": (None, "the target as typed"), "n_epochs_passed": (None, "epochs kept by the cuts"),
    "n_epochs_rejected": (None, "epochs rejected by the cuts"), "w1_w2_median": (_MAG, "median W1 - W2 over visits"),
    "status": (None, "ok, no_source, failed or bad_input"), "reason": (None, "why the status is not ok"),
}
COLUMNS |= {  # the colour classes (science/colours.py): one column per published criterion
    criterion.column: (None, f"{criterion.kind} colour criterion of {criterion.reference}: yes, no, undetermined "
                             "(a band is a limit or missing and the bounds leave it open) or n/a (outside its range)")
    for criterion in CRITERIA
} | {CLASS_COLUMN: (None, "the criteria this source meets (yes only), e.g. 'AGN: Stern12, R90'; '—' none")}
COLUMNS |= {  # the flare search (science/flares.py): flare.csv, dust.csv and the batch summary
    "flare": (None, "True: an infrared flare (both W1 and W2 at the flare significance after a baseline)"),
    "flare_start_mjd": ("d", "MJD of the flare's first excess visit"),
    "start_mjd": ("d", "MJD of the first excess visit"),
    "flare_peak_mjd": ("d", "MJD of the W1 visit of largest excess"),
    "peak_mjd": ("d", "MJD of the W1 visit of largest excess"),
    "end_mjd": ("d", "MJD of the last visit of the excess region"),
    "rise_days": ("d", "W1 e-folding rise time (T2DustEchoEval's formula, on flux)"),
    "fade_days": ("d", "W1 e-folding fade time after the peak"),
    "delay_days": ("d", "flare start minus the event date t0"),
    "light_travel_pc": ("pc", "c times the delay (rest frame when the redshift is known)"),
    "peak_excess_w1_mjy": ("mJy", "W1 largest visit excess over the baseline"),
    "peak_excess_w2_mjy": ("mJy", "W2 largest visit excess over the baseline"),
    "peak_significance_w1": (None, "W1 largest excess over its error"),
    "peak_significance_w2": (None, "W2 largest excess over its error"),
    "t_dust_k_at_peak": ("K", "dust blackbody temperature at the dust visit nearest the peak"),
    "t_dust_frame": (None, "rest (a redshift known: (1+z) T_obs) or observed"),
    "energy_erg": ("erg", "energy radiated over the flare's dust visits, rest frame"),
    "excess_w1_mjy": ("mJy", "W1 visit flux minus the baseline"), "excess_w1_err_mjy": ("mJy", "its 1-sigma error"),
    "excess_w2_mjy": ("mJy", "W2 visit flux minus the baseline"), "excess_w2_err_mjy": ("mJy", "its 1-sigma error"),
    "t_obs_k": ("K", "observed-frame blackbody temperature of the W1/W2 excess (WISE colour corrections)"),
    "t_obs_err_k": ("K", "half the 16-84 percentile range of the resampled temperatures"),
    "t_rest_k": ("K", "rest-frame temperature (1+z) t_obs_k"), "t_rest_err_k": ("K", "its spread"),
    "radius_pc": ("pc", "blackbody radius from the W2 excess at the angular-diameter distance (Planck18)"),
    "radius_err_pc": ("pc", "its spread"), "log_lum_erg_s": (None, "log10 of 4 pi R^2 sigma T_rest^4 in erg/s"),
    "log_lum_err_erg_s": (None, "its spread (dex)"), "redshift": (None, "the redshift used"),
}
for _b in "12":  # the variability statistics per band (science/variability.py, BandStats)
    _w = f"w{_b}"
    COLUMNS |= {f"n_visits_{_w}": (None, f"W{_b} visits"), f"{_w}_n_visits": (None, f"W{_b} visits"),
                f"{_w}_amplitude_mag": (_MAG, f"W{_b} peak-to-peak amplitude of the visits"),
                f"{_w}_chi2_red": (None, f"W{_b} reduced chi^2 of the visits about their weighted mean"),
                f"{_w}_p_constant": (None, f"W{_b} probability of that chi^2 for a constant source"),
                f"{_w}_fvar": (None, f"W{_b} fractional variability amplitude (Vaughan et al. 2003)"),
                f"{_w}_fvar_err": (None, f"W{_b} uncertainty of fvar"),
                f"{_w}_error_floor_mag": (_MAG, f"W{_b} error floor from the scatter within visits"),
                f"{_w}_chi2_red_floor": (None, f"W{_b} chi2_red with the error floor"),
                f"{_w}_p_constant_floor": (None, f"W{_b} p_constant with the error floor")}
for _b in "1234":
    COLUMNS |= {f"w{_b}mpro": (_MAG, f"W{_b} profile-fit Vega magnitude"),
                f"w{_b}sigmpro": (_MAG, f"W{_b} profile-fit magnitude uncertainty"),
                f"w{_b}snr": (None, f"W{_b} profile-fit signal-to-noise ratio"),
                f"w{_b}rchi2": (None, f"W{_b} reduced chi^2 of the profile fit"),
                f"w{_b}sat": (None, f"W{_b} fraction of saturated pixels"),
                f"w{_b}mag": (_MAG, f"W{_b} standard-aperture magnitude (curve-of-growth corrected)"),
                f"w{_b}sigm": (_MAG, f"W{_b} standard-aperture magnitude uncertainty"),
                f"w{_b}flg": (None, f"W{_b} standard-aperture quality flag (bits: ES sec. II.1.a)"),
                f"w{_b}mcor": (_MAG, f"W{_b} aperture curve-of-growth correction"),
                f"w{_b}gmag": (_MAG, f"W{_b} elliptical-aperture magnitude (2MASS XSC ellipse)"),
                f"w{_b}gerr": (_MAG, f"W{_b} elliptical-aperture magnitude uncertainty"),
                f"w{_b}gflg": (None, f"W{_b} elliptical-aperture quality flag"),
                f"w{_b}rsemi": ("arcsec", f"W{_b} elliptical aperture semi-major axis"),
                f"w{_b}ba": (None, f"W{_b} elliptical aperture axis ratio b/a"),
                f"w{_b}pa": ("deg", f"W{_b} elliptical aperture position angle, east of north"),
                f"phot_w{_b}": (None, f"W{_b} photometry the SED uses (profile, elliptical or aperture)"),
                f"sat_w{_b}": (None, f"W{_b} meets the saturation rule (onset or w{_b}sat)")}


def described_table(columns: dict[str, Any], description: str) -> Table:
    """An astropy table of these columns (name -> values) with each column's unit and meaning
    (``COLUMNS``), the ``description`` and ``mjd``'s time scale in its meta: what an ECSV carries."""
    table = Table()
    for name, values in columns.items():
        table[name] = values
        unit, meaning = COLUMNS.get(name, (None, ""))
        table[name].description = meaning
        if unit:
            table[name].unit = unit
    table.meta = {"description": description}
    if "mjd" in columns:
        table.meta["mjd_time_scale"] = MJD_TIME_SCALE
    return table


def ecsv_text(table: Table) -> str:
    """astropy's ECSV of ``table``."""
    out = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # astropy warns about units it writes as given
        table.write(out, format="ascii.ecsv")
    return out.getvalue()


def plain_csv_and_ecsv(frame: pd.DataFrame, columns: list[str], *, description: str) -> tuple[bytes, bytes]:
    """A table as the bundle's CSV and its ECSV twin, by pandas' and astropy's own writers (what
    ``table_writer.csv_and_ecsv`` does faster): the CSV is pandas' ``to_csv`` with ``%.10g``
    floats; the ECSV is astropy's of the same rows with the floats as the CSV writes them.
    A column missing from ``frame`` is written as NaN."""
    chosen = frame.reindex(columns=columns)
    plain = chosen.to_csv(index=False, float_format="%.10g", lineterminator="\n").encode()
    values: dict[str, Any] = {}
    for name in columns:
        column = chosen[name]
        if pd.api.types.is_float_dtype(column.dtype):
            values[name] = np.array([float(f"{v:.10g}") for v in column.to_numpy(float)])
        elif pd.api.types.is_bool_dtype(column.dtype) or pd.api.types.is_integer_dtype(column.dtype):
            values[name] = np.ma.masked_invalid(column.to_numpy(float)).astype(
                bool if pd.api.types.is_bool_dtype(column.dtype) else np.int64) if column.isna().any() \
                else column.to_numpy(bool if pd.api.types.is_bool_dtype(column.dtype) else np.int64)
        else:
            values[name] = np.array(["" if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v)
                                     for v in column.tolist()], dtype=str) if len(column) else np.array([], "U1")
    return plain, ecsv_text(described_table(values, description)).encode()
