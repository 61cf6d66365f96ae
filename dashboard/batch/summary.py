"""One row per target (``summary.csv``): the selected AllWISE source, its catalog photometry,
how many epochs passed and visits there are, the single view's variability statistics per band
(prefixed ``w1_``/``w2_``), the median W1−W2 over visits, and a status with its reason. The rows
of the targets that ran come from ``analysis.analyze_chunk``; this adds those that did not."""

from __future__ import annotations

import pandas as pd

from dashboard.batch.analysis import COLUMNS
from dashboard.batch.run import BatchRun
from dashboard.batch.targets import BadLine, BatchTarget
from dashboard.provenance.table_writer import csv_and_ecsv

STATUSES = ("ok", "no_source", "failed", "bad_input")
__all__ = ["COLUMNS", "STATUSES", "assemble", "spreadsheet_safe", "summary", "summary_csv", "summary_files"]


def summary(run: BatchRun, bad: list[BadLine]) -> pd.DataFrame:
    """The table of the batch, in the list's line order."""
    reason = "cancelled before this target's chunk ran" if run.cancelled else (run.stopped or "not run")
    return assemble(run.rows, [t for t in run.targets if t.line not in run.placed], reason, bad)


def assemble(rows: list[pd.DataFrame], not_run: list[BatchTarget], reason: str, bad: list[BadLine]) -> pd.DataFrame:
    """The summary rows of the targets that ran, those that did not (``failed``, with
    ``reason``) and the bad lines, in the list's line order."""
    extra = [{"line": t.line, "id": t.id, "input": t.input, "ra": t.target.ra, "dec": t.target.dec,
              "status": "failed", "reason": reason} for t in not_run]
    extra += [{"line": b.line, "id": b.id or None, "input": b.input, "status": "bad_input", "reason": b.reason}
              for b in bad]
    parts = [frame for frame in rows if len(frame)] + ([pd.DataFrame(extra, columns=COLUMNS)] if extra else [])
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS)
    return frame[COLUMNS].sort_values("line", kind="stable").reset_index(drop=True)


#: Columns that hold what a user typed (or echo it): never run as a formula by a spreadsheet.
TYPED = ("id", "input", "reason", "tags")
#: First characters a spreadsheet reads as a formula (OWASP, "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """Typed text that a spreadsheet would evaluate (``=HYPERLINK(…)``, ``-2+3+cmd|…``) gets a
    leading apostrophe, so a colleague who opens the table sees the text instead of running it."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def summary_csv(table: pd.DataFrame) -> bytes:
    """The table as ``summary.csv`` (the page's download and the bundle's file, the same bytes)."""
    return summary_files(table)[0]


def summary_files(table: pd.DataFrame) -> tuple[bytes, bytes]:
    """``summary.csv`` and its ECSV twin ``summary.ecsv``: the same rows (typed text neutralised the
    same way, ``spreadsheet_safe``), the ECSV's columns with their unit and meaning."""
    safe = table.assign(**{c: table[c].map(spreadsheet_safe) for c in TYPED if c in table})
    return csv_and_ecsv(safe, list(table.columns), description="one row per target of the batch")
