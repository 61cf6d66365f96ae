"""Quality cuts, per table, that keep every rejected row with its reasons and count what each
criterion removed.

Three cases are kept apart in the report:
* the table has no such column (``allwise_p3as_mep`` has no ``qual_frame``): the cut does not apply;
* the column exists but the value was not recorded (a Gator recording without flags, a NULL):
  no cut, counted as "not recorded";
* the rows were already cut at the server (the timewise recordings): the cut is reported as
  applied server-side, with the filter text.

Defaults follow timewise (Necker et al. 2025, A&A 695, A228) and the NEOWISE Explanatory
Supplement sec. II.3: nb < 2, na < 1, cc_flags and moon_masked clean in W1 and W2,
qi_fact >= 1, saa_sep >= 5 deg; NEOWISE also qual_frame > 0 and sso_flg == 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .tables import TABLES


@dataclass(frozen=True)
class EpochCuts:
    """Each cut can be switched off by setting it to None (or False)."""

    nb_below: int | None = 2
    na_below: int | None = 1
    clean_cc_flags: bool = True
    qi_fact_min: float | None = 1.0
    saa_sep_min: float | None = 5.0
    clean_moon_masked: bool = True
    qual_frame_above: int | None = 0
    sso_flg_zero: bool = True


@dataclass(frozen=True)
class CatalogCuts:
    """Per-band cuts for the AllWISE catalog photometry (the SED points)."""

    ph_qual: str = "ABCU"
    clean_cc_flags: bool = False
    max_ext_flg: int = 5
    min_snr: float = 0.0


@dataclass(frozen=True)
class Criterion:
    name: str
    column: str
    test: Callable[[pd.Series], np.ndarray]  # True where the row passes


def _clean_w1w2(series: pd.Series) -> np.ndarray:
    return series.map(lambda v: isinstance(v, str) and v[:2] == "00").to_numpy(bool)


def epoch_criteria(cuts: EpochCuts) -> list[Criterion]:
    out: list[Criterion] = []
    if cuts.nb_below is not None:
        out.append(Criterion(f"nb < {cuts.nb_below}", "nb", lambda s, v=cuts.nb_below: (s < v).to_numpy(bool)))
    if cuts.na_below is not None:
        out.append(Criterion(f"na < {cuts.na_below}", "na", lambda s, v=cuts.na_below: (s < v).to_numpy(bool)))
    if cuts.clean_cc_flags:
        out.append(Criterion("cc_flags W1,W2 = '0'", "cc_flags", _clean_w1w2))
    if cuts.qi_fact_min is not None:
        out.append(Criterion(f"qi_fact >= {cuts.qi_fact_min:g}", "qi_fact",
                             lambda s, v=cuts.qi_fact_min: (s >= v).to_numpy(bool)))
    if cuts.saa_sep_min is not None:
        out.append(Criterion(f"saa_sep >= {cuts.saa_sep_min:g}", "saa_sep",
                             lambda s, v=cuts.saa_sep_min: (s >= v).to_numpy(bool)))
    if cuts.clean_moon_masked:
        out.append(Criterion("moon_masked W1,W2 = '0'", "moon_masked", _clean_w1w2))
    if cuts.qual_frame_above is not None:
        out.append(Criterion(f"qual_frame > {cuts.qual_frame_above}", "qual_frame",
                             lambda s, v=cuts.qual_frame_above: (s > v).to_numpy(bool)))
    if cuts.sso_flg_zero:
        out.append(Criterion("sso_flg = 0", "sso_flg", lambda s: (s == 0).to_numpy(bool)))
    return out


def _recorded(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return frame[column].notna().to_numpy(bool)


def apply_epoch_cuts(frame: pd.DataFrame, table: str, cuts: EpochCuts,
                     server_side_filter: str | None = None) -> tuple[pd.DataFrame, list[dict]]:
    """Mark each row ``passed`` or not, with ``reasons``; return the per-criterion report.

    A failing row keeps its place; its reasons list every criterion it failed.
    """
    spec = TABLES[table]
    rows = frame.copy()
    reasons: list[list[str]] = [[] for _ in range(len(rows))]
    report: list[dict] = []
    for criterion in epoch_criteria(cuts):
        entry = {"table": table, "criterion": criterion.name, "column": criterion.column,
                 "removed": 0, "not_recorded": 0, "status": "applied"}
        if not spec.has(criterion.column):
            entry["status"] = f"not applicable: {table} has no {criterion.column} column"
        elif server_side_filter and criterion.column in server_side_filter and criterion.column not in rows:
            entry["status"] = "applied at IRSA before download (server-side filter)"
            entry["removed"] = None
        else:
            recorded = _recorded(rows, criterion.column)
            entry["not_recorded"] = int((~recorded).sum())
            if recorded.any():
                values = rows.loc[recorded, criterion.column]
                text = criterion.column in ("cc_flags", "moon_masked")
                passes = criterion.test(values if text else pd.to_numeric(values, errors="coerce"))
                failing = np.flatnonzero(recorded)[~passes]
                for i in failing:
                    reasons[i].append(criterion.name)
                entry["removed"] = int(len(failing))
            if entry["not_recorded"] == len(rows) and len(rows):
                entry["status"] = "not recorded: no cut"
        report.append(entry)
    rows["reasons"] = ["; ".join(r) for r in reasons]
    rows["passed"] = [not r for r in reasons]
    return rows, report


def catalog_band_reasons(source: pd.Series, sed_row: pd.Series, cuts: CatalogCuts) -> list[str]:
    """Why one SED point fails the catalog cuts (empty list: it passes)."""
    reasons: list[str] = []
    band = sed_row["band"].lower()
    letter = sed_row["ph_qual"]
    if letter != "not recorded" and letter not in cuts.ph_qual and sed_row["measured"]:
        reasons.append(f"ph_qual '{letter}' not allowed")
    cc = sed_row["cc_flag"]
    if cuts.clean_cc_flags and cc not in ("0", "not recorded"):
        reasons.append(f"cc_flags '{cc}'")
    ext = _known(source.get("ext_flg"))
    if ext is not None and int(ext) > cuts.max_ext_flg:
        reasons.append(f"ext_flg {int(ext)} > {cuts.max_ext_flg}")
    snr = _known(source.get(f"{band}snr"))
    if cuts.min_snr > 0 and not sed_row["upper_limit"] and snr is not None and snr < cuts.min_snr:
        reasons.append(f"SNR {snr:.1f} < {cuts.min_snr:g}")
    return reasons


def _known(value: object) -> float | None:
    """A recorded number, or None for a missing one (None, NaN, pd.NA)."""
    if value is None or pd.isna(value):  # type: ignore[arg-type]
        return None
    return float(value)  # type: ignore[arg-type]
