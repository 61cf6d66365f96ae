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
from dashboard.science.photometry import DN_MAGZP, SATURATED_FRACTION, dn_to_jy, mag_err_to_jy, mag_to_jy
from dashboard.science.stacking import Binning, group_median, stack, visit_ids, windowed
from dashboard.science.variability import BandStats, variability

EPOCH_COLUMNS = ["mjd", "band", "table", "mag", "mag_err", "flux_jy", "flux_err_jy", "upper_limit", "measured",
                 "saturated", "passed", "reasons", "visit", "outlier"]
COLOUR_COLUMNS = ["visit", "mjd", "w1_w2", "w1_w2_err"]
VISIT_COLUMNS = ["visit", "band", "mjd", "mag", "mag_err", "flux_jy", "flux_err_jy", "upper_limit",
                 "n_used", "n_rejected", "n_outliers", "n_limits"]

#: A text column as codes: (code per epoch, the values the codes index).
TextCodes = tuple[np.ndarray, tuple[str, ...]]


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
    """W1 - W2 per visit detected in both bands, with the visit's mean MJD of W1; per object when
    the visits carry an ``object`` column (a batch), which the result then keeps.

    In the W1 visits' order (what an inner join on the visit keeps); a (object, visit) is one row
    per band, so the join is a match of integer keys (pandas' merge cost ~3 ms a view)."""
    many = "object" in visits
    keys = ["object", "visit"] if many else ["visit"]
    if visits.empty:
        return pd.DataFrame(columns=keys[:-1] + COLOUR_COLUMNS)
    detected = ~visits["upper_limit"].to_numpy(bool)
    band = visits["band"].to_numpy(object)
    visit = visits["visit"].to_numpy(np.int64)
    obj = visits["object"].to_numpy(np.int64) if many else np.zeros(len(visits), np.int64)
    key = obj * (int(visit.max()) + 1) + visit
    w1 = np.flatnonzero(detected & (band == "W1"))
    w2 = np.flatnonzero(detected & (band == "W2"))
    _, at1, at2 = np.intersect1d(key[w1], key[w2], assume_unique=True, return_indices=True)
    order = np.argsort(at1, kind="stable")
    i1, i2 = w1[at1[order]], w2[at2[order]]
    mag = visits["mag"].to_numpy(float)
    err = visits["mag_err"].to_numpy(float)
    return pd.DataFrame({
        **({"object": obj[i1]} if many else {}), "visit": visit[i1], "mjd": visits["mjd"].to_numpy(float)[i1],
        "w1_w2": mag[i1] - mag[i2], "w1_w2_err": np.hypot(err[i1], err[i2]),
    })


def epochs_from_table(rows: pd.DataFrame, spec: TableSpec, binning: Binning, label: str | None = None,
                      cut_saturated: bool = False) -> pd.DataFrame:
    """One row per (exposure, band) with magnitude, flux density and the quality verdict
    (``band_epochs``, W1's rows then W2's)."""
    return _epoch_frame(band_epochs(rows, spec, binning, label, cut_saturated))


def band_epochs(rows: pd.DataFrame, spec: TableSpec, binning: Binning, label: str | None = None,
                cut_saturated: bool = False) -> list[dict[str, np.ndarray]]:
    """The columns (``EPOCH_COLUMNS`` without visit and outlier) of one table's epochs, one set per
    band that the table has: one row per exposure, with magnitude, flux density and the quality verdict.

    A band without a measurement (``measurement.py``) stays in the table, not passed, with the
    reason, and with no magnitude or flux. ``label`` is the table the rows really came from.
    ``saturated``: brighter than the band's onset (``binning.saturation_w1``/``_w2``) or, where
    the table has ``w?sat``, more than ``SATURATED_FRACTION`` of the fit's pixels saturated;
    ``cut_saturated`` (the epoch cut ``sat``) then fails that band's epoch alone."""
    suffix = spec.mag_suffix
    parts: list[dict[str, np.ndarray]] = []
    letters = _ph_qual_letters(rows.get("ph_qual"), len(rows))
    for band in ("W1", "W2"):
        b = band.lower()
        mag_col = f"{b}mpro{suffix}"
        if rows.empty or mag_col not in rows:
            continue
        mag = _column(rows, mag_col)
        err = _column(rows, f"{b}sigmpro{suffix}")
        dn = _column(rows, f"{b}flux{suffix}")
        dn_err = _column(rows, f"{b}sigflux{suffix}")
        letter = letters[0 if band == "W1" else 1]
        snr = _column(rows, f"{b}snr") if f"{b}snr" in rows else None
        missing, why = no_measurement(mag, err, snr, letter if "ph_qual" in rows else None,
                                      multi_epoch=spec.multi_epoch)
        mag = np.where(missing, np.nan, mag)
        err = np.where(missing, np.nan, err)
        dn = np.where(missing, np.nan, dn)
        upper = ~missing & ((letter == "U") | (np.isnan(err) & np.isfinite(mag)))
        flux_mag = mag_to_jy(mag, band)
        zp = frame_zero_points(mag, dn, band, rows["object"].to_numpy(np.int64) if "object" in rows else None)
        flux = np.where(upper | ~np.isfinite(dn), flux_mag, dn_to_jy(dn, band, zp))
        flux_err = np.where(upper, np.nan, np.where(np.isfinite(dn), dn_to_jy(dn_err, band, zp),
                                                    mag_err_to_jy(flux_mag, err)))
        sat_limit = binning.saturation_w1 if band == "W1" else binning.saturation_w2
        fraction = _column(rows, f"{b}sat")
        saturated = ~missing & np.isfinite(mag) & ((mag < sat_limit) | (fraction > SATURATED_FRACTION))
        passed = rows["passed"].to_numpy(bool) if "passed" in rows else np.ones(len(rows), bool)
        # the rows' own text column, unless this band adds reasons (pandas checks an object
        # array's every string again: ~4 ms per 10^5 rows)
        reasons: Any = rows["reasons"].array if "reasons" in rows else ""
        if missing.any() or cut_saturated and saturated.any():
            reasons = rows["reasons"].to_numpy(object).copy() if "reasons" in rows else np.full(len(rows), "", object)
        if missing.any():
            gone = np.array([f"no measurement in {band} ({w})" for w in why[missing]], dtype=object)
            reasons[missing] = [f"{g}; {r}" if r else g for g, r in zip(gone, reasons[missing], strict=True)]
        if cut_saturated and saturated.any():
            why_sat = np.array([f"saturated in {band}: {m:.2f} mag (brighter than {sat_limit:g})" if m < sat_limit
                                else f"saturated in {band}: {b}sat = {f:g} (> {SATURATED_FRACTION:g})"
                                for m, f in zip(mag[saturated], fraction[saturated], strict=True)], dtype=object)
            reasons[saturated] = [f"{r}; {w}" if r else w for w, r in zip(why_sat, reasons[saturated], strict=True)]
            passed = passed & ~saturated
        n = len(rows)
        parts.append({
            "mjd": rows["mjd"].to_numpy(float), "band": _repeated(band, n),
            "table": _repeated(label or spec.name, n),
            "mag": mag, "mag_err": np.where(upper, np.nan, err),
            "flux_jy": flux, "flux_err_jy": flux_err, "upper_limit": upper, "measured": ~missing,
            "saturated": saturated, "passed": passed & ~missing,
            "reasons": _repeated(reasons, n) if isinstance(reasons, str) else np.asarray(reasons, object),
        } | ({"object": rows["object"].to_numpy(np.int64)} if "object" in rows else {}))
    return parts


def _repeated(text: str, n: int) -> np.ndarray:
    """``text`` n times, one string object: ``np.full`` would make n copies, which compare and hash
    one by one (a factorize of 10^5 band names took 27 ms instead of 8)."""
    out = np.empty(n, dtype=object)
    out.fill(text)
    return out


#: Epoch columns that hold one value per ``band_epochs`` part: joined as codes, not as strings.
_PER_PART = ("band", "table")
_TEXT = pd.StringDtype(na_value=np.nan)  # what pandas infers for text (storage: dashboard/__init__.py)


def _epoch_frame(parts: list[dict[str, np.ndarray]], order: np.ndarray | None = None,
                 codes: dict[str, TextCodes] | None = None) -> pd.DataFrame:
    """The epochs of ``band_epochs`` parts as one frame, rows in ``order`` if given: arrays joined
    and taken before the frame is made (a frame's take of its text columns cost ~10 ms at 10^5),
    per-part text as codes (kept in ``codes`` when given), text typed as pandas would infer it
    without the scan."""
    if not parts:
        return pd.DataFrame(columns=EPOCH_COLUMNS[:-2])
    pick = (lambda a: a) if order is None else (lambda a: a[order])
    columns: dict[str, Any] = {}
    for name in parts[0]:
        if name in _PER_PART:
            values = list(dict.fromkeys(part[name][0] for part in parts))
            code = pick(np.concatenate([np.full(len(part[name]), values.index(part[name][0])) for part in parts]))
            columns[name] = pd.array(np.array(values, dtype=object)[code], dtype=_TEXT)
            if codes is not None:
                codes[name] = (code, tuple(values))
        else:
            joined = pick(np.concatenate([part[name] for part in parts]))
            columns[name] = pd.array(joined, dtype=_TEXT) if joined.dtype == object else joined
    return pd.DataFrame(columns)


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


def _ph_qual_letters(ph_qual: pd.Series | None, n: int) -> tuple[pd.Categorical, pd.Categorical]:
    """The W1 and W2 letters of each row's ``ph_qual`` ('' where it has none), as categoricals:
    a few distinct letters, compared by code (``no_measurement`` reads them without factorizing)."""
    if ph_qual is None or not pd.api.types.is_object_dtype(ph_qual) and not pd.api.types.is_string_dtype(ph_qual):
        return _letters(np.zeros(n, np.int64), [""]), _letters(np.zeros(n, np.int64), [""])
    # A table holds few distinct ph_qual strings: read the letters once per distinct value (pandas'
    # .str[i] per row took a quarter of a warm view at 10^5 epochs).
    codes, distinct = pd.factorize(ph_qual.astype(object), use_na_sentinel=True)

    def letter(index: int) -> pd.Categorical:
        # code -1 (a missing value) takes the trailing ""
        return _letters(codes, [v[index] if isinstance(v, str) and len(v) > index else "" for v in distinct] + [""])

    return letter(0), letter(1)


def _letters(codes: np.ndarray, table: list[str]) -> pd.Categorical:
    """Letter ``table[code]`` of each row (code -1: the table's last entry) as a categorical."""
    categories, inverse = np.unique(np.array(table, dtype=object), return_inverse=True)
    letters: np.ndarray = inverse[codes]
    return pd.Categorical.from_codes(letters, categories=pd.Index(categories))


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
    epochs = _epoch_frame(parts, order, codes)
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
