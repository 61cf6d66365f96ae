"""Proper motion in the epoch match: where a source moves, match each epoch to where it was.

An epoch is matched to the selected AllWISE source by position (``select.match_epochs``). A star
whose proper motion carries it out of the match radius between 2010 and 2024 loses its late (or
early) epochs that way. When the Gaia DR3 counterpart (Gaia Collaboration, Vallenari et al. 2023)
moves that far, each epoch is matched instead to the Gaia position propagated to the epoch's MJD
with astropy's ``SkyCoord.apply_space_motion`` (parallax as distance where positive; the
propagation of a position by its proper motion is the same at any distance to well below 1 mas).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dashboard.core.geometry import separation_arcsec

#: The span WISE and NEOWISE observed (MJD 55197 = 2010-01-01, 60676 = 2025-01-01).
SURVEY_MJD = (55197.0, 60676.0)
#: Distance assumed when the parallax is not positive (pc): the propagation needs one.
FAR_PC = 1.0e5


@dataclass(frozen=True)
class Motion:
    """A Gaia source's astrometry: position at ``ref_epoch`` (Julian year), proper motion (mas/yr)."""

    source_id: str
    ra: float
    dec: float
    pmra: float  # mu_alpha* = mu_alpha cos(dec)
    pmdec: float
    parallax: float | None
    ref_epoch: float
    allwise: str | None = None  # the AllWISE designation the Gaia archive's cross-match names, if any

    @property
    def total_mas_per_yr(self) -> float:
        return float(np.hypot(self.pmra, self.pmdec))

    def positions(self, mjd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(ra, dec) in degrees at each MJD."""
        import astropy.units as u
        from astropy.coordinates import SkyCoord
        from astropy.time import Time

        distance = (1000.0 / self.parallax) if self.parallax and self.parallax > 0 else FAR_PC
        star = SkyCoord(ra=self.ra * u.deg, dec=self.dec * u.deg, pm_ra_cosdec=self.pmra * u.mas / u.yr,
                        pm_dec=self.pmdec * u.mas / u.yr, distance=distance * u.pc,
                        obstime=Time(self.ref_epoch, format="jyear", scale="tcb"))
        moved = star.apply_space_motion(new_obstime=Time(np.atleast_1d(np.asarray(mjd, float)), format="mjd",
                                                         scale="tcb"))
        return np.asarray(moved.ra.deg, float), np.asarray(moved.dec.deg, float)

    def as_dict(self) -> dict[str, object]:
        return {"gaia_dr3_source_id": self.source_id, "ra_deg": self.ra, "dec_deg": self.dec,
                "pmra_mas_per_yr": self.pmra, "pmdec_mas_per_yr": self.pmdec, "parallax_mas": self.parallax,
                "ref_epoch_jyear": self.ref_epoch, "allwise_best_neighbour": self.allwise}

    @classmethod
    def from_dict(cls, data: dict) -> Motion:
        return cls(source_id=str(data["gaia_dr3_source_id"]), ra=float(data["ra_deg"]), dec=float(data["dec_deg"]),
                   pmra=float(data["pmra_mas_per_yr"]), pmdec=float(data["pmdec_mas_per_yr"]),
                   parallax=None if data.get("parallax_mas") is None else float(data["parallax_mas"]),
                   ref_epoch=float(data["ref_epoch_jyear"]), allwise=data.get("allwise_best_neighbour"))


def designation_key(text: object) -> str:
    """An AllWISE designation without prefix or spaces ("WISEA J1836…", "J1836…" -> "J1836…")."""
    return str(text or "").replace("WISEA", "").replace(" ", "").strip().upper()


@dataclass(frozen=True)
class MotionUse:
    """The proper motion applied to a view's epoch match, and what it changed."""

    motion: Motion
    drift_arcsec: float  # how far the source moves from the AllWISE position over 2010-2024
    recovered_epochs: int  # epochs matched with the motion that the fixed position missed

    def as_dict(self) -> dict[str, object]:
        return self.motion.as_dict() | {"drift_arcsec_2010_2024": round(self.drift_arcsec, 3),
                                        "epochs_recovered": self.recovered_epochs,
                                        "method": "astropy SkyCoord.apply_space_motion to each epoch's MJD"}

    def note(self) -> str:
        m = self.motion
        return (f"Proper motion applied: Gaia DR3 {m.source_id} moves {m.total_mas_per_yr:.0f} mas/yr "
                f"(μα* {m.pmra:+.1f}, μδ {m.pmdec:+.1f}; epoch J{m.ref_epoch:g}), {self.drift_arcsec:.1f}″ over "
                f"2010–2024; epochs matched to its position at each MJD ({self.recovered_epochs} recovered).")


#: The epoch of AllWISE Source Catalog positions (MJD 55400.0, 2010.56; AllWISE Explanatory
#: Supplement, Cutri et al. 2013, sec. II.1) and how close a Gaia source carried back to it must be.
ALLWISE_EPOCH_MJD = 55400.0
COUNTERPART_RADIUS_ARCSEC = 1.0


def counterpart_of(candidates: tuple[Motion, ...], designation: str | None, ra: float,
                   dec: float) -> Motion | None:
    """The Gaia counterpart of the AllWISE source at (ra, dec): the one the Gaia archive's
    cross-match names for its designation, else the one whose position carried back to the
    AllWISE epoch lies within ``COUNTERPART_RADIUS_ARCSEC`` (the nearest), else None."""
    key = designation_key(designation) if designation else None
    for motion in candidates:
        if key and motion.allwise and designation_key(motion.allwise) == key:
            return motion
    best: tuple[float, Motion] | None = None
    for motion in candidates:
        at_ra, at_dec = motion.positions(np.array([ALLWISE_EPOCH_MJD]))
        sep = float(separation_arcsec(at_ra, at_dec, ra, dec)[0])
        if sep <= COUNTERPART_RADIUS_ARCSEC and (best is None or sep < best[0]):
            best = (sep, motion)
    return best[1] if best else None


def moving_counterpart(candidates: tuple[Motion, ...], designation: str | None, ra: float, dec: float,
                       match_radius_arcsec: float) -> tuple[Motion, float] | None:
    """The Gaia counterpart (``counterpart_of``) when it moves farther than the match radius over
    the survey years, with that drift; else None."""
    motion = counterpart_of(candidates, designation, ra, dec)
    if motion is None:
        return None
    drift = drift_arcsec(motion, ra, dec)
    return (motion, drift) if drift > match_radius_arcsec else None


def drift_arcsec(motion: Motion, ra: float, dec: float) -> float:
    """The largest distance (arcsec) between (ra, dec) and the moving source over the survey years."""
    ras, decs = motion.positions(np.linspace(*SURVEY_MJD, 15))
    return float(separation_arcsec(ras, decs, ra, dec).max())
