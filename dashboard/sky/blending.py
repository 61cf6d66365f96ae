"""Blending: other sources inside the W1/W2 beam of the selected AllWISE source.

WISE's W1/W2 point-spread function has a 6.1″ FWHM (Wright et al. 2010), so a neighbour closer
than that shares the light measured for the selected source, in the catalog and in every epoch.
Listed: AllWISE neighbours (with their own, deblended, W1 magnitude) and Gaia DR3 sources other
than the counterpart. The W1 share of a Gaia neighbour is estimated only where Gaia's colours
allow it, by this stated relation: two stars of the same BP−RP (within ``SAME_COLOUR_MAG``) have
about the same G−W1, so their W1 flux ratio is their G flux ratio. Where a colour is missing or
the colours differ more, only the count and separations are given: no relation is assumed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from dashboard.core.geometry import separation_arcsec
from dashboard.core.measurement import finite_number
from dashboard.sky.identify import counterpart

BEAM_ARCSEC = 6.1
SAME_COLOUR_MAG = 0.5
RELATION = ("W1 share from the Gaia G flux ratio, for neighbours whose BP−RP is within "
            f"{SAME_COLOUR_MAG:g} mag of the counterpart's (same colour, same G−W1)")


@dataclass(frozen=True)
class Neighbour:
    catalog: str  # "AllWISE" or "Gaia DR3"
    name: str
    separation_arcsec: float
    w1_share: float | None  # fraction of the W1 flux in the beam, where it can be said
    basis: str  # how the share was found, or why it was not


@dataclass
class Blending:
    beam_arcsec: float = BEAM_ARCSEC
    neighbours: list[Neighbour] = field(default_factory=list)
    gaia_asked: bool = False  # Gaia answered (else only AllWISE neighbours are known)

    @property
    def blended(self) -> bool:
        return bool(self.neighbours)

    def summary(self) -> str:
        if not self.neighbours:
            if self.gaia_asked:
                return f"No other AllWISE or Gaia DR3 source within the {self.beam_arcsec:g}″ W1/W2 beam."
            return (f"No other AllWISE source within the {self.beam_arcsec:g}″ W1/W2 beam "
                    "(Gaia DR3 rows are not at hand, so neighbours only Gaia sees are not checked).")
        parts = []
        for n in self.neighbours:
            share = f", ~{100 * n.w1_share:.0f}% of the W1 flux" if n.w1_share is not None else ""
            parts.append(f"{n.catalog} {n.name} at {n.separation_arcsec:.1f}″{share}")
        return (f"Blending: {len(self.neighbours)} other source(s) within the {self.beam_arcsec:g}″ W1/W2 beam — "
                + "; ".join(parts) + ".")


def _w1_flux(mag: object) -> float | None:
    value = finite_number(mag)
    return 10 ** (-0.4 * value) if value is not None else None


def blending(sources: pd.DataFrame, selected_key: str | None, gaia: pd.DataFrame | None) -> Blending:
    """Neighbours of the selected source (its ``key`` in the AllWISE table) inside the beam."""
    report = Blending(gaia_asked=gaia is not None)
    if sources.empty or not selected_key:
        return report
    me = sources[sources["key"] == selected_key]
    if me.empty:
        return report
    row = me.iloc[0]
    ra, dec = float(row["ra"]), float(row["dec"])
    others = sources[sources["key"] != selected_key]
    sep = separation_arcsec(others["ra"].to_numpy(float), others["dec"].to_numpy(float), ra, dec)
    mine = _w1_flux(row.get("w1mpro"))
    for (_, other), s in zip(others.iterrows(), sep, strict=True):
        if s <= BEAM_ARCSEC:
            flux = _w1_flux(other.get("w1mpro"))
            share = flux / (flux + mine) if flux and mine else None
            report.neighbours.append(Neighbour("AllWISE", f"WISEA {other['key']}", float(s), share,
                                               "AllWISE w1mpro of both (deblended profile fits)"))
    if gaia is not None and not gaia.empty:
        report.neighbours.extend(_gaia_neighbours(gaia, row, ra, dec))
    report.neighbours.sort(key=lambda n: n.separation_arcsec)
    return report


def _gaia_neighbours(gaia: pd.DataFrame, row: pd.Series, ra: float, dec: float) -> list[Neighbour]:
    mate = counterpart(gaia, row.get("designation"))
    sep = separation_arcsec(gaia["ra"].to_numpy(float), gaia["dec"].to_numpy(float), ra, dec)
    close = gaia[(sep <= BEAM_ARCSEC)].assign(sep=sep[sep <= BEAM_ARCSEC])
    if mate is not None:
        close = close[close["source_id"].astype(str) != str(mate["source_id"])]
    ratios: dict[str, float | None] = {}
    for _, g in close.iterrows():
        ratios[str(g["source_id"])] = _same_colour_ratio(g, mate)
    known = sum(r for r in ratios.values() if r is not None)
    out = []
    for _, g in close.iterrows():
        ratio = ratios[str(g["source_id"])]
        basis = RELATION if ratio is not None else (
            "no counterpart named by the Gaia archive's AllWISE cross-match" if mate is None
            else "colours missing or more than 0.5 mag apart: share not estimated")
        out.append(Neighbour("Gaia DR3", str(g["source_id"]), float(g["sep"]),
                             ratio / (1.0 + known) if ratio is not None else None, basis))
    return out


def _same_colour_ratio(g: pd.Series, mate: pd.Series | None) -> float | None:
    """W1 flux of ``g`` relative to the counterpart's, by the same-colour relation, or None."""
    if mate is None:
        return None
    try:
        g_mag, g_col = float(g["phot_g_mean_mag"]), float(g["bp_rp"])
        m_mag, m_col = float(mate["phot_g_mean_mag"]), float(mate["bp_rp"])
    except (TypeError, ValueError, KeyError):
        return None
    if not all(math.isfinite(v) for v in (g_mag, g_col, m_mag, m_col)) or abs(g_col - m_col) > SAME_COLOUR_MAG:
        return None
    return 10 ** (-0.4 * (g_mag - m_mag))
