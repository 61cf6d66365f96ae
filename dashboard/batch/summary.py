"""One row per target (``summary.csv``): the selected AllWISE source, its catalog photometry,
how many epochs passed and visits there are, the single view's variability statistics per band
(prefixed ``w1_``/``w2_``), the median W1−W2 over visits, and a status with its reason."""

from __future__ import annotations

from dataclasses import asdict, fields

import numpy as np
import pandas as pd

from ..wise.analysis import View
from ..wise.variability import BandStats
from .run import BatchRun
from .targets import BadLine

STATUSES = ("ok", "no_source", "failed", "bad_input")
_STATS = [f.name for f in fields(BandStats)]
COLUMNS = (["line", "id", "input", "ra", "dec", "designation", "separation_arcsec"]
           + [f"w{b}mpro" for b in range(1, 5)] + [f"w{b}sigmpro" for b in range(1, 5)]
           + ["ph_qual", "n_epochs_passed", "n_epochs_rejected", "n_visits_w1", "n_visits_w2"]
           + [f"{band}_{name}" for band in ("w1", "w2") for name in _STATS] + ["w1_w2_median", "status", "reason"])


def _source_row(shown: View) -> pd.Series | None:
    if shown.selection is None:
        return None
    hits = shown.sources[shown.sources["key"] == shown.selection.key]
    return hits.iloc[0] if len(hits) else None


def view_row(line: int, ident: str, text: str, shown: View, failed: dict) -> dict:
    row: dict[str, object] = {"line": line, "id": ident, "input": text, "ra": shown.target.ra,
                              "dec": shown.target.dec}
    source = _source_row(shown)
    if source is not None and shown.selection is not None:
        row |= {"designation": shown.selection.designation, "ph_qual": source.get("ph_qual"),
                "separation_arcsec": round(shown.selection.separation_arcsec, 4)}
        for b in range(1, 5):
            row[f"w{b}mpro"], row[f"w{b}sigmpro"] = source.get(f"w{b}mpro"), source.get(f"w{b}sigmpro")
    epochs = shown.lightcurve.epochs
    if not epochs.empty:
        row["n_epochs_passed"] = int(epochs["passed"].sum())
        row["n_epochs_rejected"] = int((~epochs["passed"]).sum())
    for band in ("W1", "W2"):
        stats = shown.lightcurve.stats.get(band)
        if stats is not None:
            row[f"n_visits_{band.lower()}"] = stats.n_visits
            row |= {f"{band.lower()}_{k}": v for k, v in asdict(stats).items()}
    colour = shown.lightcurve.colour()
    if not colour.empty and colour["w1_w2"].notna().any():
        row["w1_w2_median"] = float(np.nanmedian(colour["w1_w2"].to_numpy(float)))
    if failed:
        row["status"], row["reason"] = "failed", "; ".join(f"{t}: {e}" for t, e in failed.items())
    elif source is None:
        row["status"] = "no_source"
        row["reason"] = f"no AllWISE source within {shown.observations.cone.radius_arcsec:g} arcsec"
    else:
        row["status"], row["reason"] = "ok", ""
    return row


def summary(run: BatchRun, bad: list[BadLine]) -> pd.DataFrame:
    """The table of the batch, in the list's line order."""
    rows = [view_row(t.line, t.id, t.input, run.views[t.line], run.failures.get(t.line, {}))
            for t in run.targets if t.line in run.views]
    done = {t.line for t in run.targets if t.line in run.views}
    rows += [{"line": t.line, "id": t.id, "input": t.input, "ra": t.target.ra, "dec": t.target.dec,
              "status": "failed", "reason": "cancelled before this target's chunk ran" if run.cancelled
              else (run.stopped or "not run")} for t in run.targets if t.line not in done]
    rows += [{"line": b.line, "input": b.input, "status": "bad_input", "reason": b.reason} for b in bad]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.sort_values("line", kind="stable").reset_index(drop=True)
