"""The error floor of "is it variable?": measured from the scatter within visits.

The recovery tests are BUILT: AT2019dsg's real exposure times, visits and quoted errors, with
magnitudes constant within each visit plus noise of a known extra spread. The last test runs
on the real recorded magnitudes.
"""

from __future__ import annotations

import numpy as np
import pytest

from dashboard.science.variability import error_floor


@pytest.fixture(scope="module")
def real_w1(offline_view):
    epochs = offline_view("AT2019dsg", 2.5).lightcurve.epochs
    w1 = epochs[(epochs["band"] == "W1") & epochs["passed"] & ~epochs["outlier"] & ~epochs["upper_limit"]]
    return w1["visit"].to_numpy(), w1["mag_err"].to_numpy(float)


@pytest.mark.parametrize("jitter", [0.0, 0.03, 0.08])
def test_a_known_extra_scatter_is_recovered(real_w1, jitter):
    visit, err = real_w1
    rng = np.random.default_rng(11)
    level = rng.normal(13, 0.5, visit.max() + 1)[visit]  # each visit its own constant level
    floors = [error_floor(visit, level + rng.normal(0, 1, len(err)) * np.hypot(err, jitter), err)
              for _ in range(20)]
    assert np.mean(floors) == pytest.approx(jitter, abs=0.012)
    assert min(floors) >= 0


def test_no_visit_with_three_exposures_gives_no_floor():
    assert error_floor(np.array([0, 0, 1, 1]), np.array([13.0, 13.1, 12.0, 12.2]), np.full(4, 0.02)) is None


def test_the_floor_lowers_chi2_on_real_magnitudes(offline_view):
    """AT2019dsg's real W1/W2: a floor of a few hundredths of a mag, chi2 smaller with it, and all
    of it in the bundle's manifest."""
    from dashboard.config import Settings
    from dashboard.provenance.bundle import build_bundle

    view = offline_view("AT2019dsg", 2.5)
    for stats in view.lightcurve.stats.values():
        assert 0.005 < stats.error_floor_mag < 0.1
        assert stats.chi2_red_floor < stats.chi2_red and stats.p_constant_floor is not None
    import io
    import json
    import zipfile

    manifest = json.loads(zipfile.ZipFile(io.BytesIO(build_bundle(view, Settings()))).read("manifest.json"))
    w1 = manifest["variability"]["W1"]
    assert {"error_floor_mag", "chi2_red_floor", "p_constant_floor"} <= set(w1)
    assert "Hogg, Bovy & Lang 2010" in manifest["variability_method"]
