"""IRSA's Parquet catalogs of WISE: where each dataset lies, and the rows of many cones at once.

IRSA publishes the AllWISE Source Catalog and the NEOWISE-R Single-exposure Source Table as
Parquet in the bucket ``nasa-irsa-wise`` (AWS ``us-west-2``, anonymous reads), partitioned by
HEALPix order 5 in the *nested* scheme from each row's own ra/dec, in two hive levels
(``healpix_k0=K0/healpix_k5=K5/part0.snappy.parquet``, ``K0 = K5 // 1024``); NEOWISE-R is one
dataset per year (IRSA, "Parquet Catalogs" and the tutorials of Caltech-IPAC/irsa-tutorials,
``tutorials/wise/``). Columns carry the TAP names in lower case. The AllWISE Multiepoch
Photometry Table is not among them: the survey route asks it through TAP uploads.

How a read is narrowed, cheapest first:

1. **Pixel**: only the partition directory of the order-5 pixel is listed and read (the hive
   key's own directory; the dataset is never opened whole: its ``_metadata`` costs ~2 GB).
2. **Box**: a pushdown filter on ``ra``/``dec`` per target (``dec ± r``, RA ± the circle's true
   half-width ``asin(sin r / cos dec)``, wrapped at RA 0/360, all RA where the cone reaches a
   pole), at most ``MAX_BOXES`` boxes per read (targets merged in declination order).
3. **Cone**: every row left is matched to the targets whose cone holds it by true angular
   separation (``core/geometry.separation_arcsec``, the definition the TAP stand-in and the
   offline archive use), after a k-d tree on unit vectors finds the candidates.

The schema comes from the dataset's ``_common_metadata`` (small and fast), checked against the
columns this app reads: a missing one is a ``ParquetSchemaMismatch`` naming it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import reduce

import hpgeom
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from scipy.spatial import cKDTree

from dashboard.core.errors import ParquetError, ParquetSchemaMismatch
from dashboard.core.geometry import separation_arcsec
from dashboard.core.tables import NEOWISE, PSD, TABLES

#: HEALPix order of the partitions, and the order of the upper hive level (``healpix_k0``).
ORDER = 5
NSIDE = 2**ORDER
K0_DIVISOR = 4**ORDER  # healpix_k0 = healpix_k5 // 1024: the order-0 pixel holding it
#: NEOWISE-R data years as IRSA names its per-year datasets.
NEOWISE_YEARS: tuple[str, ...] = tuple(f"year{i}" for i in range(1, 12)) + ("addendum",)
#: Filter boxes per read at most: more would cost more in the filter than they save in rows.
MAX_BOXES = 64
PARTITION_COLUMNS = ("healpix_k0", "healpix_k5")


@dataclass(frozen=True)
class ParquetDataset:
    """One of IRSA's Parquet datasets: the table its rows are, its path below the root, its year."""

    table: str
    path: str
    year: str = ""

    @property
    def label(self) -> str:
        return f"{self.table}" + (f" {self.year}" if self.year else "")


ALLWISE = ParquetDataset(PSD.name, "wise/allwise/catalogs/p3as_psd/healpix_k5/wise-allwise.parquet")


def neowise_dataset(year: str) -> ParquetDataset:
    return ParquetDataset(NEOWISE.name, f"wise/neowiser/catalogs/p1bs_psd/healpix_k5/{year}/"
                                        f"neowiser-healpix_k5-{year}.parquet", year)


#: Every dataset the survey route reads, by the table its rows are.
DATASETS: dict[str, tuple[ParquetDataset, ...]] = {
    PSD.name: (ALLWISE,), NEOWISE.name: tuple(neowise_dataset(y) for y in NEOWISE_YEARS)}


@dataclass(frozen=True)
class ParquetRoot:
    """Where the datasets lie: IRSA's bucket (``s3://nasa-irsa-wise``), or any local or mounted
    path with the same layout below it. Opened anew where it is used (a Dask worker), so only
    the root and the region travel between processes."""

    root: str
    region: str = "us-west-2"

    def open(self) -> tuple[pafs.FileSystem, str]:
        """pyarrow's own filesystem for the root (S3 anonymous, with the region set: unsigned
        requests to the wrong region get 403) and the base path on it."""
        if self.root.startswith("s3://"):
            try:
                return pafs.S3FileSystem(region=self.region, anonymous=True), self.root.removeprefix("s3://").rstrip("/")
            except (OSError, pa.ArrowException) as exc:
                raise ParquetError(f"cannot open {self.root} ({exc})") from None
        path = self.root.removeprefix("file://").rstrip("/") or "/"
        return pafs.LocalFileSystem(), path

    def path(self, dataset: ParquetDataset) -> str:
        return f"{self.open()[1]}/{dataset.path}"


def read_schema(root: ParquetRoot, dataset: ParquetDataset) -> pa.Schema:
    """The dataset's schema from its ``_common_metadata``, checked to hold every column of the
    table this app reads (``core/tables.py``)."""
    fs, base = root.open()
    where = f"{base}/{dataset.path}/_common_metadata"
    try:
        schema = pq.read_schema(where, filesystem=fs)
    except FileNotFoundError:
        raise ParquetError(f"no Parquet dataset at {root.root}/{dataset.path} (no _common_metadata there; "
                           "the root must hold IRSA's layout, e.g. s3://nasa-irsa-wise)") from None
    except (OSError, pa.ArrowException) as exc:
        raise ParquetError(f"cannot read the schema of {root.root}/{dataset.path} ({exc})") from None
    missing = tuple(c for c in TABLES[dataset.table].columns if c not in schema.names)
    if missing:
        raise ParquetSchemaMismatch(dataset.label, missing)
    return schema


def home_pixels(ra: np.ndarray, dec: np.ndarray) -> np.ndarray:
    """The order-5 nested pixel of each position (where its row, or its target, lies)."""
    return np.asarray(hpgeom.angle_to_pixel(NSIDE, np.asarray(ra, float), np.asarray(dec, float), nest=True),
                      dtype=np.int64)


def cone_pixels(ra: float, dec: float, radius_arcsec: float) -> np.ndarray:
    """Every order-5 nested pixel a cone touches (inclusive: a pixel it may touch is read)."""
    touched = hpgeom.query_circle(NSIDE, float(ra), float(dec), radius_arcsec / 3600.0, nest=True, inclusive=True)
    return np.union1d(np.asarray(touched, np.int64), home_pixels(np.array([ra]), np.array([dec])))


@dataclass(frozen=True)
class Cones:
    """The cones one read answers: each target's number in the run, position (deg) and radius
    (arcsec). Only a task's own targets travel to it, never the whole list."""

    index: np.ndarray
    ra: np.ndarray
    dec: np.ndarray
    radius_arcsec: np.ndarray

    def __len__(self) -> int:
        return len(self.index)

    def take(self, where: np.ndarray) -> Cones:
        return Cones(self.index[where], self.ra[where], self.dec[where], self.radius_arcsec[where])


def boxes(cones: Cones, max_boxes: int = MAX_BOXES) -> list[tuple[float, float, float, float]]:
    """(ra_lo, ra_hi, dec_lo, dec_hi) boxes holding every cone: one or two per target (two where
    it wraps at RA 0/360), merged in declination order to at most ``max_boxes`` (each half of
    the RA circle apart, so a merge never spans RA 0)."""
    out: list[tuple[float, float, float, float]] = []
    for ra, dec, radius in zip(cones.ra, cones.dec, cones.radius_arcsec / 3600.0, strict=True):
        lo, hi = dec - radius, dec + radius
        if lo <= -90.0 or hi >= 90.0:  # the cone holds a pole: every RA
            out.append((0.0, 360.0, max(lo, -90.0), min(hi, 90.0)))
            continue
        half = math.degrees(math.asin(min(1.0, math.sin(math.radians(radius)) / math.cos(math.radians(dec)))))
        half = half * (1 + 1e-6) + 1e-9  # a hair wider: the exact test decides
        left, right = ra - half, ra + half
        if left < 0.0:
            out += [(0.0, right, lo, hi), (left + 360.0, 360.0, lo, hi)]
        elif right > 360.0:
            out += [(left, 360.0, lo, hi), (0.0, right - 360.0, lo, hi)]
        else:
            out.append((left, right, lo, hi))
    if len(out) <= max_boxes:
        return out
    merged: list[tuple[float, float, float, float]] = []
    for half_circle in (lambda b: b[1] <= 180.0, lambda b: b[1] > 180.0):
        part = sorted((b for b in out if half_circle(b)), key=lambda b: b[2])
        size = max(1, math.ceil(len(part) / max(1, max_boxes // 2)))
        for i in range(0, len(part), size):
            group = part[i:i + size]
            merged.append((min(b[0] for b in group), max(b[1] for b in group),
                           min(b[2] for b in group), max(b[3] for b in group)))
    return merged


def box_filter(pixel: int, cones: Cones) -> pc.Expression:
    """The pushdown filter of one read: the pixel's hive key, then the boxes of its cones."""
    ra, dec = pc.field("ra"), pc.field("dec")
    terms = [(ra >= lo) & (ra <= hi) & (dec >= d_lo) & (dec <= d_hi) for lo, hi, d_lo, d_hi in boxes(cones)]
    return (pc.field("healpix_k5") == pixel) & reduce(lambda a, b: a | b, terms)


def _unit(ra: np.ndarray, dec: np.ndarray) -> np.ndarray:
    r, d = np.radians(ra), np.radians(dec)
    return np.column_stack([np.cos(d) * np.cos(r), np.cos(d) * np.sin(r), np.sin(d)])


def match(cones: Cones, ra: np.ndarray, dec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(cone, row) pairs with the row inside the cone, by true angular separation, ordered by
    cone then row (the order an upload join answers in)."""
    if not len(cones) or not len(ra):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    chord = 2.0 * np.sin(np.radians(cones.radius_arcsec.max() / 3600.0) / 2.0) * (1 + 1e-6)
    pairs = cKDTree(_unit(cones.ra, cones.dec)).sparse_distance_matrix(
        cKDTree(_unit(ra, dec)), chord, output_type="ndarray")
    cone, row = pairs["i"].astype(np.int64), pairs["j"].astype(np.int64)
    inside = separation_arcsec(ra[row], dec[row], cones.ra[cone], cones.dec[cone]) <= cones.radius_arcsec[cone]
    cone, row = cone[inside], row[inside]
    order = np.lexsort((row, cone))
    return cone[order], row[order]


def partition_files(fs: pafs.FileSystem, base: str, dataset: ParquetDataset, pixel: int) -> list[str]:
    """The files of one pixel's partition (usually one, some up to six); none where the dataset
    has no rows in that pixel."""
    where = f"{base}/{dataset.path}/healpix_k0={pixel // K0_DIVISOR}/healpix_k5={pixel}"
    try:
        infos = fs.get_file_info(pafs.FileSelector(where, allow_not_found=True))
    except (OSError, pa.ArrowException) as exc:
        raise ParquetError(f"cannot list {where} ({exc})") from None
    return sorted(i.path for i in infos if i.type == pafs.FileType.File and i.path.endswith(".parquet"))


def read_cones(root: ParquetRoot, dataset: ParquetDataset, pixel: int, cones: Cones, schema: pa.Schema,
               batch_rows: int = 131_072, filesystem: pafs.FileSystem | None = None) -> pd.DataFrame:
    """The rows of ``dataset`` in ``pixel`` inside each of ``cones``, as an upload join answers:
    one row per (target, row) pair, the target's number in ``upload_id``, the table's columns
    (``core/tables.py``) as the TAP client's frames hold them. Memory: one batch of
    ``batch_rows`` projected rows, plus the matched rows.

    The plain path, in one pass (pixel, boxes, cones above). The survey route reads through
    ``parquet_two_pass.read_cones``, which gives the same rows and decodes only the coordinates of
    rows that match no cone. ``filesystem``: the one to read through instead of the root's own
    (a counting wrapper, in tests and benchmarks)."""
    spec = TABLES[dataset.table]
    fs, base = root.open()
    files = partition_files(fs, base, dataset, pixel)
    fs = filesystem or fs
    parts: list[pa.Table] = []
    if files and len(cones):
        keys = pa.schema([(c, pa.int64()) for c in PARTITION_COLUMNS])
        fields = [schema.field(n) for n in schema.names if n not in PARTITION_COLUMNS] + list(keys)
        partitioning = ds.partitioning(keys, flavor="hive")
        try:
            data = ds.dataset(files, schema=pa.schema(fields), format="parquet", filesystem=fs,
                              partitioning=partitioning, partition_base_dir=f"{base}/{dataset.path}")
            scanner = data.scanner(columns=list(spec.columns), filter=box_filter(pixel, cones), batch_size=batch_rows)
            for batch in scanner.to_batches():
                if not batch.num_rows:
                    continue
                cone, row = match(cones, batch.column("ra").to_numpy(zero_copy_only=False),
                                  batch.column("dec").to_numpy(zero_copy_only=False))
                if len(row):
                    table = pa.Table.from_batches([batch]).take(pa.array(row))
                    parts.append(table.add_column(0, "upload_id", pa.array(cones.index[cone], pa.int64())))
        except (OSError, pa.ArrowException) as exc:
            raise ParquetError(f"cannot read {dataset.label} pixel {pixel} ({exc})") from None
    if not parts:
        return empty_reply(spec.columns)
    return arrow_to_frame(pa.concat_tables(parts), spec.columns)


def empty_reply(columns: dict[str, str]) -> pd.DataFrame:
    """A read without a matched row: ``upload_id`` and the table's columns, typed, no row."""
    return pd.DataFrame({"upload_id": pd.Series(dtype=np.int64)} | {c: pd.Series(dtype=_dtype(k))
                                                                     for c, k in columns.items()})


def _dtype(kind: str) -> str:
    return {"f8": "float64", "i8": "int64"}.get(kind, "object")


def arrow_to_frame(table: pa.Table, columns: dict[str, str]) -> pd.DataFrame:
    """Arrow rows -> the frame the TAP client makes of a VOTable (``votable.table_to_frame``):
    floats with NaN, integers as int64 (nullable ``Int64`` where one is missing), text as
    objects with None for a missing or empty value."""
    out: dict[str, object] = {}
    for name in table.column_names:
        column = table.column(name)
        kind = "i8" if name == "upload_id" else columns.get(name, "")
        if kind == "f8":
            out[name] = column.cast(pa.float64()).to_numpy(zero_copy_only=False)
        elif kind == "i8":
            values = column.cast(pa.int64())
            out[name] = (values.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get).array if values.null_count
                         else values.to_numpy(zero_copy_only=False))
        else:  # an empty string is a missing value, as the VOTable reader has it
            text = column.cast(pa.string())
            text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
            out[name] = text.to_numpy(zero_copy_only=False)
    return pd.DataFrame(out)
