"""Tables a view adds on request (issue 28, items 3-5): the AllWISE Reject Table (``add=psr``),
CatWISE2020 (``add=catwise``) and unWISE (``add=unwise``), through the local TAP server.

No recording holds reject-table, CatWISE2020 or unWISE rows: every such row here is CONSTRUCTED
(placed beside AT2019dsg's real AllWISE source, with made-up photometry) and says so. The AllWISE,
multi-epoch and NEOWISE rows are the real recorded ones."""

from __future__ import annotations

import io
import json
import math
import zipfile
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from test_cli import cli

from conftest import run_reproduce
from dashboard.app import create_app
from dashboard.archive import offline
from dashboard.core.model import Cone
from dashboard.pipeline import observe, view
from dashboard.provenance.bundle import build_bundle
from dashboard.science.analysis import AnalysisParams
from dashboard.science.deeper import CATWISE_EPOCH_MJD
from dashboard.science.motion import ALLWISE_EPOCH_MJD
from dashboard.science.photometry import mag_to_jy
from dashboard.ui import figures, panels
from dashboard.ui.urlstate import parse_query, to_query
from tap_server import Fault

AT2019DSG = Cone(314.26238, 14.20441, 2.5)
TARGET = "314.26238 14.20441"


def allwise_source() -> pd.Series:
    return offline.query("allwise_p3as_psd", AT2019DSG).rows.iloc[0]


def constructed_catwise(pm_arcsec_yr: float = 0.0, offset_arcsec: float = 0.3) -> pd.DataFrame:
    """CONSTRUCTED CatWISE2020 row: at the AllWISE source's position (plus ``offset_arcsec`` north)
    moved to MJD 57170 by a proper motion of ``pm_arcsec_yr`` to the north; W1 15.10, W2 14.60."""
    src = allwise_source()
    years = (CATWISE_EPOCH_MJD - ALLWISE_EPOCH_MJD) / 365.25
    dec_pm = float(src["dec"]) + (offset_arcsec + pm_arcsec_yr * years) / 3600
    return pd.DataFrame([{"source_name": "J205702.96+141216.2", "ra": float(src["ra"]), "dec": dec_pm,
                          "ra_pm": float(src["ra"]), "dec_pm": dec_pm, "pmra": 0.0, "pmdec": pm_arcsec_yr,
                          "meanobsmjd": 57000.0, "w1mpro": 15.10, "w1sigmpro": 0.02, "w2mpro": 14.60,
                          "w2sigmpro": 0.03, "w1snr": 50.0, "w2snr": 30.0, "cc_flags": "0000", "ab_flags": "00"}])


def constructed_unwise(w1_mag: float = 15.0) -> pd.DataFrame:
    """CONSTRUCTED unWISE row 0.2" from the AllWISE source: W1 flux for ``w1_mag`` in Vega
    nanomaggies, W2 flux <= 0 (no magnitude)."""
    src = allwise_source()
    return pd.DataFrame([{"ra": float(src["ra"]), "dec": float(src["dec"]) + 0.2 / 3600,
                          "flux_1": 10 ** ((22.5 - w1_mag) / 2.5), "dflux_1": 50.0, "flux_2": -3.0, "dflux_2": 40.0}])


def constructed_rejects() -> pd.DataFrame:
    """CONSTRUCTED reject-table row 1.5" from a position with no catalog source (a copy of
    AT2019dsg's real catalog row, moved), and the cone centre for it."""
    row = allwise_source().copy()
    row["ra"], row["dec"], row["designation"] = 10.0, 30.0 + 1.5 / 3600, "J004000.00+300001.5"
    return pd.DataFrame([row])


def test_catwise_and_unwise_join_the_sed_with_their_own_rows(settings, tap):
    tap.extra_rows["catwise_2020"] = constructed_catwise()
    tap.extra_rows["unwise_2019"] = constructed_unwise()
    observed = observe(TARGET, 2.5, settings, add=("catwise", "unwise"))
    assert not observed.observations.failures
    shown = view(observed, AnalysisParams())
    sed = shown.sed
    assert list(sed["catalog"]) == (["allwise_p3as_psd"] * 4 + ["2mass_psc"] * 3  # the row's 2MASS association
                                    + ["catwise_2020"] * 2 + ["unwise_2019"] * 2)
    assert (sed["phot"][sed["catalog"] != "2mass_psc"] == "profile").all()
    cat = sed[sed["catalog"] == "catwise_2020"].set_index("band")
    assert cat.loc["W1", "flux_jy"] == pytest.approx(float(mag_to_jy(15.10, "W1")), rel=1e-12)
    unw = sed[sed["catalog"] == "unwise_2019"].set_index("band")
    assert unw.loc["W1", "mag"] == pytest.approx(15.0) and unw.loc["W1", "flux_jy"] == pytest.approx(
        float(mag_to_jy(15.0, "W1")))
    assert not unw.loc["W2", "measured"] and "no W2 magnitude" in unw.loc["W2", "note"]
    # the AllWISE rows are exactly the view without the added tables
    plain = view(observe(TARGET, 2.5, settings), AnalysisParams()).sed
    pd.testing.assert_frame_equal(sed.iloc[:7].reset_index(drop=True), plain)  # WISE and 2MASS rows
    assert "catwise_2020" in panels.photometry_note(shown)
    traces = [t["name"] for t in figures.sed_figure(shown)["data"]]
    assert "CatWISE2020 (W1, W2)" in traces and "unWISE (W1, W2)" in traces


def test_catwise_proper_motion_carries_its_position_back_to_the_allwise_epoch(settings, tap):
    # 0.8"/yr to the north: at MJD 57170 the row is 10.6" from the AllWISE position, back at 55400 it is 0.3"
    tap.extra_rows["catwise_2020"] = constructed_catwise(pm_arcsec_yr=0.8)
    shown = view(observe(TARGET, 20, settings, add=("catwise",)), AnalysisParams())
    match = shown.deeper[0]
    assert match.matched and match.separation_arcsec == pytest.approx(0.3, abs=0.02)
    assert "CatWISE2020 pmra/pmdec" in match.motion
    tap.extra_rows["catwise_2020"] = constructed_catwise(offset_arcsec=5.0)  # beyond the 3" match radius
    missed = view(observe(TARGET, 20.5, settings, add=("catwise",)), AnalysisParams())
    assert not missed.deeper[0].matched and "No CatWISE2020 Catalog row within 3″" in missed.deeper[0].note
    assert "catwise_2020" not in set(missed.sed["catalog"])


def test_the_reject_table_is_offered_listed_apart_and_never_selected(settings, tap):
    tap.extra_rows["allwise_p3as_psr"] = constructed_rejects()
    plain = view(observe("10 30", 5, settings), AnalysisParams())
    assert plain.sources.empty and "allwise_p3as_psr" not in tap.requests  # asked only on request
    state = parse_query("?target=10+30&r=5")
    offer = panels.reject_offer(plain, state.added_tables, to_query(replace(state, added_tables=("psr",))))
    assert offer is not None and "add=psr" in offer.children[1].href
    assert "No AllWISE catalog source within 5″" in offer.children[0]
    shown = view(observe("10 30", 5, settings, add=("psr",)), AnalysisParams())
    assert shown.selection is None and shown.sed.empty and len(shown.rejects) == 1
    section = panels.rejects_section(shown)
    assert "rejects: not catalog sources" in section[0].children
    files = zipfile.ZipFile(io.BytesIO(build_bundle(shown, settings))).namelist()
    assert "rejects.csv" in files and "raw/allwise_p3as_psr.vot" in files


def test_a_failed_added_table_is_named_and_leaves_the_rest(settings, tap, tmp_path):
    tap.extra_rows["unwise_2019"] = constructed_unwise()
    tap.faults["catwise_2020"] = Fault(http_status=500)
    client = create_app(settings).server.test_client()
    reply = client.get("/bundle.zip?target=314.26238+14.20441&r=2.5&add=catwise,unwise")
    assert reply.status_code == 200
    assert "catwise_2020=" in reply.headers["X-WISE-Failures"]
    zf = zipfile.ZipFile(io.BytesIO(reply.data))
    assert "catwise_2020" in zf.read("FAILURES.txt").decode()
    assert "raw/unwise_2019.vot" in zf.namelist() and "raw/allwise_p3as_psd.vot" in zf.namelist()
    manifest = json.loads(zf.read("manifest.json"))
    assert manifest["view"]["parameters"]["add"] == "catwise,unwise"
    assert any("Schlafly" in c for c in manifest["citations"])
    assert b"Schlafly2019" in zf.read("CITATION.bib") and b"Marocco2021" not in zf.read("CITATION.bib")
    env = {"WISE_TAP_URL": tap.url, "WISE_CACHE_DIR": str(tmp_path / "c"), "WISE_TIMEOUT_CONNECT_S": "2"}
    out = cli("fetch", TARGET, "--radius", "2.4", "--add", "catwise,unwise", env=env)
    assert out.returncode == 3 and "catwise_2020: FAILED" in out.stdout
    assert "SED W1 unwise_2019" in out.stdout
    assert cli("fetch", TARGET, "--add", "gaia", env=env).returncode == 2


def test_added_tables_are_cached_and_a_bundle_with_them_reproduces(settings, tap, tmp_path):
    tap.extra_rows["catwise_2020"] = constructed_catwise()
    tap.extra_rows["unwise_2019"] = constructed_unwise()
    tap.extra_rows["allwise_p3as_psr"] = constructed_rejects()
    first = observe(TARGET, 2.5, settings, add=("psr", "catwise", "unwise"))
    again = observe(TARGET, 2.5, settings, add=("psr", "catwise", "unwise"))
    assert {r.provenance.source for r in again.observations.results.values()} == {"hit"}
    assert {t: tap.requests.get(t) for t in ("catwise_2020", "unwise_2019", "allwise_p3as_psr")} == {
        "catwise_2020": 1, "unwise_2019": 1, "allwise_p3as_psr": 1}
    zipfile.ZipFile(io.BytesIO(build_bundle(view(first, AnalysisParams()), settings))).extractall(tmp_path / "b")
    done = run_reproduce(tmp_path / "b")
    assert done.returncode == 0, done.stdout[-800:]


def test_add_travels_in_the_link_and_an_unknown_table_is_a_notice():
    state = parse_query("?target=x&add=unwise,psr")
    assert state.added_tables == ("psr", "unwise") and "add=psr%2Cunwise" in to_query(state)
    assert "add=" not in to_query(parse_query("?target=x"))
    odd = parse_query("?target=x&add=<script>")
    assert odd.added_tables == () and "Known: psr, catwise, unwise" in odd.notices[0]
    assert "<script>" not in to_query(odd)


def test_the_batch_summary_has_ext_flg_and_photometry_per_band(offline_settings, tmp_path):
    from dashboard.batch import service

    targets = service.read("id,target,radius\narp,Arp 220,10\nhd,HD 73108,5\n", offline_settings)
    table = service.run(targets, offline_settings).table.set_index("id")
    arp = table.loc["arp"]
    assert arp["ext_flg"] == 5 and [arp[f"phot_w{b}"] for b in range(1, 5)] == ["profile"] * 4
    single = view(observe("HD 73108", 5, offline_settings), AnalysisParams())
    hd = table.loc["hd"]
    assert [hd[f"sat_w{b}"] for b in range(1, 5)] == list(single.sed["saturated"])[:4]  # WISE, not 2MASS
    assert [hd[f"phot_w{b}"] for b in range(1, 5)] == list(single.sed["phot"])[:4]
    assert not math.isnan(float(np.sum([hd[f"sat_w{b}"] for b in range(1, 5)])))


def test_a_gaia_counterpart_s_motion_is_used_for_the_catwise_match_when_there_is_one():
    """CONSTRUCTED: a Gaia DR3 source moving 500 mas/yr north, its AllWISE source where it was at
    MJD 55400, and a CatWISE2020 row where it was at MJD 57170 whose own catalogued motion is 0:
    only the Gaia motion brings the two together."""
    from dashboard.science.deeper import catwise_rows
    from dashboard.science.motion import Motion
    from dashboard.science.select import Selection

    gaia = Motion("42", 150.0, 2.0, 0.0, 500.0, None, 2016.0)
    ra0, dec0 = (float(v[0]) for v in gaia.positions(np.array([ALLWISE_EPOCH_MJD])))
    ra1, dec1 = (float(v[0]) for v in gaia.positions(np.array([CATWISE_EPOCH_MJD])))
    assert (dec1 - dec0) * 3600 > 2.0  # farther apart than most of the 3" match radius
    selection = Selection("k", "WISEA J", None, None, ra0, dec0, 0.0, "nearest")
    rows = constructed_catwise().assign(ra=ra1, dec=dec1, ra_pm=ra1, dec_pm=dec1 + 0.1 / 3600, pmdec=0.0)
    found, match = catwise_rows(rows, selection, 1.0, (gaia,))
    assert match.matched and match.separation_arcsec == pytest.approx(0.1, abs=0.01)
    assert match.motion.startswith("Gaia DR3 42") and match.as_dict()["gaia_motion"]["gaia_dr3_source_id"] == "42"
    assert [r["band"] for r in found] == ["W1", "W2"]
    _, without = catwise_rows(rows, selection, 1.0, ())  # its own (zero) motion: 2.4" off, no match
    assert not without.matched and without.motion.startswith("CatWISE2020 pmra/pmdec")
