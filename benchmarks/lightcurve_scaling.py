"""Light-curve processing time for 10^3, 10^4, 10^5 epochs (TILED real rows), and the bundle build.

No recording has more than 721 epochs; real AT2019dsg NEOWISE-R rows (with flags) are tiled in
time (see ``_common.tiled``). Measures cuts + epochs + visit binning, as the page runs them.
Run: python benchmarks/lightcurve_scaling.py (the comparison with timewise is ``stacking.py``).
"""

from __future__ import annotations

import tracemalloc

from _common import real_neowise_rows, tiled, timed
from dashboard.config import Settings
from dashboard.core.tables import NEOWISE
from dashboard.science.analysis import AnalysisParams
from dashboard.science.lightcurve import build_lightcurve
from dashboard.science.quality import apply_epoch_cuts


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


def bundle_time() -> None:
    import sys

    sys.path.insert(0, "tests")
    from dataclasses import replace

    from dashboard.pipeline import observe, view
    from dashboard.provenance.bundle import build_bundle

    settings = replace(Settings(), offline=True)
    observed = observe("AT2019dsg", 10, settings)
    seconds = timed(lambda: build_bundle(view(observed, AnalysisParams()), settings), repeat=5)
    size = len(build_bundle(view(observed, AnalysisParams()), settings))
    print(f"bundle build, AT2019dsg (279 epochs, offline): {seconds * 1e3:.0f} ms, {size / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
