"""The survey route's two-pass read (``archive/parquet_two_pass.py``) against the plain one-pass
read it replaces, on a mirror at a scaled-down real density (``dense_mirror.py``: SYNTHETIC other
rows around the real AT2019dsg exposures, several row groups per file) in every row order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from counting_fs import counting_filesystem
from dense_mirror import build

from dashboard.archive import offline as archive
from dashboard.archive import parquet, parquet_two_pass
from dashboard.archive.parquet import Cones, ParquetRoot, neowise_dataset, read_schema
from dashboard.core.model import Cone

YEARS = ("year1", "year6")


@pytest.fixture(scope="module")
def real_rows():
    return archive.query("neowiser_p1bs_psd", Cone(314.26238, 14.20441, 2.5)).rows


@pytest.fixture(scope="module", params=["time", "random", "spatial"])
def mirror(request, tmp_path_factory, real_rows):
    return build(tmp_path_factory.mktemp(f"dense-{request.param}"), rows_per_pixel_year=30_000, targets_per_pixel=8,
                 pixels=2, order=request.param, row_group_rows=2_000, real=real_rows, years=YEARS)


def cones_of(targets: pd.DataFrame, radius_arcsec: float = 2.5) -> Cones:
    return Cones(targets["line"].to_numpy(np.int64), targets["ra"].to_numpy(float), targets["dec"].to_numpy(float),
                 np.full(len(targets), radius_arcsec))


def canonical(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.sort_values(["upload_id", "mjd", "ra"], kind="stable").reset_index(drop=True)


def test_two_passes_give_the_one_pass_rows_in_every_order(mirror):
    """Every year and pixel: the same (target, row) pairs with every column, in the upload join's
    order (by target, then file row); each target's own exposures are all found."""
    root = ParquetRoot(str(mirror.root))
    total = 0
    for year in YEARS:
        dataset = neowise_dataset(year)
        schema = read_schema(root, dataset)
        for pixel in mirror.pixels:
            cones = cones_of(mirror.targets[mirror.targets["pixel"] == pixel])
            plain = parquet.read_cones(root, dataset, pixel, cones, schema, batch_rows=4_096)
            two = parquet_two_pass.read_cones(root, dataset, pixel, cones, schema)
            pd.testing.assert_frame_equal(canonical(two), canonical(plain))
            assert list(two.columns) == list(plain.columns)
            assert (np.diff(two["upload_id"].to_numpy()) >= 0).all()  # by target, as an upload join answers
            total += len(two)
    assert total >= 8 * 2 * 20  # the targets' real exposures (~24 a year each) were found


def test_a_row_group_without_a_match_is_read_no_further_than_its_coordinates(mirror):
    """Counted at a wrapped filesystem: in a row group no cone matches, no byte of any column but
    ``ra`` and ``dec`` is read (the footer's read at the file's end aside); in one that matches,
    the other columns are read."""
    root = ParquetRoot(str(mirror.root))
    dataset = neowise_dataset("year1")
    pixel = mirror.pixels[1]
    cones = cones_of(mirror.targets[mirror.targets["pixel"] == pixel].head(2))
    fs, reads = counting_filesystem()
    rows = parquet_two_pass.read_cones(root, dataset, pixel, cones, read_schema(root, dataset), filesystem=fs)
    assert len(rows)
    path = next(p for p in reads.sizes)
    meta = pq.read_metadata(path)
    matched_groups = groups_holding(meta, path, rows)
    touched = [(o, o + n) for p, o, n in reads.log if p == path and o + n < reads.sizes[path] - 70_000]
    for group in range(meta.num_row_groups):
        others = [chunk_range(meta, group, c) for c in range(meta.num_columns)
                  if meta.schema.column(c).name not in ("ra", "dec")]
        hit = any(lo < end and start < hi for lo, hi in others for start, end in touched)
        assert hit == (group in matched_groups), group
    assert 0 < len(matched_groups) < meta.num_row_groups


def chunk_range(meta: pq.FileMetaData, group: int, column: int) -> tuple[int, int]:
    chunk = meta.row_group(group).column(column)
    start = chunk.dictionary_page_offset if chunk.has_dictionary_page else chunk.data_page_offset
    return start, start + chunk.total_compressed_size


def groups_holding(meta: pq.FileMetaData, path: str, rows: pd.DataFrame) -> set[int]:
    """The row groups of ``path`` that hold one of ``rows`` (by its mjd and position: the targets
    carry copies of the same exposures, so the time alone is not enough)."""
    found = set()
    table = pq.read_table(path, columns=["mjd", "ra", "dec"])
    mjd, ra, dec = (table.column(c).to_numpy() for c in ("mjd", "ra", "dec"))
    bounds = np.cumsum([0] + [meta.row_group(g).num_rows for g in range(meta.num_row_groups)])
    for t, r, d in zip(rows["mjd"], rows["ra"], rows["dec"], strict=True):
        at = int(np.flatnonzero((mjd == t) & (ra == r) & (dec == d))[0])
        found.add(int(np.searchsorted(bounds, at, side="right") - 1))
    return found


def test_the_boxes_strip_search_finds_the_rows_a_test_of_every_row_against_every_box_finds():
    """``Boxes.holds`` (declination strips by search) against the plain test of each row against
    each box, on CONSTRUCTED rows: clustered around the boxes, on their edges, NaN, around RA 0."""
    rng = np.random.default_rng(5)
    centres = np.column_stack([rng.uniform(0, 360, 80), rng.uniform(-60, 60, 80)])
    centres[:3] = [[0.0002, 10.0], [359.9999, -5.0], [180.0, 89.9995]]  # boxes split at RA 0; a pole
    cones = Cones(np.arange(80), centres[:, 0], centres[:, 1], np.full(80, 6.0))
    found = parquet_two_pass.Boxes.of(cones)
    near = np.repeat(centres, 500, axis=0) + rng.normal(0, 6 / 3600, (40_000, 2))
    ra = np.concatenate([near[:, 0] % 360, rng.uniform(0, 360, 20_000), found.ra_lo, found.ra_hi, [np.nan, 1.0]])
    dec = np.concatenate([near[:, 1], rng.uniform(-90, 90, 20_000), found.dec_lo, found.dec_hi, [1.0, np.nan]])
    plain = np.zeros(len(ra), bool)
    for lo, hi, d_lo, d_hi in zip(found.ra_lo, found.ra_hi, found.dec_lo, found.dec_hi, strict=True):
        plain |= (ra >= lo) & (ra <= hi) & (dec >= d_lo) & (dec <= d_hi)
    got = found.holds(ra, dec)
    assert 1_000 < plain.sum() < len(ra) - 20_000  # the case tests something: rows in and out of boxes
    assert np.array_equal(got, plain)


def test_row_group_statistics_skip_groups_outside_every_box(tmp_path, real_rows):
    """In spatial order most row groups cover a patch away from the targets: their coordinates
    are never read (no read inside their ra or dec column chunk)."""
    mirror = build(tmp_path, rows_per_pixel_year=30_000, targets_per_pixel=2, pixels=1, order="spatial",
                   row_group_rows=1_000, real=real_rows, years=("year1",))
    root = ParquetRoot(str(mirror.root))
    dataset = neowise_dataset("year1")
    fs, reads = counting_filesystem()
    parquet_two_pass.read_cones(root, dataset, mirror.pixels[0], cones_of(mirror.targets), read_schema(root, dataset),
                                filesystem=fs)
    path = next(p for p in reads.sizes)
    meta = pq.read_metadata(path)
    ra = [meta.schema.column(c).name for c in range(meta.num_columns)].index("ra")
    touched = [(o, o + n) for p, o, n in reads.log if p == path and o + n < reads.sizes[path] - 70_000]
    read_groups = {g for g in range(meta.num_row_groups)
                   if any(chunk_range(meta, g, ra)[0] < end and start < chunk_range(meta, g, ra)[1]
                          for start, end in touched)}
    assert 0 < len(read_groups) <= meta.num_row_groups // 4, (len(read_groups), meta.num_row_groups)


@pytest.mark.remote_data
def test_irsas_files_footers_row_groups_and_ordering():
    """Opt-in (--remote-data; never in CI): a few of IRSA's NEOWISE-R files' footers (metadata
    only), printed: row groups per file, rows per group, and whether the row groups' ra, dec and
    mjd ranges are ordered (sorted by their minimum and not overlapping). The benchmark assumes
    time order (``dense_mirror.py``) until this has been run; the docs' survey page says so."""
    root = ParquetRoot("s3://nasa-irsa-wise")
    fs, base = root.open()
    for year, pixel in (("year1", 4010), ("year5", 6000), ("year9", 9000)):
        files = parquet.partition_files(fs, base, neowise_dataset(year), pixel)
        assert files, (year, pixel)
        with fs.open_input_file(files[0]) as handle:
            meta = pq.ParquetFile(handle).metadata
        names = [meta.schema.column(i).name for i in range(meta.num_columns)]
        groups = [meta.row_group(g) for g in range(meta.num_row_groups)]
        print(f"\n{year} pixel {pixel}: {len(files)} file(s); {meta.num_rows:,} rows in {meta.num_row_groups} row "
              f"groups of {[g.num_rows for g in groups][:6]}…; {meta.num_columns} columns")
        for column in ("ra", "dec", "mjd"):
            stats = [g.column(names.index(column)).statistics for g in groups]
            ranges = [(s.min, s.max) for s in stats if s is not None and s.has_min_max]
            ordered = all(a[1] <= b[0] for a, b in zip(ranges, ranges[1:], strict=False))
            print(f"  {column}: statistics in {len(ranges)}/{len(groups)} groups; ordered, not overlapping: {ordered}")
        assert meta.num_rows > 0
