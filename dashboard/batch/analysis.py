"""Every target of a chunk analysed at once: the summary row of each, from the chunk's rows.

Why not ``analyze`` per target: its fixed cost (~25 ms of pandas calls a target) made 1000
targets take 30 s. Here the single view's own functions run once over the whole chunk, each row
tagged with its target (``object`` = the upload_id): ``select.match_rows`` (epoch match),
``quality.apply_epoch_cuts``, ``lightcurve.epochs_from_table`` (zero points per object),
``lightcurve.bin_visits`` (``stacking.py`` is vectorised over objects), ``visit_colours``,
``variability.variability_of_objects`` and ``select.select_sources`` (the typed AllWISE
designation if it is in the cone, else the nearest, as ``select_source``). tests/test_batch.py
checks every summary value against the single view of each target. A target's full view (for
its folder in the bundle) is still made by ``analyze``, on demand (``BatchRun.view``). Choices
made per target on the page (a source clicked, Gaia counterparts) are not part of a batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

import numpy as np
import pandas as pd

from dashboard.archive.tap import TapReply
from dashboard.batch.targets import BatchTarget
from dashboard.core.errors import WiseError
from dashboard.core.tables import EPOCH_TABLES, PSD
from dashboard.science.analysis import AnalysisParams
from dashboard.science.colours import CLASS_COLUMN, CRITERIA, class_label, classify
from dashboard.science.flares import analyse as analyse_flare
from dashboard.science.flares import flare_row
from dashboard.science.grouped import group_median
from dashboard.science.lightcurve import VISIT_COLUMNS, bin_visits, epochs_from_table, visit_colours
from dashboard.science.photometry import BANDS as BANDS_W
from dashboard.science.photometry import photometry_kinds
from dashboard.science.quality import CutReport, apply_epoch_cuts_by_object
from dashboard.science.select import identifiers, match_rows, select_sources
from dashboard.science.variability import BANDS, BandStats, variability_of_objects

STATISTICS = [f.name for f in fields(BandStats)]
#: The flare search's columns of the summary (``flares.flare_row``'s name -> the summary's), filled
#: when the batch asks for the search (``AnalysisParams.flare``): one definition with ``flare.csv``.
FLARE_SUMMARY = {"flare": "flare", "start_mjd": "flare_start_mjd", "peak_mjd": "flare_peak_mjd",
                 "peak_excess_w1_mjy": "peak_excess_w1_mjy", "peak_excess_w2_mjy": "peak_excess_w2_mjy",
                 "peak_significance_w1": "peak_significance_w1", "peak_significance_w2": "peak_significance_w2",
                 "t_dust_k_at_peak": "t_dust_k_at_peak", "t_dust_frame": "t_dust_frame"}
COLUMNS = (["line", "id", "input", "ra", "dec", "designation", "separation_arcsec"]
           + [f"w{b}mpro" for b in range(1, 5)] + [f"w{b}sigmpro" for b in range(1, 5)]
           + ["ph_qual", "ext_flg"] + [f"phot_w{b}" for b in range(1, 5)] + [f"sat_w{b}" for b in range(1, 5)]
           + [c.column for c in CRITERIA] + [CLASS_COLUMN]
           + ["n_epochs_passed", "n_epochs_rejected", "n_visits_w1", "n_visits_w2"]
           + [f"{band}_{name}" for band in ("w1", "w2") for name in STATISTICS] + ["w1_w2_median"]
           + ["redshift", *FLARE_SUMMARY.values(), "status", "reason"])
#: ``visits.parquet`` of a survey-scale batch: the columns of ``lightcurve_visits.csv`` and the target's line and id.
VISITS = ["line", "id", *VISIT_COLUMNS]
PHOTOMETRY = (["designation"] + [f"w{b}mpro" for b in range(1, 5)] + [f"w{b}sigmpro" for b in range(1, 5)]
              + ["ph_qual", "ext_flg"])


@dataclass
class ChunkAnalysis:
    """What one chunk's targets came to: a summary row each (``COLUMNS``), and their visits
    (``VISITS``: every target's per-visit medians, as its ``lightcurve_visits.csv``)."""

    summary: pd.DataFrame
    visits: pd.DataFrame


def _source_columns(out: pd.DataFrame, found: np.ndarray, source: pd.DataFrame, params: AnalysisParams) -> None:
    """The selected sources' SED photometry choice and saturation per band (as the single view's
    SED table) and their colour classes."""
    records = source.to_dict("records")
    kinds = [photometry_kinds(row, params.sed_options.phot) for row in records]
    for b, band in enumerate(BANDS_W, start=1):
        out.loc[found, f"phot_w{b}"] = [k[band][0] for k in kinds]
        out.loc[found, f"sat_w{b}"] = [k[band][1] for k in kinds]
    verdicts = [classify(row) for row in records]
    for i, criterion in enumerate(CRITERIA):
        out.loc[found, criterion.column] = [v[i].answer for v in verdicts]
    out.loc[found, CLASS_COLUMN] = [class_label(v) for v in verdicts]


def _statuses(out: pd.DataFrame, chunk: list[BatchTarget], found: np.ndarray,
              replies: dict[str, TapReply | WiseError], unanswered: dict[int, str],
              uncatalogued: dict[int, str]) -> None:
    """Each target's status and reason: ok or no_source; failed (with the tables' reasons) when a
    table failed or no table answered it."""
    failed = {t: e for t, e in replies.items() if isinstance(e, WiseError)}
    out["status"] = np.where(found, "ok", "no_source")
    out["reason"] = ["" if f else f"no AllWISE source within {t.radius_arcsec:g} arcsec"
                     for f, t in zip(found, chunk, strict=True)]
    if failed:
        out["status"] = "failed"
        out["reason"] = "; ".join(f"{t}: {e}" for t, e in failed.items())
    for uid, reason in uncatalogued.items():
        if not failed:  # no source: why; a source: that the recording covers less than the cone
            out.loc[uid, "reason"] = reason
    for uid, reason in unanswered.items():
        out.loc[uid, ["status", "reason"]] = ["failed", reason]


def analyze_chunk(chunk: list[BatchTarget], replies: dict[str, TapReply | WiseError],
                  params: AnalysisParams, unanswered: dict[int, str] | None = None,
                  uncatalogued: dict[int, str] | None = None) -> ChunkAnalysis:
    """The summary rows (``COLUMNS``) and visits of one chunk's targets; a table that failed leaves its
    targets ``failed`` with the reason, the other tables' values still filled in. ``unanswered``:
    targets (by upload_id) that no table could answer (offline: not in the archive), with why;
    ``uncatalogued``: why a target has no catalog rows when that is not "no source in the cone"."""
    n = len(chunk)
    ra = np.array([t.target.ra for t in chunk], float)
    dec = np.array([t.target.dec for t in chunk], float)
    out = pd.DataFrame({"line": [t.line for t in chunk], "id": [t.id for t in chunk],
                        "input": [t.input for t in chunk], "ra": ra, "dec": dec}, columns=COLUMNS)
    psd = replies.get(PSD.name)
    rows = psd.rows if isinstance(psd, TapReply) else pd.DataFrame()
    chosen, separation = select_sources(rows, ra, dec, [t.target.designation for t in chunk])
    found = chosen >= 0
    source = rows.iloc[chosen[found]].reset_index(drop=True)
    where_ra, where_dec = ra.copy(), dec.copy()  # the epoch match: the source, else the target
    if found.any():  # (a failed catalog query gives no rows and no columns: every target keeps its own position)
        where_ra[found], where_dec[found] = source["ra"].to_numpy(float), source["dec"].to_numpy(float)
        out.loc[found, "separation_arcsec"] = [round(float(x), 4) for x in separation[found]]
        for column in PHOTOMETRY:
            if column in source:
                values = source[column].to_numpy(object, copy=True)
                values[pd.isna(values)] = np.nan  # one missing value (None and NaN both arrive)
                out.loc[found, column] = values
    if found.any():
        _source_columns(out, found, source, params)
    cntr = np.zeros(n, np.int64)
    cntr_known = np.zeros(n, bool)
    if found.any() and "cntr" in source:
        cntr[found], cntr_known[found] = identifiers(source["cntr"])
    visits = _light_curves(out, replies, params, where_ra, where_dec, cntr, cntr_known)
    _statuses(out, chunk, found, replies, unanswered or {}, uncatalogued or {})
    out["redshift"] = np.array([np.nan if t.redshift is None else t.redshift for t in chunk], float)
    if params.flare is not None:
        flare_columns(out, visits, chunk, params)
    if visits is None:
        return ChunkAnalysis(out, pd.DataFrame(columns=VISITS))
    obj = visits.pop("object").to_numpy(np.int64)
    visits.insert(0, "id", out["id"].to_numpy(object)[obj])
    visits.insert(0, "line", out["line"].to_numpy(np.int64)[obj])
    return ChunkAnalysis(out, visits.reset_index(drop=True))


def target_params(params: AnalysisParams, item: BatchTarget) -> AnalysisParams:
    """A target's own parameters: the batch's, with its list's redshift for the flare search."""
    if params.flare is None or item.redshift is None:
        return params
    return replace(params, flare=replace(params.flare, redshift=item.redshift))


def flare_columns(out: pd.DataFrame, visits: pd.DataFrame | None, chunk: list[BatchTarget],
                  params: AnalysisParams) -> None:
    """Each target's flare search on its own visits (its list's ``z`` as the redshift), as the
    single view's ``flare.csv`` says it, into the summary's ``FLARE_SUMMARY`` columns (a target
    without visits gets the search's answer for none, as its single view does)."""
    none = pd.DataFrame({c: pd.Series(dtype=float if c in ("mjd", "flux_jy", "flux_err_jy") else object)
                         for c in VISIT_COLUMNS})
    by_object = dict(iter(visits.groupby("object", sort=True))) if visits is not None else {}
    for uid, item in enumerate(chunk):
        own, flare = by_object.get(uid), target_params(params, item).flare
        if flare is None:
            continue
        own = own.drop(columns="object") if own is not None else none
        found = analyse_flare(own, params.binning.enabled, flare)
        row = flare_row(found)
        for name, column in FLARE_SUMMARY.items():
            out.at[uid, column] = row[name]  # type: ignore[assignment]


@dataclass
class ChunkEpochs:
    """Every object's epochs of a chunk, made at once, and what each object's single view says of
    them: its match counts and cut reports per table, as its own rows alone would give."""

    epochs: pd.DataFrame  # with ``object``; by object, then time, W1 before W2 (the single view's order)
    match_counts: dict[str, list[dict[str, int]]] = field(default_factory=dict)  # table -> per object
    reports: dict[str, list[list[CutReport]]] = field(default_factory=dict)  # table -> per object


def chunk_epochs(replies: dict[str, pd.DataFrame], params: AnalysisParams, ra: np.ndarray, dec: np.ndarray,
                 cntr: np.ndarray, cntr_known: np.ndarray) -> ChunkEpochs:
    """The epochs of every object (``object`` = its upload_id), matched to its source at (``ra``,
    ``dec``) with its AllWISE ``cntr`` where ``cntr_known``, and cut; not binned."""
    n = len(ra)
    parts = []
    out = ChunkEpochs(pd.DataFrame())
    for spec in EPOCH_TABLES:
        rows = replies.get(spec.name)
        if rows is None:
            continue
        obj = rows["upload_id"].to_numpy(np.int64) if len(rows) else np.zeros(0, np.int64)
        match = match_rows(rows, obj, ra[obj], dec[obj], params.match_radius_arcsec, cntr, cntr_known,
                           multi_epoch=spec.multi_epoch) if len(rows) else None
        out.match_counts[spec.name] = (match.counts_by_object(obj, n) if match is not None else
                                       [dict.fromkeys(("beyond_match_radius", "other_allwise_source",
                                                       "duplicate_coadd_rows"), 0) for _ in range(n)])
        kept = match.kept if match is not None else np.zeros(0, np.int64)
        cut, out.reports[spec.name] = apply_epoch_cuts_by_object(
            match.rows(rows) if match is not None else rows, spec, params.epoch_cuts, obj[kept], n)
        if len(cut):
            parts.append(epochs_from_table(cut.assign(object=obj[kept]), spec, params.binning, spec.name,
                                           params.epoch_cuts.saturated))
    parts = [p for p in parts if len(p)]
    if parts:
        out.epochs = pd.concat(parts, ignore_index=True).sort_values(["object", "mjd", "band"], kind="stable")
    return out


def _light_curves(out: pd.DataFrame, replies: dict[str, TapReply | WiseError], params: AnalysisParams,
                  ra: np.ndarray, dec: np.ndarray, cntr: np.ndarray, cntr_known: np.ndarray) -> pd.DataFrame | None:
    """Epoch counts, visits per band, variability and the median colour, into ``out``; returns
    the visits of every object (``object`` = its row in ``out``), None where nothing was binned."""
    answered = {t: r.rows for t, r in replies.items() if isinstance(r, TapReply)}
    epochs = chunk_epochs(answered, params, ra, dec, cntr, cntr_known).epochs
    if epochs.empty:
        return None
    n = len(out)
    obj = epochs["object"].to_numpy(np.int64)
    passed = epochs["passed"].to_numpy(bool)
    has = np.bincount(obj, minlength=n) > 0
    out["n_epochs_passed"] = np.where(has, np.bincount(obj, weights=passed, minlength=n), np.nan)
    out["n_epochs_rejected"] = np.where(has, np.bincount(obj, weights=~passed, minlength=n), np.nan)
    if not params.binning.enabled:
        return None
    epochs, visits, variability = binned(epochs, params)
    columns = {f"{band.lower()}_{name}": np.full(n, np.nan) for band in BANDS for name in STATISTICS}
    for index, stats in variability.items():
        for band, values in stats.items():
            for name in STATISTICS:
                value = getattr(values, name)
                columns[f"{band.lower()}_{name}"][index] = np.nan if value is None else value
    for band in BANDS:
        columns[f"n_visits_{band.lower()}"] = columns[f"{band.lower()}_n_visits"]
    out[list(columns)] = pd.DataFrame(columns, index=out.index)
    colours = visit_colours(visits)
    finite = np.isfinite(colours["w1_w2"].to_numpy(float))
    median = group_median(colours["object"].to_numpy(np.int64)[finite], colours["w1_w2"].to_numpy(float)[finite], n)
    out["w1_w2_median"] = median
    return visits




def binned(epochs: pd.DataFrame, params: AnalysisParams) -> tuple[pd.DataFrame, pd.DataFrame,
                                                                  dict[int, dict[str, BandStats]]]:
    """``chunk_epochs``' epochs with their visits and outliers, the visits, and each object's
    variability (what ``build_lightcurve`` and ``variability`` give one object)."""
    epochs, visits = bin_visits(epochs.reset_index(drop=True), params.binning)
    return epochs, visits, variability_of_objects(visits, epochs)
