"""Photometry where the profile fit fails: elliptical and standard apertures (issue 28, item 1).

Real rows: Arp 220's WISE All-Sky row (ext_flg 5, no w?gmag or w?mag recorded), the Cohen
standards (VizieR II/328), HD 73108's AllWISE row. No recording holds w?gmag or w?mag: the rows
that carry them are CONSTRUCTED here, from Arp 220's real row plus made-up aperture columns, and
say so."""

from __future__ import annotations

import io
import json
import math
import zipfile

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, run_reproduce
from dashboard.config import Settings
from dashboard.core.model import Cone
from dashboard.core.targets import TargetError
from dashboard.provenance.bundle import build_bundle
from dashboard.science.analysis import AnalysisParams
from dashboard.science.apertures import RESOLVED_LIGHTCURVE_NOTE, choose
from dashboard.science.photometry import SedOptions, mag_to_jy, sed
from dashboard.ui import panels
from dashboard.ui.urlstate import page_view, parse_exact, parse_query, to_params, to_query

ARP220 = Cone(233.73797, 23.50319, 10)


def arp220_row() -> pd.Series:
    from dashboard.archive import offline

    rows = offline.query("allwise_p3as_psd", ARP220).rows
    return rows[rows["ext_flg"] == 5].iloc[0]


def constructed_galaxy() -> pd.Series:
    """CONSTRUCTED: Arp 220's real All-Sky row (ext_flg 5, w1rchi2 26) with made-up elliptical
    photometry in W1-W3 (a 38" x 0.6 ellipse at PA 100 deg), none in W4, and made-up
    standard-aperture magnitudes in every band."""
    row = arp220_row().copy()
    row["xscprox"] = 0.4
    for b, g in zip("123", (9.50, 9.10, 6.20), strict=True):
        row[f"w{b}gmag"], row[f"w{b}gerr"], row[f"w{b}gflg"] = g, 0.02, 0
        row[f"w{b}rsemi"], row[f"w{b}ba"], row[f"w{b}pa"] = 38.0, 0.6, 100.0
    row["w4gmag"] = row["w4gerr"] = row["w4rsemi"] = row["w4ba"] = row["w4pa"] = math.nan
    row["w4gflg"] = math.nan
    for b, m in zip("1234", (9.80, 9.40, 6.50, 0.55), strict=True):
        row[f"w{b}mag"], row[f"w{b}sigm"], row[f"w{b}flg"], row[f"w{b}mcor"] = m, 0.03, 0, 0.1
    return row


def test_a_resolved_galaxy_uses_its_elliptical_magnitudes_and_profile_gives_todays_values():
    galaxy = constructed_galaxy()
    auto = sed(galaxy)
    by_band = auto.set_index("band")
    for band, gmag in (("W1", 9.50), ("W2", 9.10), ("W3", 6.20)):
        assert by_band.loc[band, "phot"] == "elliptical"
        assert by_band.loc[band, "flux_jy"] == pytest.approx(float(mag_to_jy(gmag, band)), rel=1e-12)
        reason = by_band.loc[band, "phot_reason"]
        assert "ext_flg = 5" in reason and "38″ × b/a 0.60" in reason
    # W4 has no elliptical magnitude: it falls back visibly, here to the standard aperture (w1rchi2 26 > 5)
    assert by_band.loc["W4", "phot"] == "aperture" and bool(by_band.loc["W4", "lower_limit"])
    assert "w4gmag is not recorded" in by_band.loc["W4", "phot_reason"]
    profile = sed(galaxy, SedOptions(phot="profile"))
    today = sed(arp220_row(), SedOptions(phot="profile"))  # the row without any aperture column
    assert (profile["phot"] == "profile").all()
    np.testing.assert_array_equal(profile["flux_jy"].to_numpy(), today["flux_jy"].to_numpy())
    assert profile["flux_jy"].iloc[0] == pytest.approx(float(mag_to_jy(10.068, "W1")), rel=1e-12)


def test_the_real_arp220_row_falls_back_to_the_profile_fit_and_says_why(offline_view):
    shown = offline_view("Arp 220", 10)
    assert shown.resolved  # ext_flg 5
    wise = shown.sed[shown.sed["catalog"] != "2mass_psc"]  # then its 2MASS association's J, H, Ks
    assert (wise["phot"] == "profile").all()
    assert all("ext_flg = 5" in r and "w" in r and "gmag is not recorded" in r for r in wise["phot_reason"])
    assert set(wise["catalog"]) == {"wise_allsky_4band_p3as_psd"}  # the table the row really came from
    note = panels.photometry_note(shown)
    assert note.startswith("Photometry: W1–W4: profile") and "underestimates" in note


def test_ext_flg_1_never_switches_a_cohen_star_even_with_a_bad_fit():
    cohen = pd.read_csv(ROOT / "tests/data/wise-data/vizier/allwise_II-328__cohen_standards.csv")
    north = cohen[~cohen["Decl."].str.startswith("-")]  # the southern rows were matched at a wrong position
    assert (north["ex"] == 1).sum() >= 8
    for _, star in north.iterrows():
        row = pd.Series({"ext_flg": star["ex"], "ph_qual": star["qph"], "cc_flags": star["ccf"],
                         **{f"w{b}mpro": star[f"W{b}mag"] for b in "1234"},
                         **{f"w{b}sigmpro": star[f"e_W{b}mag"] for b in "1234"},
                         # CONSTRUCTED: the fit as bad as ext_flg 1 allows, and a standard aperture measured
                         **{f"w{b}rchi2": 20.0 for b in "1234"}, **{f"w{b}mag": 5.0 for b in "1234"}})
        table = sed(row)
        assert (table["phot"] == "profile").all(), (star["Name"], list(table["phot_reason"]))


def test_an_unsaturated_resolved_source_without_xsc_ellipse_uses_the_aperture_as_a_lower_limit():
    row = constructed_galaxy()
    row["ext_flg"] = 1  # CONSTRUCTED: not associated with the XSC, resolved by its W1 fit only
    table = sed(row).set_index("band")
    assert (table["phot"] == "aperture").all() and table["lower_limit"].all()
    assert table.loc["W1", "flux_jy"] == pytest.approx(float(mag_to_jy(9.80, "W1")))
    assert "8.25″ aperture" in table.loc["W1", "phot_reason"] and "16.5″" in table.loc["W4", "phot_reason"]
    row["w1rchi2"] = 3.5  # below Jarrett's "well resolved"
    assert (sed(row)["phot"] == "profile").all()


def test_forced_modes_fall_back_visibly_and_aperture_limits_come_from_the_flag():
    galaxy = constructed_galaxy()
    elliptical = sed(galaxy, SedOptions(phot="elliptical")).set_index("band")
    assert list(elliptical["phot"]) == ["elliptical", "elliptical", "elliptical", "profile"]
    assert "w4gmag is not recorded" in elliptical.loc["W4", "phot_reason"]
    galaxy["w2flg"] = 32  # a 95% upper limit (ES sec. II.1.a)
    aperture = sed(galaxy, SedOptions(phot="aperture")).set_index("band")
    assert (aperture["phot"] == "aperture").all()
    assert bool(aperture.loc["W2", "upper_limit"]) and math.isnan(aperture.loc["W2", "flux_err_jy"])
    with pytest.raises(ValueError, match="phot is one of"):
        choose(galaxy, "W1", "isophotal", saturated={})


def test_a_point_source_keeps_todays_sed_and_the_bundle_gains_only_the_new_columns(offline_view):
    shown = offline_view("HD 73108", 5)
    assert (shown.sed["phot"].isin(["profile", "2mass"])).all() and not shown.resolved
    made = zipfile.ZipFile(io.BytesIO(build_bundle(shown, Settings())))
    old = zipfile.ZipFile(ROOT / "tests/data/bundles/made-by-0.9.0_HD73108.zip")
    now, before = (pd.read_csv(io.BytesIO(z.read("sed.csv"))) for z in (made, old))
    assert [c for c in now.columns if c not in before.columns] == ["phot", "phot_reason", "lower_limit", "catalog",
                                                                   "survey", "source_id"]  # 0.12: the latter two
    assert list(now["band"]) == ["W1", "W2", "W3", "W4", "J", "H", "Ks"]  # 0.12: the 2MASS association's rows after
    pd.testing.assert_frame_equal(now[list(before.columns)].head(4), before, check_dtype=False)
    manifest = json.loads(made.read("manifest.json"))
    photometry = manifest["photometry"]
    assert photometry["mode"] == "auto" and "Jarrett" in " ".join(photometry["references"])
    assert [b["phot"] for b in photometry["bands"]] == ["profile"] * 4
    assert page_view(parse_query("?target=HD+73108"))["parameters"]["phot"] == "auto"


def test_bundles_made_by_0_9_reproduce_in_their_own_mode(tmp_path):
    for name in ("made-by-0.9.0_HD73108.zip", "made-by-0.9.0_Arp220.zip", "made-by-0.9.0_AT2019dsg.zip"):
        folder = tmp_path / name
        zipfile.ZipFile(ROOT / "tests/data/bundles" / name).extractall(folder)
        done = run_reproduce(folder)
        assert done.returncode == 0, (name, done.stdout[-800:])


def test_phot_travels_in_the_link_and_a_bad_value_is_refused_for_a_download():
    state = parse_query("?target=Arp+220&phot=elliptical")
    assert state.phot == "elliptical" and to_params(state).sed_options.phot == "elliptical"
    assert "phot=elliptical" in to_query(state) and "phot=auto" in to_query(parse_query("?target=x"))
    assert parse_query("?target=x&phot=<b>").notices  # ignored with a notice on the page
    with pytest.raises(TargetError, match="phot is auto, profile, elliptical, aperture"):
        parse_exact("?target=x&phot=isophotal", max_radius=120)


def test_the_resolved_source_light_curve_says_its_level_is_not_the_total_flux(offline_settings, tap):
    from dashboard.pipeline import observe, view
    from dashboard.ui.callbacks.rendering import build_panels
    from dashboard.ui.urlstate import ViewState

    observed = observe("Arp 220", 10, offline_settings)
    shown = view(observed, AnalysisParams())
    assert shown.resolved and RESOLVED_LIGHTCURVE_NOTE.startswith("This source is resolved")
    out = build_panels(observed, ViewState(target="Arp 220", radius=10), "http://x/")
    assert out["phot_note"].startswith("Photometry:")


def test_a_forced_photometry_that_falls_back_says_so_under_the_sed(offline_view):
    """HD 73108's real AllWISE row has no aperture magnitudes recorded: phot=aperture falls back
    band by band, and the note says why instead of "profile fit in every band"."""
    shown = offline_view("HD 73108", 5, AnalysisParams(sed_options=SedOptions(phot="aperture")))
    note = panels.photometry_note(shown)
    assert "phot=aperture asked, but w?mag is not recorded" in note and "W1–W4" in note
    plain = panels.photometry_note(offline_view("HD 73108", 5))  # three bands saturated: said (issue 41 item 5)
    assert plain.startswith("Photometry: profile fit (w?mpro) in every band, saturated or not.")
    assert "saturated in W1, W2, W3" in plain
