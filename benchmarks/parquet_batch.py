"""The survey route (``--service parquet``, Dask) beside IRSA's tutorial method, on one synthetic mirror.

SYNTHETIC MIRROR (IRSA's layout, not IRSA's rows): the real AT2019dsg recording (1 AllWISE source,
253 NEOWISE-R single exposures with all their flags) copied to N target positions, 10^3 targets
per order-5 pixel at most (ra/dec offsets of the recording kept), each year's rows in its year's
dataset; plus BACKGROUND rows, copies of those exposures at random positions of each pixel
(``--background`` per pixel and year), so that a read must find its targets among other sources
as in IRSA's partitions. ``_metadata`` is written too (the tutorial opens it).

Both methods read the same mirror with the same cores (``--workers``, default 2):

* **survey route**: ``run_survey`` on a LocalCluster (read per (pixel, year), cuts, stacking,
  statistics, SED choice; folder written). The AllWISE multi-epoch table is not in the bucket;
  here it answers empty for every chunk (no TAP in a benchmark of Parquet reads).
* **tutorial**: Caltech-IPAC/irsa-tutorials ``neowise-source-table-lightcurves``: datasets
  from ``_metadata``, one task per pixel with a box of 100 x radius and ``cc_flags == '0000'``,
  astropy ``search_around_sky``, ``multiprocessing.Pool`` (its columns: cntr, ra, dec, mjd, w1flux,
  w2flux). It gives matched rows only; no cuts, no visits, no statistics.

Peak memory: the sum of the resident memory of every process of a method (client, scheduler and
workers; or the pool's parent and children), sampled every 0.1 s; each method runs in a fresh
process of its own (the mirror is built in another), so neither carries the other's heap. "Same matches": the (target,
row) pairs with cc_flags '0000' found by ``parquet.read_cones`` equal the tutorial's.

Usage: python benchmarks/parquet_batch.py [--sizes 1000 10000 100000] [--workers 2]
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import hpgeom
import numpy as np
import pandas as pd
import psutil
import pyarrow.compute as pcompute
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from _common import ROOT, real_neowise_rows  # noqa: F401  (puts the project and tests on sys.path)
from dashboard.archive import offline as archive
from dashboard.archive.parquet import (
    ALLWISE,
    DATASETS,
    NEOWISE_YEARS,
    Cones,
    ParquetRoot,
    neowise_dataset,
    read_cones,
    read_schema,
)
from dashboard.archive.tap import TapReply
from dashboard.batch.cluster import dask_client
from dashboard.batch.outputs import OutDir
from dashboard.batch.survey import identity, run_survey
from dashboard.batch.targets import BatchTarget, TargetList
from dashboard.config import Settings
from dashboard.core.model import Cone, Target
from dashboard.core.tables import PSD
from dashboard.science.analysis import AnalysisParams

CENTRE = (314.26238, 14.20441)
RADIUS_ARCSEC = 2.5
PER_PIXEL = 1000


def build(root: Path, n: int, background: int, rng: np.random.Generator) -> list[BatchTarget]:
    """The synthetic mirror and its N targets (see the module docstring)."""
    from parquet_mirror import neowise_year, schema_of  # tests/ (on sys.path by _common)
    epochs = real_neowise_rows()
    catalog = archive.query(PSD.name, Cone(*CENTRE, 2.5)).rows
    years = neowise_year(epochs["mjd"].to_numpy(float))
    n_pixels = max(1, -(-n // PER_PIXEL))
    pixels = rng.choice(np.arange(1000, 11000), n_pixels, replace=False)
    targets, per_pixel = [], np.array_split(np.arange(n), n_pixels)
    collectors: dict[str, list] = {d.label: [] for group in DATASETS.values() for d in group}
    for pixel, members in zip(pixels, per_pixel, strict=True):
        c_ra, c_dec = hpgeom.pixel_to_angle(32, int(pixel), nest=True)
        t_ra = (c_ra + rng.uniform(-0.4, 0.4, len(members)) / np.cos(np.radians(c_dec))) % 360
        t_dec = c_dec + rng.uniform(-0.4, 0.4, len(members))
        b_ra = (c_ra + rng.uniform(-0.8, 0.8, background) / np.cos(np.radians(c_dec))) % 360
        b_dec = c_dec + rng.uniform(-0.8, 0.8, background)
        for i, ra, dec in zip(members, t_ra, t_dec, strict=True):
            targets.append(BatchTarget(line=int(i) + 1, id=str(i + 1), radius_arcsec=RADIUS_ARCSEC,
                                       target=Target(ra=float(ra), dec=float(dec), input=f"{ra:.6f} {dec:+.6f}",
                                                     resolver="coordinates")))
        shift = lambda rows, ra, dec: rows.assign(ra=(rows["ra"] - CENTRE[0] + ra) % 360,  # noqa: E731
                                                  dec=rows["dec"] - CENTRE[1] + dec)
        cat = pd.concat([shift(catalog, ra, dec) for ra, dec in zip(t_ra, t_dec, strict=True)], ignore_index=True)
        _write(root, ALLWISE, int(pixel), cat, collectors)
        for year in NEOWISE_YEARS:
            own = epochs[years == year]
            if own.empty:
                continue
            rows = pd.concat([shift(own, ra, dec) for ra, dec in zip(t_ra, t_dec, strict=True)], ignore_index=True)
            extra = epochs.sample(background, replace=True, random_state=int(pixel)).assign(ra=b_ra, dec=b_dec)
            mixed = pd.concat([rows, extra], ignore_index=True).sample(frac=1.0, random_state=1)
            _write(root, neowise_dataset(year), int(pixel), mixed, collectors)
    for group in DATASETS.values():
        for dataset in group:
            base = root / dataset.path
            base.mkdir(parents=True, exist_ok=True)
            pq.write_metadata(schema_of(dataset.table), base / "_common_metadata")
            if collectors[dataset.label]:
                pq.write_metadata(schema_of(dataset.table).remove(schema_of(dataset.table).get_field_index(
                    "healpix_k0")).remove(schema_of(dataset.table).get_field_index("healpix_k5") - 1),
                    base / "_metadata", metadata_collector=collectors[dataset.label])
    return sorted(targets, key=lambda t: t.line)


def _write(root: Path, dataset, pixel: int, rows: pd.DataFrame, collectors: dict) -> None:  # noqa: ANN001
    from parquet_mirror import arrow_rows
    keep = hpgeom.angle_to_pixel(32, rows["ra"].to_numpy(float), rows["dec"].to_numpy(float), nest=True) == pixel
    rows = rows[keep]
    if rows.empty:
        return
    where = root / dataset.path / f"healpix_k0={pixel // 1024}" / f"healpix_k5={pixel}"
    where.mkdir(parents=True, exist_ok=True)
    meta: list = []
    pq.write_table(arrow_rows(rows, dataset.table), where / "part0.snappy.parquet", row_group_size=65536,
                   metadata_collector=meta)
    meta[0].set_file_path(f"healpix_k0={pixel // 1024}/healpix_k5={pixel}/part0.snappy.parquet")
    collectors[dataset.label].append(meta[0])


# ---- the tutorial's method (Caltech-IPAC/irsa-tutorials, neowise-source-table-lightcurves.md) ----
COLUMN_SUBSET = ["cntr", "ra", "dec", "mjd", "w1flux", "w2flux"]
_ds = _columns = _radius = None


def init_worker(neowise_ds, columns, radius):  # noqa: ANN001, ANN201
    global _ds, _columns, _radius
    _ds, _columns, _radius = neowise_ds, columns, radius


def load_lightcurves_one_partition(targets_group):  # noqa: ANN001, ANN201
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    pixel, locations = targets_group
    filters = pcompute.field("healpix_k5") == pixel
    buffer = 100 * _radius.to_value("deg")
    for coord, target_coord in (("ra", "ra"), ("dec", "dec")):
        filters &= pcompute.field(coord) > locations[target_coord].min() - buffer
        filters &= pcompute.field(coord) < locations[target_coord].max() + buffer
    filters &= pcompute.equal(pcompute.field("cc_flags"), "0000")
    table = _ds.to_table(columns=[c for c in _columns if c != "cntr"], filter=filters)
    rows = SkyCoord(ra=table["ra"] * u.deg, dec=table["dec"] * u.deg)
    sky = SkyCoord(locations["ra"].to_numpy(), locations["dec"].to_numpy(), unit=u.deg)
    t_i, r_i, _, _ = rows.search_around_sky(sky, _radius)
    match = table.take(r_i).to_pandas()
    match["uid"] = locations["uid"].to_numpy()[t_i]
    return match


def tutorial(root: Path, targets: list[BatchTarget], workers: int) -> pd.DataFrame:
    from astropy import units as u

    years = [pads.parquet_dataset(str(root / neowise_dataset(y).path / "_metadata"), partitioning="hive")
             for y in NEOWISE_YEARS if (root / neowise_dataset(y).path / "_metadata").exists()]
    neowise_ds = pads.dataset(years)
    frame = pd.DataFrame({"uid": [t.line for t in targets], "ra": [t.target.ra for t in targets],
                          "dec": [t.target.dec for t in targets]})
    frame["healpix_k5"] = [hpgeom.query_circle(32, r, d, RADIUS_ARCSEC / 3600, nest=True, inclusive=True)
                           for r, d in zip(frame["ra"], frame["dec"], strict=True)]
    frame = frame.explode("healpix_k5", ignore_index=True)
    groups = frame.groupby("healpix_k5")
    init = (neowise_ds, COLUMN_SUBSET, RADIUS_ARCSEC * u.arcsec)
    with multiprocessing.get_context("fork").Pool(workers, initializer=init_worker, initargs=init) as pool:
        parts = list(pool.imap_unordered(load_lightcurves_one_partition, ((int(k), g) for k, g in groups),
                                         chunksize=max(1, len(groups) // (4 * workers))))
    return pd.concat(parts).sort_values("mjd").reset_index(drop=True)


def our_pairs(root: Path, targets: list[BatchTarget]) -> int:
    """(target, row) pairs with cc_flags '0000' by ``parquet.read_cones`` (the check of the matches)."""
    mirror = ParquetRoot(str(root))
    cones = Cones(np.arange(len(targets)), np.array([t.target.ra for t in targets]),
                  np.array([t.target.dec for t in targets]), np.full(len(targets), RADIUS_ARCSEC))
    home = hpgeom.angle_to_pixel(32, cones.ra, cones.dec, nest=True)
    total = 0
    for year in NEOWISE_YEARS:
        dataset = neowise_dataset(year)
        schema = read_schema(mirror, dataset)
        for pixel in np.unique(home):
            rows = read_cones(mirror, dataset, int(pixel), cones.take(home == pixel), schema)
            total += int((rows["cc_flags"] == "0000").sum())
    return total


def _targets_file(root: Path) -> Path:
    return root / "targets.parquet"


def _save_targets(root: Path, targets: list[BatchTarget]) -> None:
    pd.DataFrame({"line": [t.line for t in targets], "ra": [t.target.ra for t in targets],
                  "dec": [t.target.dec for t in targets]}).to_parquet(_targets_file(root))


def _load_targets(root: Path) -> list[BatchTarget]:
    frame = pd.read_parquet(_targets_file(root))
    return [BatchTarget(line=int(line), id=str(line), radius_arcsec=RADIUS_ARCSEC,
                        target=Target(ra=float(ra), dec=float(dec), input=f"{ra:.6f} {dec:+.6f}",
                                      resolver="coordinates"))
            for line, ra, dec in zip(frame["line"], frame["ra"], frame["dec"], strict=True)]


def _phase(args: argparse.Namespace) -> None:
    """One phase in its own process (so that each method's memory is its own): build, survey,
    tutorial or reads. Prints one JSON line of figures."""
    import json

    root = Path(args.root)
    if args.phase == "build":
        started = time.perf_counter()
        _save_targets(root, build(root, args.n, args.background, np.random.default_rng(29)))
        print(json.dumps({"built_s": time.perf_counter() - started}))
        return
    targets = _load_targets(root)
    if args.phase == "survey":
        settings = replace(Settings(), parquet_root=str(root), cache_dir=root / "cache", batch_chunk=5000)

        def empty_multi_epoch(index: int, chunk: list[BatchTarget]) -> TapReply:
            return TapReply(raw=b"", rows=pd.DataFrame(columns=["upload_id"]), truncated=False, retrieved_utc="")

        started = time.perf_counter()
        with dask_client(None, workers=args.workers, memory_limit="4GiB") as client:
            client.wait_for_workers(args.workers)
            cluster_s = time.perf_counter() - started
            started = time.perf_counter()
            out = OutDir(root / "out", identity(targets, settings, AnalysisParams()))
            run = run_survey(TargetList(targets=targets), settings, out, client, multi_epoch=empty_multi_epoch)
            seconds = time.perf_counter() - started
        summary = run.summary
        epochs = float(summary["n_epochs_passed"].fillna(0).sum() + summary["n_epochs_rejected"].fillna(0).sum())
        print(json.dumps({"seconds": seconds, "epochs": epochs, "cluster_s": cluster_s}))
    elif args.phase == "tutorial":
        started = time.perf_counter()
        theirs = tutorial(root, targets, args.workers)
        print(json.dumps({"seconds": time.perf_counter() - started, "matched": len(theirs)}))
    else:
        started = time.perf_counter()
        pairs = our_pairs(root, targets)
        print(json.dumps({"seconds": time.perf_counter() - started, "matched": pairs}))


def _measured(phase: str, root: Path, n: int, args: argparse.Namespace) -> tuple[dict, float]:
    """Run a phase in a fresh process; its figures and the peak of its process tree's summed RSS."""
    import json
    import subprocess
    import sys

    command = [sys.executable, __file__, "--phase", phase, "--root", str(root), "--n", str(n),
               "--workers", str(args.workers), "--background", str(args.background)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    peak = 0
    watched = psutil.Process(proc.pid)
    while proc.poll() is None:
        total = 0
        try:
            for one in [watched, *watched.children(recursive=True)]:
                try:
                    total += one.memory_info().rss
                except psutil.Error:
                    pass
        except psutil.Error:
            pass
        peak = max(peak, total)
        time.sleep(0.1)
    out = proc.stdout.read() if proc.stdout else ""
    if proc.returncode:
        raise SystemExit(f"phase {phase} failed ({proc.returncode})")
    return json.loads(out.strip().splitlines()[-1]), peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--background", type=int, default=20000, help="background rows per pixel and year")
    parser.add_argument("--mirror", help="a mirror this benchmark built before (its folder, kept): measured "
                                         "again without the build (~14 min at 10^5 targets); --sizes is ignored")
    parser.add_argument("--phase", choices=("build", "survey", "tutorial", "reads"), help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        _phase(args)
        return
    print(f"{'targets':>8} {'method':<13} {'seconds':>8} {'targets/s':>10} {'epochs/s':>10} {'peak MB':>8} "
          f"{'matched':>9}", flush=True)
    for n in ([len(_load_targets(Path(args.mirror)))] if args.mirror else args.sizes):
        root = Path(args.mirror) if args.mirror else Path(tempfile.mkdtemp(prefix=f"mirror-{n}-"))
        built = {"built_s": float("nan")} if args.mirror else _measured("build", root, n, args)[0]
        shutil.rmtree(root / "out", ignore_errors=True)  # a kept mirror's last run: never resumed
        ours, ours_mb = _measured("survey", root, n, args)
        print(f"{n:>8} {'survey route':<13} {ours['seconds']:>8.1f} {n / ours['seconds']:>10.0f} "
              f"{ours['epochs'] / ours['seconds']:>10.0f} {ours_mb:>8.0f} {'':>9}", flush=True)
        theirs, their_mb = _measured("tutorial", root, n, args)
        print(f"{n:>8} {'tutorial':<13} {theirs['seconds']:>8.1f} {n / theirs['seconds']:>10.0f} "
              f"{theirs['matched'] / theirs['seconds']:>10.0f} {their_mb:>8.0f} {theirs['matched']:>9}", flush=True)
        reads, reads_mb = _measured("reads", root, n, args)
        print(f"{n:>8} {'reads only':<13} {reads['seconds']:>8.1f} {n / reads['seconds']:>10.0f} {'':>10} "
              f"{reads_mb:>8.0f} {reads['matched']:>9}  (read_cones, one process, all NEOWISE columns, no analysis)")
        same = "EQUAL" if reads["matched"] == theirs["matched"] else "DIFFERENT"
        print(f"{'':>8} same matches (cc_flags '0000'): ours {reads['matched']}, tutorial {theirs['matched']}: "
              f"{same}; mirror built in {built['built_s']:.0f} s; LocalCluster started in {ours['cluster_s']:.1f} s "
              "(outside the survey route's seconds; its memory inside)", flush=True)
        shutil.rmtree(root / "out", ignore_errors=True)
        if not args.mirror:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
