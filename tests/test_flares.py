"""Infrared flares and dust echoes (``science/flares.py``) on real recorded light curves (the
demo archive's AT2019dsg and the 32 nuclear transients of timewise's sample, whose target list
carries ``tpeak`` and ``z``), and on CONSTRUCTED ones built on real visit times and errors."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from test_lightcurve import RENAME, timewise_inputs

from dashboard.science.blackbody import colour_correction_blackbody, isophotal_hz, planck_nu, temperature_from_ratio
from dashboard.science.blackbody_table import temperatures_from_ratios
from dashboard.science.flares import PC_M, FlareParams, analyse
from dashboard.science.lightcurve import build_lightcurve
from dashboard.science.select import match_epochs
from dashboard.science.stacking import Binning

#: WISE sees a position every ~182.6 d: "within one visit gap" below means within 200 d.
VISIT_GAP_D = 200.0


@pytest.fixture(scope="module")
def sample():
    """Each host of timewise's sample: (name, tpeak, z or None, its visits), built from its real rows."""
    neo, mep, hosts, tw = timewise_inputs()
    out = []
    for orig_id in sorted(tw.orig_id.unique()):
        host = hosts[hosts.orig_id == orig_id].iloc[0]
        n = neo[neo.orig_id == orig_id].rename(columns=RENAME)
        m = mep[mep.orig_id == orig_id].rename(columns={k: v + "_ep" for k, v in RENAME.items()})
        m, _ = match_epochs(m, float(m.ra.median()) if len(m) else 0, float(m.dec.median()) if len(m) else 0, 10.0,
                            int(host["AllWISE_id"]) if isinstance(host["AllWISE_id"], str) else None,
                            multi_epoch=True)
        visits = build_lightcurve({"allwise_p3as_mep": m, "neowiser_p1bs_psd": n}, Binning()).visits
        z = float(host["z"]) if str(host["z"]) not in ("–", "nan") else None
        out.append((str(host["name"]), float(host["tpeak"]), z, visits))
    return out


def test_at2019dsg_lights_up_after_its_event_within_one_visit_gap(offline_view):
    """The demo archive's real rows: the echo is found in both bands, its last baseline visit is
    before the optical peak (tpeak 58620.2, the sample's target list) and its first excess visit
    within one visit gap of it; the dust cools from the first dust visit to the last."""
    shown = offline_view("AT2019dsg", 2.5)
    found = analyse(shown.lightcurve.visits, True, FlareParams(event_mjd=58620.2, redshift=0.0512))
    flare = found.flare
    assert flare.found and min(flare.highest_significance.values()) >= 5
    assert all(b.last_baseline_mjd < 58620.2 for b in flare.bands.values())
    assert abs(flare.start_mjd - 58620.2) <= VISIT_GAP_D and abs(flare.delay_days) <= VISIT_GAP_D
    t = found.dust["t_obs_k"].to_numpy(float)
    assert len(t) >= 5 and 500 < t.min() and t.max() < 2000 and t[0] > t[-1]
    assert found.dust["t_rest_k"].to_numpy(float) == pytest.approx(t * 1.0512)
    assert 0.005 < found.dust["radius_pc"].max() < 0.5 and 42 < found.dust["log_lum_erg_s"].max() < 44.5


def test_the_sample_flares_each_rest_on_a_baseline_and_many_start_at_their_event(sample):
    """Every flare found reaches 5 sigma in both bands after a baseline visit; a sample of
    nuclear transients shows many echoes beginning within a visit gap of the optical peak."""
    at_event = 0
    for name, tpeak, z, visits in sample:
        found = analyse(visits, True, FlareParams(event_mjd=tpeak, redshift=z))
        flare = found.flare
        if not flare.found:
            assert "no flare" in flare.reason or "already under way" in flare.reason, name
            continue
        assert min(b.peak_significance for b in flare.bands.values()) >= 5, name
        assert all(b.last_baseline_mjd < b.start_mjd for b in flare.bands.values()), name
        last_baseline = max(b.last_baseline_mjd for b in flare.bands.values())
        at_event += last_baseline < tpeak and abs(flare.start_mjd - tpeak) <= VISIT_GAP_D
    assert at_event >= 10


def _flat(visits: pd.DataFrame, seed: int) -> pd.DataFrame:
    """CONSTRUCTED: each band at its median flux on the real visit times, scattered by the real errors."""
    rng = np.random.default_rng(seed)
    out = visits.copy()
    for band in ("W1", "W2"):
        rows = out["band"] == band
        level = float(np.median(out.loc[rows, "flux_jy"]))
        out.loc[rows, "flux_jy"] = level + rng.normal(0, 1, int(rows.sum())) * out.loc[rows, "flux_err_jy"]
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_flat_light_curve_on_real_times_has_no_flare_and_says_how_high_it_reached(offline_view, seed):
    visits = _flat(offline_view("AT2019dsg", 2.5).lightcurve.visits, seed)
    flare = analyse(visits, True, FlareParams()).flare
    assert not flare.found and "not 5σ in both bands" in flare.reason
    assert max(flare.highest_significance.values()) < 5


def _inject(visits: pd.DataFrame, start: float, t_rest: float, radius_pc: float, z: float) -> pd.DataFrame:
    """CONSTRUCTED: a dust echo of this rest-frame temperature and radius from ``start`` on, added
    to the flat light curve as WISE would quote it (B_ν through the bands' colour corrections)."""
    from astropy.cosmology import Planck18

    d_a = float(Planck18.angular_diameter_distance(z).to_value("m"))
    omega = math.pi * (radius_pc * PC_M) ** 2 / d_a ** 2
    t_obs = t_rest / (1 + z)
    out = visits.copy()
    for band in ("W1", "W2"):
        quoted = omega * float(planck_nu(isophotal_hz(band), t_obs)) * colour_correction_blackbody(band, t_obs) / 1e-26
        rows = (out["band"] == band) & (out["mjd"] >= start)
        out.loc[rows, "flux_jy"] += quoted
    return out


def test_an_injected_echo_is_recovered_within_its_errors(offline_view):
    """CONSTRUCTED on AT2019dsg's real visit times and errors: 1000 K at 0.05 pc, z = 0.05."""
    real = offline_view("AT2019dsg", 2.5).lightcurve.visits
    visits = _inject(_flat(real, 7), 58600.0, 1000.0, 0.05, 0.05)
    found = analyse(visits, True, FlareParams(redshift=0.05, event_mjd=58550.0))
    assert found.flare.found and found.flare.start_mjd >= 58600.0
    dust = found.dust[found.dust["mjd"] >= 58600.0]
    assert len(dust) >= 5
    for row in dust.to_dict("records"):
        assert abs(row["t_rest_k"] - 1000.0) <= 4 * row["t_rest_err_k"]
        assert abs(row["radius_pc"] - 0.05) <= 4 * row["radius_err_pc"]


def test_a_redshift_scales_the_temperature_and_moves_radius_and_luminosity_as_the_cosmology_says(offline_view):
    from astropy.cosmology import Planck18

    visits = offline_view("AT2019dsg", 2.5).lightcurve.visits
    near = analyse(visits, True, FlareParams(redshift=0.05)).dust
    far = analyse(visits, True, FlareParams(redshift=0.10)).dust
    assert far["t_obs_k"].to_numpy() == pytest.approx(near["t_obs_k"].to_numpy())
    assert far["t_rest_k"].to_numpy() / near["t_rest_k"].to_numpy() == pytest.approx(1.10 / 1.05)
    d_ratio = float(Planck18.angular_diameter_distance(0.10) / Planck18.angular_diameter_distance(0.05))
    assert far["radius_pc"].to_numpy() / near["radius_pc"].to_numpy() == pytest.approx(d_ratio)
    # L = 4 pi R^2 sigma T_rest^4: log L moves by 2 log(R ratio) + 4 log(T ratio)
    expected = 2 * math.log10(d_ratio) + 4 * math.log10(1.10 / 1.05)
    assert (far["log_lum_erg_s"] - near["log_lum_erg_s"]).to_numpy() == pytest.approx(expected)
    assert "t_rest_k" not in analyse(visits, True, FlareParams()).dust  # without z: observed frame only


def test_a_flare_under_way_when_wise_first_looked_is_told_as_such(offline_view):
    """CONSTRUCTED: the real times, bright at the first visits, fading to a flat level."""
    visits = _flat(offline_view("AT2019dsg", 2.5).lightcurve.visits, 11)
    early = visits["mjd"] < 56000
    visits.loc[early, "flux_jy"] *= 3.0
    flare = analyse(visits, True, FlareParams()).flare
    assert not flare.found and "already under way" in flare.reason


def test_a_baseline_window_set_by_hand_and_one_too_narrow(offline_view):
    visits = offline_view("AT2019dsg", 2.5).lightcurve.visits
    chosen = analyse(visits, True, FlareParams(baseline_window=(56000.0, 58500.0)))
    assert chosen.baselines["W1"].method == "window set by hand" and len(chosen.baselines["W1"].visit_mjd) == 10
    assert chosen.flare.found
    narrow = analyse(visits, True, FlareParams(baseline_window=(56000.0, 56800.0)))
    assert narrow.failure is not None and "needs at least two" in narrow.failure


def test_without_visits_the_search_says_it_needs_them(offline_view):
    found = analyse(offline_view("AT2019dsg", 2.5).lightcurve.visits, False, FlareParams())
    assert not found.flare.found and "bin=1" in found.failure


def test_the_same_data_give_the_same_dust_numbers(offline_view):
    visits = offline_view("AT2019dsg", 2.5).lightcurve.visits
    one = analyse(visits, True, FlareParams(redshift=0.0512)).dust
    two = analyse(visits, True, FlareParams(redshift=0.0512)).dust
    pd.testing.assert_frame_equal(one, two, check_exact=True)


def test_the_tabulated_temperatures_equal_the_plain_solver():
    """The speed path (``blackbody_table``) against ``temperature_from_ratio``, CONSTRUCTED pairs."""
    rng = np.random.default_rng(5)
    blue = rng.uniform(0.5, 2.0, 60)
    red = blue * rng.uniform(0.6, 4.0, 60)
    fast = temperatures_from_ratios(blue, red)
    plain = np.array([temperature_from_ratio(b, r) or np.nan for b, r in zip(blue, red, strict=True)])
    assert np.isfinite(plain).sum() >= 50
    np.testing.assert_allclose(fast, plain, rtol=1e-4)
