"""Gaia DR3 G, BP and RP beside WISE: the optical photometry of the AllWISE source's Gaia counterpart.

**Which Gaia source.** The one the Gaia archive's precomputed cross-match
``gaiadr3.allwise_best_neighbour`` (Marrese et al. 2019, A&A 621, A144) pairs with the selected
source's AllWISE designation (``sky/identify.counterpart``, asked with the sky context). Where it
names none, there are no Gaia points and the SED says why: a Gaia source merely near the WISE
position is a guess inside WISE's 6″ beam, not an identification. Where the Gaia archive was not
asked (offline, a batch) or failed, the SED has 2MASS and WISE and says that too.

**Flux densities**, in order (Riello et al. 2021, A&A 649, A3, sec. 5 and its CDS table
J/A+A/649/A3, whose ``zeropt.dat`` gives the zero points below and ``passband.dat`` the passbands):

1. the band's mean flux ``f`` in e⁻ s⁻¹ and its error (``phot_g_mean_flux``/``_error``, …);
2. its AB magnitude m_AB = −2.5 log10 f + ZP_AB, and F_ν = 3631 Jy · 10^(−0.4 m_AB): an AB
   magnitude is the flux density at the band's pivot wavelength;
3. σ(F_ν)/F_ν = √[(σ_f/f)² + (0.4 ln 10 · σ_ZP)²]: the flux's error and the zero point's own, added
   as Riello et al. add them for magnitudes;
4. the wavelength is the pivot wavelength of the published (photon-counting) passband,
   λ_p² = ∫ S λ dλ / ∫ S/λ dλ: G 0.6218, BP 0.5110, RP 0.7769 µm. ``tests/test_gaia_photometry.py``
   recomputes them from the CDS passband file shipped in ``tests/data/gaia_edr3``;
5. the ``mag`` column is the catalog's Vega magnitude ``phot_*_mean_mag`` (= −2.5 log10 f +
   ZP_Vega), its error 2.5/ln 10 · σ_f/f with σ_ZP,Vega in quadrature.

Gaia publishes no upper limits: a band without a flux (BP and RP are missing for many faint or
crowded sources) has no point, and its row says so. The zero points are the same for DR3 as for
EDR3 (DR3 republished EDR3's photometry).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from dashboard.core.measurement import finite_number
from dashboard.science.motion import designation_key
from dashboard.science.photometry import MAG_TO_FLUX_ERR, nu_fnu

#: What the rows' ``catalog`` and ``survey`` say.
CATALOG = "gaiadr3.gaia_source"
SURVEY = "Gaia DR3"
TITLE = "Gaia DR3 (the archive's AllWISE best neighbour)"
AB_ZERO_JY = 3631.0
REFERENCE = "Riello et al. 2021, A&A 649, A3 (zero points: CDS J/A+A/649/A3 zeropt.dat)"
CROSS_MATCH = "gaiadr3.allwise_best_neighbour (Marrese et al. 2019, A&A 621, A144)"


@dataclass(frozen=True)
class GaiaBand:
    name: str
    column: str  # gaia_source's prefix: phot_g_mean, phot_bp_mean, phot_rp_mean
    pivot_um: float
    zp_vega: float
    zp_vega_err: float
    zp_ab: float
    zp_ab_err: float


#: Riello et al. 2021's zero points (J/A+A/649/A3, zeropt.dat) and the pivot wavelengths of their
#: passbands (module docstring, step 4).
BANDS: dict[str, GaiaBand] = {
    "BP": GaiaBand("BP", "phot_bp_mean", 0.5110, 25.3385422158, 0.0027901700, 25.3539555559, 0.0023065687),
    "G": GaiaBand("G", "phot_g_mean", 0.6218, 25.6873668671, 0.0027553202, 25.8010446445, 0.0027590522),
    "RP": GaiaBand("RP", "phot_rp_mean", 0.7769, 24.7478955012, 0.0037793818, 25.1039837393, 0.0015800349),
}
#: The Gaia columns this module reads (the sky context's Gaia query asks for them).
COLUMNS = tuple(f"{b.column}_{c}" for b in BANDS.values() for c in ("flux", "flux_error", "mag"))


@dataclass(frozen=True)
class GaiaSource:
    """One Gaia DR3 source's photometry and parallax, and the AllWISE source the archive pairs it with."""

    source_id: str
    allwise: str  # the AllWISE designation (``allwise_best_neighbour.original_ext_source_id``)
    flux: tuple[float | None, ...]  # e-/s, one per band in ``BANDS``' order (BP, G, RP)
    flux_error: tuple[float | None, ...]
    mag: tuple[float | None, ...]  # the catalog's Vega magnitudes
    parallax: float | None = None  # mas
    parallax_error: float | None = None

    @classmethod
    def from_row(cls, row: Any) -> GaiaSource:
        def get(column: str) -> float | None:
            return finite_number(row.get(column))

        return cls(source_id=str(row["source_id"]), allwise=str(row.get("original_ext_source_id") or ""),
                   flux=tuple(get(f"{g.column}_flux") for g in BANDS.values()),
                   flux_error=tuple(get(f"{g.column}_flux_error") for g in BANDS.values()),
                   mag=tuple(get(f"{g.column}_mag") for g in BANDS.values()),
                   parallax=get("parallax"), parallax_error=get("parallax_error"))

    def as_dict(self) -> dict[str, Any]:
        """The manifest's record: each band's values named (``from_dict`` reads it back)."""
        entry = asdict(self)
        for field in ("flux", "flux_error", "mag"):
            entry[field] = dict(zip(BANDS, entry[field], strict=True))
        return entry

    @classmethod
    def from_dict(cls, entry: dict[str, Any]) -> GaiaSource:
        named = {f: tuple(entry[f].get(b) for b in BANDS) for f in ("flux", "flux_error", "mag")}
        return cls(**{**entry, **named})

    def value(self, field: str, band: str) -> float | None:
        return getattr(self, field)[list(BANDS).index(band)]

    def parallax_snr(self) -> float | None:
        if self.parallax is None or not self.parallax_error:
            return None
        return self.parallax / self.parallax_error


@dataclass(frozen=True)
class GaiaPhotometry:
    """What the Gaia archive answered for the cone: its sources that the archive's AllWISE
    cross-match names, or why there is no answer (``unavailable``: not asked, offline, failed)."""

    sources: tuple[GaiaSource, ...] = ()
    unavailable: str = ""

    @classmethod
    def from_rows(cls, rows: pd.DataFrame | None, failure: str = "") -> GaiaPhotometry:
        if rows is None:
            return cls(unavailable=failure or "the Gaia archive was not asked")
        if rows.empty or "original_ext_source_id" not in rows:
            return cls()
        paired = rows[rows["original_ext_source_id"].map(lambda v: isinstance(v, str) and bool(v.strip()))]
        return cls(sources=tuple(GaiaSource.from_row(row) for _, row in paired.iterrows()))

    def counterpart(self, designation: str | None) -> GaiaSource | None:
        if not designation:
            return None
        key = designation_key(designation)
        return next((s for s in self.sources if designation_key(s.allwise) == key), None)


@dataclass(frozen=True)
class GaiaMatch:
    """What the SED took from Gaia: the counterpart, or why no Gaia point is drawn."""

    source: GaiaSource | None
    note: str

    def manifest_entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"counterpart": self.source.as_dict() if self.source else None, "note": self.note}
        if self.source is not None:
            entry |= {"cross_match": CROSS_MATCH, "reference": REFERENCE,
                      "bands": {b.name: {"pivot_um": b.pivot_um, "zp_ab": b.zp_ab, "zp_ab_err": b.zp_ab_err,
                                         "zp_vega": b.zp_vega, "zp_vega_err": b.zp_vega_err}
                                for b in BANDS.values()},
                      "flux_density": "F_nu = 3631 Jy * flux * 10^(-0.4 ZP_AB) at the passband's pivot wavelength"}
        return entry


NOT_ASKED = ("Gaia DR3: not asked (G, BP, RP come with the sky context: on the page once it has come, and in "
             "a bundle; a batch and `fetch` do not ask it)")


def gaia_sed(answer: GaiaPhotometry | None, designation: str | None) -> tuple[list[dict[str, Any]], GaiaMatch]:
    """The G, BP, RP rows of the selected source's Gaia counterpart, and what was matched (or why
    nothing was)."""
    if answer is None:
        return [], GaiaMatch(None, NOT_ASKED)
    if answer.unavailable:
        return [], GaiaMatch(None, f"Gaia DR3: no G, BP, RP points ({answer.unavailable.rstrip('.')})")
    found = answer.counterpart(designation)
    if found is None:
        return [], GaiaMatch(None, f"Gaia DR3: no counterpart: the archive's AllWISE cross-match "
                                   f"(allwise_best_neighbour) names no Gaia source for {designation or 'this source'}"
                                   " (a Gaia source merely near it is not an identification)")
    rows = [_row(band, found) for band in BANDS.values()]
    drawn = [r["band"] for r in rows if r["measured"]]
    return rows, GaiaMatch(found, f"Gaia DR3 {found.source_id} (the archive's AllWISE best neighbour): "
                                  + (", ".join(drawn) if drawn else "no G, BP or RP flux"))


def _row(band: GaiaBand, source: GaiaSource) -> dict[str, Any]:
    flux_e, err_e = source.value("flux", band.name), source.value("flux_error", band.name)
    measured = flux_e is not None and flux_e > 0
    if measured:
        assert flux_e is not None
        flux = AB_ZERO_JY * flux_e * 10 ** (-0.4 * band.zp_ab)
        relative = err_e / flux_e if err_e is not None else math.nan
        flux_err = flux * math.hypot(relative, 0.4 * math.log(10) * band.zp_ab_err)
        mag = source.value("mag", band.name)
        mag = mag if mag is not None else band.zp_vega - 2.5 * math.log10(flux_e)
        mag_err = math.hypot(relative / MAG_TO_FLUX_ERR, band.zp_vega_err)
    else:
        flux = flux_err = mag = mag_err = math.nan
    note = (f"Gaia DR3 {source.source_id}, mean flux {flux_e:.6g} e-/s" if measured
            else f"no {band.name} flux in Gaia DR3 {source.source_id}")
    return {"band": band.name, "wavelength_um": band.pivot_um, "mag": mag, "mag_err": mag_err, "flux_jy": flux,
            "flux_err_jy": flux_err, "nu_fnu": float(nu_fnu(flux, band.pivot_um)),
            "nu_fnu_err": float(nu_fnu(flux_err, band.pivot_um)), "upper_limit": False, "lower_limit": False,
            "measured": measured, "ph_qual": "n/a", "cc_flag": "n/a", "sat": math.nan, "saturated": False,
            "phot": "gaia", "phot_reason": f"Gaia DR3 {band.column}_flux ({REFERENCE})", "catalog": CATALOG,
            "survey": SURVEY, "source_id": source.source_id, "note": note, "reasons": "", "passed": measured}
