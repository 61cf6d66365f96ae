"""W1/W2 light curves: single-exposure epochs and their per-visit medians.

Epochs come from ``allwise_p3as_mep`` (2010-2011) and ``neowiser_p1bs_psd`` (2013-2024), each
tagged with its table. Flux densities use the zero points of ``photometry.py``: from the DN flux
where the table gives one (so fluxes <= 0 are kept; see ``frame_zero_points``), else from the
magnitude.

Visit binning is timewise's ``stack_visits`` (Necker et al. 2025, A&A 695, A228):

* ``gap_days`` (100): sort by mjd; a new visit starts after a gap longer than this. WISE sees
  a position for about a day every six months.
* Per visit and band, ``median`` of the fluxes; outliers are epochs with
  ``|f - median| > outlier_threshold (5) x q``, where q is the ``outlier_quantile`` (0.6827,
  chi2.cdf(1, 1)) quantile of |f - median|; repeated until none is left. The same epochs are
  dropped from the magnitudes.
* Error: max(s, e) with s = sqrt(sum (f - median)^2 / (n - 1)^2) x t_0.68(n - 1) (the standard
  error of the mean, Student-t corrected for small n) and e = sqrt(sum e_i^2) / n, the combined
  single-exposure error; a one-epoch visit has e only.
* Epochs without an error are upper limits (a visit of only limits is a limit); they are never
  silently dropped: they are counted per visit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import special

from .measurement import no_measurement
from .photometry import DN_MAGZP, dn_to_jy, mag_err_to_jy, mag_to_jy
from .tables import TABLES, TableSpec
from .variability import BandStats, variability

EPOCH_COLUMNS = ["mjd", "band", "table", "mag", "mag_err", "flux_jy", "flux_err_jy", "upper_limit", "measured",
                 "saturated", "passed", "reasons", "visit", "outlier"]
COLOUR_COLUMNS = ["visit", "mjd", "w1_w2", "w1_w2_err"]
VISIT_COLUMNS = ["visit", "band", "mjd", "mag", "mag_err", "flux_jy", "flux_err_jy", "upper_limit",
                 "n_used", "n_rejected", "n_outliers", "n_limits"]


@dataclass(frozen=True)
class Binning:
    """Parameters of the visit binning (names as in timewise)."""

    enabled: bool = True
    gap_days: float = 100.0
    outlier_threshold: float = 5.0
    outlier_quantile: float = 0.6827
    saturation_w1: float = 8.0  # mag; NOT VERIFIED against the NEOWISE Supplement II.1.c.iv
    saturation_w2: float = 6.7  # mag; NOT VERIFIED against the NEOWISE Supplement II.1.c.iv


@dataclass
class LightCurve:
    """A source's epochs (long format: one row per epoch and band) and its visits."""

    epochs: pd.DataFrame
    visits: pd.DataFrame
    binning: Binning
    stats: dict[str, BandStats] = field(default_factory=dict)

    def epoch_counts(self) -> dict[str, int]:
        """Epochs (exposures, not band measurements) per table."""
        if self.epochs.empty:
            return {}
        per = self.epochs.drop_duplicates(["table", "mjd"])
        return {str(k): int(v) for k, v in per.groupby("table").size().items()}

    def visit_count(self) -> int:
        return 0 if self.visits.empty else int(self.visits["visit"].nunique())

    def colour(self) -> pd.DataFrame:
        """W1 - W2 per visit, where both bands have a detection."""
        if self.visits.empty:
            return pd.DataFrame(columns=COLOUR_COLUMNS)
        v = self.visits[~self.visits["upper_limit"]]
        w1 = v[v.band == "W1"].set_index("visit")
        w2 = v[v.band == "W2"].set_index("visit")
        both = w1.add_suffix("_1").join(w2.add_suffix("_2"), how="inner")
        return pd.DataFrame({
            "visit": both.index, "mjd": both["mjd_1"].to_numpy(),
            "w1_w2": (both["mag_1"] - both["mag_2"]).to_numpy(),
            "w1_w2_err": np.hypot(both["mag_err_1"].to_numpy(float), both["mag_err_2"].to_numpy(float)),
        }).reset_index(drop=True)


def epochs_from_table(rows: pd.DataFrame, spec: TableSpec, binning: Binning, label: str | None = None) -> pd.DataFrame:
    """One row per (exposure, band) with magnitude, flux density and the quality verdict.

    A band without a measurement (``measurement.py``) stays in the table, not passed, with the
    reason, and with no magnitude or flux. ``label`` is the table the rows really came from."""
    suffix = spec.mag_suffix
    parts = []
    for band in ("W1", "W2"):
        b = band.lower()
        mag_col = f"{b}mpro{suffix}"
        if rows.empty or mag_col not in rows:
            continue
        mag = _column(rows, mag_col)
        err = _column(rows, f"{b}sigmpro{suffix}")
        dn = _column(rows, f"{b}flux{suffix}")
        dn_err = _column(rows, f"{b}sigflux{suffix}")
        letter = _band_letters(rows.get("ph_qual"), 0 if band == "W1" else 1, len(rows))
        snr = _column(rows, f"{b}snr") if f"{b}snr" in rows else None
        missing, why = no_measurement(mag, err, snr, letter if "ph_qual" in rows else None,
                                      multi_epoch=spec.multi_epoch)
        mag = np.where(missing, np.nan, mag)
        err = np.where(missing, np.nan, err)
        dn = np.where(missing, np.nan, dn)
        upper = ~missing & ((letter == "U") | (np.isnan(err) & np.isfinite(mag)))
        flux_mag = mag_to_jy(mag, band)
        zp = frame_zero_points(mag, dn, band)
        flux = np.where(upper | ~np.isfinite(dn), flux_mag, dn_to_jy(dn, band, zp))
        flux_err = np.where(upper, np.nan, np.where(np.isfinite(dn), dn_to_jy(dn_err, band, zp),
                                                    mag_err_to_jy(flux_mag, err)))
        sat_limit = binning.saturation_w1 if band == "W1" else binning.saturation_w2
        passed = rows["passed"].to_numpy(bool) if "passed" in rows else np.ones(len(rows), bool)
        reasons = rows["reasons"].to_numpy(object) if "reasons" in rows else np.full(len(rows), "", object)
        gone = np.array([f"no measurement in {band} ({w})" for w in why[missing]], dtype=object)
        reasons = reasons.copy()
        reasons[missing] = [f"{g}; {r}" if r else g for g, r in zip(gone, reasons[missing], strict=True)]
        parts.append(pd.DataFrame({
            "mjd": rows["mjd"].to_numpy(float), "band": band, "table": label or spec.name,
            "mag": mag, "mag_err": np.where(upper, np.nan, err),
            "flux_jy": flux, "flux_err_jy": flux_err, "upper_limit": upper, "measured": ~missing,
            "saturated": np.isfinite(mag) & (mag < sat_limit),
            "passed": passed & ~missing, "reasons": reasons,
        }))
    if not parts:
        return pd.DataFrame(columns=EPOCH_COLUMNS[:-2])
    return pd.concat(parts, ignore_index=True)


def _column(rows: pd.DataFrame, name: str) -> np.ndarray:
    if name not in rows:
        return np.full(len(rows), np.nan)
    return pd.to_numeric(rows[name], errors="coerce").to_numpy(float)


def frame_zero_points(mag: np.ndarray, dn: np.ndarray, band: str) -> np.ndarray:
    """Each exposure's instrumental zero point, recovered as m + 2.5 log10(DN) (timewise's way).

    Where it cannot be (DN <= 0, no magnitude), the median over the other exposures is used,
    else the nominal MAGZP. So a positive DN flux gives exactly the magnitude's flux density and a
    DN flux <= 0 is kept, on the same scale.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        zp = mag + 2.5 * np.log10(dn)
    known = np.isfinite(zp)
    fill = float(np.median(zp[known])) if known.any() else DN_MAGZP[band]
    return np.where(known, zp, fill)


def _band_letters(ph_qual: pd.Series | None, index: int, n: int) -> np.ndarray:
    if ph_qual is None:
        return np.full(n, "", dtype=object)
    return np.array([v[index] if isinstance(v, str) and len(v) > index else "" for v in ph_qual], dtype=object)


def visit_ids(mjd: np.ndarray, gap_days: float) -> np.ndarray:
    """Visit number of each epoch: a new visit after a gap > ``gap_days`` (sorted by mjd)."""
    if len(mjd) == 0:
        return np.array([], dtype=int)
    order = np.argsort(mjd, kind="stable")
    new_visit = np.concatenate([[0], np.diff(mjd[order]) > gap_days]).astype(int)
    ids = np.empty(len(mjd), dtype=int)
    ids[order] = np.cumsum(new_visit)
    return ids


def _robust_median(values: np.ndarray, threshold: float, quantile: float) -> tuple[float, np.ndarray]:
    """Median with iterative outlier rejection; returns (median, outlier mask)."""
    outlier = np.zeros(len(values), dtype=bool)
    while True:
        used = values[~outlier]
        median = float(np.median(used))
        if len(used) < 2:
            return median, outlier
        dev = np.abs(values - median)
        q = np.quantile(np.abs(used - median), quantile, method="interpolated_inverted_cdf")
        new = (dev > threshold * q) & ~outlier
        if not new.any():
            return median, outlier
        outlier |= new


@lru_cache(maxsize=4096)
def t_factor(n: int) -> float:
    """Upper end of the central 68 % interval of Student's t with n - 1 degrees of freedom."""
    return float(special.stdtrit(n - 1, 0.84))


def _visit_error(values: np.ndarray, errors: np.ndarray, median: float) -> float:
    n = len(values)
    finite_err = errors[np.isfinite(errors)]
    combined = float(np.sqrt(np.sum(finite_err**2)) / len(finite_err)) if len(finite_err) else np.nan
    if n < 2:
        return combined
    spread = float(np.sqrt(np.sum((values - median) ** 2) / (n - 1) ** 2) * t_factor(n))
    return float(np.nanmax([spread, combined]))


def bin_visits(epochs: pd.DataFrame, binning: Binning) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Assign visits and outliers to ``epochs`` and return (epochs, visits).

    Works on numpy arrays, one (visit, band) slice at a time, so the cost grows linearly.
    """
    epochs = epochs.reset_index(drop=True)
    n = len(epochs)
    visit = visit_ids(epochs["mjd"].to_numpy(float), binning.gap_days) if n else np.array([], dtype=int)
    outlier = np.zeros(n, dtype=bool)
    band = epochs["band"].to_numpy(object)
    band_code = (band == "W2").astype(int)
    mjd = epochs["mjd"].to_numpy(float)
    passed = epochs["passed"].to_numpy(bool)
    measured = epochs["measured"].to_numpy(bool) if "measured" in epochs else np.ones(n, bool)
    upper = epochs["upper_limit"].to_numpy(bool)
    flux = epochs["flux_jy"].to_numpy(float)
    flux_err = epochs["flux_err_jy"].to_numpy(float)
    mag = epochs["mag"].to_numpy(float)
    mag_err = epochs["mag_err"].to_numpy(float)
    order = np.lexsort((band_code, visit))
    keys = visit[order] * 2 + band_code[order]
    rows = []
    for idx in np.split(order, np.flatnonzero(np.diff(keys)) + 1) if n else []:
        good = idx[passed[idx]]
        detections = good[~upper[good] & np.isfinite(flux[good])]
        limits = good[upper[good]]
        row = {"visit": int(visit[idx[0]]), "band": band[idx[0]], "mjd": float(mjd[idx].mean()),
               "n_rejected": int((measured[idx] & ~passed[idx]).sum()), "n_limits": int(len(limits))}
        if len(detections):
            f = flux[detections]
            flux_median, out = _robust_median(f, binning.outlier_threshold, binning.outlier_quantile)
            outlier[detections[out]] = True
            used = detections[~out]
            m = mag[used]
            finite = np.isfinite(m)
            mag_median = float(np.median(m[finite])) if finite.any() else np.nan
            row |= {
                "flux_jy": flux_median,
                "flux_err_jy": _visit_error(flux[used], flux_err[used], flux_median),
                "mag": mag_median,
                "mag_err": _visit_error(m[finite], mag_err[used][finite], mag_median) if finite.any() else np.nan,
                "upper_limit": False, "n_used": int(len(used)), "n_outliers": int(out.sum()),
            }
        elif len(limits):
            limit = float(np.median(mag[limits]))
            row |= {"flux_jy": float(mag_to_jy(limit, band[idx[0]])), "flux_err_jy": np.nan, "mag": limit,
                    "mag_err": np.nan, "upper_limit": True, "n_used": 0, "n_outliers": 0}
        else:
            continue
        rows.append(row)
    epochs = epochs.assign(visit=visit, outlier=outlier)
    return epochs, pd.DataFrame(rows, columns=VISIT_COLUMNS)


def build_lightcurve(tables: dict[str, pd.DataFrame], binning: Binning,
                     labels: dict[str, str] | None = None) -> LightCurve:
    """Epochs from every epoch table (already matched and cut), binned into visits."""
    parts = [epochs_from_table(rows, TABLES[table], binning, (labels or {}).get(table))
             for table, rows in tables.items()]
    parts = [p for p in parts if len(p)]
    epochs = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=EPOCH_COLUMNS[:-2])
    epochs = epochs.sort_values(["mjd", "band"], kind="stable").reset_index(drop=True)
    if not binning.enabled or epochs.empty:
        epochs["visit"] = visit_ids(epochs["mjd"].to_numpy(float), binning.gap_days) if len(epochs) else []
        epochs["outlier"] = False
        return LightCurve(epochs=epochs, visits=pd.DataFrame(columns=VISIT_COLUMNS), binning=binning)
    epochs, visits = bin_visits(epochs, binning)
    return LightCurve(epochs=epochs, visits=visits, binning=binning, stats=variability(visits))
