"""The provenance bundle: contents, checksums, reproducibility, safe names."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pandas as pd
import pytest

from dashboard.config import Settings
from dashboard.wise.analysis import default_params
from dashboard.wise.provenance import build_bundle, safe_name

REQUIRED = {"mission", "release", "tables", "target", "query", "match", "bands", "phot_system", "zero_points",
            "zp_source", "processing", "filters", "binning", "software", "citations", "files"}


@pytest.fixture
def at2019dsg_bundle(offline_view):
    view = offline_view("AT2019dsg", 10)
    return view, build_bundle(view.target, view.observations, view.params, Settings(), view=view)


def read(data: bytes) -> tuple[zipfile.ZipFile, dict]:
    zf = zipfile.ZipFile(io.BytesIO(data))
    return zf, json.loads(zf.read("manifest.json"))


def test_manifest_fields_and_checksums_verify(at2019dsg_bundle):
    _, data = at2019dsg_bundle
    zf, manifest = read(data)
    assert REQUIRED <= set(manifest)
    names = set(zf.namelist()) - {"manifest.json"}
    assert set(manifest["files"]) == names
    for name, digest in manifest["files"].items():
        assert hashlib.sha256(zf.read(name)).hexdigest() == digest
    assert {"sources.csv", "sed.csv", "lightcurve_epochs.csv", "lightcurve_visits.csv", "CITATION.bib",
            "README.txt", "reproduce.py", "raw/allwise_p3as_psd.vot"} <= names


def test_manifest_describes_tables_zero_points_and_match(at2019dsg_bundle):
    view, data = at2019dsg_bundle
    _, manifest = read(data)
    tables = {t["name"]: t for t in manifest["tables"]}
    assert set(tables) == {"allwise_p3as_psd", "allwise_p3as_mep", "neowiser_p1bs_psd"}
    neo = tables["neowiser_p1bs_psd"]
    assert neo["cache"] == "offline" and neo["rows"] == 253 and neo["footprint"]["radius_arcsec"] == 2.5
    assert neo["origin"]["file"] == "gator/neowiser_p1bs_psd__AT2019dsg.tbl"
    assert manifest["zero_points"]["W1"]["jy"] == 309.540 and "Jarrett" in manifest["zp_source"]
    assert manifest["phot_system"] == "Vega" and manifest["query"]["radius_arcsec"] == 10
    assert manifest["match"]["separation_arcsec"] == pytest.approx(view.selection.separation_arcsec, abs=1e-4)
    removed = {(f["table"], f["criterion"]): f["removed"] for f in manifest["filters"]}
    assert removed[("neowiser_p1bs_psd", "cc_flags W1,W2 = '0'")] > 0
    assert set(manifest["software"]) >= {"astropy", "astroquery", "pyvo", "numpy", "pandas", "dash", "plotly"}


def test_csvs_are_what_the_view_shows(at2019dsg_bundle):
    view, data = at2019dsg_bundle
    zf, _ = read(data)
    sed = pd.read_csv(zf.open("sed.csv"))
    assert list(sed.band) == ["W1", "W2", "W3", "W4"]
    assert sed.flux_jy.tolist() == pytest.approx(view.sed.flux_jy.tolist(), rel=1e-9)
    epochs = pd.read_csv(zf.open("lightcurve_epochs.csv"))
    assert list(epochs.columns[:10]) == ["mjd", "band", "table", "mag", "mag_err", "flux_jy", "flux_err_jy",
                                         "upper_limit", "saturated", "passed"]
    assert len(epochs) == len(view.lightcurve.epochs)
    visits = pd.read_csv(zf.open("lightcurve_visits.csv"))
    assert len(visits) == len(view.lightcurve.visits) == 40


def test_offline_raw_votable_is_labelled_with_its_origin(at2019dsg_bundle):
    zf, _ = read(at2019dsg_bundle[1])
    raw = zf.read("raw/neowiser_p1bs_psd.vot").decode()
    assert "gator/neowiser_p1bs_psd__AT2019dsg.tbl" in raw and "not the bytes IRSA sent" in raw


def test_two_builds_are_byte_identical(offline_view):
    first = offline_view("ASASSN-14li", 10)
    second = offline_view("ASASSN-14li", 10)
    a = build_bundle(first.target, first.observations, first.params, Settings())
    b = build_bundle(second.target, second.observations, second.params, Settings())
    assert a == b


def test_reproduce_script_holds_the_exact_adql(at2019dsg_bundle):
    from dashboard.wise.adql import cone_query

    view, data = at2019dsg_bundle
    zf, _ = read(data)
    script = zf.read("reproduce.py").decode()
    compile(script, "reproduce.py", "exec")
    assert cone_query("allwise_p3as_mep", view.observations.cone) in script


def test_live_bundle_keeps_raw_bytes_as_received(fetcher, tap):
    from dashboard.wise.analysis import analyze
    from dashboard.wise.model import Cone
    from dashboard.wise.targets import parse_target

    target = parse_target("314.26238 14.20441")
    obs = fetcher.fetch(Cone(target.ra, target.dec, 2.5))
    data = build_bundle(target, obs, default_params(), Settings(tap_url=tap.url),
                        view=analyze(target, obs, default_params()))
    zf, manifest = read(data)
    assert zf.read("raw/neowiser_p1bs_psd.vot") == obs.results["neowiser_p1bs_psd"].raw_votable
    tables = {t["name"]: t for t in manifest["tables"]}
    assert tables["allwise_p3as_psd"]["adql"].startswith("SELECT designation, cntr")
    assert tables["allwise_p3as_psd"]["cache"] == "live"


@pytest.mark.parametrize("text", ["../../etc/passwd", "a/b\\c", "", "  ", "J205702.96+141216.2", "名前"])
def test_safe_names(text):
    name = safe_name(text)
    assert name and "/" not in name and "\\" not in name and ".." not in name
