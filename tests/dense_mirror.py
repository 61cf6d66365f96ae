"""A mirror of IRSA's NEOWISE-R Parquet at the sky's real density, for the survey route's reads.

SYNTHETIC, shaped like the real thing: IRSA's layout (one dataset per NEOWISE-R year and the
addendum, hive levels ``healpix_k0/healpix_k5``, HEALPix order 5 nested, ``_common_metadata``),
its columns (the ones either the survey route or IRSA's tutorial reads, ``core/tables.py``), and
its density: ``rows_per_pixel_year`` rows in every pixel and year (IRSA: ~200 billion rows over 12
datasets and 12,288 pixels, ~1.45 million per pixel and year on average), an ecliptic-pole pixel
holding ``POLE_FACTOR`` times more (WISE saw the poles on every orbit).

* **Targets**: ``targets_per_pixel`` positions in each pixel (8 and 80 are the densities of 10^5
  and 10^6 targets over the sky); each carries the real AT2019dsg NEOWISE-R exposures of the year
  (the Gator recording, all their flags), moved to it.
* **Other rows**: the rest of each pixel's rows, at uniform random positions in the pixel and
  random times in the year, with values drawn from the same real exposures and perturbed at the
  catalog's precision (magnitudes to 0.001, so that columns do not compress to nothing). Columns
  the recording lacks (``w?flux``, ``w?sigflux``, ``w?sat``, ``qi_fact``, ``saa_sep``,
  ``moon_masked``, ``sso_flg``) are filled with values of their kind (the flux from the magnitude
  with a 20.5 mag zero point); SYNTHETIC, never read as science.
* **The AllWISE catalog** (the survey route reads it; the tutorial does not): ``CATALOG_ROWS_PER_PIXEL``
  rows per pixel, each target's being the real AT2019dsg catalog row moved to it, the others
  copies of it at random positions (SYNTHETIC).
* **Order of rows in a file** (``order``): ``time`` (by mjd: the assumption until the opt-in
  footer test reads IRSA's), ``random``, or ``spatial`` (by an order-12 nested pixel, so a row
  group covers a small patch). ``row_group_rows`` rows per row group.
* **The tutorial's ``_metadata``**: IRSA's covers all 12,288 pixels of a year. Opening one such
  file here (``metadata="sky"``: the pixels without data carry a typical pixel's footer under
  their own path) took 8.1 GB and 17.9 s here for one year of 27 columns (0.62 GiB, measured by
  ``benchmarks/parquet_batch.py``); twelve years would not fit in this machine's 24 GB. So each
  year's ``_metadata`` covers the data pixels, and the sky-wide open is measured once, on its own,
  as the start-up a user of that method pays.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import hpgeom
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from parquet_mirror import ARROW, YEAR1_MJD, arrow_rows, neowise_year, schema_of

from dashboard.archive.parquet import ALLWISE, NEOWISE_YEARS, neowise_dataset
from dashboard.core.tables import NEOWISE, PSD, TABLES

PIXELS_ON_SKY = 12 * 4**5
#: The north ecliptic pole (RA 270°, Dec +66.56°, J2000) and how many times more rows its pixel holds.
POLE = (270.0, 66.560708)
POLE_FACTOR = 3
SPATIAL_NSIDE = 2**12
DEFAULT_ROWS_PER_PIXEL_YEAR = 1_450_000
#: AllWISE: 747,634,026 sources over 12,288 pixels (Cutri et al. 2013).
CATALOG_ROWS_PER_PIXEL = 61_000


@dataclass(frozen=True)
class DenseMirror:
    root: Path
    targets: pd.DataFrame  # line, ra, dec, pixel: targets_per_pixel in each pixel, the first ones first
    pixels: tuple[int, ...]

    def subset(self, per_pixel: int) -> pd.DataFrame:
        """The first ``per_pixel`` targets of every pixel (the 8-target run on the 80-target mirror)."""
        return self.targets.groupby("pixel", sort=False).head(per_pixel).reset_index(drop=True)


def choose_pixels(count: int, rng: np.random.Generator) -> tuple[int, ...]:
    """The ecliptic-pole pixel and ``count - 1`` others away from the poles."""
    pole = int(hpgeom.angle_to_pixel(32, POLE[0], POLE[1], nest=True))
    chosen = [pole]
    while len(chosen) < count:
        pixel = int(rng.integers(0, PIXELS_ON_SKY))
        _, dec = hpgeom.pixel_to_angle(32, pixel, nest=True)
        if abs(dec) < 60 and pixel not in chosen:
            chosen.append(pixel)
    return tuple(chosen)


def positions_in(pixel: int, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` positions uniform on the sphere inside an order-5 pixel (drawn in a box, kept inside)."""
    c_ra, c_dec = (float(v) for v in hpgeom.pixel_to_angle(32, pixel, nest=True))
    ras, decs, have = [], [], 0
    while have < n:
        want = int((n - have) * 2.2) + 16
        z = rng.uniform(np.sin(np.radians(max(c_dec - 2.2, -90))), np.sin(np.radians(min(c_dec + 2.2, 90))), want)
        dec = np.degrees(np.arcsin(z))
        ra = (c_ra + rng.uniform(-2.2, 2.2, want) / max(np.cos(np.radians(c_dec)), 0.05)) % 360
        inside = hpgeom.angle_to_pixel(32, ra, dec, nest=True) == pixel
        ras.append(ra[inside])
        decs.append(dec[inside])
        have += int(inside.sum())
    return np.concatenate(ras)[:n], np.concatenate(decs)[:n]


def _filled(real: pd.DataFrame) -> pd.DataFrame:
    """The real exposures with the columns the recording lacks filled (SYNTHETIC, module docstring)."""
    out = real.copy()
    for band in ("w1", "w2"):
        out[f"{band}flux"] = 10 ** (-0.4 * (out[f"{band}mpro"] - 20.5))
        out[f"{band}sigflux"] = out[f"{band}flux"] * out[f"{band}sigmpro"].fillna(0.1) / 1.0857
        out[f"{band}sat"] = 0.0
    out["qi_fact"], out["saa_sep"], out["moon_masked"], out["sso_flg"] = 1.0, 120.0, "00", 0
    return out


#: Perturbation (standard deviation) and precision of the float columns of the other rows.
NOISE = {"mpro": (0.8, 0.001), "sigmpro": (0.02, 0.001), "snr": (5.0, 0.1), "rchi2": (0.5, 0.001),
         "flux": (None, 0.001), "sigflux": (None, 0.001), "sat": (0.0, 0.001)}


def other_rows(real: pd.DataFrame, n: int, pixel: int, year: int, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` SYNTHETIC rows of a pixel and year (module docstring), vectorised."""
    pick = rng.integers(0, len(real), n)
    rows = {c: real[c].to_numpy()[pick] for c in real.columns}
    rows["ra"], rows["dec"] = positions_in(pixel, n, rng)
    start = YEAR1_MJD + 365.25 * (year - 1)
    rows["mjd"] = np.round(rng.uniform(start, start + 365.25, n), 8)
    for band in ("w1", "w2"):
        for suffix, (sigma, step) in NOISE.items():
            column = f"{band}{suffix}"
            if sigma:
                rows[column] = np.round(np.abs(rows[column] + rng.normal(0, sigma, n)) / step) * step
        rows[f"{band}flux"] = np.round(10 ** (-0.4 * (rows[f"{band}mpro"] - 20.5)), 3)
        rows[f"{band}sigflux"] = np.round(rows[f"{band}flux"] * rows[f"{band}sigmpro"] / 1.0857, 3)
    rows["allwise_cntr"] = rng.integers(10**18, 4 * 10**18, n)
    rows["saa_sep"] = rng.integers(0, 180, n).astype(float)
    return pd.DataFrame(rows)


def arrow_of(rows: pd.DataFrame) -> pa.Table:
    """The rows as IRSA's Parquet types them (``parquet_mirror.ARROW``), vectorised."""
    columns = {}
    for column, kind in TABLES[NEOWISE.name].columns.items():
        values = rows[column]
        if kind == "U":
            columns[column] = pa.array(values.astype(object).where(values.notna(), None), pa.string())
        else:
            columns[column] = pa.array(values.to_numpy(), ARROW[kind], from_pandas=True)
    return pa.table(columns)


def ordered(table: pa.Table, order: str, rng: np.random.Generator) -> pa.Table:
    if order == "time":
        index = np.argsort(table.column("mjd").to_numpy(), kind="stable")
    elif order == "random":
        index = rng.permutation(table.num_rows)
    elif order == "spatial":
        fine = hpgeom.angle_to_pixel(SPATIAL_NSIDE, table.column("ra").to_numpy(), table.column("dec").to_numpy(),
                                     nest=True)
        index = np.argsort(fine, kind="stable")
    else:
        raise ValueError(f"order is time, random or spatial, not {order!r}")
    return table.take(pa.array(index))


def write_catalog(root: Path, frame: pd.DataFrame, catalog: pd.DataFrame, rows_per_pixel: int,
                  rng: np.random.Generator) -> None:
    """The AllWISE dataset: per pixel, the targets' real catalog row moved to each, and copies of
    it elsewhere in the pixel (module docstring)."""
    base = root / ALLWISE.path
    base.mkdir(parents=True, exist_ok=True)
    pq.write_metadata(schema_of(PSD.name), base / "_common_metadata")
    row = catalog.iloc[[0]]
    for pixel, mine in frame.groupby("pixel"):
        ra, dec = positions_in(int(pixel), max(0, rows_per_pixel - len(mine)), rng)
        ra, dec = np.concatenate([mine["ra"], ra]), np.concatenate([mine["dec"], dec])
        rows = row.loc[row.index.repeat(len(ra))].assign(ra=ra, dec=dec).reset_index(drop=True)
        where = base / f"healpix_k0={int(pixel) // 1024}" / f"healpix_k5={int(pixel)}"
        where.mkdir(parents=True, exist_ok=True)
        pq.write_table(arrow_rows(rows, PSD.name), where / "part0.snappy.parquet", compression="snappy")


def build(root: Path, *, rows_per_pixel_year: int = DEFAULT_ROWS_PER_PIXEL_YEAR, targets_per_pixel: int = 80,
          pixels: int = 4, order: str = "time", row_group_rows: int = 131_072, seed: int = 44,
          real: pd.DataFrame, years: tuple[str, ...] = NEOWISE_YEARS, metadata: str = "data",
          catalog: pd.DataFrame | None = None) -> DenseMirror:
    """The mirror under ``root`` (module docstring); ``real``: the recorded exposures to place.
    ``catalog``: the real AllWISE row to place (None: no AllWISE dataset). ``metadata``: each
    year's ``_metadata`` covers the pixels with data (``data``), or, for the
    first year, the whole sky too (``sky``, in ``_metadata_sky``: opening it is measured on its
    own; every year's would need ~12 times what one year's costs)."""
    rng = np.random.default_rng(seed)
    chosen = choose_pixels(pixels, rng)
    real = _filled(real)
    real_years = neowise_year(real["mjd"].to_numpy(float))
    targets = []
    for pixel in chosen:
        ra, dec = positions_in(pixel, targets_per_pixel, rng)
        targets.append(pd.DataFrame({"ra": ra, "dec": dec, "pixel": pixel}))
    frame = pd.concat(targets, ignore_index=True)
    frame.insert(0, "line", np.arange(1, len(frame) + 1))
    if catalog is not None:
        write_catalog(root, frame, catalog, CATALOG_ROWS_PER_PIXEL, rng)
    footers: dict[str, list[pq.FileMetaData]] = {}
    centre = (float(real["ra"].median()), float(real["dec"].median()))
    for number, year in enumerate(NEOWISE_YEARS, start=1):
        if year not in years:
            continue
        dataset = neowise_dataset(year)
        own = real[real_years == year]
        for pixel in chosen:
            mine = frame[frame["pixel"] == pixel]
            moved = [own.assign(ra=(own["ra"] - centre[0] + r) % 360, dec=own["dec"] - centre[1] + d)
                     for r, d in zip(mine["ra"], mine["dec"], strict=True)]
            wanted = rows_per_pixel_year * (POLE_FACTOR if pixel == chosen[0] else 1)
            placed = pd.concat(moved, ignore_index=True) if moved else own.iloc[:0]
            other = other_rows(real, max(0, wanted - len(placed)), pixel, number, rng)
            table = ordered(arrow_of(pd.concat([placed, other], ignore_index=True)), order, rng)
            footers.setdefault(year, []).append(_write(root, dataset, pixel, table, row_group_rows))
        base = root / dataset.path
        pq.write_metadata(schema_of(NEOWISE.name), base / "_common_metadata")
        _metadata(base / "_metadata", footers[year], chosen, sky=False)
        if metadata == "sky" and year == years[0]:
            _metadata(base / "_metadata_sky", footers[year], chosen, sky=True)
    return DenseMirror(root, frame, chosen)


def _write(root: Path, dataset, pixel: int, table: pa.Table, row_group_rows: int) -> pq.FileMetaData:  # noqa: ANN001
    where = root / dataset.path / f"healpix_k0={pixel // 1024}" / f"healpix_k5={pixel}"
    where.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, where / "part0.snappy.parquet", row_group_size=row_group_rows, compression="snappy")
    meta = pq.read_metadata(where / "part0.snappy.parquet")
    meta.set_file_path(f"healpix_k0={pixel // 1024}/healpix_k5={pixel}/part0.snappy.parquet")
    return meta


def _metadata(where: Path, footers: list[pq.FileMetaData], chosen: tuple[int, ...], sky: bool) -> None:
    """A ``_metadata``: the data pixels' own footers; with ``sky``, every other of the 12,288
    pixels too, each with a typical pixel's footer (not the pole's) under its own path."""
    pq.write_metadata(footers[0].schema.to_arrow_schema(), where)
    metadata = pq.read_metadata(where)
    own = dict(zip(chosen, footers, strict=True))
    stand_in = pq.read_metadata(where.parent / footers[-1].row_group(0).column(0).file_path)
    for pixel in range(PIXELS_ON_SKY) if sky else chosen:
        footer = own.get(pixel)
        if footer is None:
            stand_in.set_file_path(f"healpix_k0={pixel // 1024}/healpix_k5={pixel}/part0.snappy.parquet")
            footer = stand_in
        metadata.append_row_groups(footer)
    metadata.write_metadata_file(str(where))
