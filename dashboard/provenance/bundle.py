"""The provenance bundle: one zip with the data, a manifest that says exactly how it was made,
the citations, and ``reproduce.py``, which recomputes every CSV offline from ``raw/*.vot``.

Same data, same bytes: the bundle describes the data (when and where each table was retrieved),
never the download (whether it came from the cache is an HTTP header, not a file). Entries are
written in a fixed order with their time stamp taken from the retrieval time, and the manifest
is serialised with sorted keys.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from datetime import datetime
from importlib import metadata
from typing import Any

import pandas as pd

from dashboard import __version__
from dashboard.archive.votable import frame_to_votable
from dashboard.config import Settings
from dashboard.core.model import Observations, TableResult
from dashboard.core.releases import release_label
from dashboard.core.tables import TABLES, UNITS, spec
from dashboard.core.targets import ecliptic_latitude
from dashboard.provenance import frames as frames_bundle
from dashboard.provenance import sky as sky_bundle
from dashboard.provenance.citations import ACKNOWLEDGEMENTS, BIBTEX, CITATIONS, USE_CITATIONS
from dashboard.provenance.columns import csv_and_ecsv
from dashboard.science.analysis import AnalysisParams, View
from dashboard.science.apertures import AUTO_RULE, RESOLVED_LIGHTCURVE_NOTE, STANDARD_APERTURE_ARCSEC
from dashboard.science.apertures import REFERENCES as PHOT_REFERENCES
from dashboard.science.lightcurve import COLOUR_COLUMNS, EPOCH_COLUMNS, VISIT_COLUMNS
from dashboard.science.periodogram import Periodogram
from dashboard.science.photometry import BANDS, SATURATED_FRACTION, SATURATION_ONSET_MAG, ZP_SOURCE
from dashboard.science.quality import EPOCH_CUTS, SATURATION_CUT, saturation_keeps
from dashboard.sky.context import SkyContext
from dashboard.sky.evidence import VisitEvidence

SED_COLUMNS = ["band", "wavelength_um", "mag", "mag_err", "flux_jy", "flux_err_jy", "upper_limit", "ph_qual",
               "cc_flag", "nu_fnu", "nu_fnu_err", "passed", "reasons", "note", "sat", "saturated", "phot",
               "phot_reason", "lower_limit", "catalog"]
#: What computes a bundle (the page itself, Dash and plotly, does not enter its files).
SOFTWARE = ["astropy", "astroquery", "pyvo", "numpy", "pandas"]
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



def safe_name(text: str) -> str:
    """A file-name-safe version of any target text."""
    name = re.sub(r"[^A-Za-z0-9.+-]+", "_", text).strip("._")[:60]
    return name or "target"


def _versions() -> dict[str, str]:
    """The versions of what computes a bundle."""
    return dict(_installed_versions())


@functools.cache
def _installed_versions() -> tuple[tuple[str, str], ...]:
    """Looked up once a process (~10 ms a lookup; a batch bundle asks once a target)."""
    out = {"wise-explorer": __version__}
    for package in SOFTWARE:
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = "not installed"
    return tuple(out.items())


def zip_time(retrieved_utc: Iterable[str]) -> tuple[int, int, int, int, int, int]:
    """The time stamped on every file of a bundle: the latest retrieval of its data (never the
    clock of the download, so the same data gives the same bytes); 1980-01-01 if none is known."""
    stamps = []
    for text in retrieved_utc:
        for part in text.split(", "):  # a batch chunk answered offline lists each recording's date
            try:
                stamps.append(datetime.fromisoformat(part.replace("Z", "+00:00")))
            except ValueError:
                continue
    if not stamps:
        return (1980, 1, 1, 0, 0, 0)
    t = max(stamps)
    return (max(t.year, 1980), t.month, t.day, t.hour, t.minute, t.second)


def _raw_votables(observations: Observations) -> dict[str, bytes]:
    files = {}
    for name, result in observations.results.items():
        prov = result.provenance
        if result.raw_votable is not None:
            files[f"raw/{prov.table}.vot"] = result.raw_votable
        else:
            origin = prov.origin or {}
            infos = {"ORIGIN": f"offline archive file {prov.archive_file}, recorded from {origin.get('service', '')}",
                     "ORIGIN_FILE": origin.get("file", ""), "RETRIEVED": prov.retrieved_utc,
                     "NOTE": "generated by WISE Explorer from recorded rows; not the bytes IRSA sent"}
            dtypes = {c: k for c, k in spec(name).columns.items() if c in result.rows.columns}
            files[f"raw/{prov.table}.vot"] = frame_to_votable(result.rows, dtypes=dtypes, infos=infos)
    return files


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
        "mission": "WISE (Wide-field Infrared Survey Explorer) and NEOWISE-R",
        "release": "; ".join(str(t["release"]) for t in tables),
        "time_system": {"mjd": "modified Julian date in UTC (NEOWISE Explanatory Supplement sec. III.1.c "
                               "gives mjd 57196.47882488 as 2015-06-23 11:29:30.47 UTC; AllWISE ES sec. II.3.c)"},
        "tables": tables,
        "failures": {t: {"kind": e.kind, "message": e.data_message} for t, e in obs.failures.items()},
        "params": {k: v for k, v in asdict(params).items() if k != "counterparts"},
        "proper_motion": view.motion.as_dict() if view.motion is not None else None,
        "variability": {band: asdict(stats) for band, stats in view.lightcurve.stats.items()},
        "periodogram": _periodogram_entry(view),
        "colour_magnitude": view.colour_track.summary() if view.colour_track else None,
        "variability_method": "chi2 about the weighted mean of the visit fluxes; p_constant its survival "
                              "function; fvar, fvar_err: Vaughan et al. 2003, MNRAS 345, 1271, eq. 10 and B2; "
                              "error_floor_mag: extra variance in quadrature that makes the chi2 of exposures "
                              "about their visit medians one per degree of freedom (intrinsic-scatter model, e.g. "
                              "Hogg, Bovy & Lang 2010, arXiv:1008.4686); chi2_red_floor, p_constant_floor: with "
                              "each visit's error widened by it (floor/sqrt(n_used))",
        "target": asdict(view.target),
        "query": {"radius_arcsec": obs.cone.radius_arcsec, "ra": obs.cone.ra, "dec": obs.cone.dec, "frame": "ICRS"},
        "match": {
            "designation": sel.designation if sel else None, "cntr": sel.cntr if sel else None,
            "separation_arcsec": round(sel.separation_arcsec, 4) if sel else None,
            "radius_arcsec": params.match_radius_arcsec, "method": sel.method if sel else "no AllWISE source in cone",
            "epochs_left_out": view.match_counts,
        },
        "bands": list(BANDS),
        "phot_system": "Vega",
        "zero_points": {b.name: {"jy": b.zero_point_jy, "wavelength_um": b.wavelength_um, "source": ZP_SOURCE}
                        for b in BANDS.values()},
        "zp_source": ZP_SOURCE,
        "flux_error": "sigma_F = F ln(10)/2.5 sigma_m (first-order propagation)",
        "sed_options": {**asdict(params.sed_options),
                        "note": "colour corrections and the W4 red factor are NOT VERIFIED against the Supplement"},
        "processing": PROCESSING,
        "filters": [asdict(f) for f in view.filters],
        "catalog_cuts": asdict(params.catalog_cuts),
        "epoch_cuts": epoch_cut_entries(params),
        "photometry": _photometry_entry(view),
        "saturation": {"catalog_onsets_mag": SATURATION_ONSET_MAG, "saturated_fraction": SATURATED_FRACTION,
                       "epoch_onsets_mag": {"W1": params.binning.saturation_w1, "W2": params.binning.saturation_w2},
                       "verified": False,
                       "note": "onsets NOT VERIFIED against the Explanatory Supplements (NEOWISE ES sec. "
                               "II.1.c.iv; All-Sky ES sec. VI.3.c); w?sat threshold: WISE Preliminary Release ES "
                               "sec. VI.4.d (~1% of unsaturated sources have w?sat > 0 from charged-particle hits)"},
        "binning": {"method": "timewise stack_visits (Necker et al. 2025): median per visit, outliers at "
                              "threshold x quantile of |f - median| on flux, error max(t-corrected SDOM, combined)",
                    "mode": view.lightcurve.visit_mode, "window_days": params.binning.window_days,
                    "max_visit_days": params.binning.max_visit_days,
                    "ecliptic_latitude_deg": round(ecliptic_latitude(view.target.ra, view.target.dec), 4),
                    "mode_note": "window: a gap-visit longer than max_visit_days (WISE saw the position almost "
                                 "continuously, near the ecliptic poles) is cut into window_days windows",
                    "note": "saturation onsets are NOT VERIFIED against the NEOWISE Supplement"},
        "units": {**UNITS, "flux_jy": "Jy", "nu_fnu": "erg s^-1 cm^-2"},
        "software": _versions(),
        "citations": [text for _, text in CITATIONS] + [text for _, text, _ in used_citations(view)],
        "added_tables": {m.catalog: m.as_dict() for m in view.deeper},
        "acknowledgements": ACKNOWLEDGEMENTS,
        "tap_url": settings.tap_url,
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
    }


def epoch_cut_entries(params: AnalysisParams) -> list[dict[str, Any]]:
    """Every epoch cut: its token, the column it reads, what it keeps, and whether it is on."""
    return ([{"token": c.token, "column": c.column, "keeps": c.keeps, "enabled": c.token in params.epoch_cuts.enabled}
             for c in EPOCH_CUTS]
            + [{"token": SATURATION_CUT, "column": "w1mpro, w2mpro, w?sat (per band)",
                "keeps": saturation_keeps(params.binning.saturation_w1, params.binning.saturation_w2,
                                          SATURATED_FRACTION), "enabled": params.epoch_cuts.saturated}])


def used_citations(view: View) -> list[tuple[str, str, str]]:
    """The papers of what this view used beyond the WISE tables: CatWISE2020, unWISE, the
    resolved-galaxy photometry."""
    keys: list[str] = [t for t in ("catwise_2020", "unwise_2019") if t in view.observations.results]
    if not view.sed.empty and "phot" in view.sed and (view.sed["phot"] != "profile").any():
        keys.append("apertures")
    return [USE_CITATIONS[k] for k in keys]


def _photometry_entry(view: View) -> dict[str, Any]:
    """Which photometry each SED band used and why (``science/apertures.py``)."""
    sed = view.sed
    bands = [] if sed.empty else [  # columns read whole: a frame's to_dict costs ~2 ms, whatever its rows
        {"band": band, "phot": phot, "reason": reason, "lower_limit": bool(lower), "catalog": catalog}
        for band, phot, reason, lower, catalog in zip(*(sed[c].tolist() for c in ("band", "phot", "phot_reason",
                                                                                  "lower_limit", "catalog")),
                                                      strict=True)]
    return {"mode": view.params.sed_options.phot, "rule": AUTO_RULE, "bands": bands,
            "standard_aperture_radius_arcsec": STANDARD_APERTURE_ARCSEC, "resolved": view.resolved,
            "light_curve": RESOLVED_LIGHTCURVE_NOTE if view.resolved else "profile fit (w1mpro, w2mpro)",
            "references": list(PHOT_REFERENCES)}


REPRODUCE = """\"\"\"Recompute every CSV of this bundle offline from raw/*.vot and manifest.json, and compare.

Needs the package that made it: pip install wise-explorer=={version} (or `pip install .` in its
checkout). `python reproduce.py` exits 0 when every file agrees, else names the files that differ.
`python reproduce.py --requery` also re-runs the ADQL at the recorded service and compares row counts.
\"\"\"
import sys
from pathlib import Path

from dashboard.provenance.reproduce import main

sys.exit(main(Path(__file__).resolve().parent, requery="--requery" in sys.argv[1:]))
"""


README = """WISE Explorer provenance bundle
================================
manifest.json           how this was made: ADQL, tables, footprints, cuts and what each removed,
                        zero points and their source, binning, software versions, checksums
raw/*.vot               each table's query result as a VOTable: as received from IRSA, or, for the
                        offline archive, generated from the recorded rows (labelled with their origin)
sources.csv             the AllWISE sources in the cone with their quality columns
sed.csv                 the selected source's W1-W4 SED (Jy); upper_limit=True is a 95% upper limit;
                        phot: profile fit, elliptical or standard aperture (manifest "photometry");
                        catalog: the table of the row (CatWISE2020/unWISE W1-W2 rows when added)
rejects.csv             (with add=psr) AllWISE Reject Table rows in the cone: not catalog sources
lightcurve_epochs.csv   W1/W2 single-exposure epochs, with passed/reasons and their visit
lightcurve_visits.csv   per-visit medians
lightcurve_colour.csv   W1-W2 per visit where both bands are detected
periodogram_w?.csv      (with a periodogram) Lomb-Scargle power per frequency (1/day); manifest "periodogram"
image/cutout_w?.fits    (when IRSA's image service answered) the AllWISE Atlas cutout as received
identification/*.csv    (when they answered) SIMBAD objects and Gaia DR3 sources in the cone; manifest "sky_context"
FAILURES.txt            (only when a table failed) which tables are missing and why
CITATION.bib            papers and dataset DOIs to cite; ACKNOWLEDGEMENTS.txt the required texts
reproduce.py            recomputes every CSV from raw/ offline (python reproduce.py; --requery asks IRSA again)
"""


def source_columns(view: View) -> list[str]:
    """The columns of ``sources.csv``: the catalog's own order (not the order a reply or a
    recording happened to have: a bundle's raw VOTable of offline rows lists them in this order,
    and reproduce.py must get the same file back from it), then the computed ones."""
    catalog = [c for c in TABLES["allwise_p3as_psd"].columns if c in view.sources.columns]
    return catalog + [c for c in view.sources.columns if c not in catalog and c != "key"]


def data_files(view: View) -> dict[str, bytes]:
    """The CSVs computed from the rows: what ``reproduce.py`` recomputes and compares."""
    tables = {
        "sources": (view.sources, source_columns(view), "AllWISE catalog sources in the cone, nearest first"),
        "sed": (view.sed, SED_COLUMNS, "the selected source's W1-W4 spectral energy distribution"),
        "lightcurve_epochs": (view.lightcurve.epochs, EPOCH_COLUMNS,
                              "single-exposure epochs, kept and rejected (with the cuts' reasons)"),
        "lightcurve_visits": (view.lightcurve.visits, VISIT_COLUMNS, "per-visit medians"),
        "lightcurve_colour": (view.lightcurve.colour(), COLOUR_COLUMNS, "W1 - W2 per visit"),
    }
    if view.rejects is not None:  # asked for (add=psr): the reject table's rows, never mixed with the catalog's
        tables["rejects"] = (view.rejects, [c for c in TABLES["allwise_p3as_psd"].columns if c in view.rejects]
                             + ["separation_arcsec"], "AllWISE Reject Table rows in the cone (not catalog sources)")
    files = {}
    for name, (frame, columns, text) in tables.items():
        files[f"{name}.csv"], files[f"{name}.ecsv"] = csv_and_ecsv(frame, columns, description=text)
    for band, p in view.periodograms.items():
        files[f"periodogram_{band.lower()}.csv"] = _periodogram_csv(p)
    return files


def _periodogram_entry(view: View) -> dict[str, Any] | None:
    if not view.params.periodogram:
        return None
    if view.periodogram_failure is not None:
        return {"failed": str(view.periodogram_failure)}
    return {band: {**p.summary(), "cycles_in_baseline": round(p.cycles, 2),
                   "red_noise_caution": view.periodogram_caution(band)} for band, p in view.periodograms.items()}


def _periodogram_csv(result: Periodogram) -> bytes:
    """frequency_per_day, power on the uniform grid (written compactly: grids have ~10^5 rows)."""
    frame = pd.DataFrame({"frequency_per_day": result.frequency_per_day, "power": result.power})
    return frame.to_csv(index=False, float_format="%.9g", lineterminator="\n").encode()


def failures_text(observations: Observations) -> str:
    """One line per failed table (the ``FAILURES.txt`` of a partial bundle)."""
    return "".join(f"{table}: {err.kind}: {err.data_message}\n" for table, err in observations.failures.items())


def build_bundle(view: View, settings: Settings, sky: SkyContext | None = None,
                 page: Mapping[str, Any] | None = None, evidence: VisitEvidence | None = None) -> bytes:
    """The zip of ``view`` as bytes: exactly what is on screen, with its sky context when given.
    ``page``: the view as the page's link holds it (its canonical query and every parameter,
    defaults included; ``ui.urlstate.page_view``), recorded even where no file depends on it (a
    fold, a zoom, the plot unit), so the bundle says which view it is. ``evidence``: a visit's
    frames (URL ``frames=1``), added with ``provenance/frames.py``."""
    files = {**_raw_votables(view.observations), **data_files(view)}
    files["CITATION.bib"] = (BIBTEX + "".join(bib for _, _, bib in used_citations(view))
                             + (sky_bundle.bibtex(sky) if sky is not None else "")).encode()
    if sky is not None:
        files |= sky_bundle.files(sky)
    if evidence is not None:
        files |= frames_bundle.files(evidence)
    files["ACKNOWLEDGEMENTS.txt"] = ("\n\n".join(ACKNOWLEDGEMENTS.values()) + "\n").encode()
    files["README.txt"] = README.encode()
    files["reproduce.py"] = REPRODUCE.replace("{version}", __version__).encode()
    if view.observations.failures:
        files["FAILURES.txt"] = failures_text(view.observations).encode()
    entry = manifest(view, settings, files)
    entry["view"] = dict(page) if page is not None else {
        "query": None, "parameters": None, "note": "made without a page link (the command line with a target)"}
    if sky is not None:
        entry["sky_context"] = sky_bundle.manifest_entry(sky, view)
        entry["citations"] += entry["sky_context"]["citations"]
    if evidence is not None:
        entry["visit_frames"] = frames_bundle.manifest_entry(evidence)
    files["manifest.json"] = (json.dumps(entry, indent=1, sort_keys=True, default=_plain) + "\n").encode()
    return zip_files(files, zip_time(r.provenance.retrieved_utc for r in view.observations.results.values()))


def zip_files(files: dict[str, bytes], stamp: tuple[int, int, int, int, int, int], *, level: int = 6) -> bytes:
    """The zip of ``files``: FAILURES.txt first (what a user must see), then by name, every entry
    stamped ``stamp`` with fixed permissions, so equal files give equal bytes. ``level``: zlib's
    (a batch of 10^4 files uses 1: 3x faster to deflate, 15 % larger)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive_zip:
        for name in sorted(files, key=lambda n: (n != "FAILURES.txt", n)):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive_zip.writestr(info, files[name], compresslevel=level)
    return buffer.getvalue()


def _plain(value: object) -> object:
    import numpy as np

    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return str(value)
