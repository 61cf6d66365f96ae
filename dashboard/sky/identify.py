"""Identification: SIMBAD objects and Gaia DR3 sources around the target, nearest first, and the
Gaia counterpart of an AllWISE source.

The counterpart is the one the Gaia archive's precomputed cross-match names
(``gaiadr3.allwise_best_neighbour``) for the source's designation; where it names none, there
is no counterpart (a position-only guess inside WISE's 6″ beam is what the blending check is
for, not an identification).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard.core.geometry import separation_arcsec
from dashboard.core.measurement import finite_number
from dashboard.science.motion import Motion, designation_key


def with_separation(rows: pd.DataFrame, ra: float, dec: float) -> pd.DataFrame:
    """Rows with ``separation_arcsec`` from (ra, dec), nearest first."""
    if rows.empty:
        return rows.assign(separation_arcsec=pd.Series(dtype=float))
    sep = separation_arcsec(rows["ra"].to_numpy(float), rows["dec"].to_numpy(float), ra, dec)
    return rows.assign(separation_arcsec=sep).sort_values("separation_arcsec", kind="stable").reset_index(drop=True)


def counterpart(gaia: pd.DataFrame, designation: str | None) -> pd.Series | None:
    """The Gaia row the archive's AllWISE cross-match pairs with ``designation``, if any."""
    if gaia.empty or not designation or "original_ext_source_id" not in gaia.columns:
        return None
    keys = gaia["original_ext_source_id"].map(designation_key)
    hits = gaia[keys == designation_key(designation)]
    return hits.iloc[0] if len(hits) else None


def motions(gaia: pd.DataFrame) -> tuple[Motion, ...]:
    """Gaia sources with a proper motion, as the analysis takes them (it picks the counterpart)."""
    out = []
    for _, row in gaia.iterrows():
        pmra, pmdec, epoch = (finite_number(row.get(c)) for c in ("pmra", "pmdec", "ref_epoch"))
        if pmra is None or pmdec is None or epoch is None:
            continue
        allwise = row.get("original_ext_source_id")
        out.append(Motion(source_id=str(row["source_id"]), ra=float(row["ra"]), dec=float(row["dec"]),
                          pmra=pmra, pmdec=pmdec, parallax=finite_number(row.get("parallax")), ref_epoch=epoch,
                          allwise=designation_key(allwise) if isinstance(allwise, str) and allwise else None))
    return tuple(out)


def gaia_table(gaia: pd.DataFrame, ra: float, dec: float) -> pd.DataFrame:
    """The Gaia rows the page and the bundle show: separation, G, BP−RP, parallax, proper motion, RUWE."""
    rows = with_separation(gaia, ra, dec)
    columns = ["source_id", "separation_arcsec", "phot_g_mean_mag", "bp_rp", "parallax", "parallax_error", "pmra",
               "pmdec", "ruwe", "ref_epoch", "ra", "dec", "original_ext_source_id", "phot_bp_mean_mag",
               "phot_rp_mean_mag"]
    for name in columns:
        if name not in rows.columns:
            rows[name] = np.nan
    out = rows[columns].rename(columns={"original_ext_source_id": "allwise_best_neighbour"})
    out["source_id"] = out["source_id"].astype(str)  # 19 digits: a JavaScript number would round them
    return out


def simbad_table(simbad: pd.DataFrame, ra: float, dec: float) -> pd.DataFrame:
    rows = with_separation(simbad, ra, dec)
    columns = ["main_id", "otype", "separation_arcsec", "ra", "dec"]
    for name in columns:
        if name not in rows.columns:
            rows[name] = None
    return rows[columns]


#: How near the target a SIMBAD object's redshift is taken from (arcsec): a host galaxy's SIMBAD
#: position and a transient's may differ by about an arcsecond.
SIMBAD_Z_RADIUS_ARCSEC = 3.0


@dataclass(frozen=True)
class SimbadRedshift:
    """A redshift SIMBAD gives for the object at the source's position."""

    z: float
    main_id: str
    separation_arcsec: float
    bibcode: str
    otype: str = ""  # the object's SIMBAD type (a redshift is a distance for a galaxy, not a star)
    kind: str = ""  # rvz_type: z (a redshift) or v (a velocity, given as z)
    quality: str = ""  # rvz_qual: SIMBAD's grade, A (best) to E

    def said(self) -> str:
        ref = f", {self.bibcode}" if self.bibcode else ""
        what = ", ".join(x for x in (f"type {self.otype}" if self.otype else "",
                                      f"quality {self.quality}" if self.quality else "") if x)
        return (f"z = {self.z:g} from SIMBAD ({self.main_id}{ref}, {self.separation_arcsec:.2f}″ away"
                + (f"; {what}" if what else "") + ")")

    def manifest_entry(self) -> dict[str, object]:
        return {"service": "SIMBAD (CDS) TAP, table basic: rvz_redshift", "main_id": self.main_id,
                "otype": self.otype, "rvz_type": self.kind, "rvz_qual": self.quality, "rvz_bibcode": self.bibcode,
                "separation_arcsec": round(self.separation_arcsec, 3)}


def simbad_redshift(simbad: pd.DataFrame | None, ra: float, dec: float,
                    radius_arcsec: float) -> SimbadRedshift | None:
    """The redshift of the nearest SIMBAD object within ``radius_arcsec`` of (ra, dec) that has one
    (``rvz_redshift``); None when none does (or SIMBAD's reply predates the column). A redshift is
    a distance only for an extragalactic object: the flare panel says where it came from, and the
    link then holds it (URL ``z``), so a reader can see and change it."""
    if simbad is None or simbad.empty or "rvz_redshift" not in simbad:
        return None
    rows = with_separation(simbad, ra, dec)
    z = pd.to_numeric(rows["rvz_redshift"], errors="coerce")
    near = rows[(rows["separation_arcsec"] <= radius_arcsec) & z.notna() & (z > 0)]
    if near.empty:
        return None
    best = near.sort_values("separation_arcsec", kind="stable").iloc[0]
    def text(column: str) -> str:
        value = best.get(column)
        return str(value).strip() if isinstance(value, str) else ""

    return SimbadRedshift(z=round(float(best["rvz_redshift"]), 6), main_id=str(best["main_id"]),
                          separation_arcsec=float(best["separation_arcsec"]), bibcode=text("rvz_bibcode"),
                          otype=text("otype"), kind=text("rvz_type"), quality=text("rvz_qual"))
