"""Quality cuts, per table, that keep every rejected row with its reasons and count what each
criterion removed.

Each epoch cut is declared once in ``EPOCH_CUTS`` (URL token, column, label, what it keeps, its
test); the cuts, the URL state, the layout and the manifest all read that declaration.

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

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dashboard.core.measurement import SourceRow
from dashboard.core.model import ServerSideFilter
from dashboard.core.tables import TableSpec


def _clean_w1w2(values: pd.Series) -> np.ndarray:
    if not pd.api.types.is_object_dtype(values) and not pd.api.types.is_string_dtype(values):
        return np.zeros(len(values), dtype=bool)
    codes, distinct = pd.factorize(values.astype(object), use_na_sentinel=True)  # few distinct flags
    clean = np.array([isinstance(v, str) and v[:2] == "00" for v in distinct] + [False], dtype=bool)
    return clean[codes]


@dataclass(frozen=True)
class EpochCut:
    """One epoch cut: ``keeps`` says in words which rows pass; ``test`` is True where a row passes."""

    token: str
    column: str
    label: str
    keeps: str
    test: Callable[[pd.Series], np.ndarray]
    flag: bool = False  # a flag string column (compared as text, quoted in reasons)

    def reason(self, value: object) -> str:
        shown = f"'{value}'" if self.flag else f"{value:g}" if isinstance(value, float) else f"{value}"
        return f"{self.column} = {shown} (keeps {self.keeps})"


def _numeric(test: Callable[[pd.Series], pd.Series]) -> Callable[[pd.Series], np.ndarray]:
    return lambda s: test(pd.to_numeric(s, errors="coerce")).to_numpy(bool)


EPOCH_CUTS: tuple[EpochCut, ...] = (
    EpochCut("nb", "nb", "nb < 2", "nb < 2", _numeric(lambda s: s < 2)),
    EpochCut("na", "na", "na < 1", "na < 1", _numeric(lambda s: s < 1)),
    EpochCut("cc", "cc_flags", "cc_flags W1,W2 clean", "cc_flags W1,W2 = '00'", _clean_w1w2, flag=True),
    EpochCut("qi", "qi_fact", "qi_fact ≥ 1", "qi_fact >= 1", _numeric(lambda s: s >= 1)),
    EpochCut("saa", "saa_sep", "saa_sep ≥ 5°", "saa_sep >= 5", _numeric(lambda s: s >= 5)),
    EpochCut("moon", "moon_masked", "moon_masked W1,W2 clean", "moon_masked W1,W2 = '00'", _clean_w1w2, flag=True),
    EpochCut("qf", "qual_frame", "qual_frame > 0 (NEOWISE)", "qual_frame > 0", _numeric(lambda s: s > 0)),
    EpochCut("sso", "sso_flg", "sso_flg = 0 (NEOWISE)", "sso_flg = 0", _numeric(lambda s: s == 0)),
)
CUTS_BY_TOKEN: dict[str, EpochCut] = {c.token: c for c in EPOCH_CUTS}
#: The per-band cut of saturated epochs: not a cut of whole rows (a W1-saturated exposure keeps
#: its W2 value unless W2 is saturated too), so it is made where each band's epoch is made
#: (``lightcurve.epochs_from_table``), by the rule of ``saturation.saturation_keeps``.
SATURATION_CUT = "sat"
SATURATION_LABEL = "not saturated (per band)"
ALL_CUTS: tuple[str, ...] = (*CUTS_BY_TOKEN, SATURATION_CUT)


@dataclass(frozen=True)
class EpochCuts:
    """Which epoch cuts are on (URL tokens of ``EPOCH_CUTS``); all by default."""

    enabled: tuple[str, ...] = ALL_CUTS

    def cuts(self) -> list[EpochCut]:
        """The cuts of whole rows (the saturation cut is per band: ``saturated``)."""
        return [c for c in EPOCH_CUTS if c.token in self.enabled]

    @property
    def saturated(self) -> bool:
        """Saturated band-epochs are cut (``SATURATION_CUT``)."""
        return SATURATION_CUT in self.enabled


@dataclass(frozen=True)
class CatalogCuts:
    """Per-band cuts for the AllWISE catalog photometry (the SED points)."""

    ph_qual: str = "ABCU"
    clean_cc_flags: bool = False
    max_ext_flg: int = 5
    min_snr: float = 0.0


@dataclass(frozen=True)
class CutReport:
    """What one criterion did to one table. ``removed`` is None for a cut made at the server."""

    table: str
    criterion: str
    column: str
    removed: int | None
    not_recorded: int
    status: str

    def as_dict(self) -> dict[str, object]:
        """``dataclasses.asdict`` of it, without its deep copy (a batch's manifests hold ~10^4)."""
        return {"table": self.table, "criterion": self.criterion, "column": self.column, "removed": self.removed,
                "not_recorded": self.not_recorded, "status": self.status}


def apply_epoch_cuts(frame: pd.DataFrame, spec: TableSpec, cuts: EpochCuts,
                     server_side: ServerSideFilter | None = None) -> tuple[pd.DataFrame, list[CutReport]]:
    """Mark each row ``passed`` or not, with ``reasons``; return the per-criterion report.

    A failing row keeps its place; its reasons say what it holds and what the cut keeps."""
    cut, reports = apply_epoch_cuts_by_object(frame, spec, cuts, np.zeros(len(frame), np.int64), 1, server_side)
    return cut, reports[0]


def apply_epoch_cuts_by_object(frame: pd.DataFrame, spec: TableSpec, cuts: EpochCuts, obj: np.ndarray,
                               n_objects: int, server_side: ServerSideFilter | None = None,
                               ) -> tuple[pd.DataFrame, list[list[CutReport]]]:
    """``apply_epoch_cuts`` of many objects' rows at once (row i is object ``obj[i]``, a batch
    chunk): the rows marked alike, and each object's report as its own rows alone would give."""
    rows = frame
    failed = np.zeros(len(rows), dtype=bool)
    text = np.full(len(rows), "", dtype=object)
    size = np.bincount(obj, minlength=n_objects)
    none = np.zeros(n_objects, np.int64)
    columns: list[tuple[EpochCut, str, np.ndarray | None, np.ndarray]] = []  # cut, status, removed, not recorded
    for cut in cuts.cuts():
        removed: np.ndarray | None = none  # None: made at the server
        not_recorded = none
        status = "applied"
        if not spec.has(cut.column):
            status = f"not applicable: {spec.name} has no {cut.column} column"
        elif server_side is not None and server_side.covers(cut.column) and cut.column not in rows:
            status, removed = "applied at IRSA before download (server-side filter)", None
        else:
            recorded = ~pd.isna(rows[cut.column].to_numpy()) if cut.column in rows else np.zeros(len(rows), bool)
            not_recorded = np.bincount(obj[~recorded], minlength=n_objects)
            if recorded.any():
                passes = np.ones(len(rows), dtype=bool)
                passes[recorded] = cut.test(rows[cut.column] if recorded.all() else rows.loc[recorded, cut.column])
                failing = np.flatnonzero(~passes)
                _add_reasons(text, failing, cut, rows[cut.column].to_numpy(object)[failing])
                failed[failing] = True
                removed = np.bincount(obj[failing], minlength=n_objects)
        columns.append((cut, status, removed, not_recorded))
    reports = [[CutReport(spec.name, cut.keeps, cut.column, None if removed is None else int(removed[o]),
                          int(missing[o]), "not recorded: no cut" if status == "applied" and size[o] and
                          missing[o] == size[o] else status)
                for cut, status, removed, missing in columns] for o in range(n_objects)]
    return rows.assign(reasons=text, passed=~failed), reports


def _add_reasons(text: np.ndarray, failing: np.ndarray, cut: EpochCut, values: np.ndarray) -> None:
    """Append ``cut``'s reason to the ``failing`` rows' text ("; " between reasons, in the order
    of the cuts). A column holds few distinct failing values: each reason is written once."""
    if not len(failing):
        return
    codes, distinct = pd.factorize(values, use_na_sentinel=False)
    why = np.array([cut.reason(v) for v in distinct], dtype=object)[codes]
    before = text[failing]
    text[failing] = np.where(before == "", why, before + "; " + why)


def catalog_band_reasons(source: SourceRow, sed_row: Mapping[str, Any], cuts: CatalogCuts) -> list[str]:
    """Why one SED point fails the catalog cuts (empty list: it passes)."""
    reasons: list[str] = []
    band = sed_row["band"].lower()
    letter = sed_row["ph_qual"]
    if letter != "not recorded" and letter not in cuts.ph_qual and sed_row["measured"]:
        reasons.append(f"ph_qual = '{letter}' (keeps {', '.join(cuts.ph_qual)})")
    cc = sed_row["cc_flag"]
    if cuts.clean_cc_flags and cc not in ("0", "not recorded"):
        reasons.append(f"cc_flags = '{cc}' (keeps '0')")
    ext = _known(source.get("ext_flg"))
    if ext is not None and int(ext) > cuts.max_ext_flg:
        reasons.append(f"ext_flg = {int(ext)} (keeps ext_flg <= {cuts.max_ext_flg})")
    snr = _known(source.get(f"{band}snr"))
    if cuts.min_snr > 0 and not sed_row["upper_limit"] and snr is not None and snr < cuts.min_snr:
        reasons.append(f"SNR = {snr:.1f} (keeps SNR >= {cuts.min_snr:g})")
    return reasons


def _known(value: object) -> float | None:
    """A recorded number, or None for a missing one (None, NaN, pd.NA)."""
    try:
        number = float(value)  # type: ignore[arg-type]  # any object; non-numbers are "missing"
    except (TypeError, ValueError):
        return None
    return None if np.isnan(number) else number
