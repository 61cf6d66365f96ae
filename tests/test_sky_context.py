"""The sky context (#17) end to end against local stand-ins that speak each service's protocol
(``sky_servers.py``): IRSA SIA2 -> ObsCore VOTable -> FITS cutout with a real WCS header; SIMBAD
and Gaia TAP. The cutout and the SIMBAD/Gaia rows are CONSTRUCTED (no recording of these services
exists; marked in sky_servers.py); the AllWISE and NEOWISE rows are the real recorded ones."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import replace
from urllib.parse import parse_qs, urlparse

import numpy as np
import pandas as pd
import pytest
from astropy.io import fits
from astropy.wcs import WCS
from sky_servers import Fault, gaia_row

from conftest import constructed_multi_source
from dashboard.archive.adql import gaia_cone_query
from dashboard.core.errors import (
    ServiceHttpError,
    ServiceMalformedReply,
    ServiceOffline,
    ServiceTimeout,
    ServiceUnreachable,
)
from dashboard.core.geometry import separation_arcsec
from dashboard.core.model import Cone, Target
from dashboard.pipeline import observe, view, with_sky
from dashboard.provenance.bundle import build_bundle
from dashboard.provenance.reproduce import recompute
from dashboard.science.analysis import AnalysisParams
from dashboard.science.motion import Motion
from dashboard.science.select import sources_table
from dashboard.sky.blending import BEAM_ARCSEC, blending
from dashboard.sky.context import IMAGE_MARGIN_ARCSEC, fetch_context
from dashboard.sky.identify import counterpart, gaia_table, motions, simbad_table
from dashboard.sky.linkouts import linkouts
from dashboard.ui import figures
from dashboard.ui.urlstate import parse_query, to_query

CONE = Cone(10.0, 20.0, 10.0)


def test_sia2_query_then_cutout_in_irsas_form_with_a_real_wcs(sky, sky_settings):
    sky.image_sources = [(CONE.ra, CONE.dec, 500.0)]
    context = fetch_context(CONE, "W2", sky_settings)
    assert context.failures == {}
    image = context.replies["image"]
    query = parse_qs(urlparse(image.request).query)
    assert urlparse(image.request).path.endswith("tile-w2-int-3.fits")  # the W2 science image, not its unc map
    assert query == {"center": ["10.000000,20.000000deg"], "size": [f"{2 * (10 + IMAGE_MARGIN_ARCSEC):.1f}arcsec"],
                     "gzip": ["false"]}
    assert context.image_query.endswith("COLLECTION=wise_allwise")
    header = fits.getheader(io.BytesIO(image.raw))
    assert header["CTYPE1"] == "RA---TAN" and header["BAND"] == "W2"
    cutout = context.cutout()
    assert cutout.orientation() == (True, True)  # east left, north up, from the WCS
    assert cutout.pixel_scale_arcsec() == pytest.approx(1.375)
    assert [r.split()[0] for r in sky.requests].count("sia") == 1  # the query endpoint alone, asked once


def test_the_overlay_puts_a_source_on_the_pixel_its_wcs_says(sky, sky_settings):
    star = (CONE.ra + 6 / 3600 / np.cos(np.radians(CONE.dec)), CONE.dec - 4 / 3600)  # 6" E, 4" S
    sky.image_sources = [(*star, 900.0)]
    cutout = fetch_context(CONE, "W1", sky_settings).cutout()
    x, y = cutout.to_pixels(np.array([star[0]]), np.array([star[1]]))
    expected = tuple(float(v) for v in WCS(fits.Header.fromstring(cutout.header_text)).world_to_pixel_values(*star))
    assert (x[0], y[0]) == pytest.approx(expected)
    peak_y, peak_x = np.unravel_index(np.argmax(cutout.data), cutout.data.shape)
    assert abs(peak_x - x[0]) <= 1 and abs(peak_y - y[0]) <= 1  # the light is where the marker goes
    assert x[0] < (cutout.data.shape[1] - 1) / 2 < x[0] + 10  # east of centre: left, on this image
    fig = figures.sky_figure(cutout, "W1", CONE.ra, CONE.dec, CONE.radius_arcsec,
                             {"Gaia DR3": (np.array([star[0]]), np.array([star[1]]), ["<b>star</b>"])})
    trace = next(t for t in fig["data"] if t.get("name") == "Gaia DR3")
    assert (trace["x"][0], trace["y"][0]) == pytest.approx((x[0], y[0]), abs=0.01)
    assert trace["text"] == ["&lt;b&gt;star&lt;/b&gt;"]  # hover text is escaped
    ring = next(t for t in fig["data"] if str(t.get("name", "")).startswith("cone"))
    radius_px = np.hypot(np.array(ring["x"]) - (cutout.data.shape[1] - 1) / 2,
                         np.array(ring["y"]) - (cutout.data.shape[0] - 1) / 2)
    assert radius_px == pytest.approx(10 / 1.375, rel=0.01)


@pytest.mark.parametrize("service,key", [("sia", "image"), ("cutout", "image"), ("simbad", "simbad"),
                                         ("gaia", "gaia")])
@pytest.mark.parametrize("fault,kind,words", [
    (Fault(hang_s=2.0), ServiceTimeout, "did not answer in 1 s"),
    (Fault(http_status=500), ServiceHttpError, "answered HTTP 500"),
    (Fault(malformed=True), ServiceMalformedReply, "not a readable"),
])
def test_each_service_fails_alone_with_its_own_message(sky, sky_settings, service, key, fault, kind, words):
    sky.faults[service] = fault
    sky.simbad_rows = pd.DataFrame([{"main_id": "V* X", "otype": "YSO", "ra": CONE.ra, "dec": CONE.dec}])
    sky.gaia_rows = pd.DataFrame([gaia_row(1, CONE.ra, CONE.dec)])
    context = fetch_context(CONE, "W1", sky_settings)
    assert set(context.failures) == {key}
    error = context.failures[key]
    assert isinstance(error, kind) and words in str(error)
    assert str(error).startswith({"image": "IRSA's image service", "simbad": "SIMBAD", "gaia": "Gaia archive"}[key])
    assert set(context.replies) == {"image", "simbad", "gaia"} - {key}  # the others answered


def test_a_failure_is_never_cached_and_an_answer_is(sky, sky_settings):
    sky.faults["simbad"] = Fault(http_status=503)
    assert "simbad" in fetch_context(CONE, "W1", sky_settings).failures
    sky.faults.clear()
    second = fetch_context(CONE, "W1", sky_settings)
    assert "simbad" in second.replies and "simbad" not in second.from_cache  # asked again, not the failure
    asked = len(sky.requests)
    third = fetch_context(CONE, "W1", sky_settings)
    assert len(sky.requests) == asked  # everything from the cache now
    assert third.from_cache == {"sia", "image", "simbad", "gaia"}


def test_an_unreachable_service_is_told_as_such_and_remembered_briefly(settings):
    context = fetch_context(CONE, "W1", settings)  # conftest points the services at a closed port
    assert {type(e) for e in context.failures.values()} == {ServiceUnreachable}
    again = fetch_context(CONE, "W1", settings)
    assert all("remembered" in str(e) for e in again.failures.values())


def test_offline_the_panel_says_what_it_would_show_and_asks_nothing(offline_settings, sky):
    context = fetch_context(CONE, "W1", replace(offline_settings, sia_url=sky.sia_url))
    assert {type(e) for e in context.failures.values()} == {ServiceOffline}
    assert "would" not in str(context.failures["image"]) and "cannot show the AllWISE image" in str(
        context.failures["image"])
    assert sky.requests == []


def test_identification_tables_are_nearest_first_and_keep_gaia_ids_exact(sky, sky_settings):
    sky.simbad_rows = pd.DataFrame([{"main_id": "far", "otype": "G", "ra": CONE.ra, "dec": CONE.dec + 8 / 3600},
                                    {"main_id": "near", "otype": "*", "ra": CONE.ra, "dec": CONE.dec + 1 / 3600},
                                    {"main_id": "outside", "otype": "*", "ra": CONE.ra, "dec": CONE.dec + 30 / 3600}])
    big = 6917528997577384320  # > 2**53: a float would change it
    sky.gaia_rows = pd.DataFrame([gaia_row(big, CONE.ra, CONE.dec + 2 / 3600,
                                           original_ext_source_id="J004000.00+200002.0")])
    context = fetch_context(CONE, "W1", sky_settings)
    simbad = simbad_table(context.rows("simbad"), CONE.ra, CONE.dec)
    assert list(simbad["main_id"]) == ["near", "far"]  # the one 30" out is beyond cone + beam
    assert simbad["separation_arcsec"].tolist() == pytest.approx([1.0, 8.0], abs=1e-6)
    gaia = gaia_table(context.rows("gaia"), CONE.ra, CONE.dec)
    assert gaia["source_id"].tolist() == [str(big)]
    assert counterpart(context.rows("gaia"), "WISEA J004000.00+200002.0")["source_id"] == big
    assert counterpart(context.rows("gaia"), "J004000.00+200003.0") is None


def test_blending_counts_allwise_and_gaia_neighbours_in_the_beam_with_the_stated_relation():
    # real AllWISE rows (the Cohen stars') placed 0", 4" and 8" apart: CONSTRUCTED, see conftest
    sources = sources_table(constructed_multi_source(), Target("t", 10.0, 20.0, "coordinates"))
    me = sources.iloc[0]
    gaia = pd.DataFrame([
        gaia_row(1, 10.0, 20.0, phot_g_mean_mag=10.0, bp_rp=1.0, original_ext_source_id=me["designation"]),
        gaia_row(2, 10.0, 20.0 + 3 / 3600, phot_g_mean_mag=12.5, bp_rp=1.2),  # same colour: share estimated
        gaia_row(3, 10.0, 20.0 - 5 / 3600, phot_g_mean_mag=13.0, bp_rp=3.0),  # colours differ: not estimated
        gaia_row(4, 10.0, 20.0 + 7 / 3600, phot_g_mean_mag=11.0, bp_rp=1.0),  # outside the 6.1" beam
    ])
    report = blending(sources, me["key"], gaia)
    names = [(n.catalog, n.name) for n in report.neighbours]
    assert names == [("Gaia DR3", "2"), ("AllWISE", f"WISEA {sources.iloc[1]['key']}"), ("Gaia DR3", "3")]
    gaia2 = report.neighbours[0]
    assert gaia2.w1_share == pytest.approx(10 ** (-0.4 * 2.5) / (1 + 10 ** (-0.4 * 2.5)))
    assert report.neighbours[2].w1_share is None and "not estimated" in report.neighbours[2].basis
    allwise = report.neighbours[1]
    f_me, f_other = 10 ** (-0.4 * me["w1mpro"]), 10 ** (-0.4 * sources.iloc[1]["w1mpro"])
    assert allwise.separation_arcsec == pytest.approx(4.0, abs=0.01) and allwise.separation_arcsec < BEAM_ARCSEC
    assert allwise.w1_share == pytest.approx(f_other / (f_me + f_other))
    assert "3 other source(s)" in report.summary()


def moved(observations, motion: Motion, ra: float, dec: float):
    """CONSTRUCTED: the real recorded epochs, each displaced by where ``motion`` carries the
    source at its MJD relative to the AllWISE position (no recorded target moves this fast)."""
    out = replace(observations, results=dict(observations.results))
    for table in ("neowiser_p1bs_psd", "allwise_p3as_mep"):
        result = observations.results[table]
        rows = result.rows.copy()
        at_ra, at_dec = motion.positions(rows["mjd"].to_numpy(float))
        rows["ra"] = rows["ra"] + (at_ra - ra)
        rows["dec"] = rows["dec"] + (at_dec - dec)
        out.results[table] = replace(result, rows=rows)
    return out


def test_proper_motion_recovers_the_epochs_a_fixed_position_loses_and_replays_offline(offline_settings, tmp_path):
    observed = observe("AT2019dsg", 2.5, offline_settings)
    still = view(observed, AnalysisParams())
    sel = still.selection
    # 1.2"/yr, referenced so that the source sits on its AllWISE position at MJD 55400 (2010.56);
    # the recording has no designation, so the counterpart is found by position at that epoch
    pm = (900.0, -800.0)
    years = 2016.0 - (2000.0 + (55400.0 - 51544.5) / 365.25)
    ra16 = sel.ra + pm[0] / 3.6e6 * years / np.cos(np.radians(sel.dec))
    dec16 = sel.dec + pm[1] / 3.6e6 * years
    motion = Motion("4242", ra16, dec16, pm[0], pm[1], 5.0, 2016.0)
    fast = replace(observed, observations=moved(observed.observations, motion, sel.ra, sel.dec))
    lost = view(fast, AnalysisParams())
    found = view(fast, AnalysisParams(counterparts=(motion,)))
    n_still, n_lost, n_found = (len(v.lightcurve.epochs) for v in (still, lost, found))
    assert n_lost < n_still  # the fixed position loses the late epochs
    assert n_found == n_still  # matched to the moving position, every epoch is back
    lost_rows = sum(c["beyond_match_radius"] for c in lost.match_counts.values())
    assert found.motion is not None and found.motion.recovered_epochs == lost_rows > 0  # exposures (rows)
    assert sum(c["beyond_match_radius"] for c in found.match_counts.values()) == 0
    assert found.motion.drift_arcsec > 3.0 and "recovered" in found.motion.note()
    # in the manifest with what reproduce.py needs, and replayed offline
    data = build_bundle(found, offline_settings)
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("manifest.json"))
    assert manifest["proper_motion"]["pmra_mas_per_yr"] == 900.0
    assert manifest["proper_motion"]["ref_epoch_jyear"] == 2016.0
    assert manifest["proper_motion"]["epochs_recovered"] == found.motion.recovered_epochs
    zipfile.ZipFile(io.BytesIO(data)).extractall(tmp_path)
    again = recompute(tmp_path)
    assert again["lightcurve_epochs.csv"] == (tmp_path / "lightcurve_epochs.csv").read_bytes()


def test_a_slow_or_unmatched_counterpart_changes_nothing(offline_settings):
    observed = observe("AT2019dsg", 2.5, offline_settings)
    sel = view(observed, AnalysisParams()).selection
    slow = Motion("1", sel.ra, sel.dec, 5.0, 5.0, 1.0, 2016.0)
    fast_other = Motion("2", sel.ra + 2 / 3600, sel.dec, 5000.0, 0.0, 1.0, 2016.0)  # 30" away in 2010
    for m in (slow, fast_other):
        shown = view(observed, AnalysisParams(counterparts=(m,)))
        assert shown.motion is None


def test_link_outs_open_the_same_position_in_each_documented_form():
    cone = Cone(314.26238, 14.20441, 5.0)
    links = dict(linkouts(cone))
    def q(url: str) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
    simbad = urlparse(links["SIMBAD"])
    assert (simbad.netloc, simbad.path) == ("simbad.cds.unistra.fr", "/simbad/sim-coo")
    assert q(links["SIMBAD"]) == {"Coord": "314.262380 +14.204410", "Radius": "5", "Radius.unit": "arcsec"}
    gaia = q(links["Gaia archive (DR3 cone, CSV)"])
    assert links["Gaia archive (DR3 cone, CSV)"].startswith("https://gea.esac.esa.int/tap-server/tap/sync?")
    assert gaia["REQUEST"] == "doQuery" and gaia["LANG"] == "ADQL" and gaia["QUERY"] == gaia_cone_query(cone)
    finder = urlparse(links["IRSA Finder Chart"])
    assert finder.path == "/cgi-bin/FinderChart/nph-finder" and q(links["IRSA Finder Chart"]) == {
        "locstr": "314.262380 +14.204410"}
    assert q(links["ESASky"])["target"] == "314.262380 +14.204410"
    legacy = q(links["Legacy Surveys"])
    assert (legacy["ra"], legacy["dec"]) == ("314.262380", "+14.204410")


def test_the_bundle_carries_the_cutout_identification_and_citations(sky, sky_settings, offline_settings):
    observed = observe("AT2019dsg", 2.5, offline_settings)
    sel = view(observed, AnalysisParams()).selection
    sky.image_sources = [(sel.ra, sel.dec, 500.0)]
    sky.simbad_rows = pd.DataFrame([{"main_id": "AT 2019dsg", "otype": "TDE", "ra": sel.ra, "dec": sel.dec}])
    sky.gaia_rows = pd.DataFrame([gaia_row(77, sel.ra, sel.dec, original_ext_source_id=sel.designation)])
    context = fetch_context(observed.cone, "W3", sky_settings)
    shown = view(observed, with_sky(AnalysisParams(), context))
    files = zipfile.ZipFile(io.BytesIO(build_bundle(shown, offline_settings, context)))
    names = set(files.namelist())
    assert {"image/cutout_w3.fits", "identification/simbad.csv", "identification/gaia.csv"} <= names
    assert files.read("image/cutout_w3.fits") == context.replies["image"].raw  # as received
    manifest = json.loads(files.read("manifest.json"))
    entry = manifest["sky_context"]
    assert entry["image"]["cutout_url"] == context.replies["image"].request and entry["band"] == "W3"
    assert entry["gaia"]["adql"] == gaia_cone_query(replace(observed.cone, radius_arcsec=2.5 + BEAM_ARCSEC))
    assert any("Wenger" in c for c in manifest["citations"]) and any("Vallenari" in c for c in manifest["citations"])
    bib = files.read("CITATION.bib").decode()
    assert "2000A&AS..143....9W" in bib and "2023A&A...674A...1G" in bib
    assert manifest["files"]["image/cutout_w3.fits"]  # checksummed like every file
    # a service that failed is said in the manifest, its file is absent, and it is not cited
    sky.faults["simbad"] = Fault(http_status=500)
    failed = fetch_context(replace(observed.cone, radius_arcsec=2.4), "W3", sky_settings)
    files = zipfile.ZipFile(io.BytesIO(build_bundle(shown, offline_settings, failed)))
    manifest = json.loads(files.read("manifest.json"))
    assert "identification/simbad.csv" not in files.namelist()
    assert manifest["sky_context"]["simbad"]["failed"]["kind"] == "http"
    assert "2000A&AS..143....9W" not in files.read("CITATION.bib").decode()


def test_img_round_trips_in_the_url_and_a_bad_value_is_a_notice():
    state = parse_query("?target=AT2019dsg&img=W4", max_radius=120)
    assert state.image_band == "W4" and "img=W4" in to_query(state)
    bad = parse_query("?target=AT2019dsg&img=<script>", max_radius=120)
    assert bad.image_band == "W1" and any("img is W1, W2, W3 or W4" in n for n in bad.notices)


def test_gaia_motions_are_taken_only_where_astrometry_exists():
    gaia = pd.DataFrame([gaia_row(1, 10, 20), gaia_row(2, 10, 20, pmra=np.nan), gaia_row(3, 10, 20, ref_epoch=None)])
    assert [m.source_id for m in motions(gaia)] == ["1"]
    assert separation_arcsec(np.array([10.0]), np.array([20.0]), 10.0, 20.0)[0] == 0.0


def test_the_page_renders_again_when_the_sky_answers_and_a_moving_counterpart_moves_the_match(offline_settings,
                                                                                              tmp_path):
    """The callbacks (no browser): a Gaia answer re-renders the WISE panels of a view with a
    source (its SED then says what Gaia gave); a fast counterpart also changes the epoch match,
    an unmatched Gaia source does not. CONSTRUCTED motion on the real recorded epochs
    (``moved``); the Gaia reply is built from its astrometry."""
    import uuid

    from dashboard.sky.clients import Reply
    from dashboard.sky.context import SkyContext
    from dashboard.ui import callbacks
    from dashboard.web.handover import handover

    settings = replace(offline_settings, cache_dir=tmp_path / "cache")
    observed = observe("AT2019dsg", 2.5, settings)
    sel = view(observed, AnalysisParams()).selection
    years = 2016.0 - (2000.0 + (55400.0 - 51544.5) / 365.25)
    motion = Motion("99", sel.ra + 900 / 3.6e6 * years / np.cos(np.radians(sel.dec)), sel.dec - 800 / 3.6e6 * years,
                    900.0, -800.0, 5.0, 2016.0)
    fast = replace(observed, observations=moved(observed.observations, motion, sel.ra, sel.dec))
    fetch_id = uuid.uuid4().hex
    handover(settings).put(fetch_id, fast)
    state = parse_query("?target=AT2019dsg&r=2.5", max_radius=120)
    state_data = {k: v for k, v in state.__dict__.items() if k != "notices"}
    fetched = {"fetch_id": fetch_id, "query": {"target": "AT2019dsg", "radius": 2.5}, "error": None}

    def sky_with(gaia_rows: list[dict]) -> dict:
        frame = pd.DataFrame(gaia_rows)
        context = SkyContext(cone=fast.cone, band="W1", replies={"gaia": Reply(frame, b"", "adql", "u", "t")})
        sky_id = uuid.uuid4().hex
        handover(settings).put_sky(sky_id, context)
        return {"sky_id": sky_id, "fetch_id": fetch_id, "band": "W1"}

    still = sky_with([gaia_row(1, sel.ra + 20 / 3600, sel.dec)])  # no counterpart: the SED says so
    assert callbacks.changes_view(settings, still, fetched, state_data)
    moving = sky_with([gaia_row(99, motion.ra, motion.dec, pmra=900.0, pmdec=-800.0, parallax=5.0)])
    assert callbacks.changes_view(settings, moving, fetched, state_data)
    before = callbacks.render(settings, fetched, state_data, "http://host/")
    unmatched = callbacks.render(settings, fetched, state_data, "http://host/", sky_data=still)
    after = callbacks.render(settings, fetched, state_data, "http://host/", sky_data=moving)
    assert "Proper motion applied" not in before["stats"] and "Proper motion applied" in after["stats"]
    assert unmatched["stats"] == before["stats"]  # a Gaia source that is no counterpart moves nothing
    assert "(253 recovered)" in after["stats"]
    assert "Gaia DR3: not asked" in before["phot_note"] and "Gaia DR3: no counterpart" in unmatched["phot_note"]
    # what the second render sends, as the page takes it (rendering.redraw_of): one value per
    # output in their order, only what the sky changed (an unmatched Gaia source: the SED's note;
    # a moving one: the light curve as well), the rest "unchanged"; and the view state it was for
    from dashboard.ui.callbacks.rendering import UNCHANGED, redraw_outputs
    outputs = [str(o) for o in redraw_outputs()]

    def sent_by_output(redraw: dict) -> dict:
        assert len(redraw["values"]) == len(outputs)
        return dict(zip(outputs, redraw["values"], strict=True))

    redraw = callbacks.redraw_of(state_data, before, unmatched, {"sky_id": "s"})
    sent = sent_by_output(redraw)
    assert redraw["state"] == state_data and sent["rendered.data"] == {"sky_id": "s"}
    assert sent["lc-graph.figure"] == UNCHANGED and sent["sources.rowData"] == UNCHANGED
    assert sent["lc-stats.children"] == UNCHANGED
    assert sent["sed-phot-note.children"] == unmatched["phot_note"]
    moved_sent = sent_by_output(callbacks.redraw_of(state_data, before, after, {"sky_id": "s"}))
    assert moved_sent["lc-graph.figure"] != UNCHANGED and moved_sent["lc-stats.children"] == after["stats"]
    assert {k for k, v in sent.items() if v != UNCHANGED} < {k for k, v in moved_sent.items() if v != UNCHANGED}


def test_the_elliptical_aperture_of_the_sed_is_drawn_on_the_image(sky, sky_settings, tap):
    """Through the local TAP server: a CONSTRUCTED galaxy row (test_apertures.constructed_galaxy:
    Arp 220's real row with made-up elliptical photometry) at the cone's centre."""
    from test_apertures import constructed_galaxy

    from dashboard.ui import sky as sky_panel

    galaxy = constructed_galaxy()
    galaxy["ra"], galaxy["dec"], galaxy["designation"] = CONE.ra, CONE.dec, "J004000.00+200000.0"
    tap.extra_rows["allwise_p3as_psd"] = pd.DataFrame([galaxy])
    observed = observe(f"{CONE.ra} {CONE.dec}", 10, sky_settings)
    catalog = observed.observations.results["allwise_p3as_psd"]
    assert b"w1gmag" in catalog.raw_votable and catalog.provenance.source == "live"
    shown = view(observed, AnalysisParams())
    assert list(shown.sed["phot"])[:3] == ["elliptical"] * 3
    context = fetch_context(observed.cone, "W1", sky_settings)
    fig = sky_panel.contents(context, shown)["figure"]
    ellipse = next(t for t in fig["data"] if str(t.get("name", "")).startswith("W1 elliptical aperture 38″"))
    cutout = context.cutout()
    cx, cy = cutout.to_pixels(np.array([CONE.ra]), np.array([CONE.dec]))
    reach = np.hypot(np.array(ellipse["x"]) - cx[0], np.array(ellipse["y"]) - cy[0])
    scale = cutout.pixel_scale_arcsec()
    assert reach.max() * scale == pytest.approx(38.0, rel=0.02)  # semi-major axis
    assert reach.min() * scale == pytest.approx(38.0 * 0.6, rel=0.02)  # semi-minor: b/a 0.6


def test_reject_table_rows_are_drawn_apart_from_catalog_sources(sky, sky_settings, tap):
    """A CONSTRUCTED reject-table row (test_added_tables.constructed_rejects: a real catalog row
    moved) 1.5" from a cone with no catalog source, asked for with add=psr."""
    from test_added_tables import constructed_rejects

    from dashboard.ui import sky as sky_panel

    tap.extra_rows["allwise_p3as_psr"] = constructed_rejects()
    observed = observe("10 30", 5, sky_settings, add=("psr",))
    shown = view(observed, AnalysisParams())
    fig = sky_panel.contents(fetch_context(observed.cone, "W1", sky_settings), shown)["figure"]
    names = [t.get("name") for t in fig["data"]]
    assert "AllWISE reject" in names and "selected" not in names
    trace = next(t for t in fig["data"] if t.get("name") == "AllWISE reject")
    assert trace["text"] == ["reject-table row J004000.00+300001.5 (not a catalog source)"]


def test_simbads_redshift_is_the_nearest_object_with_one_within_the_radius():
    """CONSTRUCTED SIMBAD rows: the nearest object that has a redshift, within the radius; an
    object without one is passed over; a reply from before the column (cached) gives none."""
    import pandas as pd

    from dashboard.sky.identify import simbad_redshift

    rows = pd.DataFrame([
        {"main_id": "star", "otype": "*", "ra": CONE.ra, "dec": CONE.dec, "rvz_redshift": None, "rvz_bibcode": None},
        {"main_id": "host", "otype": "G", "ra": CONE.ra, "dec": CONE.dec + 1 / 3600, "rvz_redshift": 0.0512,
         "rvz_bibcode": "2021NatAs...5..510S"},
        {"main_id": "far", "otype": "G", "ra": CONE.ra, "dec": CONE.dec + 9 / 3600, "rvz_redshift": 0.2,
         "rvz_bibcode": ""}])
    found = simbad_redshift(rows, CONE.ra, CONE.dec, 3.0)
    assert found is not None and (found.z, found.main_id) == (0.0512, "host")
    assert found.separation_arcsec == pytest.approx(1.0, abs=1e-6) and "2021NatAs" in found.said()
    assert simbad_redshift(rows, CONE.ra, CONE.dec, 0.5) is None  # the star has none, the host is too far
    assert simbad_redshift(rows.drop(columns=["rvz_redshift"]), CONE.ra, CONE.dec, 3.0) is None



def test_a_flare_bundle_without_z_takes_simbads_and_records_it(sky, sky_settings, tap, tmp_path, monkeypatch,
                                                               capsys):
    """Issue 43: `bundle` of a flare search without a redshift takes the one SIMBAD gives for the
    object at the target (a CONSTRUCTED SIMBAD row with AT2019dsg's published z = 0.0512, Stein et
    al. 2021), says so, and the bundle's view records it (its link's z): the rest-frame dust
    temperatures, radii and luminosities are computed with it. A given --z is kept."""
    from dashboard.__main__ import main

    target = observe("AT2019dsg", 2.5, sky_settings).target
    sky.simbad_rows = pd.DataFrame([{"main_id": "AT 2019dsg", "otype": "TDE", "ra": target.ra,
                                     "dec": target.dec + 0.4 / 3600, "rvz_redshift": 0.0512,
                                     "rvz_bibcode": "2021NatAs...5..510S", "rvz_type": "z", "rvz_qual": "B"}])
    env = {"WISE_TAP_URL": tap.url, "WISE_CACHE_DIR": str(sky_settings.cache_dir), "WISE_RESOLVE_NAMES_ONLINE": "0",
           "WISE_SIA_URL": sky.sia_url, "WISE_SIMBAD_TAP_URL": sky.simbad_url, "WISE_GAIA_TAP_URL": sky.gaia_url}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    from dashboard import config

    config.load.cache_clear()  # the CLI reads the settings once per process: read them from this env
    request_cleanup = config.load.cache_clear  # and again after, for the tests that follow
    out = tmp_path / "b.zip"
    assert main(["bundle", "--url", "target=AT2019dsg&r=2.5&flare=1", "-o", str(out)]) == 0
    said = capsys.readouterr().err
    assert "z = 0.0512 from SIMBAD (AT 2019dsg, 2021NatAs...5..510S" in said
    manifest = json.loads(zipfile.ZipFile(out).read("manifest.json"))
    assert "z=0.0512" in manifest["view"]["query"] and manifest["flare"]["redshift"] == 0.0512
    source = manifest["flare"]["redshift_from"]  # the manifest says where the z came from, with its type and grade
    assert [source[k] for k in ("main_id", "otype", "rvz_type", "rvz_qual")] == ["AT 2019dsg", "TDE", "z", "B"]
    assert main(["bundle", "--url", "target=AT2019dsg&r=2.5&flare=1&z=0.1", "-o", str(out)]) == 0
    assert "from SIMBAD" not in capsys.readouterr().err
    chosen = json.loads(zipfile.ZipFile(out).read("manifest.json"))["flare"]
    assert chosen["redshift"] == 0.1 and "redshift_from" not in chosen
    request_cleanup()
