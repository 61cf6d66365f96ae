"""The frames of a visit (#30 items 1-2, service layer): IBE's metadata search by position and
time, cutouts through the cache with a frame cap and per-frame failures, and the visit co-add and
difference on one WCS. The frames are CONSTRUCTED (tests/ibe_server.py: no recording holds a
NEOWISE scan_id/frame_num), placed at the real exposure times of AT2019dsg's recorded visits."""

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
import pytest
from astropy.io import fits
from ibe_server import LocalIbe

from dashboard.core.errors import ServiceHttpError, ServiceUnreachable
from dashboard.pipeline import observe, view
from dashboard.science.analysis import AnalysisParams
from dashboard.sky.frames import FrameFetcher, search_url
from dashboard.sky.visit_image import coadd, difference, to_fits
from servers import free_port

RA, DEC = 314.26238, 14.20441


@pytest.fixture(scope="module")
def ibe_server():
    server = LocalIbe().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def visits(offline_settings):
    """The real visits of AT2019dsg and the times of their NEOWISE-R exposures."""
    shown = view(observe("AT2019dsg", 2.5, offline_settings), AnalysisParams())
    epochs = shown.lightcurve.epochs
    neowise = epochs[(epochs["table"] == "neowiser_p1bs_psd") & (epochs["band"] == "W1")]
    return {int(v): np.sort(rows["mjd"].to_numpy(float)) for v, rows in neowise.groupby("visit")}


@pytest.fixture
def ibe(ibe_server, visits):
    ibe_server.frames = [(f"{10000 + v:05d}b", 100 + i, float(m)) for v, times in visits.items()
                         for i, m in enumerate(times)]
    ibe_server.source = (RA, DEC)
    first = min(visits)
    ibe_server.flux_of = lambda mjd: 3000.0 if mjd < visits[first].max() + 1 else 1000.0  # brighter in the first
    ibe_server.fail_frames = set()
    ibe_server.search_status = None
    ibe_server.requests.clear()
    return ibe_server


@pytest.fixture
def frame_settings(settings, ibe):
    return replace(settings, ibe_url=ibe.url, ibe_timeout_s=5.0, max_frames=40)


def window(times: np.ndarray) -> tuple[float, float]:
    return float(times.min()), float(times.max())


def test_a_visits_frames_are_found_by_position_and_time_and_each_failure_is_named(frame_settings, ibe, visits):
    first = min(visits)
    got = FrameFetcher(frame_settings).visit(RA, DEC, *window(visits[first]))
    assert got.failure is None
    assert len(got.cutouts) == 2 * len(visits[first])  # W1 and W2 of every exposure of the visit, none else
    assert {c.frame.band for c in got.cutouts} == {1, 2}
    assert all(c.status == "fetched" and c.raw for c in got.cutouts)
    first_url = got.cutouts[0].url
    assert first_url.startswith(f"{ibe.url}/data/wise/merge/merge_p1bm_frm/{got.cutouts[0].frame.scan_id[-2:]}/")
    assert "center=314.2623800,+14.2044100&size=31pix" in first_url
    asked = ibe.count("cutout")
    again = FrameFetcher(frame_settings).visit(RA, DEC, *window(visits[first]))
    assert ibe.count("cutout") == asked and all(c.from_cache for c in again.cutouts)  # cached by URL
    second = sorted(visits)[1]
    broken = next((s, n) for s, n, m in ibe.frames if m == visits[second][0])  # one exposure of another visit
    ibe.fail_frames = {broken}
    other = FrameFetcher(frame_settings).visit(RA, DEC, *window(visits[second]))
    failed = [c for c in other.cutouts if c.status != "fetched"]
    assert len(failed) == 2  # its W1 and W2 frames: named, with why
    assert all((c.frame.scan_id, c.frame.frame_num) == broken and "answered HTTP 500" in c.status for c in failed)
    assert any(c.status == "fetched" for c in other.cutouts)
    capped = FrameFetcher(replace(frame_settings, max_frames=3)).visit(RA, DEC, *window(visits[sorted(visits)[2]]))
    assert [c.status for c in capped.cutouts[3:]] == [
        "not fetched: more than 3 frames in this visit (WISE_MAX_FRAMES)"] * (len(capped.cutouts) - 3)


def test_the_requests_to_the_archive_are_counted_and_kept_within_their_budget(frame_settings, ibe, visits):
    """Past WISE_IBE_PER_MINUTE requests a minute (all workers: the shared store counts them) a
    frame is not asked for, and says why; a cached frame costs nothing."""
    first = min(visits)
    got = FrameFetcher(replace(frame_settings, ibe_per_minute=5)).visit(RA, DEC, *window(visits[first]))
    fetched = [c for c in got.cutouts if c.status == "fetched"]
    assert len(fetched) == 4 and ibe.count("cutout") == 4 and ibe.count("search") == 1  # 5 requests in all
    assert all("budget of 5 image-archive requests a minute is used up" in c.status
               for c in got.cutouts if c.status != "fetched")


def test_the_archive_failing_or_unreachable_is_told_and_never_cached(frame_settings, ibe, visits):
    first = min(visits)
    ibe.search_status = 503
    failed = FrameFetcher(frame_settings).visit(RA, DEC, *window(visits[first]))
    assert isinstance(failed.failure, ServiceHttpError) and "answered HTTP 503" in str(failed.failure)
    ibe.search_status = None
    assert FrameFetcher(frame_settings).visit(RA, DEC, *window(visits[first])).failure is None  # not cached
    nowhere = replace(frame_settings, ibe_url=f"http://127.0.0.1:{free_port()}/ibe", connect_timeout_s=1.0)
    assert isinstance(FrameFetcher(nowhere).visit(RA, DEC, 58000.0, 58001.0).failure, ServiceUnreachable)
    with pytest.raises(ValueError):
        search_url(ibe.url, float("nan"), DEC, 1.0, 2.0, (1,))


def test_the_visit_coadd_puts_the_source_on_the_target_and_the_difference_shows_the_change(frame_settings, ibe,
                                                                                         visits):
    """Frames rotated, offset and SIP-distorted, with zero points that differ: the co-add has the
    source at the grid's centre to a third of a pixel, and its flux ratio between a visit 3x as
    bright and another is 3 to 3 %; the difference is positive at the target."""
    first, later = min(visits), sorted(visits)[3]
    images = {}
    for v in (first, later):
        got = FrameFetcher(frame_settings).visit(RA, DEC, *window(visits[v]), size_pix=31)
        w1 = [(c.frame, c.url, c.raw) for c in got.cutouts if c.frame.band == 1 and c.raw]
        images[v] = coadd(w1, 1, RA, DEC, 31)
    a, b = images[first], images[later]
    assert len(a.frames) == len(visits[first]) and a.urls[0].endswith("size=31pix")
    yy, xx = np.mgrid[0:31, 0:31]
    signal = np.nan_to_num(a.data - np.nanmedian(a.data))
    near = (np.hypot(xx - 15, yy - 15) < 5) & (signal > 0)
    cx, cy = (signal[near] * xx[near]).sum() / signal[near].sum(), (signal[near] * yy[near]).sum() / signal[near].sum()
    assert abs(cx - 15) < 0.33 and abs(cy - 15) < 0.33
    aperture = np.hypot(xx - 15, yy - 15) < 5
    flux = [float(np.nansum((im.data - np.nanmedian(im.data))[aperture])) for im in (a, b)]
    assert flux[0] / flux[1] == pytest.approx(3.0, rel=0.03)
    diff = difference(a, b)
    assert diff[15, 15] > 10 * np.nanstd(diff[~aperture])
    hdu = fits.open(io.BytesIO(to_fits(a, visit=first)))[0]
    assert hdu.header["NFRAMES"] == len(a.frames) and hdu.header["FRAME001"].startswith(a.frames[0].scan_id)
    assert hdu.header["CTYPE1"] == "RA---TAN" and "reproject" in str(hdu.header["COMMENT"])
    assert to_fits(a, visit=first) == to_fits(a, visit=first)  # the same data give the same bytes


def test_the_link_holds_the_visit_and_its_reference_and_refuses_what_is_not_one():
    from dashboard.ui.urlstate import parse_query, to_query

    state = parse_query("target=AT2019dsg&visit=7&ref=3&frames=1")
    assert (state.visit, state.reference_visit, state.visit_frames, state.notices) == (7, 3, True, ())
    assert parse_query(to_query(state)) == state
    assert "visit=" not in to_query(parse_query("target=AT2019dsg"))  # absent at its default
    bad = parse_query("target=x&visit=-1&ref=2.5")
    assert bad.visit is None and bad.reference_visit is None
    assert len(bad.notices) == 2 and "visit number" in bad.notices[0]
    lone = parse_query("target=x&frames=1")
    assert not lone.visit_frames and "needs a visit" in lone.notices[0]


def test_the_evidence_of_a_visit_lists_every_frame_and_the_strip_every_visit(frame_settings, ibe, visits,
                                                                             offline_settings):
    from dashboard.sky.evidence import FRAME_COLUMNS, gather, visit_windows

    shown = view(observe("AT2019dsg", 2.5, offline_settings), AnalysisParams())
    windows = visit_windows(shown)
    chosen, ref = sorted(visits)[0], sorted(visits)[3]
    evidence = gather(shown, chosen, ref, frame_settings)
    table = evidence.frames_table()
    assert list(table.columns) == FRAME_COLUMNS and set(table["visit"]) == {chosen, ref}
    assert len(table) == 2 * (len(visits[chosen]) + len(visits[ref])) and (table["status"] == "fetched").all()
    assert set(evidence.strip) == set(visits) and set(visits) <= set(windows)  # AllWISE visits have no frames here
    assert evidence.difference(1) is not None and evidence.positions[chosen][0].size > 0
    with pytest.raises(ValueError, match="visit 999 is not one of them"):
        gather(shown, 999, None, frame_settings)
    offline = gather(shown, chosen, None, replace(frame_settings, offline=True))
    assert offline.failure is not None and "runs offline" in str(offline.failure) and not offline.images


def test_frames_1_adds_the_frames_to_the_bundle_and_the_same_data_give_the_same_bytes(frame_settings, ibe, visits):
    import json
    import zipfile

    from dashboard.app import create_app

    client = create_app(frame_settings).server.test_client()
    chosen, ref = sorted(visits)[0], sorted(visits)[1]  # 13 exposures each: under the cap of 40 frames
    query = f"target=AT2019dsg&r=2.5&visit={chosen}&ref={ref}"
    plain = client.get(f"/bundle.zip?{query}")
    assert plain.status_code == 200
    assert not [n for n in zipfile.ZipFile(io.BytesIO(plain.data)).namelist() if n.startswith("frames")]
    first = client.get(f"/bundle.zip?{query}&frames=1")
    assert first.status_code == 200, first.data[:300]
    names = zipfile.ZipFile(io.BytesIO(first.data)).namelist()
    assert {"frames.csv", f"frames/visit_{chosen}_w1.fits", f"frames/visit_{ref}_w2.fits",
            f"frames/difference_{chosen}_minus_{ref}_w1.fits"} <= set(names)
    entry = json.loads(zipfile.ZipFile(io.BytesIO(first.data)).read("manifest.json"))["visit_frames"]
    assert entry["visit"] == chosen and entry["frames"]["fetched"] == entry["frames"]["count"] > 0
    assert "reproject" in entry["coadd_method"] and entry["software"]["reproject"] != "not installed"
    again = create_app(frame_settings).server.test_client()  # a fresh app (the route memoizes): built anew
    assert again.get(f"/bundle.zip?{query}&frames=1").data == first.data


@pytest.fixture(scope="module")
def frames_app(tmp_path_factory, ibe_server):
    """The app (IRSA unreachable: the offline archive answers) with the image-archive stand-in."""
    from test_browser import _start_app

    url, proc = _start_app(tmp_path_factory, f"http://127.0.0.1:{free_port()}/tap", WISE_IBE_URL=ibe_server.url)
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.mark.browser
def test_the_page_shows_a_visit_its_reference_their_difference_and_the_strip(browser, frames_app, ibe, visits):
    from test_browser import wait_rendered

    chosen, ref = sorted(visits)[0], sorted(visits)[1]
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(f"{frames_app}/?target=AT2019dsg&r=2.5&visit={chosen}&ref={ref}")
    wait_rendered(page, target="AT2019dsg")
    page.wait_for_function(f"() => (document.querySelector('#frames-graph') || {{}}).textContent"
                           f"?.includes('{chosen} − {ref}')", timeout=60_000)
    assert f"ref {ref}" in page.text_content("#frames-graph")
    page.click(f"#frames-graph >> text=blink: visit {ref}")  # the blink: the reference in the visit's place
    page.wait_for_function(f"() => document.querySelector('#frames-graph').textContent"
                           f".includes('visit {ref} in place of {chosen}')", timeout=10_000)
    page.wait_for_function("() => document.querySelectorAll('#strip-graph .annotation-text').length > 3",
                           timeout=60_000)
    assert page.locator("#strip-graph .annotation-text").count() == len(visits)  # every NEOWISE visit
    links = page.locator("#frames-list a")
    assert links.count() == 2 * (len(visits[chosen]) + len(visits[ref]))
    assert links.first.get_attribute("href").startswith(ibe.url + "/data/wise/merge/merge_p1bm_frm/")
    assert "visits: 0: MJD" in page.text_content("#visit-list")
    page.fill("#ref-pick", str(sorted(visits)[2]))
    page.press("#ref-pick", "Enter")
    page.wait_for_function(f"() => location.search.includes('ref={sorted(visits)[2]}')", timeout=20_000)
    page.close()


@pytest.mark.browser
def test_an_unreachable_image_archive_is_said_in_its_panel_and_the_view_stands(browser, tmp_path_factory, visits):
    from test_browser import _start_app, wait_rendered

    url, proc = _start_app(tmp_path_factory, f"http://127.0.0.1:{free_port()}/tap",
                           WISE_IBE_URL=f"http://127.0.0.1:{free_port()}/ibe")
    try:
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(f"{url}/?target=AT2019dsg&r=2.5&visit={sorted(visits)[0]}")
        wait_rendered(page, target="AT2019dsg")
        page.wait_for_function("() => document.querySelector('#frames-message').textContent.includes("
                               "'cannot be reached')", timeout=60_000)
        assert "the rest of the view is unaffected" in page.text_content("#frames-message")
        assert page.locator("#sed-graph .main-svg").count() >= 1 and page.locator("#lc-graph .main-svg").count() >= 1
        page.close()
    finally:
        proc.terminate()
        proc.wait(10)


def test_clicking_a_visit_on_the_light_curve_puts_it_in_the_link(offline_settings):
    """The light curve's visit medians carry their visit as the last of their customdata; a click
    on one (the clickData Dash sends, built from the real figure of AT2019dsg) sets ``visit``; a
    click on an exposure does nothing."""
    from dashboard.ui.callbacks.urlsync import sync_state
    from dashboard.ui.figures import array
    from dashboard.ui.figures.lightcurve import clicked_visit, lightcurve_figure

    shown = view(observe("AT2019dsg", 2.5, offline_settings), AnalysisParams())
    figure = lightcurve_figure(shown)
    medians = next(t for t in figure["data"] if t.get("name") == "W1 visit median")
    rows = array(medians["customdata"]).reshape(-1, 4)
    fifth = [int(v) for v in rows[4]]
    assert fifth[3] == int(shown.lightcurve.visits[shown.lightcurve.visits["band"] == "W1"]["visit"].iloc[4])
    click = {"points": [{"curveNumber": 3, "pointNumber": 4, "customdata": fifth}]}
    assert clicked_visit(click) == fifth[3]
    assert clicked_visit({"points": [{"customdata": 14.2}]}) is None and clicked_visit(None) is None
    out = sync_state(offline_settings, "lc-graph", "?target=AT2019dsg&r=2.5", None, {}, "AT2019dsg", 2.5, None,
                     click=click)
    assert f"visit={fifth[3]}" in out["search"]


def test_bundle_url_with_frames_is_the_routes_bundle_byte_for_byte(frame_settings, ibe, visits, tap, tmp_path,
                                                                    monkeypatch):
    """Issue 41 item 2: the command line wrote no frames.csv and no ``visit_frames`` entry for
    ``frames=1&visit=V`` while ``/bundle.zip`` did; both now take the frames from one definition
    (``pipeline.bundle_evidence``) and give the same bytes."""
    import zipfile

    from dashboard.__main__ import main
    from dashboard.app import create_app

    chosen, ref = sorted(visits)[0], sorted(visits)[1]
    query = f"target=AT2019dsg&r=2.5&visit={chosen}&ref={ref}&frames=1"
    routed = create_app(frame_settings).server.test_client().get(f"/bundle.zip?{query}")
    assert routed.status_code == 200
    for name, value in {"WISE_TAP_URL": tap.url, "WISE_CACHE_DIR": str(frame_settings.cache_dir),
                        "WISE_RESOLVE_NAMES_ONLINE": "0", "WISE_IBE_URL": ibe.url, "WISE_TIMEOUT_IBE_S": "5",
                        "WISE_MAX_FRAMES": "40", "WISE_TIMEOUT_CONNECT_S": "2"}.items():
        monkeypatch.setenv(name, value)
    from dashboard import config

    config.load.cache_clear()  # the CLI reads the settings once per process: read them from this env
    path = tmp_path / "cli.zip"
    try:
        assert main(["bundle", "--url", query, "-o", str(path)]) == 0
    finally:
        config.load.cache_clear()
    names = zipfile.ZipFile(path).namelist()
    assert "frames.csv" in names and f"frames/visit_{chosen}_w1.fits" in names
    assert path.read_bytes() == routed.data


def test_an_unreachable_image_archive_is_listed_in_failures_and_the_sky_header(settings, visits):
    """Issue 41 item 2: with the image archive unreachable a ``frames=1`` bundle held a header-only
    frames.csv and said why only in the manifest. Now FAILURES.txt lists every piece asked for and
    not got (the sky services here too, their reasons stable: the same data gives the same bytes),
    frames.csv is not written, and ``X-WISE-Sky`` names the image archive."""
    import json
    import zipfile

    from dashboard.app import create_app

    nowhere = replace(settings, ibe_url="http://127.0.0.1:9/ibe", ibe_timeout_s=2.0)
    chosen = sorted(visits)[0]
    query = f"target=AT2019dsg&r=2.5&visit={chosen}&frames=1"
    reply = create_app(nowhere).server.test_client().get(f"/bundle.zip?{query}")
    assert reply.status_code == 200
    files = zipfile.ZipFile(io.BytesIO(reply.data))
    lines = files.read("FAILURES.txt").decode().splitlines()
    assert [line.split(":")[0] for line in lines] == ["sky gaia", "sky image", "sky simbad", "frames"]
    assert "frames.csv" not in files.namelist()
    assert json.loads(files.read("manifest.json"))["visit_frames"]["frames"]["file"] is None
    assert "frames=" in reply.headers["X-WISE-Sky"] and "image=" in reply.headers["X-WISE-Sky"]
    # a fresh app (the route memoizes), the same cached IRSA replies: the failures are asked again
    # (never cached) and their reasons are stable, so the same bytes
    again = create_app(nowhere).server.test_client()
    assert again.get(f"/bundle.zip?{query}").data == reply.data
