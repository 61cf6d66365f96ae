"""The manifest of a bundle: how its data was made, exactly (ADQL, tables, footprints, cuts and what
each removed, zero points and their source, binning, variability, software, checksums)."""

from __future__ import annotations

import functools
import hashlib
import json
import math
from dataclasses import asdict
from importlib import metadata
from typing import Any

import numpy as np

from dashboard import __version__
from dashboard.config import Settings
from dashboard.core.model import TableResult
from dashboard.core.releases import release_label
from dashboard.core.tables import UNITS, spec
from dashboard.core.targets import ecliptic_latitude
from dashboard.provenance.citations import ACKNOWLEDGEMENTS, CITATIONS, USE_CITATIONS
from dashboard.science import near_infrared
from dashboard.science.analysis import AnalysisParams, View
from dashboard.science.apertures import AUTO_RULE, RESOLVED_LIGHTCURVE_NOTE, STANDARD_APERTURE_ARCSEC
from dashboard.science.apertures import REFERENCES as PHOT_REFERENCES
from dashboard.science.colours import METHOD_ENTRY as COLOUR_METHOD
from dashboard.science.colours import manifest_entry as colour_classes_entry
from dashboard.science.flares import manifest_entry as flare_entry
from dashboard.science.gaia_photometry import GaiaMatch
from dashboard.science.photometry import BANDS, ZP_SOURCE
from dashboard.science.quality import EPOCH_CUTS, SATURATION_CUT
from dashboard.science.saturation import CATALOG_ONSET_MAG, SATURATED_FRACTION, saturation_keeps

#: What computes a bundle (the page itself, Dash and plotly, does not enter its files).
SOFTWARE = ["astropy", "astroquery", "pyvo", "numpy", "pandas"]
#: What the batch routes run on besides (TAP uploads and IRSA's Parquet catalogs on Dask).
BATCH_SOFTWARE = ("pyarrow", "dask", "distributed", "hpgeom")
PROCESSING = [
    "cone search of each table (ADQL CONTAINS/CIRCLE, ICRS) at IRSA TAP, the cache, or the offline archive",
    "catalog rows sorted by angular separation from the target; nearest (or the chosen designation) selected",
    "epochs matched to the selected source by position (match radius) and allwise_cntr where recorded",
    "multi-epoch rows duplicated under two cntr_mf counted once",
    "quality cuts per table; rejected rows kept with their reasons",
    "SED: Vega magnitudes to Jy with the zero points below; ph_qual read per band ('U' = 95% upper limit)",
    "a band without a measurement (ph_qual X, null magnitude, or the 0 mag / 10000 placeholder) is kept "
    "in the epochs with its reason and never used",
    "light curve: W1/W2 flux densities per exposure; per-visit medians with outlier rejection (timewise)",
    "variability per band from the detected visits: chi2_red, p_constant, amplitude, F_var (Vaughan et al. 2003)",
]



def software_versions(batch: bool = False) -> dict[str, str]:
    """The versions of what computes a bundle (``batch``: and of what the batch routes run on).
    The one list of software every manifest records."""
    return dict(_installed_versions((*SOFTWARE, *BATCH_SOFTWARE) if batch else tuple(SOFTWARE)))


@functools.cache
def _installed_versions(packages: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Looked up once a process (~10 ms a lookup; a batch bundle asks once a target)."""
    out = {"wise-explorer": __version__}
    for package in packages:
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = "not installed"
    return tuple(out.items())


def json_value(value: object) -> object:
    """The one JSON rule of every manifest for what JSON has no type for: a numpy integer, float
    or bool as the number or bool it holds (a NaN as null: ``dumps``), anything else as its text."""
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return str(value)


def dumps(value: object) -> str:
    """``value`` as manifest JSON: keys sorted, one space an indent, ``json_value`` for the
    rest, and a NaN or an infinity (which JSON cannot hold) as null."""
    try:
        return json.dumps(value, indent=1, sort_keys=True, default=json_value, allow_nan=False)
    except ValueError:  # rare: a NaN somewhere; walk it once
        return json.dumps(_finite(value), indent=1, sort_keys=True, default=json_value, allow_nan=False)


def _finite(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def manifest_bytes(entry: dict[str, Any]) -> bytes:
    """A manifest's bytes: a view's bundle, a batch folder's and a batch zip's, a survey folder's
    (and a batch run's identity). Keys sorted, one space an indent, a newline at the end."""
    return (dumps(entry) + "\n").encode()


def _epochs_mjd(result: TableResult) -> Any:
    """The epochs of an epoch table's rows; None for the catalog, which has no ``mjd``."""
    return result.rows["mjd"].to_numpy(float) if "mjd" in result.rows.columns else None


def manifest(view: View, settings: Settings, files: dict[str, bytes]) -> dict:
    obs = view.observations
    tables = []
    for name, result in obs.results.items():
        p = result.provenance
        tables.append({
            "name": p.table, "requested_as": name, "release": release_label(p.table, p.retrieved_utc,
                                                                          _epochs_mjd(result)), "doi": spec(name).doi,
            "adql": p.adql, "service_url": p.service_url, "rows": p.rows, "retrieved_utc": p.retrieved_utc,
            "raw_file": f"raw/{p.table}.vot", "from_offline_archive": p.source == "offline",
            "footprint": p.footprint.as_dict() if p.footprint else {"ra": obs.cone.ra, "dec": obs.cone.dec,
                                                                     "radius_arcsec": obs.cone.radius_arcsec},
            "truncated": p.truncated, "archive_file": p.archive_file, "origin": p.origin,
            "server_side_filter": p.server_side_filter, "warnings": p.warnings,
        })
    sel = view.selection
    params = view.params
    return {
        **_fixed_sections(params.without_sky()),
        "release": "; ".join(str(t["release"]) for t in tables),
        "tables": tables,
        "failures": {t: {"kind": e.kind, "message": e.data_message} for t, e in obs.failures.items()},
        "proper_motion": view.motion.as_dict() if view.motion is not None else None,
        "variability": {band: asdict(stats) for band, stats in view.lightcurve.stats.items()},
        "periodogram": _periodogram_entry(view),
        "colour_magnitude": view.colour_track.summary() if view.colour_track else None,
        "colour_classes": COLOUR_METHOD,
        "colour_verdicts": colour_classes_entry(view.colours),
        "sed_shape": view.sed_shape().manifest_entry(),
        **({"flare": flare_entry(view.flare)} if view.flare is not None else {}),
        "target": asdict(view.target),
        "query": {"radius_arcsec": obs.cone.radius_arcsec, "ra": obs.cone.ra, "dec": obs.cone.dec, "frame": "ICRS"},
        "match": {
            "designation": sel.designation if sel else None, "cntr": sel.cntr if sel else None,
            "separation_arcsec": round(sel.separation_arcsec, 4) if sel else None,
            "radius_arcsec": params.match_radius_arcsec, "method": sel.method if sel else "no AllWISE source in cone",
            "epochs_left_out": view.match_counts,
        },
        "filters": [f.as_dict() for f in view.filters],
        "photometry": _photometry_entry(view),
        **({"near_infrared": near_infrared.manifest_entry()} if shows_two_mass(view) else {}),
        "gaia_photometry": (view.gaia or GaiaMatch(None, "no source selected")).manifest_entry(),
        "binning": {"method": "timewise stack_visits (Necker et al. 2025): median per visit, outliers at "
                              "threshold x quantile of |f - median| on flux, error max(t-corrected SDOM, combined)",
                    "mode": view.lightcurve.visit_mode, "window_days": params.binning.window_days,
                    "max_visit_days": params.binning.max_visit_days,
                    "ecliptic_latitude_deg": round(ecliptic_latitude(view.target.ra, view.target.dec), 4),
                    "mode_note": "window: a gap-visit longer than max_visit_days (WISE saw the position almost "
                                 "continuously, near the ecliptic poles) is cut into window_days windows",
                    "note": "saturation onsets are NOT VERIFIED against the NEOWISE Supplement"},
        "citations": _citations(tuple(text for _, text, _ in used_citations(view))),
        "added_tables": {m.catalog: m.as_dict() for m in view.deeper},
        "tap_url": settings.tap_url,
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
    }


@functools.lru_cache(maxsize=64)
def _fixed_sections(params: AnalysisParams) -> dict[str, Any]:
    """The manifest's sections that depend on the view's parameters alone (``params`` without
    Gaia counterparts), made once: the same objects in every manifest of a batch, which
    ``ManifestText`` renders once. Never changed in place by a caller."""
    return {
        "mission": "WISE (Wide-field Infrared Survey Explorer) and NEOWISE-R",
        "time_system": {"mjd": "modified Julian date in UTC (NEOWISE Explanatory Supplement sec. III.1.c "
                               "gives mjd 57196.47882488 as 2015-06-23 11:29:30.47 UTC; AllWISE ES sec. II.3.c)"},
        "params": params.recorded(),
        "variability_method": "chi2 about the weighted mean of the visit fluxes; p_constant its survival "
                              "function; fvar, fvar_err: Vaughan et al. 2003, MNRAS 345, 1271, eq. 10 and B2; "
                              "error_floor_mag: extra variance in quadrature that makes the chi2 of exposures "
                              "about their visit medians one per degree of freedom (intrinsic-scatter model, e.g. "
                              "Hogg, Bovy & Lang 2010, arXiv:1008.4686); chi2_red_floor, p_constant_floor: with "
                              "each visit's error widened by it (floor/sqrt(n_used))",
        "bands": list(BANDS),
        "phot_system": "Vega",
        "zero_points": {b.name: {"jy": b.zero_point_jy, "wavelength_um": b.wavelength_um, "source": ZP_SOURCE}
                        for b in BANDS.values()},
        "zp_source": ZP_SOURCE,
        "flux_error": "sigma_F = F ln(10)/2.5 sigma_m (first-order propagation)",
        "sed_options": {**asdict(params.sed_options),
                        "note": "colour corrections and the W4 red factor are NOT VERIFIED against the Supplement"},
        "processing": PROCESSING,
        "catalog_cuts": asdict(params.catalog_cuts),
        "epoch_cuts": epoch_cut_entries(params),
        "saturation": {"catalog_onsets_mag": CATALOG_ONSET_MAG, "saturated_fraction": SATURATED_FRACTION,
                       "epoch_onsets_mag": {"W1": params.binning.saturation_w1, "W2": params.binning.saturation_w2},
                       "verified": False,
                       "note": "onsets NOT VERIFIED against the Explanatory Supplements (NEOWISE ES sec. "
                               "II.1.c.iv; All-Sky ES sec. VI.3.c); w?sat threshold: WISE Preliminary Release ES "
                               "sec. VI.4.d (~1% of unsaturated sources have w?sat > 0 from charged-particle hits)"},
        "units": {**UNITS, "flux_jy": "Jy", "nu_fnu": "erg s^-1 cm^-2"},
        "software": software_versions(),
        "acknowledgements": ACKNOWLEDGEMENTS,
    }


class ManifestText:
    """A speed path of ``manifest_bytes`` for a batch's ~10^3 manifests (the same bytes, tested
    on real manifests): a top-level section is rendered once while it is the very object the last
    manifest had (``_fixed_sections``), and a list's flat dicts once each. At 1,000 targets it
    saves ~1 s of the bundle's ~10 s (``benchmarks/batch.py``)."""

    def __init__(self) -> None:
        self._last: dict[str, tuple[object, str]] = {}
        self._flat: dict[tuple[tuple[str, type, object], ...], str] = {}  # a flat dict's text, by its items

    def __call__(self, entry: dict[str, Any]) -> bytes:
        if not entry:
            return b"{}\n"
        lines = []
        for key in sorted(entry):
            value = entry[key]
            last = self._last.get(key)
            if last is None or last[0] is not value:
                # one level deeper: each of its lines one space further in
                last = self._last[key] = (value, self._text(value).replace("\n", "\n "))
            lines.append(f" {json.dumps(key)}: {last[1]}")
        return ("{\n" + ",\n".join(lines) + "\n}\n").encode()

    def _text(self, value: object) -> str:
        """``dumps(value)``; a list's flat dicts
        (the filters: ~20 a manifest, most the same in every target's) each rendered once."""
        if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
            return dumps(value)
        items = []
        for item in value:
            # the key holds each value's type and, for a float, its repr (1 == 1.0 == True, 0.0 == -0.0)
            key = tuple((k, type(v), repr(v) if isinstance(v, float) else v) for k, v in item.items())
            flat = all(v is None or isinstance(v, (str, int, float)) for v in item.values())
            text = self._flat.get(key) if flat else None
            if text is None:
                text = dumps(item)
                if flat:
                    self._flat[key] = text
            items.append(text.replace("\n", "\n "))
        return "[\n " + ",\n ".join(items) + "\n]"


def epoch_cut_entries(params: AnalysisParams) -> list[dict[str, Any]]:
    """Every epoch cut: its token, the column it reads, what it keeps, and whether it is on."""
    return ([{"token": c.token, "column": c.column, "keeps": c.keeps, "enabled": c.token in params.epoch_cuts.enabled}
             for c in EPOCH_CUTS]
            + [{"token": SATURATION_CUT, "column": "w1mpro, w2mpro, w?sat (per band)",
                "keeps": saturation_keeps(params.binning.saturation_w1, params.binning.saturation_w2,
                                          SATURATED_FRACTION), "enabled": params.epoch_cuts.saturated}])


@functools.lru_cache(maxsize=16)
def _citations(used: tuple[str, ...]) -> list[str]:
    """The manifest's citations: the WISE papers and datasets, then those of what the view used
    (one list per set: the same object in a batch's manifests, rendered once). A caller that adds
    to a manifest's citations (the sky context) makes its own list."""
    return [text for _, text in CITATIONS] + list(used)


def used_citations(view: View) -> list[tuple[str, str, str]]:
    """The papers of what this view used beyond the WISE tables: CatWISE2020, unWISE, the
    resolved-galaxy photometry."""
    keys: list[str] = [t for t in ("catwise_2020", "unwise_2019") if t in view.observations.results]
    phot = view.sed["phot"].to_numpy(object) if not view.sed.empty and "phot" in view.sed else np.array([], object)
    if np.isin(phot, ["elliptical", "aperture"]).any():
        keys.append("apertures")
    if (phot == "2mass").any():
        keys.append("2mass")
    if (phot == "gaia").any():
        keys.append("gaia")
    return [USE_CITATIONS[k] for k in keys]


def shows_two_mass(view: View) -> bool:
    """The SED shows 2MASS photometry (its manifest entry, citation and acknowledgement)."""
    return bool("phot" in view.sed and (view.sed["phot"].to_numpy(object) == "2mass").any())


def _photometry_entry(view: View) -> dict[str, Any]:
    """Which photometry each SED band used and why (``science/apertures.py``)."""
    # 2MASS and Gaia DR3 have their own entries ("near_infrared", "gaia_photometry")
    sed = view.sed[~view.sed["phot"].isin(["2mass", "gaia"])] if "phot" in view.sed else view.sed
    bands = [] if sed.empty else [  # columns read whole: a frame's to_dict costs ~2 ms, whatever its rows
        {"band": band, "phot": phot, "reason": reason, "lower_limit": bool(lower), "catalog": catalog}
        for band, phot, reason, lower, catalog in zip(*(sed[c].tolist() for c in ("band", "phot", "phot_reason",
                                                                                  "lower_limit", "catalog")),
                                                      strict=True)]
    return {"mode": view.params.sed_options.phot, "rule": AUTO_RULE, "bands": bands,
            "standard_aperture_radius_arcsec": STANDARD_APERTURE_ARCSEC, "resolved": view.resolved,
            "light_curve": RESOLVED_LIGHTCURVE_NOTE if view.resolved else "profile fit (w1mpro, w2mpro)",
            "references": list(PHOT_REFERENCES)}


def _periodogram_entry(view: View) -> dict[str, Any] | None:
    if not view.params.periodogram:
        return None
    if view.periodogram_failure is not None:
        return {"failed": str(view.periodogram_failure)}
    return {band: {**p.summary(), "cycles_in_baseline": round(p.cycles, 2),
                   "red_noise_caution": view.periodogram_caution(band)} for band, p in view.periodograms.items()}


