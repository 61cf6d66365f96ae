"""Light-curve processing time for 10^3, 10^4, 10^5 epochs (TILED real rows), and the bundle build.

No recording has more than 721 epochs; real AT2019dsg NEOWISE-R rows (with flags) are tiled in
time (see ``_common.tiled``). Measures cuts + epochs + visit binning, as the page runs them.
Run: python benchmarks/lightcurve_scaling.py

With ``TIMEWISE_PYTHON=/path/to/python`` (an environment where ``pip install timewise==1.0.3``
worked), it also times timewise's own ``stack_visits`` on the same epochs (the AT2018lzs rows of
the timewise sample, tiled, which carry the DN fluxes timewise needs), run in that interpreter.
"""

from __future__ import annotations

import tracemalloc

from _common import real_neowise_rows, tiled, timed
from dashboard.config import Settings
from dashboard.wise.analysis import AnalysisParams
from dashboard.wise.lightcurve import build_lightcurve
from dashboard.wise.quality import apply_epoch_cuts
from dashboard.wise.tables import NEOWISE


def process(rows):
    params = AnalysisParams()
    cut, _ = apply_epoch_cuts(rows, NEOWISE, params.epoch_cuts)
    return build_lightcurve({"neowiser_p1bs_psd": cut}, params.binning)


def main() -> None:
    base = real_neowise_rows()
    previous = None
    for n in (1_000, 10_000, 100_000):
        rows = tiled(base, n)
        seconds = timed(lambda rows=rows: process(rows), repeat=3 if n < 100_000 else 1)
        tracemalloc.start()
        lc = process(rows)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        growth = f", x{seconds / previous:.1f} for 10x epochs" if previous else ""
        print(f"{n:>7} epochs (tiled real rows): {seconds:.3f} s, {n / seconds:,.0f} epochs/s, "
              f"{lc.visit_count()} visits, peak Python memory {peak / 1e6:.0f} MB{growth}")
        previous = seconds
    bundle_time()
    compare_timewise()


TIMEWISE_SNIPPET = """
import sys, time, pandas as pd
from timewise.process.stacking import stack_visits
lc = pd.read_csv(sys.argv[1])
best = 1e9
for _ in range(int(sys.argv[2])):
    t = time.perf_counter()
    stack_visits(lc, outlier_threshold=5, outlier_quantile=0.6827)
    best = min(best, time.perf_counter() - t)
print(best)
"""


def compare_timewise() -> None:
    import os
    import subprocess
    import tempfile

    from _common import Cone, archive

    python = os.environ.get("TIMEWISE_PYTHON")
    if not python:
        print("timewise comparison skipped (set TIMEWISE_PYTHON to an interpreter with timewise installed)")
        return
    base = archive.query("neowiser_p1bs_psd", Cone(268.233229, 58.636443, 6)).rows  # AT2018lzs, 721 rows
    for n in (1_000, 10_000, 100_000):
        rows = tiled(base, n)
        ours = timed(lambda rows=rows: build_lightcurve({"neowiser_p1bs_psd": rows.assign(passed=True, reasons="")},
                                                        AnalysisParams().binning), repeat=3 if n < 100_000 else 1)
        with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
            rows[["mjd", "w1mpro", "w1sigmpro", "w1flux", "w1sigflux", "w2mpro", "w2sigmpro", "w2flux",
                  "w2sigflux"]].to_csv(f, index=False)
        out = subprocess.run([python, "-c", TIMEWISE_SNIPPET, f.name, "3" if n < 100_000 else "1"],
                             capture_output=True, text=True, check=True)
        theirs = float(out.stdout.strip().splitlines()[-1])
        os.unlink(f.name)
        print(f"{n:>7} epochs (tiled AT2018lzs rows): this app {n / ours:,.0f} epochs/s, "
              f"timewise 1.0.3 stack_visits {n / theirs:,.0f} epochs/s")


def bundle_time() -> None:
    import sys

    sys.path.insert(0, "tests")
    from dataclasses import replace

    from dashboard.wise.pipeline import observe, view
    from dashboard.wise.provenance import build_bundle

    settings = replace(Settings(), offline=True)
    observed = observe("AT2019dsg", 10, settings)
    seconds = timed(lambda: build_bundle(view(observed, AnalysisParams()), settings), repeat=5)
    size = len(build_bundle(view(observed, AnalysisParams()), settings))
    print(f"bundle build, AT2019dsg (279 epochs, offline): {seconds * 1e3:.0f} ms, {size / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
