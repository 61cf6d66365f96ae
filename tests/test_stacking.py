"""Vectorised visit stacking: equal to the plain per-group computation, on real recorded epochs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

from conftest import DATA
from dashboard.core.tables import NEOWISE
from dashboard.science.distributions import chi2_sf, student_t_quantile
from dashboard.science.grouped import (
    dense_ids,
    group_median,
    group_quantile,
    plain_median,
    plain_quantile,
    sort_within_groups,
)
from dashboard.science.lightcurve import bin_visits, epochs_from_table
from dashboard.science.stacking import Binning, robust_median

RENAME = {"W1_mag": "w1mpro", "W1_mag_error": "w1sigmpro", "W2_mag": "w2mpro", "W2_mag_error": "w2sigmpro",
          "W1_flux": "w1flux", "W1_flux_error": "w1sigflux", "W2_flux": "w2flux", "W2_flux_error": "w2sigflux"}


@pytest.fixture(scope="module")
def sample():
    """The real NEOWISE-R rows of the timewise TDE sample (32 objects, 9,073 epochs)."""
    rows = pd.read_csv(DATA / "timewise" / "neowiser_p1bs_psd__tde_sample.csv", index_col=0).rename(columns=RENAME)
    return rows.assign(object=rows["orig_id"].astype(np.int64))


def _reference_robust_median(values, threshold=5.0, quantile=0.6827):
    """timewise's loop, one group at a time (the definition the vectorised code must equal)."""
    outlier = np.zeros(len(values), dtype=bool)
    while True:
        used = values[~outlier]
        median = float(np.median(used))
        if len(used) < 2:
            return median, outlier
        q = np.quantile(np.abs(used - median), quantile, method="interpolated_inverted_cdf")
        new = (np.abs(values - median) > threshold * q) & ~outlier
        if not new.any():
            return median, outlier
        outlier |= new


def test_group_median_and_quantile_equal_numpy_per_group(sample):
    flux = sample["w1flux"].to_numpy(float)
    ok = np.isfinite(flux)
    flux = flux[ok]
    group = pd.factorize(sample["object"][ok].to_numpy() * 100 + (sample["mjd"][ok].to_numpy() // 150))[0]
    n = int(group.max()) + 1
    medians, quantiles = group_median(group, flux, n), group_quantile(group, flux, 0.6827, n)
    assert np.array_equal(medians, plain_median(group, flux, n))  # the speed path equals the plain one
    assert np.allclose(quantiles, plain_quantile(group, flux, 0.6827, n), rtol=1e-12, atol=1e-12)
    for g in range(n):
        values = flux[group == g]
        assert medians[g] == np.median(values)
        assert quantiles[g] == pytest.approx(np.quantile(values, 0.6827, method="interpolated_inverted_cdf"),
                                             rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("wide", [False, True], ids=["row-per-group table", "one wide group: one sort"])
def test_sort_within_groups_is_lexsort_order_with_ties_and_nan(sample, wide):
    """Real magnitudes (3 decimals: many ties) and their nulls, grouped by object and 150-day window;
    ``wide`` puts half of them in one group, which takes the single-sort path."""
    mag = sample["w1mpro"].to_numpy(float)
    assert np.isnan(mag).any() and len(np.unique(mag[np.isfinite(mag)])) < np.isfinite(mag).sum()
    group = pd.factorize(sample["object"].to_numpy() * 100 + (sample["mjd"].to_numpy() // 150))[0]
    if wide:
        group = np.where(np.arange(len(group)) % 2 == 0, 0, group + 1)
    assert np.array_equal(sort_within_groups(group, mag, stable=True), np.lexsort((mag, group)))
    sorted_values = mag[sort_within_groups(group, mag)]
    assert np.array_equal(sorted_values, mag[np.lexsort((mag, group))], equal_nan=True)


@pytest.mark.parametrize("spread", [1, 10**9], ids=["keys in a small range", "keys far apart: np.unique"])
def test_dense_ids_equal_numpy_unique(sample, spread):
    """Group keys as ``stack`` makes them, (object, 150-day window, band), from real rows."""
    key = (sample["object"].to_numpy(np.int64) * 200 + sample["mjd"].to_numpy() // 150).astype(np.int64) * 2
    key = (key + (sample["w1mpro"].isna().to_numpy())) * spread
    keys, inverse = dense_ids(key)
    expected_keys, expected_inverse = np.unique(key, return_inverse=True)
    assert np.array_equal(keys, expected_keys) and np.array_equal(inverse, expected_inverse)


def test_outlier_rejection_equals_the_per_group_loop(sample):
    flux = sample["w2flux"].to_numpy(float)
    ok = np.isfinite(flux)
    flux = flux[ok]
    group = pd.factorize(sample["object"][ok].to_numpy() * 100 + (sample["mjd"][ok].to_numpy() // 150))[0]
    n = int(group.max()) + 1
    median, outlier = robust_median(group, flux, n, 5.0, 0.6827)
    assert outlier.sum() > 0  # real rows do have outliers
    for g in range(n):
        ref_median, ref_outlier = _reference_robust_median(flux[group == g])
        assert median[g] == ref_median
        assert np.array_equal(outlier[group == g], ref_outlier)


def test_many_objects_in_one_call_equal_each_object_alone(sample):
    epochs = epochs_from_table(sample, NEOWISE, Binning())
    _, together = bin_visits(epochs, Binning())
    assert together["object"].nunique() == sample["object"].nunique() == 32
    for obj in (0, 5, 17):
        alone = bin_visits(epochs[epochs["object"] == obj].drop(columns="object"), Binning())[1]
        mine = together[together["object"] == obj].drop(columns="object").reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, alone.reset_index(drop=True), check_dtype=False)


@pytest.mark.parametrize("df", [*range(1, 60), 99, 100, 500, 2000])
def test_student_t_quantile_equals_scipy(df):
    assert student_t_quantile(0.84, df) == pytest.approx(float(special.stdtrit(df, 0.84)), rel=1e-10)


@pytest.mark.parametrize("df", [1, 2, 3, 4, 7, 10, 19, 20, 51, 200, 1001])
def test_chi2_survival_equals_scipy(df):
    for x in (1e-3, 0.5, 1.0, df / 2, df, 2.0 * df, 5.0 * df + 50):
        expected = float(stats.chi2.sf(x, df))
        assert chi2_sf(x, df) == pytest.approx(expected, rel=1e-10, abs=1e-300)
