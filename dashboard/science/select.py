"""Which AllWISE source the SED and light curve are about, and which epochs belong to it.

The nearest catalog source to the target is selected, unless an AllWISE designation was typed
or a source was chosen. Epochs are matched to the selected source by position (``match_radius``)
and, where ``allwise_cntr`` is recorded, rows associated with another AllWISE source are left
out. Multi-epoch detections listed twice under two ``cntr_mf`` (one source on two overlapping
coadd tiles) are counted once: the rows whose ``cntr_mf`` is the source's ``cntr`` are kept, or,
where that is unknown, one row per ``mjd``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dashboard.core.geometry import separation_arcsec
from dashboard.core.model import Target


@dataclass(frozen=True)
class Selection:
    key: str
    label: str
    designation: str | None
    cntr: int | None
    ra: float
    dec: float
    separation_arcsec: float
    method: str


def designation_key(text: str) -> str:
    """An AllWISE designation as compared: without the 'WISEA ' prefix and surrounding blanks."""
    return text.removeprefix("WISEA ").strip()


def source_key(designation: object, ra: float, dec: float) -> str:
    """A stable identifier for a catalog row: its designation, else its position."""
    if isinstance(designation, str) and designation:
        return designation_key(designation)
    return f"{float(ra):.6f}{float(dec):+.6f}"


def sources_table(psd: pd.DataFrame, target: Target) -> pd.DataFrame:
    """The catalog rows sorted by separation from the target, with ``separation_arcsec`` and ``key``."""
    if psd.empty:
        return psd.assign(separation_arcsec=pd.Series(dtype=float), key=pd.Series(dtype=object))
    return sources_of_objects(psd, np.zeros(len(psd), np.int64), np.array([target.ra]), np.array([target.dec]))


def sources_of_objects(psd: pd.DataFrame, obj: np.ndarray, ra: np.ndarray, dec: np.ndarray) -> pd.DataFrame:
    """``sources_table`` of many targets at once (row i of ``psd`` is in the cone of target
    ``obj[i]``, at ``ra[obj[i]]``, ``dec[obj[i]]``; a batch chunk): each target's rows nearest
    first, the targets in order, so that target k's rows are its ``sources_table``."""
    row_ra, row_dec = psd["ra"].to_numpy(float), psd["dec"].to_numpy(float)
    sep = separation_arcsec(row_ra, row_dec, ra[obj], dec[obj])
    # keyed from the columns, not row by row (a row per ``iterrows`` cost ~0.1 ms)
    designations = psd["designation"].tolist() if "designation" in psd else [None] * len(psd)
    keys = [source_key(d, r, c) for d, r, c in zip(designations, row_ra.tolist(), row_dec.tolist(), strict=True)]
    out = psd.assign(separation_arcsec=sep, key=keys)
    return out.take(np.lexsort((sep, obj))).reset_index(drop=True)  # nearest first, as a stable sort_values


def select_source(sources: pd.DataFrame, target: Target, requested: str | None = None,
                  prefix: str = "WISEA") -> Selection | None:
    """The chosen source: ``requested`` key, else the typed designation, else the nearest.
    ``prefix``: the catalog's designation prefix (WISE All-Sky rows are "WISE J…")."""
    chosen = selected_row(sources, target, requested, prefix)
    return chosen[0] if chosen is not None else None


def selected_row(sources: pd.DataFrame, target: Target, requested: str | None = None,
                 prefix: str = "WISEA") -> tuple[Selection, dict[Any, Any]] | None:
    """``select_source`` with the chosen row as a dict (the SED reads ~60 of its values; the
    row is read once, as an object Series is ~0.15 ms to make)."""
    if sources.empty:
        return None
    index, method = 0, "nearest to the target"
    wanted = requested or target.designation
    if wanted:
        hits = np.flatnonzero(sources["key"].to_numpy(object) == designation_key(wanted))
        if len(hits):
            index = int(hits[0])
            method = "chosen source" if requested else "AllWISE designation (exact match)"
        else:
            method = f"{wanted} not in the cone; nearest to the target used"
    row = sources.iloc[index].to_dict()
    designation = row.get("designation") if isinstance(row.get("designation"), str) else None
    cntr = row.get("cntr")
    cntr = int(cntr) if cntr is not None and pd.notna(cntr) else None
    ra, dec = float(row["ra"]), float(row["dec"])
    label = f"{prefix} {designation}" if designation else f"catalog source at {ra:.5f} {dec:+.5f}"
    return Selection(key=str(row["key"]), label=label, designation=designation, cntr=cntr, ra=ra, dec=dec,
                     separation_arcsec=float(row["separation_arcsec"]), method=method), row


def select_sources(psd: pd.DataFrame, ra: np.ndarray, dec: np.ndarray,
                   wanted: list[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """``select_source`` for many targets at once (a batch chunk, rows tagged by ``upload_id``):
    per target the row it picks, or -1, and its separation from the target (arcsec). The typed
    designation where it is in the cone, else the nearest (ties: table order)."""
    chosen = np.full(len(ra), -1, np.int64)
    if psd.empty:
        return chosen, np.full(len(ra), np.nan)
    obj = psd["upload_id"].to_numpy(np.int64)
    sep = separation_arcsec(psd["ra"].to_numpy(float), psd["dec"].to_numpy(float), ra[obj], dec[obj])
    names = np.array([designation_key(d) if isinstance(d, str) else "" for d in psd["designation"]], dtype=object) \
        if "designation" in psd else np.full(len(psd), "", object)
    asked = np.array([designation_key(w or "") for w in wanted], dtype=object)[obj]
    named = (asked != "") & (names == asked)
    order = np.lexsort((np.arange(len(psd)), sep, ~named, obj))
    first = np.concatenate([[True], obj[order][1:] != obj[order][:-1]])
    chosen[obj[order][first]] = order[first]
    return chosen, np.where(chosen >= 0, sep[chosen], np.nan)


def match_epochs(rows: pd.DataFrame, ra: float | np.ndarray, dec: float | np.ndarray, radius_arcsec: float,
                 cntr: int | None, *, multi_epoch: bool) -> tuple[pd.DataFrame, dict[str, int]]:
    """Rows of one epoch table that belong to the source at (ra, dec); counts of what was left out.
    ``ra``/``dec`` may give one position per row: a moving source's place at each epoch (motion.py)."""
    if rows.empty:
        return rows, {"beyond_match_radius": 0, "other_allwise_source": 0, "duplicate_coadd_rows": 0}
    n = len(rows)
    match = match_rows(rows, np.zeros(n, np.int64), np.broadcast_to(np.asarray(ra, float), n),
                       np.broadcast_to(np.asarray(dec, float), n), radius_arcsec,
                       np.array([cntr or 0], np.int64), np.array([cntr is not None]), multi_epoch=multi_epoch)
    return match.rows(rows), match.counts()


@dataclass(frozen=True)
class Match:
    """Which rows of an epoch table belong to their object's source (``kept``: positions in the
    table, in the order the single view keeps them), and per row why one was left out."""

    kept: np.ndarray
    separation: np.ndarray  # arcsec, of the kept rows
    beyond: np.ndarray  # per table row
    other: np.ndarray
    duplicate: np.ndarray

    def rows(self, table: pd.DataFrame) -> pd.DataFrame:
        return table.iloc[self.kept].assign(match_sep_arcsec=self.separation).reset_index(drop=True)

    def counts(self) -> dict[str, int]:
        return {"beyond_match_radius": int(self.beyond.sum()), "other_allwise_source": int(self.other.sum()),
                "duplicate_coadd_rows": int(self.duplicate.sum())}

    def counts_by_object(self, obj: np.ndarray, n_objects: int) -> list[dict[str, int]]:
        """``counts`` of each object (row i of the table is object ``obj[i]``), as its rows alone give."""
        found = [np.bincount(obj[left_out], minlength=n_objects).tolist()
                 for left_out in (self.beyond, self.other, self.duplicate)]
        return [{"beyond_match_radius": b, "other_allwise_source": o, "duplicate_coadd_rows": d}
                for b, o, d in zip(*found, strict=True)]


def match_rows(rows: pd.DataFrame, obj: np.ndarray, ra: np.ndarray, dec: np.ndarray, radius_arcsec: float,
               cntr: np.ndarray, cntr_known: np.ndarray, *, multi_epoch: bool) -> Match:
    """The match of every object at once: row i belongs to object ``obj[i]``, whose source is at
    (``ra[i]``, ``dec[i]``) with AllWISE ``cntr[obj[i]]`` where ``cntr_known``. One object (the
    single view) or a whole batch chunk go through the same rules (module docstring). Identifiers
    stay int64: AllWISE's cntr (~3e18) is beyond a float's exact integers."""
    mjd = rows["mjd"].to_numpy(float)
    sep = separation_arcsec(rows["ra"].to_numpy(float), rows["dec"].to_numpy(float), ra, dec)  # type: ignore[arg-type]
    inside = sep <= radius_arcsec
    own_cntr, known = cntr[obj], cntr_known[obj]
    other = np.zeros(len(rows), bool)
    if "allwise_cntr" in rows.columns:
        theirs, recorded = identifiers(rows["allwise_cntr"])
        other = inside & known & recorded & (theirs != own_cntr)
    keep = inside & ~other
    duplicate = np.zeros(len(rows), bool)
    kept = np.flatnonzero(keep)
    if multi_epoch and len(kept):
        mine = np.zeros(len(rows), bool)  # rows of objects that have rows of their own coadd source
        mf, mf_recorded = np.zeros(len(rows), np.int64), np.ones(len(rows), bool)
        if "cntr_mf" in rows.columns:
            mf, mf_recorded = identifiers(rows["cntr_mf"])
            own = np.zeros(len(cntr), bool)
            own[obj[keep & known & mf_recorded & (mf == own_cntr)]] = True
            mine = own[obj] & keep
            duplicate |= mine & ~(mf_recorded & (mf == own_cntr))
        rest = np.flatnonzero(keep & ~mine)
        # as sort_values(["mjd", "cntr_mf"]) per object: a row without cntr_mf after those with one
        order = rest[np.lexsort((mf[rest], ~mf_recorded[rest], mjd[rest], obj[rest]))]
        kept_rest = order[_first_of_runs(obj[order], mjd[order])]
        duplicate[np.setdiff1d(rest, kept_rest)] = True
        kept = np.concatenate([np.flatnonzero(mine & ~duplicate), kept_rest])
    kept = kept[np.argsort(obj[kept], kind="stable")]
    return Match(kept=kept, separation=sep[kept], beyond=~inside, other=other, duplicate=duplicate)


def identifiers(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """An identifier column as (int64 values, recorded mask), without a trip through float."""
    recorded = column.notna().to_numpy(bool, copy=True)
    if pd.api.types.is_integer_dtype(column):
        return column.fillna(0).to_numpy(np.int64), recorded
    if pd.api.types.is_object_dtype(column):  # Python ints and None: exact through the nullable Int64
        try:
            return column.astype("Int64").fillna(0).to_numpy(np.int64), recorded
        except (TypeError, ValueError, OverflowError):
            pass
    numbers = pd.to_numeric(column, errors="coerce")
    recorded &= numbers.notna().to_numpy(bool)
    return numbers.fillna(0).astype(np.int64).to_numpy(), recorded


def _first_of_runs(obj: np.ndarray, mjd: np.ndarray) -> np.ndarray:
    """Where a sorted (object, mjd) sequence starts a new pair: one row per exposure."""
    if len(obj) == 0:
        return np.zeros(0, bool)
    return np.concatenate([[True], (obj[1:] != obj[:-1]) | (mjd[1:] != mjd[:-1])])
