"""A batch written to a folder (``batch FILE --out-dir DIR``): tables for samples too big for a zip.

Layout of ``DIR``::

    run.json                what was run: service, root, the list's sha256, the view's parameters.
                            A rerun into DIR must match it (else it is refused, nothing is mixed).
    parts/<unit>/           one unit's results, whole: summary.parquet, visits.parquet. A unit is
                            a HEALPix pixel of the Parquet route (``healpix_k5=K5``).
    parts/.partial-<unit>-* a unit being written. Renamed to parts/<unit>/ only once complete, so
                            a run killed mid-write leaves no half unit that anything reads: the
                            next run deletes these and redoes their units.
    summary.parquet, summary.csv   one row per target (``analysis.COLUMNS``), written last
    visits.parquet          every target's visits (``analysis.VISITS``), streamed from parts/
    manifest.json           how to repeat the run (service, datasets, pixels, filters, versions,
                            counts) and the sha256 of each file above

A rerun into the same folder skips the units already in parts/ and makes the final files anew.
"""

from __future__ import annotations

import hashlib
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from dashboard.batch.analysis import VISITS
from dashboard.batch.summary import summary_csv
from dashboard.core.errors import WiseError
from dashboard.provenance.manifest import manifest_bytes

VISITS_SCHEMA = pa.schema([("line", pa.int64()), ("id", pa.string()), ("visit", pa.int64()), ("band", pa.string()),
                           ("mjd", pa.float64()), ("mag", pa.float64()), ("mag_err", pa.float64()),
                           ("flux_jy", pa.float64()), ("flux_err_jy", pa.float64()), ("upper_limit", pa.bool_()),
                           ("n_used", pa.int64()), ("n_rejected", pa.int64()), ("n_outliers", pa.int64()),
                           ("n_limits", pa.int64())])
assert VISITS_SCHEMA.names == VISITS


class OutDirConflict(WiseError):
    """The folder holds a run of another list, service or view: a rerun would mix the two."""

    kind = "out_dir_conflict"


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Each column as one type, whichever route and chunk made it: numbers that arrived as
    objects (NaN mixed in) as floats, flags as nullable booleans, text as text (None if missing).
    The folder's summary.parquet and summary.csv are written from this one form."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype != object:
            continue
        present = values.dropna()
        if len(present) and all(isinstance(v, (bool, np.bool_)) for v in present):
            out[column] = values.astype("boolean")
            continue
        try:
            out[column] = pd.to_numeric(values)
        except (TypeError, ValueError):
            out[column] = values.map(lambda v: v if isinstance(v, str) else None)
    return out


def _table(frame: pd.DataFrame, schema: pa.Schema | None = None) -> pa.Table:
    if schema is not None:
        return pa.Table.from_pandas(frame.reindex(columns=schema.names), schema=schema, preserve_index=False)
    return pa.Table.from_pandas(typed(frame), preserve_index=False)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class OutDir:
    """The folder of one run; ``identity`` is what makes two runs the same run."""

    def __init__(self, path: Path, identity: dict[str, Any]) -> None:
        self.path, self.identity = Path(path), identity
        self.parts = self.path / "parts"

    def open(self) -> set[str]:
        """Make the folder (or check that it holds this same run), drop half-written units, and
        return the units already complete."""
        self.parts.mkdir(parents=True, exist_ok=True)
        run = self.path / "run.json"
        text = manifest_bytes(self.identity).decode()
        if run.exists() and run.read_text() != text:
            raise OutDirConflict(f"{self.path} holds another run (its run.json differs: another list, service, root "
                                 "or view); give a new --out-dir, or delete that folder to start over")
        run.write_text(text)
        for partial in self.parts.glob(".partial-*"):
            shutil.rmtree(partial, ignore_errors=True)
        return {p.name for p in self.parts.iterdir() if p.is_dir() and not p.name.startswith(".")}

    def write_unit(self, unit: str, summary: pd.DataFrame, visits: pd.DataFrame) -> None:
        """One unit's results, visible only once whole (written aside, then renamed)."""
        partial = self.parts / f".partial-{unit}-{uuid.uuid4().hex[:8]}"
        partial.mkdir()
        pq.write_table(_table(summary), partial / "summary.parquet")
        pq.write_table(_table(visits, VISITS_SCHEMA), partial / "visits.parquet")
        final = self.parts / unit
        if final.exists():  # the same unit finished by another attempt: identical data, keep one
            shutil.rmtree(partial, ignore_errors=True)
            return
        partial.rename(final)

    def summaries(self) -> list[pd.DataFrame]:
        return [pd.read_parquet(p / "summary.parquet") for p in sorted(self.parts.iterdir())
                if p.is_dir() and not p.name.startswith(".")]

    def finish(self, summary: pd.DataFrame, manifest: dict[str, Any],
               visits: Iterable[pd.DataFrame] | None = None) -> dict[str, str]:
        """The final files: the summary, every visit (from ``visits``, else from parts/, a unit at a
        time), and the manifest with each file's sha256. Returns those checksums."""
        self.path.mkdir(parents=True, exist_ok=True)
        summary = typed(summary)
        pq.write_table(_table(summary), self.path / "summary.parquet")
        (self.path / "summary.csv").write_bytes(summary_csv(summary))
        with pq.ParquetWriter(self.path / "visits.parquet", VISITS_SCHEMA) as writer:
            if visits is None:
                for part in sorted(self.parts.iterdir()):
                    if part.is_dir() and not part.name.startswith("."):
                        writer.write_table(pq.read_table(part / "visits.parquet", schema=VISITS_SCHEMA))
            else:
                for frame in visits:
                    if len(frame):
                        writer.write_table(_table(frame, VISITS_SCHEMA))
        files = {name: sha256_file(self.path / name) for name in ("summary.parquet", "summary.csv", "visits.parquet")}
        manifest = {**manifest, "layout": (__doc__ or "").split("Layout of ``DIR``::", 1)[-1].strip(), "files": files}
        (self.path / "manifest.json").write_bytes(manifest_bytes(manifest))
        return files
