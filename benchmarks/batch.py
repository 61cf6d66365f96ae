"""Batch processing time for 10, 100 and 1000 targets from the cache, and the queries sent.

TILED real rows: the AT2019dsg recording (1 AllWISE source, 35 multi-epoch and 253 NEOWISE-R
rows, ~290 epochs a target) copied to N positions 0.1° apart, served by the local TAP server
(tests/tap_server.py) through TAP_UPLOAD and UWS jobs. The first run fills the cache (its time
and query count are printed too); the second, measured, run reads every chunk from the cache and
analyses all targets of a chunk at once (dashboard/batch/analysis.py). Goal (#18): 1000 targets
in <= 5 s. The batch bundle (every target's single view, its CSV/ECSV twins and manifest, the chunk
replies, zipped; dashboard/batch/views.py makes a chunk's views at once) is timed apart, best and
median of 3 (this machine's speed drifts by up to ~30 %). Goal (#27): 1000 targets in <= 10 s.
"""

from __future__ import annotations

import functools
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd

from _common import ROOT, timings  # noqa: F401  (puts the project and tests on sys.path)
from dashboard.archive import offline as archive
from dashboard.batch import service
from dashboard.batch.bundle import build_batch_bundle
from dashboard.config import Settings
from dashboard.core.model import Cone
from tap_server import LocalTap

CENTRE = (314.26238, 14.20441)
SIZES = (10, 100, 1000)


def tiled_sky(n: int) -> dict[str, pd.DataFrame]:
    """Each table's real rows around AT2019dsg, copied to n positions (0.1° apart in dec)."""
    out = {}
    for table in ("allwise_p3as_psd", "allwise_p3as_mep", "neowiser_p1bs_psd"):
        rows = archive.query(table, Cone(*CENTRE, 2.5)).rows
        out[table] = pd.concat([rows.assign(dec=rows["dec"] - 30 + 0.1 * i) for i in range(n)], ignore_index=True)
    return out


def main() -> dict[str, float]:
    tap = LocalTap().start()
    results: dict[str, float] = {}
    try:
        for n in SIZES:
            tap.reset()
            tap.extra_rows.update(tiled_sky(n))
            settings = replace(Settings(), tap_url=tap.url, cache_dir=Path(tempfile.mkdtemp()),
                               resolve_names_online=False, batch_job_wait_s=600.0)
            text = "\n".join(f"{CENTRE[0]:.6f} {CENTRE[1] - 30 + 0.1 * i:+.6f}" for i in range(n))
            targets = service.read(text, settings, radius=2.5)
            start = time.perf_counter()
            first = service.run(targets, settings)
            cold = time.perf_counter() - start
            sent = len(tap.uploads)
            start = time.perf_counter()
            second = service.run(targets, settings)
            warm = time.perf_counter() - start
            epochs = float((second.table["n_epochs_passed"] + second.table["n_epochs_rejected"]).mean())
            made: list[bytes] = []
            build = functools.partial(build_batch_bundle, second.run, targets.bad, second.table, settings)
            runs = timings(lambda build=build, made=made: made.append(build()), 3)
            bundle, zipped, median = made[-1], min(runs), sorted(runs)[1]
            assert len(set(made)) == 1, "one batch, the same bundle bytes on every build"
            ok = int((second.table["status"] == "ok").sum())
            assert ok == n and (first.table["status"] == "ok").sum() == n, "every tiled target has its source"
            print(f"batch {n:5d} targets (~{epochs:.0f} band-epochs each): from cache {warm:7.2f} s "
                  f"({1000 * warm / n:.1f} ms a target), 0 queries; first run {cold:7.2f} s, {sent} queries "
                  f"({len(first.run.chunks)} chunks x 3 tables); its bundle {zipped:7.2f} s best, "
                  f"{median:.2f} s median of 3, {len(bundle) / 1e6:.1f} MB")
            results[f"batch_{n}_from_cache_s"] = round(warm, 3)
            results[f"batch_{n}_bundle_s"] = round(zipped, 3)
            results[f"batch_{n}_bundle_median_s"] = round(median, 3)
            results[f"batch_{n}_queries_first_run"] = sent
    finally:
        tap.stop()
    return results


if __name__ == "__main__":
    main()
