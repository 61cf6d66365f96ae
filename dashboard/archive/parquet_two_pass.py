"""The survey route's read of one pixel in two passes: coordinates first, the other columns only
where a cone matched.

**What it replaces**: ``parquet.read_cones``, the plain path (one pass: a pushdown filter on the
targets' ra/dec boxes, every projected column decoded for each batch the filter keeps, then the
exact cones). It gives the same rows (``tests/test_parquet_two_pass.py``, on the mirror in every
row order).

**What it gains**: at IRSA's density (~1.45 million NEOWISE-R rows per order-5 pixel and year; a
sample of 10^5 targets puts ~8 in a pixel, so ~1 row in 10^4 matches) the one-pass read decodes
the ~30 columns of every row inside the boxes of every batch. Here, per file and row group:

1. the row group's ra/dec statistics (min, max) skip it when its box misses every target's box
   (``parquet.boxes``): nothing of it is read;
2. ``ra`` and ``dec`` alone are read, and the exact cones matched (``parquet.match``, after the
   boxes narrow the candidates: one box per cone, never merged as the plain path's filter
   expression must be, each searched in its own declination strip);
3. only a row group holding a match has its other columns read, and only the matched rows kept.

Memory per read: one row group's coordinates and the matched rows. The rows come in the order of
an upload join (by target, then by row in file order), as the plain path gives them when a pixel
fits in one batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from dashboard.archive.parquet import (
    Cones,
    ParquetDataset,
    ParquetRoot,
    arrow_to_frame,
    boxes,
    empty_reply,
    match,
    partition_files,
)
from dashboard.core.errors import ParquetError
from dashboard.core.tables import TABLES

COORDINATES = ["ra", "dec"]


@dataclass(frozen=True)
class Boxes:
    """The targets' ra/dec boxes as arrays, to test row groups and rows against all at once."""

    ra_lo: np.ndarray
    ra_hi: np.ndarray
    dec_lo: np.ndarray
    dec_hi: np.ndarray

    @classmethod
    def of(cls, cones: Cones) -> Boxes:
        found = np.array(boxes(cones, max_boxes=len(cones) * 2), float).reshape(-1, 4)  # one per cone: never merged
        return cls(found[:, 0], found[:, 1], found[:, 2], found[:, 3])

    def overlap(self, ra_min: float, ra_max: float, dec_min: float, dec_max: float) -> bool:
        """Whether a row group whose coordinates span these ranges may hold a row in a box."""
        return bool(((self.ra_hi >= ra_min) & (self.ra_lo <= ra_max)
                     & (self.dec_hi >= dec_min) & (self.dec_lo <= dec_max)).any())

    def holds(self, ra: np.ndarray, dec: np.ndarray) -> np.ndarray:
        """The rows inside any box (the candidates the exact test then decides). The rows are
        sorted by declination once, so each box looks only at its own declination strip (a
        search) instead of testing every row against every box: 80 boxes over a row group of
        131,072 rows were 42 million comparisons."""
        order = np.argsort(dec)  # any order of equal declinations: the answer is a mask
        by_dec = dec[order]
        first = np.searchsorted(by_dec, self.dec_lo, side="left")
        last = np.searchsorted(by_dec, self.dec_hi, side="right")
        inside = np.zeros(len(ra), bool)
        for start, stop, lo, hi in zip(first, last, self.ra_lo, self.ra_hi, strict=True):
            strip = order[start:stop]
            inside[strip[(ra[strip] >= lo) & (ra[strip] <= hi)]] = True
        return inside


def coordinate_ranges(meta: pq.FileMetaData, group: int) -> tuple[float, float, float, float] | None:
    """(ra_min, ra_max, dec_min, dec_max) of a row group from its statistics, or None where the
    file has none (then the group is read)."""
    names = [meta.schema.column(i).name for i in range(meta.num_columns)]
    found = []
    for name in COORDINATES:
        stats = meta.row_group(group).column(names.index(name)).statistics
        if stats is None or not stats.has_min_max:
            return None
        found += [float(stats.min), float(stats.max)]
    return found[0], found[1], found[2], found[3]


@dataclass
class Matched:
    """The matched rows of one pixel so far: (target, file, row) and their columns."""

    parts: list[pa.Table]
    keys: list[np.ndarray]  # per part: (upload_id, file, row) sort keys


def read_group(parquet: pq.ParquetFile, group: int, cones: Cones, found: Boxes,
               columns: list[str]) -> tuple[pa.Table, np.ndarray, np.ndarray] | None:
    """Steps 2 and 3 for one row group: its matched rows (every column asked), their cones and rows."""
    coords = parquet.read_row_group(group, columns=COORDINATES)
    ra = coords.column("ra").to_numpy(zero_copy_only=False)
    dec = coords.column("dec").to_numpy(zero_copy_only=False)
    candidates = np.flatnonzero(found.holds(ra, dec))
    if not len(candidates):
        return None
    cone, row = match(cones, ra[candidates], dec[candidates])
    if not len(row):
        return None
    row = candidates[row]
    rest = [c for c in columns if c not in COORDINATES]
    others = parquet.read_row_group(group, columns=rest).take(pa.array(row))
    table = pa.table({**{c: coords.column(c).take(pa.array(row)) for c in COORDINATES},
                      **{c: others.column(c) for c in rest}}).select(columns)
    return table, cone, row


def read_cones(root: ParquetRoot, dataset: ParquetDataset, pixel: int, cones: Cones, schema: pa.Schema,
               batch_rows: int = 131_072, filesystem: pafs.FileSystem | None = None) -> pd.DataFrame:
    """``parquet.read_cones``' rows, read in two passes (module docstring). ``batch_rows`` is the
    plain path's and unused here (a row group is the unit read); ``filesystem``: the one to read
    through instead of the root's own (a counting wrapper, in tests and benchmarks)."""
    spec = TABLES[dataset.table]
    fs, base = root.open()
    files = partition_files(fs, base, dataset, pixel)
    fs = filesystem or fs
    columns = list(spec.columns)
    done = Matched([], [])
    if files and len(cones):
        found = Boxes.of(cones)
        try:
            for number, path in enumerate(files):
                _read_file(fs, path, number, cones, found, columns, done)
        except (OSError, pa.ArrowException) as exc:
            raise ParquetError(f"cannot read {dataset.label} pixel {pixel} ({exc})") from None
    if not done.parts:
        return empty_reply(spec.columns)
    keys = np.concatenate(done.keys, axis=1)
    order = np.lexsort((keys[2], keys[1], keys[0]))
    table = pa.concat_tables(done.parts).take(pa.array(order))
    return arrow_to_frame(table.add_column(0, "upload_id", pa.array(keys[0][order], pa.int64())), spec.columns)


def _read_file(fs: pafs.FileSystem, path: str, number: int, cones: Cones, found: Boxes, columns: list[str],
               done: Matched) -> None:
    with fs.open_input_file(path) as handle:
        parquet = pq.ParquetFile(handle)
        meta = parquet.metadata
        start = 0
        for group in range(meta.num_row_groups):
            rows_here = meta.row_group(group).num_rows
            ranges = coordinate_ranges(meta, group)
            if ranges is None or found.overlap(*ranges):
                got = read_group(parquet, group, cones, found, columns)
                if got is not None:
                    table, cone, row = got
                    done.parts.append(table)
                    done.keys.append(np.vstack([cones.index[cone], np.full(len(row), number), start + row]))
            start += rows_here
