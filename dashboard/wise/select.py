"""Which AllWISE source the SED and light curve are about, and which epochs belong to it.

The nearest catalog source to the target is selected, unless an AllWISE designation was typed
or a source was chosen. Epochs are matched to the selected source by position (``match_radius``)
and, where ``allwise_cntr`` is recorded, rows associated with another AllWISE source are left
out. Multi-epoch detections listed twice under two ``cntr_mf`` (one source on two overlapping
coadd tiles) are counted once: the rows whose ``cntr_mf`` is the source's ``cntr`` are kept, or,
where that is unknown, one row per ``mjd``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .model import Target


@dataclass(frozen=True)
class Selection:
    key: str
    label: str
    designation: str | None
    cntr: int | None
    ra: float
    dec: float
    separation_arcsec: float
    method: str


def source_key(row: pd.Series) -> str:
    """A stable identifier for a catalog row: its designation, else its position."""
    designation = row.get("designation")
    if isinstance(designation, str) and designation:
        return designation.removeprefix("WISEA ").strip()
    return f"{float(row['ra']):.6f}{float(row['dec']):+.6f}"


def separation_arcsec(ra: np.ndarray, dec: np.ndarray, ra0: float, dec0: float) -> np.ndarray:
    if len(ra) == 0:
        return np.array([], dtype=float)
    # Vincenty's formula, as astropy's ``angular_separation``: exact at small and large angles
    lon1, lat1, lon2, lat2 = np.radians(ra0), np.radians(dec0), np.radians(ra), np.radians(dec)
    sdlon, cdlon = np.sin(lon2 - lon1), np.cos(lon2 - lon1)
    slat1, slat2, clat1, clat2 = np.sin(lat1), np.sin(lat2), np.cos(lat1), np.cos(lat2)
    num1 = clat2 * sdlon
    num2 = clat1 * slat2 - slat1 * clat2 * cdlon
    denominator = slat1 * slat2 + clat1 * clat2 * cdlon
    return np.degrees(np.arctan2(np.hypot(num1, num2), denominator)) * 3600.0


def sources_table(psd: pd.DataFrame, target: Target) -> pd.DataFrame:
    """The catalog rows sorted by separation from the target, with ``separation_arcsec`` and ``key``."""
    if psd.empty:
        return psd.assign(separation_arcsec=pd.Series(dtype=float), key=pd.Series(dtype=object))
    sep = separation_arcsec(psd["ra"].to_numpy(float), psd["dec"].to_numpy(float), target.ra, target.dec)
    out = psd.assign(separation_arcsec=sep)
    out["key"] = [source_key(row) for _, row in out.iterrows()]
    return out.sort_values("separation_arcsec", kind="stable").reset_index(drop=True)


def select_source(sources: pd.DataFrame, target: Target, requested: str | None = None) -> Selection | None:
    """The chosen source: ``requested`` key, else the typed designation, else the nearest."""
    if sources.empty:
        return None
    row, method = sources.iloc[0], "nearest to the target"
    wanted = requested or target.designation
    if wanted:
        hits = sources[sources["key"] == wanted.removeprefix("WISEA ").strip()]
        if len(hits):
            row = hits.iloc[0]
            method = "chosen source" if requested else "AllWISE designation (exact match)"
        else:
            method = f"{wanted} not in the cone; nearest to the target used"
    designation = row.get("designation") if isinstance(row.get("designation"), str) else None
    cntr = row.get("cntr")
    cntr = int(cntr) if cntr is not None and pd.notna(cntr) else None
    label = f"WISEA {designation}" if designation else f"AllWISE source at {row['ra']:.5f} {row['dec']:+.5f}"
    return Selection(key=str(row["key"]), label=label, designation=designation, cntr=cntr,
                     ra=float(row["ra"]), dec=float(row["dec"]),
                     separation_arcsec=float(row["separation_arcsec"]), method=method)


def match_epochs(rows: pd.DataFrame, ra: float | np.ndarray, dec: float | np.ndarray, radius_arcsec: float,
                 cntr: int | None, *, multi_epoch: bool) -> tuple[pd.DataFrame, dict[str, int]]:
    """Rows of one epoch table that belong to the source at (ra, dec); counts of what was left out.
    ``ra``/``dec`` may give one position per row: a moving source's place at each epoch (motion.py)."""
    counts = {"beyond_match_radius": 0, "other_allwise_source": 0, "duplicate_coadd_rows": 0}
    if rows.empty:
        return rows, counts
    sep = separation_arcsec(rows["ra"].to_numpy(float), rows["dec"].to_numpy(float), ra, dec)  # type: ignore[arg-type]
    keep = sep <= radius_arcsec
    counts["beyond_match_radius"] = int((~keep).sum())
    if cntr is not None and "allwise_cntr" in rows.columns:
        other = rows["allwise_cntr"].notna().to_numpy(bool) & (rows["allwise_cntr"].fillna(cntr).to_numpy() != cntr)
        counts["other_allwise_source"] = int((keep & other).sum())
        keep &= ~other
    matched = rows[keep].assign(match_sep_arcsec=sep[keep])
    if multi_epoch and len(matched):
        before = len(matched)
        own = "cntr_mf" in matched.columns and cntr is not None and (matched["cntr_mf"] == cntr).any()
        if own:
            matched = matched[matched["cntr_mf"] == cntr]
        else:
            order = ["mjd", "cntr_mf"] if "cntr_mf" in matched.columns else ["mjd"]
            matched = matched.sort_values(order, kind="stable").drop_duplicates("mjd")
        counts["duplicate_coadd_rows"] = before - len(matched)
    return matched.reset_index(drop=True), counts
