"""A local mirror in the layout of IRSA's Parquet catalogs (bucket ``nasa-irsa-wise``), built from
the real recorded rows the offline archive ships (the same rows the local TAP server answers from).

Real: every row and value (the AllWISE catalog rows and the NEOWISE-R single exposures), and
their columns' names. Constructed (no recording holds them): the layout itself (IRSA's paths,
hive levels ``healpix_k0=K5//1024/healpix_k5=K5``, HEALPix order 5 nested from each row's own
ra/dec), ``_common_metadata``, the NULLs of columns the recordings did not keep (as the TAP
server answers them), the NEOWISE year of each row (from its mjd: year N from MJD 56639 +
365.25 (N-1), the survey's restart on 2013 Dec 13; ``addendum`` empty), and, in one pixel, the
year's rows split over two files (IRSA has up to six in some partitions).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from dashboard.archive.parquet import ALLWISE, NEOWISE_YEARS, ParquetDataset, home_pixels, neowise_dataset
from dashboard.core.tables import NEOWISE, PSD, TABLES
from tap_server import recorded_rows

YEAR1_MJD = 56639.0
ARROW = {"f8": pa.float64(), "i8": pa.int64(), "U": pa.string()}


def schema_of(table: str, drop: tuple[str, ...] = ()) -> pa.Schema:
    """The table's columns as IRSA's Parquet names them (lower-case TAP names), plus the hive keys."""
    fields = [pa.field(c, ARROW[k]) for c, k in TABLES[table].columns.items() if c not in drop]
    return pa.schema(fields + [pa.field("healpix_k0", pa.int64()), pa.field("healpix_k5", pa.int64())])


def arrow_rows(rows: pd.DataFrame, table: str) -> pa.Table:
    columns = {}
    for column, kind in TABLES[table].columns.items():
        values = rows[column] if column in rows else pd.Series([None] * len(rows), dtype=object)
        if kind == "U":
            data = [None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in values]
            columns[column] = pa.array(data, pa.string())
        elif kind == "i8":
            columns[column] = pa.array([None if pd.isna(v) else int(v) for v in values], pa.int64())
        else:
            columns[column] = pa.array(pd.to_numeric(values, errors="coerce").to_numpy(float), pa.float64(),
                                       from_pandas=True)
    return pa.table(columns)


def write_dataset(root: Path, dataset: ParquetDataset, rows: pd.DataFrame, *, drop: tuple[str, ...] = (),
                  split_pixel: int | None = None) -> list[int]:
    """One dataset: its ``_common_metadata`` and a file per pixel (two in ``split_pixel``)."""
    base = root / dataset.path
    base.mkdir(parents=True, exist_ok=True)
    pq.write_metadata(schema_of(dataset.table, drop), base / "_common_metadata")
    if rows.empty:
        return []
    pixel = home_pixels(rows["ra"].to_numpy(float), rows["dec"].to_numpy(float))
    for k5 in np.unique(pixel):
        where = base / f"healpix_k0={k5 // 1024}" / f"healpix_k5={k5}"
        where.mkdir(parents=True, exist_ok=True)
        part = rows[pixel == k5].reset_index(drop=True)
        pieces = np.array_split(np.arange(len(part)), 2) if k5 == split_pixel and len(part) > 1 else [
            np.arange(len(part))]
        for n, index in enumerate(pieces):
            table = arrow_rows(part.iloc[index], dataset.table)
            pq.write_table(table.select([c for c in table.column_names if c not in drop]),
                           where / f"part{n}.snappy.parquet", compression="snappy")
    return [int(p) for p in np.unique(pixel)]


def neowise_year(mjd: np.ndarray) -> np.ndarray:
    index = np.clip(np.floor((mjd - YEAR1_MJD) / 365.25).astype(int), 0, 10)
    return np.array([f"year{i + 1}" for i in index], dtype=object)


def build_mirror(root: Path, *, drop: dict[str, tuple[str, ...]] | None = None,
                 extra: dict[str, pd.DataFrame] | None = None) -> Path:
    """The mirror under ``root`` (the bucket's place); ``drop``: columns left out of a dataset
    (by its label), to see the schema check name them; ``extra``: rows added to a table."""
    drop = drop or {}
    catalog = recorded_rows(PSD.name, [(extra or {})[PSD.name]] if PSD.name in (extra or {}) else [])
    write_dataset(root, ALLWISE, catalog, drop=drop.get(ALLWISE.label, ()))
    epochs = recorded_rows(NEOWISE.name, [(extra or {})[NEOWISE.name]] if NEOWISE.name in (extra or {}) else [])
    years = neowise_year(epochs["mjd"].to_numpy(float))
    busiest = int(pd.Series(home_pixels(epochs["ra"].to_numpy(float), epochs["dec"].to_numpy(float))).mode()[0])
    for year in NEOWISE_YEARS:
        dataset = neowise_dataset(year)
        write_dataset(root, dataset, epochs[years == year].reset_index(drop=True), drop=drop.get(dataset.label, ()),
                      split_pixel=busiest)
    return root
