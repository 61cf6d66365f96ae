"""The survey route (``--service parquet``, Dask) beside IRSA's tutorial method, at the sky's real density.

SYNTHETIC MIRROR shaped like IRSA's NEOWISE-R Parquet (``tests/dense_mirror.py``): its layout and
columns, ``--rows-per-pixel-year`` rows in every pixel and year (default 1,450,000: IRSA's ~200
billion rows over 12 datasets and 12,288 pixels), one of the ``--pixels`` at the ecliptic pole with
3 times more, every NEOWISE-R year and the addendum, rows in ``--order`` (time, random, spatial)
in row groups of ``--row-group-rows``. Each of ``--targets-per-pixel`` (the largest; smaller
densities query the first targets of each pixel: 8 and 80 are 10^5 and 10^6 targets over the
sky) carries the real AT2019dsg exposures. It is scaled down by taking fewer pixels, never by
thinning them. ``--mirror`` reuses one built before (its ``mirror.json`` says how).

Methods, each in a fresh process of its own, on ``--workers`` cores:

* **survey route**: ``run_survey`` on a LocalCluster (two-pass reads per (pixel, year), cuts,
  visits, statistics, SED choice, outputs written). The AllWISE multi-epoch table is not in the
  bucket; here it answers empty (no TAP in a benchmark of Parquet reads).
* **tutorial**: Caltech-IPAC/irsa-tutorials ``neowise-source-table-lightcurves``: datasets from
  ``_metadata``, one task per pixel with a box of 100 x radius and ``cc_flags == '0000'``,
  astropy ``search_around_sky``, ``multiprocessing.Pool``; matched rows of 6 columns only. Its
  ``_metadata`` here covers the data pixels; the sky-wide one IRSA serves is opened on its own
  (``sky _metadata``) and its cost is added to the tutorial's start-up in the extrapolation.
* **reads only** (one process, through a counting filesystem, ``tests/counting_fs.py``): the
  two-pass read, the plain one-pass read, and the tutorial's read of one pixel-year at a time.
  Their bytes are exact; their seconds include the counting wrapper's Python-level file calls,
  which cost the tutorial's many small reads most: compare its bytes, and its time in the full run.

Figures: seconds, targets/s, rows scanned/s (the rows of every data pixel and year), bytes read
(the reads-only rows: at the counting filesystem; the full runs: ``read_chars`` of every process of
the method, i.e. read(2) bytes, page-cache hits included), peak memory (the summed RSS of every
process of the method, sampled every 0.1 s), and the same matches (the pairs with cc_flags '0000'
of both reads equal the tutorial's). The extrapolation to the whole sky is printed with its
formula: full-sky rows (12,288 pixels x 12 datasets x rows per pixel and year) divided by the
measured rows scanned/s, and that time x 2/64 on 64 cores (linear in cores: an assumption).

Usage: python benchmarks/parquet_batch.py [--order time random spatial] [--targets-per-pixel 8 80]
       [--pixels 4] [--rows-per-pixel-year 1450000] [--row-group-rows 131072] [--workers 2] [--mirror DIR]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
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

from _common import ROOT, real_neowise_rows  # noqa: F401  (puts the project and tests on sys.path)
from dashboard.archive import offline as archive
from dashboard.archive import parquet, parquet_two_pass
from dashboard.archive.parquet import NEOWISE_YEARS, Cones, ParquetRoot, neowise_dataset, read_schema
from dashboard.archive.tap import TapReply
from dashboard.batch.cluster import dask_client
from dashboard.batch.outputs import OutDir
from dashboard.batch.survey import identity, run_survey
from dashboard.batch.targets import BatchTarget, TargetList
from dashboard.config import Settings
from dashboard.core.model import Cone, Target
from dashboard.core.tables import PSD
from dashboard.science.analysis import AnalysisParams

RADIUS_ARCSEC = 2.5
FULL_SKY_PIXELS = 12_288
DATASETS_PER_PIXEL = len(NEOWISE_YEARS)


def _targets(root: Path, per_pixel: int) -> list[BatchTarget]:
    frame = pd.read_parquet(root / "targets.parquet").groupby("pixel", sort=False).head(per_pixel)
    return [BatchTarget(line=int(line), id=str(line), radius_arcsec=RADIUS_ARCSEC,
                        target=Target(ra=float(ra), dec=float(dec), input=f"{ra:.6f} {dec:+.6f}",
                                      resolver="coordinates"))
            for line, ra, dec in zip(frame["line"], frame["ra"], frame["dec"], strict=True)]


def _cones(targets: list[BatchTarget]) -> Cones:
    return Cones(np.array([t.line for t in targets]), np.array([t.target.ra for t in targets]),
                 np.array([t.target.dec for t in targets]), np.full(len(targets), RADIUS_ARCSEC))


# ---- the tutorial's method (Caltech-IPAC/irsa-tutorials, neowise-source-table-lightcurves.md) ----
COLUMN_SUBSET = ["cntr", "ra", "dec", "mjd", "w1flux", "w2flux"]
_ds = _columns = _radius = None


def init_worker(neowise_ds, columns, radius):  # noqa: ANN001, ANN201
    global _ds, _columns, _radius
    _ds, _columns, _radius = neowise_ds, columns, radius


def tutorial_filter(pixel: int, locations: pd.DataFrame, radius_deg: float) -> pcompute.Expression:
    filters = pcompute.field("healpix_k5") == pixel
    buffer = 100 * radius_deg
    for coord in ("ra", "dec"):
        filters &= pcompute.field(coord) > locations[coord].min() - buffer
        filters &= pcompute.field(coord) < locations[coord].max() + buffer
    return filters & pcompute.equal(pcompute.field("cc_flags"), "0000")


def load_lightcurves_one_partition(targets_group):  # noqa: ANN001, ANN201
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    pixel, locations = targets_group
    table = _ds.to_table(columns=[c for c in _columns if c != "cntr"],
                         filter=tutorial_filter(pixel, locations, _radius.to_value("deg")))
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


# ---- the phases, each in a process of its own ----

def phase_build(args: argparse.Namespace) -> dict:
    from dense_mirror import build  # tests/ (on sys.path by _common)

    root = Path(args.root)
    started = time.perf_counter()
    catalog = archive.query(PSD.name, Cone(314.26238, 14.20441, 2.5)).rows
    mirror = build(root, rows_per_pixel_year=args.rows_per_pixel_year, targets_per_pixel=max(args.targets_per_pixel),
                   pixels=args.pixels, order=args.order[0], row_group_rows=args.row_group_rows,
                   real=real_neowise_rows(), catalog=catalog, metadata="sky")
    mirror.targets.to_parquet(root / "targets.parquet")
    described = {"rows_per_pixel_year": args.rows_per_pixel_year, "targets_per_pixel": max(args.targets_per_pixel),
                 "pixels": list(mirror.pixels), "order": args.order[0], "row_group_rows": args.row_group_rows,
                 "data_rows": data_rows(root), "bytes": sum(f.stat().st_size for f in root.rglob("*.parquet"))}
    (root / "mirror.json").write_text(json.dumps(described, indent=1))
    return {"built_s": time.perf_counter() - started, **described}


def data_rows(root: Path) -> int:
    import pyarrow.parquet as pq

    return sum(pq.read_metadata(f).num_rows for f in (root / "wise/neowiser").rglob("part*.parquet"))


def phase_survey(args: argparse.Namespace) -> dict:
    root = Path(args.root)
    targets = _targets(root, args.n)
    settings = replace(Settings(), parquet_root=str(root), cache_dir=root / "cache", batch_chunk=5000)

    def empty_multi_epoch(index: int, chunk: list[BatchTarget]) -> TapReply:
        return TapReply(raw=b"", rows=pd.DataFrame(columns=["upload_id"]), truncated=False, retrieved_utc="")

    started = time.perf_counter()
    with dask_client(None, workers=args.workers, memory_limit="6GiB") as client:
        client.wait_for_workers(args.workers)
        cluster_s = time.perf_counter() - started
        started = time.perf_counter()
        out = OutDir(root / "out", identity(targets, settings, AnalysisParams()))
        run = run_survey(TargetList(targets=targets), settings, out, client, multi_epoch=empty_multi_epoch)
        seconds = time.perf_counter() - started
    statuses = run.summary["status"].value_counts().to_dict()
    return {"seconds": seconds, "cluster_s": cluster_s, "statuses": statuses}


def phase_tutorial(args: argparse.Namespace) -> dict:
    started = time.perf_counter()
    theirs = tutorial(Path(args.root), _targets(Path(args.root), args.n), args.workers)
    return {"seconds": time.perf_counter() - started, "matched": len(theirs)}


def phase_sky_metadata(args: argparse.Namespace) -> dict:
    where = Path(args.root) / neowise_dataset(NEOWISE_YEARS[0]).path / "_metadata_sky"
    started = time.perf_counter()
    opened = pads.parquet_dataset(str(where), partitioning="hive")
    return {"seconds": time.perf_counter() - started, "files": len(opened.files), "bytes": where.stat().st_size}


def phase_reads(args: argparse.Namespace) -> dict:
    """One method's reads of every (pixel, year), through a counting filesystem."""
    from counting_fs import counting_filesystem

    root = Path(args.root)
    targets = _targets(root, args.n)
    cones = _cones(targets)
    home = parquet.home_pixels(cones.ra, cones.dec)
    mirror = ParquetRoot(str(root))
    fs, reads = counting_filesystem()
    started = time.perf_counter()
    matched = 0
    for year in NEOWISE_YEARS:
        dataset = neowise_dataset(year)
        schema = read_schema(mirror, dataset)
        for pixel in np.unique(home):
            mine = cones.take(home == pixel)
            if args.method == "tutorial-read":
                matched += _tutorial_read(root, dataset, int(pixel), mine, fs)
                continue
            read = parquet_two_pass.read_cones if args.method == "two-pass" else parquet.read_cones
            rows = read(mirror, dataset, int(pixel), mine, schema, filesystem=fs)
            matched += int((rows["cc_flags"] == "0000").sum())
    return {"seconds": time.perf_counter() - started, "matched": matched, "bytes": reads.bytes}


def _tutorial_read(root: Path, dataset, pixel: int, cones: Cones, fs) -> int:  # noqa: ANN001
    """The tutorial's read of one pixel-year (its box, its columns, its cc_flags filter) and its
    matches by the same exact separation, through ``fs``."""
    path = root / dataset.path / "_metadata"
    opened = pads.parquet_dataset(str(path), partitioning="hive", filesystem=fs)
    locations = pd.DataFrame({"ra": cones.ra, "dec": cones.dec})
    table = opened.to_table(columns=["ra", "dec", "mjd", "w1flux", "w2flux"],
                            filter=tutorial_filter(pixel, locations, RADIUS_ARCSEC / 3600))
    pairs = parquet.match(cones, table.column("ra").to_numpy(), table.column("dec").to_numpy())
    return len(pairs[0])


PHASES = {"build": phase_build, "survey": phase_survey, "tutorial": phase_tutorial, "reads": phase_reads,
          "sky-metadata": phase_sky_metadata}


def _measured(phase: str, args: argparse.Namespace, **extra: object) -> tuple[dict, float, int]:
    """Run a phase in a fresh process: its figures, the peak of its process tree's summed RSS
    (MB) and the read(2) bytes of every process it ran (``read_chars``, the last seen of each)."""
    command = [sys.executable, __file__, "--phase", phase, "--root", str(args.root), "--workers", str(args.workers),
               "--rows-per-pixel-year", str(args.rows_per_pixel_year), "--pixels", str(args.pixels),
               "--row-group-rows", str(args.row_group_rows), "--order", *args.order,
               "--targets-per-pixel", *map(str, args.targets_per_pixel)]
    for key, value in extra.items():
        command += [f"--{key}", str(value)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    peak, read_chars = 0, {}
    watched = psutil.Process(proc.pid)
    while proc.poll() is None:
        total = 0
        try:
            for one in [watched, *watched.children(recursive=True)]:
                try:
                    total += one.memory_info().rss
                    read_chars[one.pid] = one.io_counters().read_chars
                except psutil.Error:
                    pass
        except psutil.Error:
            pass
        peak = max(peak, total)
        time.sleep(0.1)
    out = proc.stdout.read() if proc.stdout else ""
    if proc.returncode:
        raise SystemExit(f"phase {phase} failed ({proc.returncode})")
    return json.loads(out.strip().splitlines()[-1]), peak / 2**20, sum(read_chars.values())


def _row(n: int, method: str, seconds: float, rows: int, mb: float, read: int, matched: object = "") -> None:
    print(f"{n:>5} {method:<20} {seconds:>8.1f} {n / seconds:>9.2f} {rows / seconds / 1e6:>9.1f} "
          f"{read / 2**30:>8.2f} {mb:>8.0f} {matched!s:>9}", flush=True)


def _one_density(args: argparse.Namespace, per_pixel: int, rows: int) -> dict:
    n = len(_targets(Path(args.root), per_pixel))
    ours, ours_mb, ours_read = _measured("survey", args, n=per_pixel)
    _row(n, "survey route", ours["seconds"], rows, ours_mb, ours_read, "")
    theirs, their_mb, their_read = _measured("tutorial", args, n=per_pixel)
    _row(n, "tutorial", theirs["seconds"], rows, their_mb, their_read, theirs["matched"])
    found = {}
    for method in ("two-pass", "one-pass", "tutorial-read"):
        got, mb, _ = _measured("reads", args, n=per_pixel, method=method)
        _row(n, f"reads: {method}", got["seconds"], rows, mb, got["bytes"], got["matched"])
        found[method] = got["matched"]
    same = "EQUAL" if found["two-pass"] == found["one-pass"] == theirs["matched"] == found["tutorial-read"] else \
        "DIFFERENT"
    print(f"{'':>5} same matches (cc_flags '0000'): two-pass {found['two-pass']}, one-pass {found['one-pass']}, "
          f"tutorial {theirs['matched']}: {same}; survey statuses {ours['statuses']}; LocalCluster start "
          f"{ours['cluster_s']:.1f} s (outside its seconds, inside its memory)", flush=True)
    return {"n": n, "per_pixel": per_pixel, "ours_s": ours["seconds"], "ours_mb": ours_mb,
            "theirs_s": theirs["seconds"], "theirs_mb": their_mb, "same": same, "rows": rows}


def _extrapolate(result: dict, sky: dict, args: argparse.Namespace) -> None:
    """Full-sky times from the measured rows scanned/s (module docstring's formula)."""
    sky_rows = FULL_SKY_PIXELS * DATASETS_PER_PIXEL * args.rows_per_pixel_year
    targets = FULL_SKY_PIXELS * result["per_pixel"]
    for method, seconds, start in (("survey route", result["ours_s"], 0.0),
                                   ("tutorial", result["theirs_s"], sky["seconds"] * DATASETS_PER_PIXEL)):
        rate = result["rows"] / seconds
        two = sky_rows / rate + start
        print(f"{'':>5} full sky, {targets:.1e} targets ({result['per_pixel']}/pixel), {method}: "
              f"{sky_rows:.2e} rows / {rate / 1e6:.1f} M rows/s" + (f" + {start:.0f} s opening 12 sky-wide _metadata"
                                                                     if start else "")
              + f" = {two / 3600:.1f} h on {args.workers} cores, {two * args.workers / 64 / 3600:.2f} h on 64 cores",
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--order", nargs="+", default=["time"], choices=("time", "random", "spatial"))
    parser.add_argument("--targets-per-pixel", type=int, nargs="+", default=[8, 80])
    parser.add_argument("--pixels", type=int, default=4)
    parser.add_argument("--rows-per-pixel-year", type=int, default=1_450_000)
    parser.add_argument("--row-group-rows", type=int, default=131_072)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--mirror", help="a mirror built before (kept): measured again without the build; its "
                                         "mirror.json says its order, density and row groups")
    parser.add_argument("--keep", action="store_true", help="keep the mirror built (its folder is printed)")
    parser.add_argument("--phase", choices=tuple(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--method", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(PHASES[args.phase](args)), flush=True)
        # The figures are out. pyarrow's scanner threads calling back into a Python filesystem
        # (the counting wrapper) can abort the interpreter's shutdown ("terminate called without
        # an active exception", seen in about half the one-pass reads): end without it.
        os._exit(0)
    for order in ([None] if args.mirror else args.order):
        run_order(args, order)


def run_order(args: argparse.Namespace, order: str | None) -> None:
    if args.mirror:
        args.root = Path(args.mirror)
        built = json.loads((args.root / "mirror.json").read_text()) | {"built_s": float("nan")}
    else:
        args.root = Path(tempfile.mkdtemp(prefix=f"dense-{order}-", dir=tempfile.gettempdir()))
        args.order = [order]
        built, _, _ = _measured("build", args)
    print(f"\nmirror: order {built['order']}, {built['rows_per_pixel_year']:,} rows per pixel and year, pixels "
          f"{built['pixels']} (the first at the ecliptic pole, x3), row groups of {built['row_group_rows']:,}; "
          f"{built['data_rows']:,} NEOWISE-R rows, {built['bytes'] / 2**30:.1f} GiB; built in {built['built_s']:.0f} s",
          flush=True)
    sky, sky_mb, _ = _measured("sky-metadata", args)
    print(f"sky-wide _metadata of one year ({sky['files']:,} files, {sky['bytes'] / 2**30:.2f} GiB): opened in "
          f"{sky['seconds']:.1f} s, peak {sky_mb:,.0f} MB (the tutorial's start-up at IRSA, per year)", flush=True)
    print(f"{'n':>5} {'method':<20} {'seconds':>8} {'targets/s':>9} {'Mrows/s':>9} {'GiB read':>8} {'peak MB':>8} "
          f"{'matched':>9}", flush=True)
    for per_pixel in args.targets_per_pixel:
        shutil.rmtree(args.root / "out", ignore_errors=True)
        result = _one_density(args, per_pixel, built["data_rows"])
        ratio_s = result["theirs_s"] / result["ours_s"]
        ratio_mb = result["ours_mb"] / result["theirs_mb"]
        print(f"{'':>5} {per_pixel}/pixel: survey route {ratio_s:.2f}x the tutorial's throughput at "
              f"{ratio_mb:.2f} of its peak memory", flush=True)
        _extrapolate(result, sky, args)
    shutil.rmtree(args.root / "out", ignore_errors=True)
    if not args.mirror and not args.keep:
        shutil.rmtree(args.root, ignore_errors=True)
    elif not args.mirror:
        print(f"mirror kept: {args.root}")


if __name__ == "__main__":
    main()
