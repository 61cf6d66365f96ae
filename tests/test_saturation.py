"""Saturation (issue 28, item 2): catalog bands and NEOWISE epochs marked by one written rule,
epochs cut per band by the `sat` epoch cut (on by default), the onsets stated as unverified.

Real rows where they exist: the Arp 220 field (WISE All-Sky rows; w4sat <= 0.005 from charged-
particle hits, none saturated), HD 73108 (a Cohen standard, W1 -0.34 mag, far past the onset).
No recording holds a saturated NEOWISE epoch: those tests put CONSTRUCTED magnitudes into the
real AT2019dsg rows, and say so."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np

from conftest import ROOT, run_reproduce
from dashboard.config import Settings
from dashboard.provenance.bundle import build_bundle
from dashboard.science.analysis import AnalysisParams
from dashboard.science.quality import ALL_CUTS, EpochCuts
from dashboard.science.saturation import SATURATED_FRACTION
from dashboard.ui import panels
from dashboard.ui.urlstate import parse_query


def test_charged_particle_hits_are_not_saturation_on_the_arp220_rows(offline_view):
    view = offline_view("Arp 220", 60)
    sats = view.sources[[f"w{b}sat" for b in "1234"]].to_numpy(float)
    assert np.nanmax(sats) <= 0.005 < SATURATED_FRACTION and (sats > 0).any()  # hits are there
    wise = view.sed[view.sed["band"].str.startswith("W")]  # 2MASS J, H, Ks carry no w?sat
    assert not view.sed["saturated"].any() and wise["sat"].notna().all()
    assert not any(r[f"w{b}_saturated"] for r in panels.source_rows(view) for b in "1234")


def test_a_bright_star_is_marked_saturated_in_its_sed_and_table(offline_view):
    view = offline_view("HD 73108", 5)
    assert list(view.sed["saturated"])[:4] == [True, True, True, False]  # W1 -0.34, W2 0.10, W3 1.82 < 3.8
    row = panels.source_rows(view)[0]
    assert [row[f"w{b}_saturated"] for b in "1234"] == [True, True, True, False]
    from dashboard.ui.figures import sed_figure

    traces = sed_figure(view)["data"]
    assert "saturated (biased)" in [t["name"] for t in traces]  # W3: a saturated detection has its own marker
    hover = " ".join(h for t in traces for h in t.get("hovertext", []))
    assert "saturated (W1 brighter than the catalog onset 8.1 mag or w1sat > 0.05)" in hover and "NOT VERIFIED" in hover
    detail = panels.source_detail([row])
    assert "saturated (brighter than the catalog's 3.8 mag onset; biased)" in str(detail)
    # W1 -0.342 and W2 0.100 carry ph_qual U: a 424 Jy star is saturated, never "fainter than" (issue 41)
    assert "fainter than" not in str(detail) and str(detail).count("is the profile fit of saturated pixels") == 2
    assert "95% confidence upper limit" not in str(detail)  # the U flag's meaning is not contradicted beside it
    # the SED draws the saturated U bands as saturated fits, never as limits, and its note says so (issue 41)
    marked = {t["name"]: [h.split(" ")[0] for h in t["hovertext"]] for t in traces if "hovertext" in t}
    assert marked["saturated (biased)"] == ["W1", "W2", "W3"] and "95% upper limit" not in marked
    assert "a saturated fit, not a limit" in hover and "(95% upper limit)" not in hover
    note = panels.photometry_note(view)
    assert "saturated in W1, W2, W3" in note and "in every band." not in note


def _bright_epochs(offline_settings, w1=None, w2=None):
    """CONSTRUCTED: AT2019dsg's real NEOWISE rows with W1 (and/or W2) set brighter than the onset."""
    from dashboard.pipeline import observe

    observed = observe("AT2019dsg", 2.5, offline_settings)
    rows = observed.observations.results["neowiser_p1bs_psd"].rows
    if w1 is not None:
        rows.loc[w1, "w1mpro"] = 7.0
    if w2 is not None:
        rows.loc[w2, "w2mpro"] = 6.0
    return observed


def _bright_epochs_of_first_visit(offline_settings):
    """CONSTRUCTED: every W1 of AT2019dsg's first NEOWISE visit set to 7.0 mag."""
    from dashboard.pipeline import observe

    observed = observe("AT2019dsg", 2.5, offline_settings)
    rows = observed.observations.results["neowiser_p1bs_psd"].rows
    first = rows["mjd"] < rows["mjd"].min() + 10
    rows.loc[first, "w1mpro"] = 7.0
    return observed


def test_the_sat_cut_removes_a_saturated_band_and_keeps_the_other(offline_settings):
    from dashboard.pipeline import view

    observed = _bright_epochs(offline_settings, w1=slice(0, 9))
    shown = view(observed, AnalysisParams())
    neo = shown.lightcurve.epochs[shown.lightcurve.epochs["table"] == "neowiser_p1bs_psd"]
    w1 = neo[(neo["band"] == "W1") & neo["saturated"]]
    assert len(w1) == 10 and not w1["passed"].any()
    assert all("saturated in W1: 7.00 mag (brighter than 8)" in r for r in w1["reasons"])
    same_mjd = neo[(neo["band"] == "W2") & neo["mjd"].isin(w1["mjd"])]
    assert not same_mjd["saturated"].any() and not same_mjd["reasons"].str.contains("saturated").any()
    report = next(f for f in shown.filters if f.column.startswith("w1mpro, w2mpro") and f.table == "neowiser_p1bs_psd")
    assert report.removed == 10 and "NOT VERIFIED" in report.criterion
    off = view(observed, AnalysisParams(epoch_cuts=EpochCuts(tuple(t for t in ALL_CUTS if t != "sat"))))
    neo_off = off.lightcurve.epochs[off.lightcurve.epochs["table"] == "neowiser_p1bs_psd"]
    assert neo_off[neo_off["saturated"]]["reasons"].str.contains("saturated").sum() == 0
    from dashboard.ui.figures import lightcurve_figure

    whole = _bright_epochs_of_first_visit(offline_settings)  # a whole visit saturated: not outliers of it
    off = view(whole, AnalysisParams(epoch_cuts=EpochCuts(tuple(t for t in ALL_CUTS if t != "sat"))))
    drawn = {t.get("name"): t for t in lightcurve_figure(off)["data"]}  # kept, they get their own marker
    assert drawn["W1 saturated exposures (biased)"]["marker"]["symbol"] == "diamond-open"
    assert "W1 saturated exposures (biased)" not in {t.get("name") for t in lightcurve_figure(shown)["data"]}


def test_sat_is_on_by_default_and_a_spelled_out_link_keeps_what_it_says():
    assert "sat" in parse_query("?target=x").epoch_cuts
    assert "sat" not in parse_query("?target=x&cuts=nb,na,cc").epoch_cuts


def test_a_star_saturated_in_every_epoch_gets_a_notice(offline_settings):
    from dashboard.pipeline import view

    observed = _bright_epochs(offline_settings, w1=slice(None), w2=slice(None))
    for t in ("allwise_p3as_mep",):  # only the NEOWISE rows in this constructed case
        observed.observations.results.pop(t, None)
    shown = view(observed, AnalysisParams())
    notice = panels.saturation_notice(shown)
    assert "Every W1/W2 epoch is saturated" in notice and "untick it" in notice


def test_the_manifest_states_the_onsets_as_unverified_and_old_bundles_reproduce(offline_view, tmp_path):
    zf = zipfile.ZipFile(io.BytesIO(build_bundle(offline_view("HD 73108", 5), Settings())))
    manifest = json.loads(zf.read("manifest.json"))
    assert manifest["saturation"]["verified"] is False and manifest["saturation"]["saturated_fraction"] == 0.05
    assert any(c["token"] == "sat" and c["enabled"] for c in manifest["epoch_cuts"])
    # bundles made by 0.8.0 (before the saturation columns) reproduce in their own mode
    for name in ("made-by-0.8.0_HD73108.zip", "made-by-0.8.0_Arp220.zip", "made-by-0.8.0_AT2019dsg.zip"):
        folder = tmp_path / name
        zipfile.ZipFile(ROOT / "tests/data/bundles" / name).extractall(folder)
        done = run_reproduce(folder)
        assert done.returncode == 0, (name, done.stdout[-800:])
