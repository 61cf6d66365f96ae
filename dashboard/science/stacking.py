"""Visit stacking: epochs -> one median per (object, visit, band), vectorised over all groups.

The algorithm is timewise's ``stack_visits`` (Necker et al. 2025, A&A 695, A228), with its
parameter names (``Binning``):

* ``gap_days`` (100): per object, sort by mjd; a new visit starts after a gap longer than this.
  WISE sees a position for about a day every six months.
* Near the ecliptic poles WISE sees a position almost continuously, so the gap rule would merge
  months into one visit. A gap-visit longer than ``max_visit_days`` (30; the longest of the 679
  visits of the timewise sample lasts 12.4 d) is split into fixed windows of ``window_days`` (7)
  from its first exposure ("window" mode; this app's addition, not timewise's).
* Per (visit, band), the ``median`` of the fluxes; outliers are epochs with
  ``|f - median| > outlier_threshold (5) x q``, where q is the ``outlier_quantile`` (0.6827,
  chi2.cdf(1, 1)) quantile of |f - median| (numpy's ``interpolated_inverted_cdf``); repeated
  until none is left. The same epochs are dropped from the magnitudes.
* Error: max(s, e) with s = sqrt(sum (f - median)^2 / (n - 1)^2) x t_0.68(n - 1) (the standard
  error of the mean, Student-t corrected for small n) and e = sqrt(sum e_i^2) / n, the combined
  single-exposure error; a one-epoch visit has e only.
* Epochs without an error are upper limits (a visit of only limits is a limit, at the median
  limit); they are never silently dropped: they are counted per visit.

The steps run on all objects, visits and bands at once (one object or thousands go through the
same code): a median or a quantile per (object, visit, band) group is ``grouped.group_median`` /
``grouped.group_quantile``, the speed path of ``np.median`` / ``np.quantile`` per group, kept
apart in ``grouped.py`` with its plain equivalent and tested equal to it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dashboard.science.distributions import t_quantiles
from dashboard.science.grouped import dense_ids, group_median, group_quantile
from dashboard.science.saturation import EXPOSURE_ONSET_MAG


@dataclass(frozen=True)
class Binning:
    """Parameters of the visit binning (names as in timewise)."""

    enabled: bool = True
    gap_days: float = 100.0
    outlier_threshold: float = 5.0
    outlier_quantile: float = 0.6827
    saturation_w1: float = EXPOSURE_ONSET_MAG["W1"]  # mag (saturation.py)
    saturation_w2: float = EXPOSURE_ONSET_MAG["W2"]
    max_visit_days: float = 30.0  # a gap-visit longer than this is split into windows
    window_days: float = 7.0


@dataclass
class Stacked:
    """Per-epoch visit and outlier flags, and one row per (visit, band) group that has data.

    Group arrays are ordered by (object, visit, band)."""

    visit: np.ndarray  # per epoch, numbered per object from 0
    outlier: np.ndarray  # per epoch
    object_index: np.ndarray  # per group
    group_visit: np.ndarray
    group_band: np.ndarray  # 0 = W1, 1 = W2
    mjd: np.ndarray
    flux: np.ndarray
    flux_err: np.ndarray
    mag: np.ndarray
    mag_err: np.ndarray
    upper_limit: np.ndarray
    n_used: np.ndarray
    n_rejected: np.ndarray
    n_outliers: np.ndarray
    n_limits: np.ndarray


def visit_ids(mjd: np.ndarray, gap_days: float, obj: np.ndarray | None = None, *,
              max_visit_days: float = np.inf, window_days: float = 7.0) -> np.ndarray:
    """Visit number of each epoch, per object: a new visit after a gap > ``gap_days``; a visit
    longer than ``max_visit_days`` is cut into ``window_days`` windows (module docstring)."""
    n = len(mjd)
    if n == 0:
        return np.array([], dtype=np.int64)
    obj = np.zeros(n, np.int64) if obj is None else obj
    order = np.lexsort((mjd, obj))
    t, o = mjd[order], obj[order]
    new_object = np.concatenate([[True], o[1:] != o[:-1]])
    new_visit = np.concatenate([[False], np.diff(t) > gap_days]) & ~new_object
    starts = np.flatnonzero(new_visit | new_object)  # t is sorted within each object
    lengths = np.diff(np.concatenate([starts, [n]]))
    visit_start = np.repeat(starts, lengths)
    span = t[starts + lengths - 1] - t[starts]  # each gap-visit's length
    long = np.repeat(span > max_visit_days, lengths)
    window = np.where(long, np.floor((t - t[visit_start]) / window_days), 0.0)
    new_window = np.concatenate([[False], (window[1:] != window[:-1]) & ~new_visit[1:]]) & ~new_object
    count = np.cumsum(new_visit | new_window)
    start_of_object = np.maximum.accumulate(np.where(new_object, np.arange(n), 0))
    ids = np.empty(n, dtype=np.int64)
    ids[order] = count - count[start_of_object]
    return ids


def windowed(mjd: np.ndarray, binning: Binning) -> bool:
    """Whether any gap-visit of these epochs (one object) lasts longer than ``max_visit_days``."""
    if len(mjd) == 0:
        return False
    t = np.sort(mjd)
    cuts = np.flatnonzero(np.diff(t) > binning.gap_days)
    starts, ends = np.concatenate([[0], cuts + 1]), np.concatenate([cuts, [len(t) - 1]])
    return bool(np.any(t[ends] - t[starts] > binning.max_visit_days))


def t_factor(n: np.ndarray) -> np.ndarray:
    """Upper end of the central 68 % interval of Student's t with n - 1 degrees of freedom."""
    return t_quantiles(0.84, np.maximum(n - 1, 1))


def robust_median(group: np.ndarray, values: np.ndarray, n_groups: int, threshold: float,
                  quantile: float) -> tuple[np.ndarray, np.ndarray]:
    """Median per group with iterative outlier rejection, all groups at once.

    Returns (median per group, outlier mask per value)."""
    outlier = np.zeros(len(values), dtype=bool)
    median = np.full(n_groups, np.nan)  # the first pass computes every group's
    active = np.ones(n_groups, dtype=bool)  # groups that may still change
    while True:
        live = active[group] & ~outlier
        g, v = group[live], values[live]
        count = np.bincount(g, minlength=n_groups)
        median[active] = group_median(g, v, n_groups)[active]
        q = group_quantile(g, np.abs(v - median[g]), quantile, n_groups)
        candidates = np.flatnonzero(live)
        new = np.abs(values[candidates] - median[group[candidates]]) > threshold * q[group[candidates]]
        new &= count[group[candidates]] >= 2
        if not new.any():
            return median, outlier
        outlier[candidates[new]] = True
        active = np.zeros(n_groups, dtype=bool)
        active[group[candidates[new]]] = True


def visit_error(group: np.ndarray, values: np.ndarray, errors: np.ndarray, median: np.ndarray,
                n_groups: int) -> np.ndarray:
    """max(spread, combined) per group (module docstring); combined alone for one value."""
    n = np.bincount(group, minlength=n_groups)
    finite = np.isfinite(errors)
    n_err = np.bincount(group[finite], minlength=n_groups)
    sum_err2 = np.bincount(group[finite], weights=errors[finite] ** 2, minlength=n_groups)
    sum_dev2 = np.bincount(group, weights=(values - median[group]) ** 2, minlength=n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        combined = np.where(n_err > 0, np.sqrt(sum_err2) / n_err, np.nan)
        spread = np.sqrt(sum_dev2 / (n - 1.0) ** 2) * t_factor(n)
    return np.where(n >= 2, np.fmax(spread, combined), combined)


def stack(obj: np.ndarray | None, mjd: np.ndarray, band: np.ndarray, flux: np.ndarray, flux_err: np.ndarray,
          mag: np.ndarray, mag_err: np.ndarray, passed: np.ndarray, upper: np.ndarray, measured: np.ndarray,
          binning: Binning) -> Stacked:
    """Stack epochs of one or many objects (``obj``: object index per epoch, or None for one), in
    the module docstring's steps. ``band`` is 0 for W1, 1 for W2. Arrays are per epoch, any order."""
    n = len(mjd)
    obj = np.zeros(n, np.int64) if obj is None else np.asarray(obj, np.int64)
    # 1. visits: the gap rule, per object (windows where a gap-visit is too long)
    visit = visit_ids(mjd, binning.gap_days, obj, max_visit_days=binning.max_visit_days,
                      window_days=binning.window_days)
    # 2. one group per (object, visit, band), numbered in that order
    group, group_object, group_visit, group_band = _groups(obj, visit, np.asarray(band, np.int64))
    n_groups = len(group_band)
    count = np.bincount(group, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        group_mjd = np.bincount(group, weights=mjd, minlength=n_groups) / count
    n_rejected = np.bincount(group, weights=measured & ~passed, minlength=n_groups).astype(np.int64)
    # 3. the median flux of the detections, outliers rejected until none is left
    detected = np.flatnonzero(passed & ~upper & np.isfinite(flux))
    flux_median, det_outlier = robust_median(group[detected], flux[detected], n_groups, binning.outlier_threshold,
                                             binning.outlier_quantile)
    outlier = np.zeros(n, dtype=bool)
    outlier[detected[det_outlier]] = True
    n_outliers = np.bincount(group[detected[det_outlier]], minlength=n_groups)
    # 4. the error of each median; the magnitudes' median and error over the same epochs
    used = detected[~det_outlier]
    n_used = np.bincount(group[used], minlength=n_groups)
    flux_err_out = visit_error(group[used], flux[used], flux_err[used], flux_median, n_groups)
    m_ok = used[np.isfinite(mag[used])]
    mag_median = group_median(group[m_ok], mag[m_ok], n_groups)
    mag_err_out = visit_error(group[m_ok], mag[m_ok], mag_err[m_ok], mag_median, n_groups)
    # 5. a group of upper limits only is a limit, at the median limit
    is_limit = passed & upper
    n_limits = np.bincount(group, weights=is_limit, minlength=n_groups).astype(np.int64)
    limit_mag = group_median(group[is_limit], mag[is_limit], n_groups)
    has_det = n_used > 0
    only_limits = ~has_det & (n_limits > 0)
    keep = has_det | only_limits
    return Stacked(
        visit=visit, outlier=outlier, object_index=group_object[keep], group_visit=group_visit[keep],
        group_band=group_band[keep], mjd=group_mjd[keep],
        flux=np.where(has_det, flux_median, np.nan)[keep], flux_err=np.where(has_det, flux_err_out, np.nan)[keep],
        mag=np.where(has_det, mag_median, limit_mag)[keep], mag_err=np.where(has_det, mag_err_out, np.nan)[keep],
        upper_limit=only_limits[keep], n_used=n_used[keep], n_rejected=n_rejected[keep],
        n_outliers=np.where(has_det, n_outliers, 0)[keep], n_limits=n_limits[keep],
    )


def _groups(obj: np.ndarray, visit: np.ndarray, band: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                                           np.ndarray]:
    """Each epoch's group id, dense and ordered by (object, visit, band); each group's object,
    visit and band."""
    span = int(visit.max()) + 1 if len(visit) else 1
    keys, group = dense_ids((obj * span + visit) * 2 + band)
    return group, keys // 2 // span, (keys // 2) % span, keys % 2
