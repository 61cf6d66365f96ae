"""Every figure of the speed work in one run, printed and written to ``benchmarks/results.json``.

Keys (a figure that could not be measured is ``null``, and why is printed):
``stacking_ratio_vs_timewise_sample``, ``stacking_ratio_vs_timewise_1e6`` (this app's epochs ->
visits step against timewise 1.0.3 ``stack_visits`` on the same epochs, in the same run, with
equality checked; timewise through TIMEWISE_PYTHON), ``warm_view_ms_1e3``/``1e4``/``1e5`` (the
render POST), ``payload_bytes_per_point_1e4``, ``cli_import_s`` (and ``cli_wall_s``),
``load_p95_ms``/``load_errors`` (20 users on the README's group-server configuration, workers
recycled by count during the run so that recycling is included).
The file also says when, on what and from which code: ``measured_utc``, ``version``, ``commit``,
``machine`` (CPU count and memory). It is the one way to refresh ``results.json``: a figure quoted
from it is dated, and a stale one shows its age.
Run: TIMEWISE_PYTHON=/path/to/timewise-venv/bin/python python benchmarks/run_all.py
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
from pathlib import Path

import cli_start
import load
import periodogram
import stacking
import warm_view

OUT = Path(__file__).with_name("results.json")
#: Workers recycled by count during the load run (every ~1,000 requests; 0 would be the default).
LOAD_MAX_REQUESTS = 1000


def _ratio(measured: dict, label: str) -> float | None:
    if measured.get("ratio") is None:
        why = measured.get("reason") or f"results not equal (same visits {measured.get('same_visits')}, " \
                                        f"worst {measured.get('worst_sigma')} sigma)"
        print(f"stacking ratio {label}: null ({why})")
    return measured.get("ratio")


def _stamp() -> dict[str, object]:
    """When, from which code and on what machine the figures were measured."""
    import psutil

    from dashboard import __version__

    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True)
    return {"measured_utc": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "version": __version__, "commit": done.stdout.strip() or None,
            "machine": f"{os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB"}


def main() -> dict[str, float | None]:
    results: dict[str, float | None] = {}
    print("== visit stacking vs timewise ==")
    stacked = stacking.main()
    results["stacking_ratio_vs_timewise_sample"] = _ratio(stacked["sample"], "sample")
    results["stacking_ratio_vs_timewise_1e6"] = _ratio(stacked["1e6"], "1e6")
    print("== warm view ==")
    results |= warm_view.main()
    print("== periodogram ==")
    results |= periodogram.main()
    print("== CLI start-up ==")
    results |= cli_start.main()
    print("== load: 20 users, 2 workers x 4 threads, recycling by count ==")
    try:
        loaded = load.run_load(users=20, workers=2, seconds=30.0, max_requests=LOAD_MAX_REQUESTS)
        results |= {"load_p95_ms": loaded["p95_ms"], "load_errors": loaded["errors"],
                    "load_recycled_workers": loaded["recycled"]}
    except Exception as exc:  # e.g. gunicorn cannot start here
        print(f"load: null ({type(exc).__name__}: {exc})")
        results |= {"load_p95_ms": None, "load_errors": None}
    OUT.write_text(json.dumps(_stamp() | results, indent=1) + "\n")
    print(f"== written to {OUT} ==")
    for key, value in results.items():
        print(f"{key:36s} {'null' if value is None else f'{value:.4g}'}")
    return results


if __name__ == "__main__":
    main()
