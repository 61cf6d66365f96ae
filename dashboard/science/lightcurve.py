"""W1/W2 light curves: single-exposure epochs and their per-visit medians.

Epochs come from ``allwise_p3as_mep`` (2010-2011) and ``neowiser_p1bs_psd`` (2013-2024), each
tagged with its table. Flux densities use the zero points of ``photometry.py``: from the DN flux
where the table gives one (so fluxes <= 0 are kept; see ``frame_zero_points``), else from the
magnitude. Visits are stacked by ``stacking.py`` (timewise's algorithm, documented there).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dashboard.core.measurement import no_measurement
from dashboard.core.tables import TABLES, TableSpec
from dashboard.science.epoch_tables import TextCodes, colour_join, epoch_frame, ph_qual_letters, repeated
from dashboard.science.grouped import group_median
from dashboard.science.photometry import DN_MAGZP, dn_to_jy, mag_err_to_jy, mag_to_jy
from dashboard.science.saturation import SATURATED_FRACTION
from dashboard.science.stacking import Binning, stack, visit_ids, windowed
from dashboard.science.variability import BandStats, variability

EPOCH_COLUMNS = ["mjd", "band", "table", "mag", "mag_err", "flux_jy", "flux_err_jy", "upper_limit", "measured",
                 "saturated", "passed", "reasons", "visit", "outlier"]
COLOUR_COLUMNS = ["visit", "mjd", "w1_w2", "w1_w2_err"]
VISIT_COLUMNS = ["visit", "band", "mjd", "mag", "mag_err", "flux_jy", "flux_err_jy", "upper_limit",
                 "n_used", "n_rejected", "n_outliers", "n_limits"]

@dataclass
class LightCurve:
    """A source's epochs (long format: one row per epoch and band) and its visits."""

    epochs: pd.DataFrame
    visits: pd.DataFrame
    binning: Binning
    stats: dict[str, BandStats] = field(default_factory=dict)
    _colour: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    _spans: dict[str, tuple[float, float]] | None = field(default=None, repr=False, compare=False)
    _codes: dict[str, TextCodes] | None = field(default=None, repr=False, compare=False)

    def text_codes(self, column: str) -> tuple[np.ndarray, list[str]]:
        """A text column of the epochs (``band``, ``table``) as (code per epoch, the distinct values
        sorted; a code indexes them), as ``pd.factorize(..., sort=True)`` gives: from the codes the
        epochs were built with where kept (a factorize of 2 x 10^5 strings costs ~8 ms a render)."""
        if self._codes is not None and column in self._codes:
            code, values = self._codes[column]
            names = sorted(values)
            return np.array([names.index(v) for v in values], np.int64)[code], names
        found, distinct = pd.factorize(self.epochs[column].to_numpy(object), sort=True)
        return found, [str(n) for n in distinct]

    def table_spans(self) -> dict[str, tuple[float, float]]:
        """First and last MJD of each table's epochs (the table each epoch carries)."""
        if self._spans is None:
            ranges = self.epochs.groupby("table")["mjd"].agg(["min", "max"])
            self._spans = {str(t): (float(lo), float(hi)) for t, lo, hi in ranges.itertuples()}
        return self._spans

    @property
    def visit_mode(self) -> str:
        """'gap' (timewise's rule), or 'window' where WISE saw the position so continuously that
        a gap-visit lasts longer than ``binning.max_visit_days`` (near the ecliptic poles)."""
        return "window" if windowed(self.epochs["mjd"].to_numpy(float), self.binning) else "gap"

    def epoch_counts(self) -> dict[str, int]:
        """Epochs (exposures, not band measurements) per table."""
        if self.epochs.empty:
            return {}
        per = self.epochs.drop_duplicates(["table", "mjd"])
        return {str(k): int(v) for k, v in per.groupby("table").size().items()}

    def visit_count(self) -> int:
        return 0 if self.visits.empty else int(self.visits["visit"].nunique())

    def colour(self) -> pd.DataFrame:
        """W1 - W2 per visit, where both bands have a detection (computed once: the page, the
        colour track and the bundle all read it)."""
        if self._colour is None:
            self._colour = self._compute_colour()
        return self._colour

    def _compute_colour(self) -> pd.DataFrame:
        return visit_colours(self.visits)


def visit_colours(visits: pd.DataFrame) -> pd.DataFrame:
    """W1 - W2 per visit detected in both bands (an inner join of the W1 and W2 detections on the
    visit), at the W1 visit's mean MJD, error the two magnitude errors in quadrature; per object
    when the visits carry an ``object`` column (a batch), which the result then keeps. In the W1
    visits' order. (``epoch_tables.colour_join``: the join as integer keys; ``plain_colour_join``
    is the pandas merge it replaces.)"""
    if visits.empty:
        return pd.DataFrame(columns=(["object"] if "object" in visits else []) + COLOUR_COLUMNS)
    return colour_join(visits)


def epochs_from_table(rows: pd.DataFrame, spec: TableSpec, binning: Binning, label: str | None = None,
                      cut_saturated: bool = False) -> pd.DataFrame:
    """One row per (exposure, band) with magnitude, flux density and the quality verdict
    (``band_epochs``, W1's rows then W2's)."""
    return _epochs(band_epochs(rows, spec, binning, label, cut_saturated))


def band_epochs(rows: pd.DataFrame, spec: TableSpec, binning: Binning, label: str | None = None,
                cut_saturated: bool = False) -> list[dict[str, np.ndarray]]:
    """The columns (``EPOCH_COLUMNS`` without visit and outlier) of one table's epochs, one set per
    band that the table has: one row per exposure, with magnitude, flux density and the quality verdict.

    Per band, in order: (1) the measurement: a band without one (``measurement.py``) stays in
    the table, not passed, with the reason, and with no magnitude or flux; ``ph_qual`` U or a
    magnitude without an error is an upper limit; (2) the flux density (``flux_densities``);
    (3) saturation: brighter than the band's onset (``binning.saturation_w1``/``_w2``) or, where
    the table has ``w?sat``, more than ``SATURATED_FRACTION`` of the fit's pixels saturated;
    ``cut_saturated`` (the epoch cut ``sat``) then fails that band's epoch alone. ``label`` is
    the table the rows really came from."""
    parts: list[dict[str, np.ndarray]] = []
    letters = ph_qual_letters(rows.get("ph_qual"), len(rows))
    for band in ("W1", "W2"):
        b = band.lower()
        if rows.empty or f"{b}mpro{spec.mag_suffix}" not in rows:
            continue
        m = _measured(rows, spec, band, letters[0 if band == "W1" else 1])
        flux, flux_err = flux_densities(m, band, rows["object"].to_numpy(np.int64) if "object" in rows else None)
        sat_limit = binning.saturation_w1 if band == "W1" else binning.saturation_w2
        fraction = _column(rows, f"{b}sat")
        saturated = ~m.missing & np.isfinite(m.mag) & ((m.mag < sat_limit) | (fraction > SATURATED_FRACTION))
        passed = rows["passed"].to_numpy(bool) if "passed" in rows else np.ones(len(rows), bool)
        reasons = _reasons(rows, band, m, saturated if cut_saturated else None, sat_limit, fraction)
        if cut_saturated:
            passed = passed & ~saturated
        n = len(rows)
        parts.append({
            "mjd": rows["mjd"].to_numpy(float), "band": repeated(band, n), "table": repeated(label or spec.name, n),
            "mag": m.mag, "mag_err": np.where(m.upper, np.nan, m.err), "flux_jy": flux, "flux_err_jy": flux_err,
            "upper_limit": m.upper, "measured": ~m.missing, "saturated": saturated, "passed": passed & ~m.missing,
            "reasons": repeated(reasons, n) if isinstance(reasons, str) else np.asarray(reasons, object),
        } | ({"object": rows["object"].to_numpy(np.int64)} if "object" in rows else {}))
    return parts


@dataclass
class Measured:
    """One band's exposures as the table gives them, a missing measurement blanked (``why``)."""

    mag: np.ndarray
    err: np.ndarray
    dn: np.ndarray
    dn_err: np.ndarray
    missing: np.ndarray
    why: np.ndarray
    upper: np.ndarray  # ph_qual U, or a magnitude without an error: a 95 % upper limit


def _measured(rows: pd.DataFrame, spec: TableSpec, band: str, letter: pd.Categorical) -> Measured:
    b, suffix = band.lower(), spec.mag_suffix
    mag, err = _column(rows, f"{b}mpro{suffix}"), _column(rows, f"{b}sigmpro{suffix}")
    snr = _column(rows, f"{b}snr") if f"{b}snr" in rows else None
    missing, why = no_measurement(mag, err, snr, letter if "ph_qual" in rows else None, multi_epoch=spec.multi_epoch)
    mag, err = np.where(missing, np.nan, mag), np.where(missing, np.nan, err)
    upper = ~missing & ((letter == "U") | (np.isnan(err) & np.isfinite(mag)))
    return Measured(mag=mag, err=err, dn=np.where(missing, np.nan, _column(rows, f"{b}flux{suffix}")),
                    dn_err=_column(rows, f"{b}sigflux{suffix}"), missing=missing, why=why, upper=upper)


def flux_densities(m: Measured, band: str, obj: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Flux density and error in Jy: from the DN flux with the exposure's own zero point
    (``frame_zero_points``) where the table gives one, else (and for upper limits) from the magnitude."""
    flux_mag = mag_to_jy(m.mag, band)
    zp = frame_zero_points(m.mag, m.dn, band, obj)
    flux = np.where(m.upper | ~np.isfinite(m.dn), flux_mag, dn_to_jy(m.dn, band, zp))
    flux_err = np.where(m.upper, np.nan, np.where(np.isfinite(m.dn), dn_to_jy(m.dn_err, band, zp),
                                                  mag_err_to_jy(flux_mag, m.err)))
    return flux, flux_err


def _reasons(rows: pd.DataFrame, band: str, m: Measured, cut: np.ndarray | None, sat_limit: float,
             fraction: np.ndarray) -> Any:
    """The rows' reasons with this band's added: no measurement, and saturation where ``cut``
    (the saturated exposures, when the epoch cut ``sat`` is on). The rows' own text column when
    nothing is added (pandas checks an object array's every string again: ~4 ms per 10^5 rows)."""
    if not m.missing.any() and (cut is None or not cut.any()):
        return rows["reasons"].array if "reasons" in rows else ""
    reasons = rows["reasons"].to_numpy(object).copy() if "reasons" in rows else np.full(len(rows), "", object)
    if m.missing.any():
        gone = [f"no measurement in {band} ({w})" for w in m.why[m.missing]]
        reasons[m.missing] = [f"{g}; {r}" if r else g for g, r in zip(gone, reasons[m.missing], strict=True)]
    if cut is not None and cut.any():
        b = band.lower()
        why_sat = [f"saturated in {band}: {mag:.2f} mag (brighter than {sat_limit:g})" if mag < sat_limit
                   else f"saturated in {band}: {b}sat = {f:g} (> {SATURATED_FRACTION:g})"
                   for mag, f in zip(m.mag[cut], fraction[cut], strict=True)]
        reasons[cut] = [f"{r}; {w}" if r else w for w, r in zip(why_sat, reasons[cut], strict=True)]
    return reasons


def _epochs(parts: list[dict[str, np.ndarray]], order: np.ndarray | None = None,
            codes: dict[str, TextCodes] | None = None) -> pd.DataFrame:
    """The parts as one frame of epochs, rows in ``order`` (``epoch_tables.epoch_frame``)."""
    return epoch_frame(parts, order, codes) if parts else pd.DataFrame(columns=EPOCH_COLUMNS[:-2])


def _column(rows: pd.DataFrame, name: str) -> np.ndarray:
    if name not in rows:
        return np.full(len(rows), np.nan)
    column = rows[name]
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "fiub":  # already numbers (most columns)
        return column.to_numpy(float)
    return pd.to_numeric(column, errors="coerce").to_numpy(float)


def frame_zero_points(mag: np.ndarray, dn: np.ndarray, band: str, obj: np.ndarray | None = None) -> np.ndarray:
    """Each exposure's instrumental zero point, recovered as m + 2.5 log10(DN) (timewise's way).

    Where it cannot be (DN <= 0, no magnitude), the median over the object's other exposures is
    used (``obj``: object per exposure, None for one), else the nominal MAGZP. So a positive DN
    flux gives exactly the magnitude's flux density and a DN flux <= 0 is kept, on the same scale.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        zp = mag + 2.5 * np.log10(dn)
    known = np.isfinite(zp)
    if known.all():  # nothing to fill: no median to take (a sort of every exposure)
        return zp
    obj = np.zeros(len(zp), np.int64) if obj is None else obj
    n_objects = int(obj.max()) + 1
    needed = np.zeros(n_objects, bool)
    needed[obj[~known]] = True  # the medians of the objects that have an exposure to fill
    own = known & needed[obj]
    fill = group_median(obj[own], zp[own], n_objects)
    fill = np.where(np.isfinite(fill), fill, DN_MAGZP[band])
    return np.where(known, zp, fill[obj])


def bin_visits(epochs: pd.DataFrame, binning: Binning) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Assign visits and outliers to ``epochs`` and return (epochs, visits).

    Epochs of many objects are stacked in one call when they carry an integer ``object``
    column; the visits then carry it too (visits are numbered per object)."""
    epochs = epochs.reset_index(drop=True)
    n = len(epochs)
    band = epochs["band"].to_numpy(object)
    many = "object" in epochs
    s = stack(epochs["object"].to_numpy(np.int64) if many else None, epochs["mjd"].to_numpy(float),
              (band == "W2").astype(np.int64), epochs["flux_jy"].to_numpy(float),
              epochs["flux_err_jy"].to_numpy(float), epochs["mag"].to_numpy(float), epochs["mag_err"].to_numpy(float),
              epochs["passed"].to_numpy(bool), epochs["upper_limit"].to_numpy(bool),
              epochs["measured"].to_numpy(bool) if "measured" in epochs else np.ones(n, bool), binning)
    limit_flux = np.where(s.group_band == 1, mag_to_jy(s.mag, "W2"), mag_to_jy(s.mag, "W1"))
    visits = pd.DataFrame({
        "visit": s.group_visit.astype(int), "band": np.array(["W1", "W2"], dtype=object)[s.group_band],
        "mjd": s.mjd, "mag": s.mag, "mag_err": s.mag_err,
        "flux_jy": np.where(s.upper_limit, limit_flux, s.flux), "flux_err_jy": s.flux_err,
        "upper_limit": s.upper_limit, "n_used": s.n_used.astype(int), "n_rejected": s.n_rejected.astype(int),
        "n_outliers": s.n_outliers.astype(int), "n_limits": s.n_limits.astype(int),
    }, columns=VISIT_COLUMNS)
    if many:
        visits.insert(0, "object", s.object_index)
    return epochs.assign(visit=s.visit.astype(int), outlier=s.outlier), visits


def build_lightcurve(tables: dict[str, pd.DataFrame], binning: Binning,
                     labels: dict[str, str] | None = None, cut_saturated: bool = False) -> LightCurve:
    """Epochs from every epoch table (already matched and cut), binned into visits."""
    parts: list[dict[str, np.ndarray]] = []
    spans: dict[str, tuple[float, float]] = {}
    for table, rows in tables.items():
        own = [p for p in band_epochs(rows, TABLES[table], binning, (labels or {}).get(table), cut_saturated)
               if len(p["mjd"])]
        if own:
            spans[str(own[0]["table"][0])] = (float(min(p["mjd"].min() for p in own)),
                                              float(max(p["mjd"].max() for p in own)))
        parts += own
    # by time, W1 before W2 at one time, stably (a lexsort on the arrays: pandas' sort by a text
    # column factorizes it, a fifth of a warm view at 10^5 epochs)
    order = None
    if parts:
        not_w1 = np.concatenate([np.full(len(p["mjd"]), p["band"][0] != "W1") for p in parts])
        order = np.lexsort((not_w1, np.concatenate([p["mjd"] for p in parts])))
    codes: dict[str, TextCodes] = {}
    epochs = _epochs(parts, order, codes)
    if not binning.enabled or epochs.empty:
        epochs["visit"] = visit_ids(epochs["mjd"].to_numpy(float), binning.gap_days,
                                    max_visit_days=binning.max_visit_days,
                                    window_days=binning.window_days) if len(epochs) else []
        epochs["outlier"] = False
        return LightCurve(epochs=epochs, visits=pd.DataFrame(columns=VISIT_COLUMNS), binning=binning, _spans=spans,
                          _codes=codes)
    epochs, visits = bin_visits(epochs, binning)  # the same rows in the same order: the codes hold
    return LightCurve(epochs=epochs, visits=visits, binning=binning, stats=variability(visits, epochs), _spans=spans,
                      _codes=codes)
