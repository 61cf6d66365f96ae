"""The offline archive: real IRSA rows for a few demo targets, shipped in ``archive/data/``.

Each recording knows the cone it covers (its footprint). A cone inside a footprint is answered
with the rows inside the cone, by true angular separation; a cone reaching past it is answered
with what was recorded plus a warning that says how far the recording reaches. Rows, flags or
columns that were not recorded are never made up. Built by ``scripts/build_archive.py``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dashboard.core.errors import NotCovered
from dashboard.core.geometry import separation_arcsec
from dashboard.core.model import Cone, Footprint, Provenance, ServerSideFilter, TableResult
from dashboard.core.targets import normalize_alias

DATA_DIR = Path(__file__).parent / "data"
IRSA_CREDIT = ("Rows recorded from the NASA/IPAC Infrared Science Archive (IRSA), operated by Caltech "
               "for NASA; WISE and NEOWISE data products.")


@dataclass(frozen=True)
class Recording:
    """One table recorded for one demo target."""

    target: str
    requested_table: str
    recorded_table: str
    file: str
    footprint: Footprint
    origin: dict[str, str]
    server_side_filter: ServerSideFilter | None
    note: str
    partial: bool
    #: columns the archive's build computed from recorded ones, each with how (never data IRSA sent)
    derived_columns: dict[str, str]

    def rows(self) -> pd.DataFrame:
        return _read_rows(self.file)


@dataclass(frozen=True)
class DemoTarget:
    name: str
    aliases: tuple[str, ...]
    ra: float
    dec: float
    kind: str
    tables: tuple[str, ...]
    #: the largest cone around the target that every recording covers (arcsec)
    covered_radius_arcsec: float
    #: what its demo shows, read from the rows by the archive's build ("SED with ph_qual, ...")
    shows: str = ""
    #: the radius its demo link opens with (arcsec): the covered radius, or less for a wide recording
    link_radius_arcsec: float = 0.0
    #: the event its demo link marks (``t0``): {"mjd", "what", "source"}, or None
    event: dict[str, Any] | None = None


_ECSV_COLUMN = re.compile(r"^# - \{name: (?P<name>[^,]+), datatype: (?P<datatype>\w+)\}$")
_ECSV_TYPES = {"float64": "float64", "int64": "Int64", "string": "object", "bool": "boolean"}


@lru_cache(maxsize=64)
def _read_rows(file: str) -> pd.DataFrame:
    """Read a recording (ECSV 1.0 as ``scripts/build_archive.py`` writes it: space-separated,
    "" for a missing value) into the frame the TAP client gives: NaN for a missing number, None
    for missing text. pandas reads it directly (astropy's reader takes a quarter second to
    import); ``tests/test_archive.py`` checks the two agree on every shipped file."""
    path = DATA_DIR / file
    types: dict[str, str] = {}
    header = 0
    with path.open(encoding="utf-8") as f:
        for line in f:
            if not line.startswith("#"):
                break
            header += 1
            column = _ECSV_COLUMN.match(line.rstrip("\n"))
            if column:
                types[column["name"]] = _ECSV_TYPES[column["datatype"]]
    frame = pd.read_csv(path, sep=" ", skiprows=header, quotechar='"', keep_default_na=False, na_values=[""],
                        dtype={k: ("object" if v == "object" else "float64" if v == "float64" else "object")
                               for k, v in types.items()})
    for name, kind in types.items():
        if kind == "object":
            frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
        elif kind == "Int64":
            numbers = pd.array([None if pd.isna(v) else int(v) for v in frame[name]], dtype="Int64")
            frame[name] = numbers if numbers.isna().any() else numbers.astype("int64")
        elif kind == "boolean":
            frame[name] = frame[name].map({"True": True, "False": False})
    return frame


@lru_cache(maxsize=1)
def _index() -> dict[str, Any]:
    return json.loads((DATA_DIR / "archive.json").read_text())


def demo_targets() -> list[DemoTarget]:
    return [
        DemoTarget(t["name"], tuple(t["aliases"]), t["ra"], t["dec"], t["kind"], tuple(sorted(t["tables"])),
                   covered, t.get("shows", ""), t.get("link_radius_arcsec") or covered, t.get("event"))
        for t in _index()["targets"] for covered in (_covered_radius(t),)
    ]


def _covered_radius(target: dict[str, Any]) -> float:
    """Each footprint's radius less its centre's offset from the target, the smallest of them,
    rounded down to 0.1 arcsec."""
    reach = []
    for entry in target["tables"].values():
        f = entry["footprint"]
        offset = float(separation_arcsec(np.array([f["ra"]]), np.array([f["dec"]]), target["ra"], target["dec"])[0])
        reach.append(f["radius_arcsec"] - offset)
    return float(np.floor(min(reach) * 10) / 10)


def aliases() -> dict[str, tuple[float, float, str]]:
    """Normalized demo names and aliases -> (ra, dec, name), for the target parser."""
    out: dict[str, tuple[float, float, str]] = {}
    for t in demo_targets():
        for alias in (t.name, *t.aliases):
            out[normalize_alias(alias)] = (t.ra, t.dec, t.name)
    return out


def recordings(table: str) -> list[Recording]:
    out = []
    for t in _index()["targets"]:
        entry = t["tables"].get(table)
        if entry is None:
            continue
        out.append(Recording(
            target=t["name"], requested_table=table, recorded_table=entry["recorded_table"],
            file=entry["file"], footprint=Footprint(**entry["footprint"]), origin=entry["origin"],
            server_side_filter=_filter(entry.get("server_side_filter")), note=entry.get("note", ""),
            partial=bool(entry.get("partial", False)), derived_columns=dict(entry.get("derived_columns", {})),
        ))
    return out


def _filter(entry: dict[str, Any] | None) -> ServerSideFilter | None:
    return ServerSideFilter(entry["text"], tuple(entry["columns"])) if entry else None


class OfflineArchive:
    """The archive as a data source for the fetcher (injected, so tests can pass another)."""

    def query(self, table: str, cone: Cone) -> TableResult:
        return query(table, cone)


def query(table: str, cone: Cone) -> TableResult:
    """The recorded rows of ``table`` inside ``cone``; ``NotCovered`` if no recording reaches it."""
    best: tuple[float, Recording] | None = None
    for rec in recordings(table):
        fp = rec.footprint
        gap = float(separation_arcsec(np.array([cone.ra]), np.array([cone.dec]), fp.ra, fp.dec)[0])
        if gap < fp.radius_arcsec + cone.radius_arcsec and (best is None or gap < best[0]):
            best = (gap, rec)
    if best is None:
        raise NotCovered(
            f"not in the offline archive (nothing recorded near {cone.ra:.5f} {cone.dec:+.5f})"
        )
    gap, rec = best
    rows = rec.rows()
    if len(rows):
        sep = separation_arcsec(rows["ra"].to_numpy(float), rows["dec"].to_numpy(float), cone.ra, cone.dec)
        rows = rows[sep <= cone.radius_arcsec].reset_index(drop=True)
    warnings = []
    if gap + cone.radius_arcsec > rec.footprint.radius_arcsec + 1e-6:
        warnings.append(
            f"The offline archive covers only {rec.footprint.radius_arcsec:g} arcsec around "
            f"{rec.footprint.ra:.5f} {rec.footprint.dec:+.5f} for {rec.recorded_table}; your "
            f"{cone.radius_arcsec:g} arcsec cone reaches beyond it, so IRSA may hold more rows."
        )
    if (rec.partial or rec.recorded_table != table) and rec.note:
        warnings.append(rec.note)
    warnings += derived_notes(rec.derived_columns)
    provenance = Provenance(
        table=rec.recorded_table, source="offline", rows=len(rows),
        retrieved_utc=rec.origin.get("retrieved_utc", "not recorded"), archive_file=rec.file,
        origin=rec.origin, footprint=rec.footprint, server_side_filter=rec.server_side_filter,
        warnings=warnings,
    )
    return TableResult(rows=rows, provenance=provenance)


def derived_notes(derived: dict[str, str]) -> list[str]:
    """One note per way columns were derived, naming its columns (the 2MASS association's six
    columns share one origin: said once, not six times)."""
    by_how: dict[str, list[str]] = {}
    for column, how in derived.items():
        by_how.setdefault(how, []).append(column)
    return [f"{', '.join(columns)}: {how}" for how, columns in by_how.items()]
