"""One row per target (``summary.csv``): the selected AllWISE source, its catalog photometry,
how many epochs passed and visits there are, the single view's variability statistics per band
(prefixed ``w1_``/``w2_``), the median W1−W2 over visits, and a status with its reason. The rows
of the targets that ran come from ``analysis.analyze_chunk``; this adds those that did not."""

from __future__ import annotations

import pandas as pd

from .analysis import COLUMNS
from .run import BatchRun
from .targets import BadLine

STATUSES = ("ok", "no_source", "failed", "bad_input")
__all__ = ["COLUMNS", "STATUSES", "summary", "summary_csv"]


def summary(run: BatchRun, bad: list[BadLine]) -> pd.DataFrame:
    """The table of the batch, in the list's line order."""
    extra = [{"line": t.line, "id": t.id, "input": t.input, "ra": t.target.ra, "dec": t.target.dec,
              "status": "failed", "reason": "cancelled before this target's chunk ran" if run.cancelled
              else (run.stopped or "not run")} for t in run.targets if t.line not in run.placed]
    extra += [{"line": b.line, "input": b.input, "status": "bad_input", "reason": b.reason} for b in bad]
    parts = [frame for frame in run.rows if len(frame)] + ([pd.DataFrame(extra, columns=COLUMNS)] if extra else [])
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS)
    return frame[COLUMNS].sort_values("line", kind="stable").reset_index(drop=True)


def summary_csv(table: pd.DataFrame) -> bytes:
    """The table as ``summary.csv`` (the page's download and the bundle's file, the same bytes)."""
    return table.to_csv(index=False, float_format="%.10g", lineterminator="\n").encode()
