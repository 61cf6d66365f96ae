"""Visits near the ecliptic poles: fixed windows where the gap rule would merge months.

BUILT fixture: no recording lies near a pole (the nearest, AT2018lzs at beta ~ 82 deg, has short
visits), so AT2019dsg's real NEOWISE-R exposures (real magnitudes, errors and flags) are given
times re-spaced to a pole's coverage: one exposure every 0.47 d, without a gap, for ~119 days.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from dashboard.core.targets import ecliptic_latitude
from dashboard.science.lightcurve import build_lightcurve
from dashboard.science.stacking import Binning, visit_ids


@pytest.fixture(scope="module")
def pole_rows(offline_view):
    rows = offline_view("AT2019dsg", 2.5).observations.rows("neowiser_p1bs_psd").copy()
    rows["mjd"] = 58000.0 + 0.47 * np.arange(len(rows))  # continuous coverage, as at the pole
    rows["passed"], rows["reasons"] = True, ""
    return rows


def test_continuous_coverage_is_cut_into_windows_and_said_so(pole_rows):
    lc = build_lightcurve({"neowiser_p1bs_psd": pole_rows}, Binning())
    span = pole_rows["mjd"].max() - pole_rows["mjd"].min()
    assert span > Binning().max_visit_days and lc.visit_mode == "window"
    assert lc.visit_count() == math.ceil(span / Binning().window_days + 1e-9)
    durations = lc.epochs.groupby("visit")["mjd"].agg(lambda t: t.max() - t.min())
    assert durations.max() < Binning().window_days


def test_real_six_monthly_visits_stay_gap_visits_and_equal_timewise_rule(offline_view):
    """The real AT2019dsg epochs: 20 visits by the gap rule, the same with window mode allowed."""
    lc = offline_view("AT2019dsg", 2.5).lightcurve
    mjd = lc.epochs["mjd"].to_numpy(float)
    assert lc.visit_mode == "gap" and lc.visit_count() == 20
    assert (visit_ids(mjd, 100.0) == visit_ids(mjd, 100.0, max_visit_days=30.0, window_days=7.0)).all()


def test_window_mode_is_in_the_manifest_and_on_the_page(pole_rows, offline_view):
    import io
    import json
    import zipfile

    from dashboard.config import Settings
    from dashboard.provenance.bundle import build_bundle
    from dashboard.science.analysis import binning_note

    view = offline_view("AT2019dsg", 2.5)
    view.lightcurve = build_lightcurve({"neowiser_p1bs_psd": pole_rows}, Binning())
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(build_bundle(view, Settings()))).read("manifest.json"))
    binning = manifest["binning"]
    assert (binning["mode"], binning["window_days"], binning["max_visit_days"]) == ("window", 7.0, 30.0)
    assert binning["ecliptic_latitude_deg"] == pytest.approx(30.0856, abs=1e-3)
    assert binning_note(view).startswith("Visits are 7-day windows")


def test_ecliptic_latitude_matches_astropy():
    from astropy import units as u
    from astropy.coordinates import BarycentricMeanEcliptic, SkyCoord

    for ra, dec in [(314.26238, 14.20441), (270.0, 66.56), (90.0, -66.56), (10.0, -30.0)]:
        lat = SkyCoord(ra * u.deg, dec * u.deg).transform_to(BarycentricMeanEcliptic()).lat.deg
        assert ecliptic_latitude(ra, dec) == pytest.approx(lat, abs=1e-4)
