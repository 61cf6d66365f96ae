"""Hand-off to the VO tools (#30 item 4): the view's tables as VOTables on plain routes (votlint
clean), and "Send to TOPCAT" / "Send to Aladin" through the SAMP Web Profile, from real headless
Chromium to pyvo's hub (``SAMPHubServer(web_profile=True)``, its consent dialog answered yes by
the test), where a SAMP client subscribed to ``table.load.votable`` receives the message and
reads the table it names: the view's rows. Real recorded rows (the offline archive's AT2019dsg)."""

from __future__ import annotations

import io
import queue
import threading
import time
from urllib.parse import urlencode

import numpy as np
import pytest
import requests
from astropy.io.votable import parse_single_table
from test_browser import offline_app, wait_rendered  # noqa: F401  (the offline app fixture)
from votlint import votlint

from dashboard.pipeline import observe, view
from dashboard.science.analysis import AnalysisParams
from dashboard.ui.urlstate import ViewState, to_params

VIEW = {"target": "AT2019dsg", "r": "10"}


def test_the_tables_of_a_view_are_votables_that_validate_with_its_rows(offline_app, offline_settings, tmp_path):  # noqa: F811
    shown = view(observe("AT2019dsg", 10, offline_settings), to_params(ViewState(target="AT2019dsg", radius=10.0)))
    expected = {"sources": len(shown.sources), "epochs": len(shown.lightcurve.epochs),
                "visits": len(shown.lightcurve.visits)}
    for name, rows in expected.items():
        reply = requests.get(f"{offline_app}/table/{name}.vot?{urlencode(VIEW)}", timeout=60)
        assert reply.status_code == 200 and reply.headers["Content-Type"].startswith("application/x-votable+xml")
        (tmp_path / f"{name}.vot").write_bytes(reply.content)
        assert votlint(tmp_path / f"{name}.vot") == [], name
        table = parse_single_table(io.BytesIO(reply.content)).to_table()
        assert len(table) == rows > 0
    sources = parse_single_table(io.BytesIO((tmp_path / "sources.vot").read_bytes()))
    fields = {f.name: f for f in sources.fields}
    assert fields["ra"].ucd == "pos.eq.ra;meta.main" and str(fields["ra"].unit) == "deg"
    assert str(sources.to_table()["designation"][0]) == "J205702.96+141216.2"
    epochs = parse_single_table(io.BytesIO((tmp_path / "epochs.vot").read_bytes())).to_table()
    assert epochs["passed"].dtype == bool and str(epochs["mjd"].unit) == "d"
    assert np.allclose(np.sort(np.asarray(epochs["mjd"])), np.sort(shown.lightcurve.epochs["mjd"].to_numpy(float)))
    assert requests.get(f"{offline_app}/table/nope.vot?{urlencode(VIEW)}", timeout=30).status_code == 404
    bad = requests.get(f"{offline_app}/table/sources.vot?target=%3Cscript%3E&r=10", timeout=30)
    assert bad.status_code == 400 and "<script>" not in bad.headers.get("Content-Type", "") and \
        "Traceback" not in bad.text


def test_the_page_widens_its_policy_to_the_web_profile_only(offline_app):  # noqa: F811
    policy = requests.get(offline_app + "/", timeout=30).headers["Content-Security-Policy"]
    connect = next(p for p in policy.split(";") if p.strip().startswith("connect-src")).split()[1:]
    assert connect == ["'self'", "http://localhost:21012", "http://127.0.0.1:21012"]


class Consent:
    """The hub's consent dialog, answered yes (pyvo puts the two queues on it)."""

    queue_request: queue.Queue
    queue_result: queue.Queue

    def __init__(self) -> None:
        self.asked: list[tuple] = []
        self.stop = threading.Event()

    def answer(self) -> None:
        while not self.stop.is_set():
            try:
                request = self.queue_request.get(timeout=0.1)
            except (queue.Empty, AttributeError):
                continue
            self.asked.append(request)
            self.queue_result.put(True)


@pytest.fixture
def hub(tmp_path):
    from pyvo.samp import SAMPHubServer

    consent = Consent()
    server = SAMPHubServer(web_profile=True, web_profile_dialog=consent, lockfile=str(tmp_path / "samp.lock"))
    server.start()
    answering = threading.Thread(target=consent.answer, daemon=True)
    answering.start()
    yield server, consent
    consent.stop.set()
    server.stop()


def send(browser, app: str, button: str, received: list, expected: int):  # noqa: ANN001, ANN201 (playwright objects)
    """Open the view in Chromium, press a Send button, wait for the page's "Sent to" and for
    ``expected`` messages to arrive in ``received``; returns the page."""
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(f"{app}/?{urlencode(VIEW)}")
    wait_rendered(page, target="AT2019dsg")
    page.click(button)
    page.wait_for_function("() => document.querySelector('#samp-status').textContent.startsWith('Sent to')",
                           timeout=30_000)
    deadline = time.monotonic() + 10
    while len(received) < expected and time.monotonic() < deadline:
        time.sleep(0.1)
    return page


@pytest.mark.browser
def test_send_to_topcat_reaches_a_samp_client_that_reads_the_views_table(browser, offline_app, hub,  # noqa: F811
                                                                          offline_settings):
    from pyvo.samp import SAMPIntegratedClient

    server, consent = hub
    received: list[dict] = []
    client = SAMPIntegratedClient(name="table reader (test)")
    client.connect(hub=server)
    client.bind_receive_notification("table.load.votable",
                                     lambda key, sender, mtype, params, extra: received.append(params))
    try:
        page = send(browser, offline_app, "#samp-topcat", received, 3)
        assert "table reader (test)" in page.text_content("#samp-status")
        assert [p["table-id"] for p in received] == ["wise-sources", "wise-epochs", "wise-visits"]
        assert consent.asked and consent.asked[0][0]["samp.name"] == "WISE Explorer"
        shown = view(observe("AT2019dsg", 10, offline_settings), AnalysisParams())
        table = parse_single_table(io.BytesIO(requests.get(received[0]["url"], timeout=60).content)).to_table()
        assert len(table) == len(shown.sources) and str(table["designation"][0]) == shown.selection.designation
        visits = parse_single_table(io.BytesIO(requests.get(received[2]["url"], timeout=60).content)).to_table()
        assert len(visits) == len(shown.lightcurve.visits)
        page.close()
    finally:
        client.disconnect()


@pytest.mark.browser
def test_without_a_hub_the_page_says_how_to_start_one(browser, offline_app):  # noqa: F811
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(f"{offline_app}/?{urlencode(VIEW)}")
    wait_rendered(page, target="AT2019dsg")
    page.click("#samp-aladin")
    page.wait_for_function("() => document.querySelector('#samp-status').textContent.includes('No SAMP hub')",
                           timeout=30_000)
    assert "Start TOPCAT or Aladin" in page.text_content("#samp-status")
    assert page.locator("#sed-graph .main-svg").count() >= 1  # the view is intact
    page.close()


@pytest.fixture(scope="module")
def sky_app(tmp_path_factory, tap_server):
    """The app with the sky-context stand-ins (SIA2 cutouts: CONSTRUCTED images, tests/sky_servers.py)."""
    from sky_servers import LocalSky
    from test_browser import _start_app

    sky = LocalSky().start()
    url, proc = _start_app(tmp_path_factory, tap_server.url, WISE_SIA_URL=sky.sia_url,
                           WISE_SIMBAD_TAP_URL=sky.simbad_url, WISE_GAIA_TAP_URL=sky.gaia_url)
    yield url
    proc.terminate()
    proc.wait(10)
    sky.stop()


def receiver(into: list):
    return lambda key, sender, mtype, params, extra: into.append((mtype, params))


@pytest.mark.browser
def test_send_to_aladin_gives_the_sky_image_and_the_sources_to_aladin_alone(browser, sky_app, hub, tap):
    """Two clients on the hub: one named Aladin (a stand-in: no Aladin runs here) and another table
    reader. Aladin gets image.load.fits (the view's cutout, a FITS with its WCS) and the sources;
    the other gets nothing, since a tool named Aladin is there."""
    from astropy.io import fits
    from pyvo.samp import SAMPIntegratedClient

    server, _ = hub
    got: dict[str, list] = {"aladin": [], "other": []}
    clients = []
    for who, name in (("aladin", "Aladin (test stand-in)"), ("other", "another reader (test)")):
        client = SAMPIntegratedClient(name=name)
        client.connect(hub=server)
        for mtype in ("image.load.fits", "table.load.votable"):  # pyvo counts a receiver's arguments: five
            client.bind_receive_notification(mtype, receiver(got[who]))
        clients.append(client)
    try:
        page = send(browser, sky_app, "#samp-aladin", got["aladin"], 2)
        status = page.text_content("#samp-status")
        assert [m for m, _ in got["aladin"]] == ["image.load.fits", "table.load.votable"], (status, got)
        assert got["other"] == [], got
        image = requests.get(got["aladin"][0][1]["url"], timeout=60)
        assert image.status_code == 200 and image.headers["Content-Type"] == "application/fits"
        header = fits.open(io.BytesIO(image.content))[0].header
        assert header["CTYPE1"].startswith("RA---") and abs(header["CRVAL1"] - 314.26) < 0.05
        page.close()
    finally:
        for client in clients:
            client.disconnect()
