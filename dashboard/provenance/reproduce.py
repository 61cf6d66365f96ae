"""Recompute a bundle's CSVs offline from its ``raw/*.vot`` and ``manifest.json`` and compare.

What the bundle's ``reproduce.py`` runs. Each CSV is rebuilt through the same ``analyze`` as the
page, with the manifest's parameters, and compared with the manifest's sha256. Where the numpy or
pandas that run now differ from the ones recorded, a file whose bytes differ but whose numbers
agree within 1e-9 (relative) is "equal in value" and passes. Exit status 0: every file agrees.

A bundle made by an earlier version reproduces in its own mode: only the files its manifest lists
are compared, so a file a later version adds (the ECSV twins of 0.8) is not asked of it.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import sys
from dataclasses import replace
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dashboard import __version__
from dashboard.archive.votable import votable_rows
from dashboard.core.model import Cone, Footprint, Observations, Provenance, ServerSideFilter, TableResult, Target
from dashboard.provenance.bundle import data_files
from dashboard.runtime import configure
from dashboard.science.analysis import AnalysisParams, analyze
from dashboard.science.colours import CLASS_COLUMN, CRITERIA
from dashboard.science.flares import FlareParams
from dashboard.science.gaia_photometry import GaiaPhotometry, GaiaSource
from dashboard.science.motion import Motion
from dashboard.science.photometry import SedOptions
from dashboard.science.quality import CatalogCuts, EpochCuts
from dashboard.science.stacking import Binning

RELATIVE_TOLERANCE = 1e-9


def params_from_manifest(entry: dict[str, Any], motion: dict[str, Any] | None = None) -> AnalysisParams:
    """The view's parameters; ``motion`` (the manifest's "proper_motion") replays the epoch match
    against the moving Gaia counterpart with the proper motion and reference epoch recorded."""
    return AnalysisParams(
        counterparts=(Motion.from_dict(motion),) if motion else (),
        source=entry["source"], match_radius_arcsec=float(entry["match_radius_arcsec"]),
        catalog_cuts=CatalogCuts(**entry["catalog_cuts"]),
        epoch_cuts=EpochCuts(enabled=tuple(entry["epoch_cuts"]["enabled"])),
        # a manifest from before the photometry choice (0.9) read every band's profile fit
        binning=Binning(**entry["binning"]), sed_options=SedOptions(**{"phot": "profile", **entry["sed_options"]}),
        periodogram=bool(entry.get("periodogram", False)),
        flare=flare_params(entry.get("flare")),
        fit_bands=tuple(entry["fit_bands"]) if entry.get("fit_bands") else None,
    )


def flare_params(entry: dict[str, Any] | None) -> FlareParams | None:
    """The flare search's parameters as the manifest's ``params`` recorded them (None: not asked)."""
    if not entry:
        return None
    window = entry.get("baseline_window")
    return FlareParams(**{**entry, "baseline_window": tuple(window) if window else None})


def gaia_from_manifest(entry: dict[str, Any] | None) -> GaiaPhotometry | None:
    """The Gaia DR3 photometry the view's SED used: its counterpart, or an answer without one
    (whatever the reason, no Gaia row is then in the SED). None: a bundle from before 0.12."""
    if entry is None:
        return None
    found = entry.get("counterpart")
    return GaiaPhotometry(sources=(GaiaSource.from_dict(found),)) if found else GaiaPhotometry(
        unavailable=str(entry.get("note", "")))


@functools.lru_cache(maxsize=8)
def _shared_raw(path: Path) -> pd.DataFrame:
    """A batch chunk's reply, read once for all of its targets."""
    return votable_rows(path.read_bytes())


def table_rows(folder: Path, entry: dict[str, Any]) -> pd.DataFrame:
    """A table's rows as the view had them: the raw file, or in a batch the rows of the target's
    ``upload_id`` in its chunk's reply (in the reply's order, as the batch split them)."""
    if "upload_id" not in entry:
        return votable_rows((folder / entry["raw_file"]).read_bytes())
    rows = _shared_raw((folder / entry["raw_file"]).resolve())
    mine = rows[rows["upload_id"].to_numpy() == entry["upload_id"]]
    return mine.drop(columns="upload_id").reset_index(drop=True)


def observations_from_bundle(folder: Path, manifest: dict[str, Any]) -> Observations:
    query = manifest["query"]
    observations = Observations(cone=Cone(query["ra"], query["dec"], query["radius_arcsec"]))
    for entry in manifest["tables"]:
        rows = table_rows(folder, entry)
        ssf = entry.get("server_side_filter")
        provenance = Provenance(
            table=entry["name"], source="offline" if entry.get("from_offline_archive") else "live",
            rows=len(rows), retrieved_utc=entry["retrieved_utc"], adql=entry["adql"],
            service_url=entry["service_url"], footprint=Footprint(**entry["footprint"]),
            server_side_filter=ServerSideFilter(ssf["text"], tuple(ssf["columns"])) if ssf else None)
        observations.results[entry["requested_as"]] = TableResult(rows=rows, provenance=provenance)
    return observations


def recompute(folder: Path) -> dict[str, bytes]:
    """The bundle's CSVs, recomputed from its raw VOTables with its recorded parameters."""
    manifest = json.loads((folder / "manifest.json").read_text())
    target = Target(**manifest["target"])
    params = replace(params_from_manifest(manifest["params"], manifest.get("proper_motion")),
                     gaia=gaia_from_manifest(manifest.get("gaia_photometry")))
    matched_with = [m["gaia_motion"] for m in (manifest.get("added_tables") or {}).values() if m.get("gaia_motion")]
    if matched_with:  # the Gaia astrometry the CatWISE2020 match used
        params = replace(params, counterparts=params.counterparts + tuple(Motion.from_dict(m) for m in matched_with))
    view = analyze(target, observations_from_bundle(folder, manifest), params)
    return data_files(view)


#: Manifest sections a later version added, each with the columns its bundles' files gained. A
#: bundle whose manifest lacks a section reproduces in the old mode: its files are compared on
#: the columns they have (0.9: the saturation columns of sed.csv).
LATER_SECTIONS = {"saturation": ("sat", "saturated"),
                  "photometry": ("phot", "phot_reason", "lower_limit", "catalog"),
                  "colour_classes": (*(c.column for c in CRITERIA), CLASS_COLUMN),
                  "gaia_photometry": ("survey", "source_id")}


def _read_table(data: bytes, ecsv: bool) -> pd.DataFrame:
    if ecsv:
        from astropy.table import Table

        return Table.read(data.decode("utf-8"), format="ascii.ecsv").to_pandas()
    return pd.read_csv(io.BytesIO(data))


def equal_in_value(a: bytes, b: bytes, *, ecsv: bool = False, old_columns: tuple[str, ...] = ()) -> bool:
    """Same table, same columns, text equal and numbers within ``RELATIVE_TOLERANCE``.
    ``old_columns``: columns a later version added to the recomputed ``a``, absent from the
    shipped ``b`` of an older bundle; they are left out of the comparison."""
    try:
        left, right = _read_table(a, ecsv), _read_table(b, ecsv)
    except (ValueError, pd.errors.ParserError):
        return False
    left = left.drop(columns=[c for c in old_columns if c in left.columns and c not in right.columns])
    if set(left.columns) == set(right.columns):  # the same columns in another order are the same values
        left = left[list(right.columns)]
    if list(left.columns) != list(right.columns) or left.shape != right.shape:
        return False
    for col in left.columns:
        x, y = left[col], right[col]
        if pd.api.types.is_numeric_dtype(x) and pd.api.types.is_numeric_dtype(y):
            if not np.allclose(x.to_numpy(float), y.to_numpy(float), rtol=RELATIVE_TOLERANCE, atol=0,
                               equal_nan=True):
                return False
        elif not x.fillna("").astype(str).equals(y.fillna("").astype(str)):
            return False
    return True


def changed_files(folder: Path, expected: dict[str, str]) -> list[str]:
    """The files that are missing or not the bytes the bundle was made with (each printed)."""
    differ = []
    for name in sorted(expected):
        path = folder / name
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != expected[name]:
            differ.append(name)
            print(f"CHANGED  {name} (not the file the bundle was made with)")
    return differ


#: What a damaged bundle raises when read (a file gone, cut short or edited into nonsense).
UNREADABLE = (OSError, ValueError, KeyError, TypeError, IndexError)


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest, or None (said in one line) when it is gone, not JSON or has no checksums:
    without them nothing can be checked, and a check that cannot fail must not pass."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
        if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
            raise ValueError("it lists no file checksums")
        return manifest
    except UNREADABLE as exc:
        print(f"CANNOT READ  {folder.name}/manifest.json ({type(exc).__name__}: {exc}): not a bundle as made")
        return None


def main(folder: Path, *, requery: bool = False) -> int:
    configure()
    manifest = read_manifest(folder)
    if manifest is None:
        return 1
    expected: dict[str, str] = manifest["files"]
    differ = changed_files(folder, expected)  # every file as shipped (raw data, texts)
    try:
        recomputed = recompute(folder)
    except UNREADABLE as exc:  # said in one line, with the files that changed above it: never a traceback
        print(f"CANNOT RECOMPUTE ({type(exc).__name__}: {exc}): the bundle's raw data or manifest is damaged")
        print("differs: " + ", ".join(sorted(set(differ))) if differ else "differs: the raw data cannot be read")
        return 1
    later = tuple(c for section, columns in LATER_SECTIONS.items() if section not in manifest for c in columns)
    for name, data in sorted(recomputed.items()):
        if name not in expected:  # a file added to bundles after this one was made (0.8: the ECSV twins)
            continue
        shipped = (folder / name).read_bytes() if (folder / name).is_file() else b""
        if hashlib.sha256(data).hexdigest() == expected.get(name):
            print(f"equal    {name}")
        elif equal_in_value(data, shipped, ecsv=name.endswith(".ecsv"), old_columns=later) and name not in differ:
            print(f"equal in value  {name} (bytes differ; numbers within {RELATIVE_TOLERANCE:g} relative)")
        else:
            differ.append(name)
            print(f"DIFFERS  {name}")
    if requery:
        _requery(manifest)
    ran = {p: _version(p) for p in ("wise-explorer", "numpy", "pandas")}
    recorded = manifest.get("software", {})
    print("ran with " + ", ".join(f"{p} {v} (bundle: {recorded.get(p, '?')})" for p, v in ran.items()))
    if differ:
        print("differs: " + ", ".join(sorted(set(differ))))
        return 1
    return 0


def main_batch(root: Path) -> int:
    """A batch bundle: the shared files (chunk replies, summary) against the top-level checksums,
    then every target folder as ``main`` checks a single bundle."""
    configure()
    top = read_manifest(root)
    if top is None:
        return 1
    shared = {name: digest for name, digest in top["files"].items() if not name.startswith("targets/")}
    codes = [1 if changed_files(root, shared) else 0]
    folders = top.get("folders")
    if not isinstance(folders, dict):
        print("CANNOT READ  manifest.json (it lists no target folders): not a batch bundle as made")
        return 1
    for folder in sorted(folders.values()):
        print(f"-- {folder}")
        if not (root / folder / "manifest.json").is_file():
            print(f"MISSING  {folder}/manifest.json")
            codes.append(1)
            continue
        codes.append(main(root / folder))
    return max(codes)


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return __version__ if package == "wise-explorer" else "not installed"


def _requery(manifest: dict[str, Any]) -> None:
    """Run the recorded ADQL at the recorded service again and compare row counts."""
    import pyvo

    for entry in manifest["tables"]:
        if not entry.get("adql") or not entry.get("service_url"):
            print(f"requery  {entry['name']}: recorded from {entry.get('origin') or 'the offline archive'}; "
                  "no ADQL to re-run")
            continue
        try:
            now = len(pyvo.dal.TAPService(entry["service_url"]).run_sync(entry["adql"]))
            print(f"requery  {entry['name']}: {entry['rows']} rows then, {now} now")
        except Exception as exc:  # report and go on: the offline check above already decided
            print(f"requery  {entry['name']}: failed ({type(exc).__name__}: {exc})", file=sys.stderr)
