"""Plain server routes: /healthz, /bundle.zip, errors without tracebacks."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import zipfile
from dataclasses import replace

import pytest

from dashboard.app import create_app
from dashboard.ui.urlstate import parse_query, to_query


@pytest.fixture
def client(settings):
    return create_app(replace(settings, offline=True)).server.test_client()


def test_healthz_does_not_touch_irsa(client, tap):
    reply = client.get("/healthz")
    assert reply.status_code == 200 and reply.json["status"] == "ok"
    assert sum(tap.requests.values()) == 0


def test_bundle_route_serves_the_view_of_its_query_string(client):
    reply = client.get("/bundle.zip?target=AT2019dsg&r=10&cuts=nb,na&ph=AB")
    assert reply.status_code == 200 and reply.mimetype == "application/zip"
    # named after the view: target, radius, and 8 hex digits of the sha256 of its canonical query
    canonical = to_query(parse_query("target=AT2019dsg&r=10&cuts=nb,na&ph=AB"))
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:8]
    assert f'filename="wise_AT2019dsg_r10_{digest}.zip"' in reply.headers["Content-Disposition"]
    other = client.get("/bundle.zip?target=AT2019dsg&r=10&cuts=nb&ph=AB")
    assert other.headers["Content-Disposition"] != reply.headers["Content-Disposition"]  # another view, another name
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(reply.data)).read("manifest.json"))
    assert manifest["catalog_cuts"]["ph_qual"] == "AB"
    enabled = {c["token"]: c["enabled"] for c in manifest["epoch_cuts"]}
    assert enabled["nb"] and enabled["na"] and not enabled["cc"]
    assert manifest["params"]["epoch_cuts"]["enabled"] == ["nb", "na"]


@pytest.mark.parametrize("query", ["target=../../etc/passwd", "target=%00%2F..%2F", "target=", "target=10+20&r=-5",
                                   "target=AT2019dsg&r=1e9"])
def test_bundle_route_rejects_bad_input_with_a_plain_message(client, query):
    reply = client.get("/bundle.zip?" + query)
    assert reply.status_code == 400 and reply.mimetype == "text/plain"
    assert b"Traceback" not in reply.data and b"File \"" not in reply.data


def test_bundle_filename_is_safe_whatever_the_target(client):
    reply = client.get("/bundle.zip?target=J205702.96%2B141216.2&r=5")
    disposition = reply.headers.get("Content-Disposition", "")
    assert reply.status_code == 200 and "/" not in disposition.split("filename=")[1]


def test_path_like_urls_never_reach_the_file_system(client):
    for path in ("/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/assets/../../etc/passwd"):
        reply = client.get(path)
        assert b"root:" not in reply.data and b"Traceback" not in reply.data


def test_internal_errors_never_show_a_traceback(settings):
    app = create_app(replace(settings, offline=True))

    @app.server.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    reply = app.server.test_client().get("/boom")
    assert reply.status_code == 500 and b"secret internals" not in reply.data and b"Traceback" not in reply.data


def test_layout_is_served_with_debug_off(client):
    reply = client.get("/")
    assert reply.status_code == 200 and b"_dash-config" in reply.data
    assert b'"debug":true' not in reply.data.replace(b" ", b"")


@pytest.mark.parametrize("path", ["/_dash-component-suites/nope/x.js", "/_dash-component-suites/dash/deps/nothing.js"])
def test_unknown_component_files_are_404_not_500(client, path, caplog):
    reply = client.get(path)
    assert reply.status_code == 404 and b"Traceback" not in reply.data
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def test_a_callback_output_the_page_does_not_have_is_404(client):
    reply = client.post("/_dash-update-component", json={"output": "nope.children", "outputs": {
        "id": "nope", "property": "children"}, "inputs": [], "changedPropIds": []})
    assert reply.status_code == 404


def test_json_and_html_are_gzipped_and_the_zip_is_not_recompressed(client):
    layout = client.get("/_dash-layout", headers={"Accept-Encoding": "gzip"})
    assert layout.headers.get("Content-Encoding") == "gzip"
    assert json.loads(gzip.decompress(layout.data))["props"]  # the layout itself, intact
    plain = client.get("/_dash-layout")
    assert plain.headers.get("Content-Encoding") is None and json.loads(plain.data)["props"]
    bundle = client.get("/bundle.zip?target=AT2019dsg&r=2.5", headers={"Accept-Encoding": "gzip"})
    assert bundle.status_code == 200 and bundle.headers.get("Content-Encoding") is None
    assert bundle.data[:2] == b"PK"


def test_a_bundle_is_built_once_per_view_and_is_the_same_bytes(client, monkeypatch):
    """Many downloads of one shared link: built once; another view setting is another bundle."""
    from dashboard import app as app_module

    built = []
    real = app_module.build_bundle
    monkeypatch.setattr(app_module, "build_bundle", lambda *a: built.append(1) or real(*a))
    first = client.get("/bundle.zip?target=AT2019dsg&r=10").data
    again = client.get("/bundle.zip?target=AT2019dsg&r=10").data
    other = client.get("/bundle.zip?target=AT2019dsg&r=10&bin=0").data
    assert first == again and len(built) == 2 and other != first


def test_a_bundle_records_which_view_it_is(client):
    """Issue 26 item 6: a bundle of `unit=flux&fold=365.25&xr=…` was byte-identical to the plain
    one. The manifest records the canonical query and every parameter, defaults included, even
    those no file depends on (a fold, a zoom, the plot unit)."""
    import io
    import json
    import zipfile

    def manifest(query: str) -> dict:
        reply = client.get("/bundle.zip?" + query)
        assert reply.status_code == 200, reply.data[:200]
        return json.loads(zipfile.ZipFile(io.BytesIO(reply.data)).read("manifest.json"))

    plain = manifest("target=AT2019dsg&r=2.5")
    zoomed = manifest("target=AT2019dsg&r=2.5&unit=flux&fold=365.25&xr=58000,59000")
    assert plain["view"]["parameters"]["fold"] is None and plain["view"]["parameters"]["unit"] == "mag"
    assert plain["view"]["parameters"]["gap"] == "100" and plain["view"]["parameters"]["cuts"]  # defaults
    got = zoomed["view"]["parameters"]
    assert (got["unit"], got["fold"], got["xr"]) == ("flux", "365.25", "58000,59000")
    assert zoomed["view"]["query"].startswith("?target=AT2019dsg&r=2.5&") and "fold=365.25" in zoomed["view"]["query"]
    assert set(got) == set(plain["view"]["parameters"]) and len(got) >= 20
    # the data files are the same: only the record of the view differs
    assert {k: v for k, v in zoomed["files"].items()} == plain["files"]


def test_a_fresh_worker_serves_every_script_of_the_page_to_concurrent_requests(settings):
    """A fresh gunicorn worker gets a page's script requests on several threads at once. Dash fills
    its registry of servable files during its first request; a thread arriving meanwhile was
    refused (404: the page stayed at 'Loading...', seen in 1 of 3 fresh two-worker starts). The
    app now renders its page once at start-up, so every script is servable from the first request."""
    import re
    from concurrent.futures import ThreadPoolExecutor

    page = create_app(replace(settings, offline=True)).server.test_client().get("/").get_data(as_text=True)
    scripts = re.findall(r'<script src="(/_dash-component-suites/[^"]+)"', page)
    assert len(scripts) >= 5
    for _ in range(5):  # fresh workers, each hit by all of the page's scripts at once
        fresh = create_app(replace(settings, offline=True)).server
        with ThreadPoolExecutor(len(scripts)) as pool:
            codes = list(pool.map(lambda src, app=fresh: app.test_client().get(src).status_code, scripts))
        assert codes == [200] * len(scripts), codes


def test_a_batch_bundle_still_being_prepared_says_so_and_its_summary_is_already_served(settings):
    """The state a batch is in between its table and its bundle (set here by hand: it lasts
    seconds to minutes in a real run, see tests/test_batch.py for the run itself)."""
    from dashboard.web.batches import Batches, BatchState

    settings = replace(settings, offline=True)
    batches = Batches(settings)
    state = BatchState(id="a" * 32, client="203.0.113.9", status="done", bundle="preparing")
    batches._save(state)
    batches.store.set(f"batch-alive:{state.id}", True, expire=60)  # its worker is still making the bundle
    batches.store.set(f"batch-summary:{state.id}", b"line,id,input\n2,,AT2019dsg\n")
    client = create_app(settings).server.test_client()
    reply = client.get(f"/batch/{state.id}/bundle.zip")
    assert reply.status_code == 503 and "being prepared" in reply.get_data(as_text=True)
    summary = client.get(f"/batch/{state.id}/summary.csv")
    assert summary.status_code == 200 and summary.get_data(as_text=True).endswith("2,,AT2019dsg\n")
    assert client.get(f"/batch/{'b' * 32}/summary.csv").status_code == 404


def test_scripts_are_brotli_compressed_once_and_dynamic_replies_never_kept(client):
    """Issue 26 item 10: the page's scripts go out Brotli-compressed when the browser takes it
    (gzip otherwise); a script is compressed once per worker (the second reply is the kept
    bytes); a dynamic reply (a view's bundle, a page) is never taken from that cache."""
    import gzip
    import re

    import brotli

    page = client.get("/").get_data(as_text=True)
    script = next(s for s in re.findall(r'<script src="([^"]+)"', page) if "dash_ag_grid" in s)
    first = client.get(script, headers={"Accept-Encoding": "br, gzip"})
    again = client.get(script, headers={"Accept-Encoding": "br, gzip"})
    plain = client.get(script, headers={"Accept-Encoding": "identity"})
    assert first.headers["Content-Encoding"] == "br" and first.data == again.data
    assert brotli.decompress(first.data) == plain.data and len(first.data) < len(plain.data) / 3
    zipped = client.get(script, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip" and gzip.decompress(zipped.data) == plain.data
    one = client.get("/healthz", headers={"Accept-Encoding": "br"})
    other = client.get("/_dash-layout", headers={"Accept-Encoding": "br"})
    assert one.data != other.data and b"WISE" in brotli.decompress(other.data)
