"""Visit stacking against timewise 1.0.3 ``stack_visits``, same epochs, same run, results compared.

Epochs: the real NEOWISE-R rows of the timewise TDE test sample (tests/data/wise-data/timewise,
IRSA rows as timewise downloaded them, server-side cut), and the same rows TILED to 10^6 epochs
(copies of the sample's objects under new object ids, so ~3,600 objects).

This app's side is the whole epochs -> visits step (``epochs_from_table`` + ``bin_visits``: both
bands, magnitudes, flux densities, errors, outliers) on all objects in one call. timewise's side
is ``stack_visits`` per object (its own loop over objects is the same), run in the interpreter
named by ``TIMEWISE_PYTHON`` (timewise pins an older astropy, so it lives in its own venv:
``python -m venv tw && tw/bin/pip install timewise==1.0.3 pymongo``; timewise.process imports pymongo), with
``median_zeropoint_per_visit=False`` so its flux densities use each exposure's zero point as
this app does.

Equal means: the same visits (number per object and band) and every visit median (magnitude
and flux density) within 1 sigma (the two errors in quadrature) of timewise's.

Run: TIMEWISE_PYTHON=/path/to/python python benchmarks/stacking.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from _common import ROOT, timed
from dashboard.core.tables import NEOWISE
from dashboard.science.lightcurve import bin_visits, epochs_from_table
from dashboard.science.stacking import Binning

SAMPLE = ROOT / "tests" / "data" / "wise-data" / "timewise" / "neowiser_p1bs_psd__tde_sample.csv"
RENAME = {"W1_mag": "w1mpro", "W1_mag_error": "w1sigmpro", "W2_mag": "w2mpro", "W2_mag_error": "w2sigmpro",
          "W1_flux": "w1flux", "W1_flux_error": "w1sigflux", "W2_flux": "w2flux", "W2_flux_error": "w2sigflux"}
COLUMNS = ["object", "mjd", *RENAME.values()]

TIMEWISE_SNIPPET = """
import sys, time, pandas as pd
from timewise.process.stacking import stack_visits
lc = pd.read_csv(sys.argv[1])
groups = [(k, g.drop(columns="object").reset_index(drop=True)) for k, g in lc.groupby("object", sort=True)]
def run():
    out = []
    for k, g in groups:
        s = stack_visits(g, outlier_threshold=5, outlier_quantile=0.6827, median_zeropoint_per_visit=False)
        out.append(s.assign(object=k))
    return pd.concat(out, ignore_index=True)
best = 1e99
for _ in range(int(sys.argv[3])):
    t = time.perf_counter(); result = run(); best = min(best, time.perf_counter() - t)
result.to_csv(sys.argv[2], index=False)
print(best)
"""


def sample_rows() -> pd.DataFrame:
    rows = pd.read_csv(SAMPLE, index_col=0).rename(columns=RENAME)
    return rows.assign(object=rows["orig_id"].astype(np.int64))[COLUMNS]


def tiled_objects(rows: pd.DataFrame, n: int) -> pd.DataFrame:
    """TILED: copies of the sample's objects under new ids until there are ``n`` epochs."""
    copies = int(np.ceil(n / len(rows)))
    step = int(rows["object"].max()) + 1
    frames = [rows.assign(object=rows["object"] + i * step) for i in range(copies)]
    return pd.concat(frames, ignore_index=True).iloc[:n].reset_index(drop=True)


def ours(rows: pd.DataFrame) -> pd.DataFrame:
    """This app's epochs -> visits step for every object at once."""
    epochs = epochs_from_table(rows, NEOWISE, Binning())
    return bin_visits(epochs, Binning())[1]


def theirs(python: str, rows: pd.DataFrame, repeat: int) -> tuple[float, pd.DataFrame]:
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "in.csv", Path(tmp) / "out.csv"
        rows.to_csv(src, index=False)
        run = subprocess.run([python, "-c", TIMEWISE_SNIPPET, str(src), str(out), str(repeat)],
                             capture_output=True, text=True, check=True)
        return float(run.stdout.strip().splitlines()[-1]), pd.read_csv(out)


def compare(mine: pd.DataFrame, tw: pd.DataFrame) -> dict[str, object]:
    """Same visits per (object, band), and every median within 1 sigma of timewise's."""
    tw = tw.sort_values(["object", "mean_mjd"]).reset_index(drop=True)
    worst: dict[str, float] = {}
    same_visits = True
    for band in ("W1", "W2"):
        b = band.lower()
        detected = tw[~tw[f"{b}fluxul"].astype(bool)]
        m = mine[(mine.band == band) & ~mine.upper_limit].sort_values(["object", "mjd"]).reset_index(drop=True)
        if len(m) != len(detected) or not np.array_equal(m.object.to_numpy(), detected.object.to_numpy()):
            same_visits = False
            continue
        d = detected.reset_index(drop=True)
        mag_z = np.abs(m.mag - d[f"{b}meanmpro"]) / np.hypot(m.mag_err, d[f"{b}mprorms"])
        flux_z = np.abs(m.flux_jy * 1e3 - d[f"{b}meanfluxdensity"]) / np.hypot(m.flux_err_jy * 1e3,
                                                                               d[f"{b}fluxdensityrms"])
        worst[f"{band}_mag_sigma"] = float(np.nanmax(mag_z))
        worst[f"{band}_flux_sigma"] = float(np.nanmax(flux_z))
    equal = same_visits and all(v <= 1.0 for v in worst.values())
    return {"same_visits": same_visits, "worst_sigma": worst, "equal": equal}


def measure(python: str | None, rows: pd.DataFrame, label: str, repeat: int) -> dict[str, object]:
    n = len(rows)
    seconds = timed(lambda: ours(rows), repeat=repeat)
    result: dict[str, object] = {"epochs": n, "objects": int(rows.object.nunique()), "ours_s": seconds}
    print(f"{label}: {n:,} epochs, {rows.object.nunique():,} objects; this app {seconds:.3f} s "
          f"({n / seconds:,.0f} epochs/s)")
    if not python:
        print("  timewise: not measured (TIMEWISE_PYTHON is not set)")
        return result | {"ratio": None, "reason": "TIMEWISE_PYTHON not set"}
    tw_seconds, tw = theirs(python, rows, repeat)
    check = compare(ours(rows), tw)
    ratio = tw_seconds / seconds
    print(f"  timewise 1.0.3 stack_visits {tw_seconds:.2f} s ({n / tw_seconds:,.0f} epochs/s): ratio {ratio:.0f}x; "
          f"same visits {check['same_visits']}, worst |difference| in sigma {check['worst_sigma']}, "
          f"equal {check['equal']}")
    return result | {"timewise_s": tw_seconds, "ratio": ratio if check["equal"] else None, **check}


def main() -> dict[str, object]:
    python = os.environ.get("TIMEWISE_PYTHON")
    rows = sample_rows()
    return {"sample": measure(python, rows, "timewise sample (real rows)", repeat=3),
            "1e6": measure(python, tiled_objects(rows, 1_000_000), "10^6 epochs (TILED sample objects)", repeat=1)}


if __name__ == "__main__":
    json.dump(main(), sys.stdout, indent=1, default=str)
    print()
