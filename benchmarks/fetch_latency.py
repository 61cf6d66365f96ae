"""Cold and warm fetch of the three tables against the local TAP server with 1 s latency per query.

Prints: cold fetch seconds (concurrent: ~1 s expected, not 3 s) and warm (cache hit) seconds.
Run: python benchmarks/fetch_latency.py
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from pathlib import Path

from _common import timed  # noqa: F401  (puts the project on sys.path)
from dashboard.archive.service import build_fetcher
from dashboard.config import Settings
from dashboard.core.model import Cone
from tap_server import Fault, LocalTap

CONE = Cone(314.26238, 14.20441, 2.5)


def main() -> None:
    tap = LocalTap().start()
    try:
        for table in ("allwise_p3as_psd", "allwise_p3as_mep", "neowiser_p1bs_psd"):
            tap.faults[table] = Fault(latency_s=1.0)
        with tempfile.TemporaryDirectory() as tmp:
            fetcher = build_fetcher(replace(Settings(), tap_url=tap.url, cache_dir=Path(tmp)))
            start = time.perf_counter()
            cold = fetcher.fetch(CONE)
            cold_s = time.perf_counter() - start
            assert {r.provenance.source for r in cold.results.values()} == {"live"}
            warm_s = timed(lambda: fetcher.fetch(CONE), repeat=5)
            rows = sum(len(r.rows) for r in cold.results.values())
        print(f"cold fetch, 3 tables, 1 s injected latency each: {cold_s:.3f} s ({rows} rows)")
        print(f"warm fetch (cache hit), 3 tables: {warm_s * 1e3:.1f} ms")
        print(f"upstream requests: {sum(tap.requests.values())}")
    finally:
        tap.stop()


if __name__ == "__main__":
    main()
