"""The provenance bundle: contents, checksums, reproducibility, safe names."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, run_reproduce
from dashboard.config import Settings
from dashboard.provenance.bundle import build_bundle, safe_name

REQUIRED = {"mission", "release", "tables", "target", "query", "match", "bands", "phot_system", "zero_points",
            "zp_source", "processing", "filters", "binning", "software", "citations", "files"}


@pytest.fixture
def at2019dsg_bundle(offline_view):
    view = offline_view("AT2019dsg", 10)
    return view, build_bundle(view, Settings())


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
    assert {"sources.csv", "sed.csv", "lightcurve_epochs.csv", "lightcurve_visits.csv", "lightcurve_colour.csv",
            "CITATION.bib",
            "README.txt", "reproduce.py", "raw/allwise_p3as_psd.vot"} <= names


MANIFEST_SCHEMA = {
    "tables": [{"name": str, "requested_as": str, "rows": int, "retrieved_utc": str, "raw_file": str,
                "from_offline_archive": bool, "footprint": {"ra": float, "dec": float, "radius_arcsec": float},
                "truncated": bool, "warnings": list}],
    "target": {"input": str, "ra": float, "dec": float, "resolver": str},
    "query": {"ra": float, "dec": float, "radius_arcsec": (int, float), "frame": str},
    "params": {"match_radius_arcsec": float, "catalog_cuts": dict, "epoch_cuts": {"enabled": list},
               "binning": dict, "sed_options": dict},
    "filters": [{"table": str, "criterion": str, "column": str, "not_recorded": int, "status": str}],
    "epoch_cuts": [{"token": str, "column": str, "keeps": str, "enabled": bool}],
    "variability": dict, "zero_points": {"W1": {"jy": float, "wavelength_um": float, "source": str}},
    "failures": dict, "software": {"numpy": str, "pandas": str, "wise-explorer": str}, "files": dict,
    "citations": list, "processing": list, "binning": {"method": str},
}


def _conforms(value, schema, path="manifest") -> list[str]:
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            return [f"{path} is not an object"]
        return [e for k, sub in schema.items() for e in
                (_conforms(value[k], sub, f"{path}.{k}") if k in value else [f"{path}.{k} missing"])]
    if isinstance(schema, list):
        if not isinstance(value, list) or not value:
            return [f"{path} is not a non-empty list"]
        return [e for i, item in enumerate(value) for e in _conforms(item, schema[0], f"{path}[{i}]")]
    return [] if isinstance(value, schema) else [f"{path} is {type(value).__name__}"]


def test_manifest_follows_its_schema(at2019dsg_bundle):
    _, manifest = read(at2019dsg_bundle[1])
    assert _conforms(manifest, MANIFEST_SCHEMA) == []


def test_manifest_describes_tables_zero_points_and_match(at2019dsg_bundle):
    view, data = at2019dsg_bundle
    _, manifest = read(data)
    tables = {t["name"]: t for t in manifest["tables"]}
    assert set(tables) == {"allwise_p3as_psd", "allwise_p3as_mep", "neowiser_p1bs_psd"}
    neo = tables["neowiser_p1bs_psd"]
    assert neo["from_offline_archive"] and "cache" not in neo and "age_s" not in neo
    assert neo["rows"] == 253 and neo["footprint"]["radius_arcsec"] == 2.5
    assert neo["origin"]["file"] == "gator/neowiser_p1bs_psd__AT2019dsg.tbl"
    assert manifest["zero_points"]["W1"]["jy"] == 309.540 and "Jarrett" in manifest["zp_source"]
    assert manifest["phot_system"] == "Vega" and manifest["query"]["radius_arcsec"] == 10
    assert manifest["match"]["separation_arcsec"] == pytest.approx(view.selection.separation_arcsec, abs=1e-4)
    removed = {(f["table"], f["criterion"]): f["removed"] for f in manifest["filters"]}
    assert removed[("neowiser_p1bs_psd", "cc_flags W1,W2 = '00'")] > 0
    assert set(manifest["software"]) == {"wise-explorer", "astropy", "astroquery", "pyvo", "numpy", "pandas"}


def test_csvs_are_what_the_view_shows(at2019dsg_bundle):
    view, data = at2019dsg_bundle
    zf, _ = read(data)
    sed = pd.read_csv(zf.open("sed.csv"))
    assert list(sed.band) == ["W1", "W2", "W3", "W4", "J", "H", "Ks"]  # WISE, then the 2MASS association
    assert sed.flux_jy.tolist() == pytest.approx(view.sed.flux_jy.tolist(), rel=1e-9)
    epochs = pd.read_csv(zf.open("lightcurve_epochs.csv"))
    assert list(epochs.columns[:9]) == ["mjd", "band", "table", "mag", "mag_err", "flux_jy", "flux_err_jy",
                                         "upper_limit", "measured"]
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
    assert build_bundle(first, Settings()) == build_bundle(second, Settings())


def test_variability_and_colour_are_in_the_bundle_as_on_the_page(at2019dsg_bundle):
    view, data = at2019dsg_bundle
    zf, manifest = read(data)
    for band in ("W1", "W2"):
        on_page = view.lightcurve.stats[band]
        entry = manifest["variability"][band]
        assert set(entry) == {"n_visits", "amplitude_mag", "chi2_red", "p_constant", "fvar", "fvar_err",
                              "error_floor_mag", "chi2_red_floor", "p_constant_floor"}
        assert entry["n_visits"] == on_page.n_visits == 20
        assert entry["chi2_red"] == pytest.approx(on_page.chi2_red) and 0 <= entry["p_constant"] <= 1
    colour = pd.read_csv(zf.open("lightcurve_colour.csv"))
    assert list(colour.columns) == ["visit", "mjd", "w1_w2", "w1_w2_err"] and len(colour) == 20


def _unzip(data: bytes, folder):
    zipfile.ZipFile(io.BytesIO(data)).extractall(folder)
    return folder


def test_reproduce_recomputes_every_csv_offline(at2019dsg_bundle, tmp_path):
    folder = _unzip(at2019dsg_bundle[1], tmp_path)
    out = run_reproduce(folder)
    assert out.returncode == 0, out.stdout + out.stderr
    for name in ("sources.csv", "sed.csv", "lightcurve_epochs.csv", "lightcurve_visits.csv", "lightcurve_colour.csv"):
        assert f"equal    {name}" in out.stdout
    assert "numpy" in out.stdout and "pandas" in out.stdout


def test_reproduce_names_a_tampered_file(at2019dsg_bundle, tmp_path):
    folder = _unzip(at2019dsg_bundle[1], tmp_path)
    visits = folder / "lightcurve_visits.csv"
    visits.write_text(visits.read_text().replace("W1", "W2", 1))
    raw = folder / "raw" / "allwise_p3as_mep.vot"
    raw.write_bytes(raw.read_bytes().replace(b"<TD>", b"<TD>1", 1))
    out = run_reproduce(folder)
    assert out.returncode == 1
    assert "lightcurve_visits.csv" in out.stdout.splitlines()[-1] and "raw/allwise_p3as_mep.vot" in out.stdout


@pytest.mark.parametrize("damage", ["raw file deleted", "raw file cut short", "manifest not JSON",
                                    "manifest deleted", "checksums removed"])
def test_a_damaged_bundle_is_told_in_a_line_never_a_traceback(at2019dsg_bundle, tmp_path, damage):
    """What users do to unzipped folders: a file lost, a download cut short, a manifest edited."""
    folder = _unzip(at2019dsg_bundle[1], tmp_path)
    raw, manifest = folder / "raw" / "neowiser_p1bs_psd.vot", folder / "manifest.json"
    if damage == "raw file deleted":
        raw.unlink()
    elif damage == "raw file cut short":
        raw.write_bytes(raw.read_bytes()[:5000])
    elif damage == "manifest not JSON":
        manifest.write_text(manifest.read_text()[:-40])
    elif damage == "checksums removed":  # a check that cannot fail must not pass
        entry = json.loads(manifest.read_text())
        del entry["files"]
        manifest.write_text(json.dumps(entry))
    else:
        manifest.unlink()
    out = run_reproduce(folder)
    assert out.returncode == 1 and "Traceback" not in out.stdout + out.stderr
    said = {"raw file deleted": "CHANGED  raw/neowiser_p1bs_psd.vot", "raw file cut short": "CANNOT RECOMPUTE",
            "manifest not JSON": "CANNOT READ", "manifest deleted": "CANNOT READ",
            "checksums removed": "CANNOT READ"}[damage]
    assert said in out.stdout, out.stdout


def test_equal_in_value_tolerates_formatting_only():
    from dashboard.provenance.reproduce import equal_in_value

    assert equal_in_value(b"a,b\n1.0,x\n", b"a,b\n1.0000000000001,x\n")
    assert not equal_in_value(b"a,b\n1.0,x\n", b"a,b\n1.001,x\n")
    assert not equal_in_value(b"a,b\n1.0,x\n", b"a,b\n1.0,y\n")


def test_live_bundle_twice_same_bytes_second_from_cache(settings, tap):
    from dashboard.app import create_app

    client = create_app(settings).server.test_client()
    first = client.get("/bundle.zip?target=314.26238+14.20441&r=2.5")
    second = client.get("/bundle.zip?target=314.26238+14.20441&r=2.5")
    assert first.status_code == second.status_code == 200
    assert "neowiser_p1bs_psd=live" in first.headers["X-WISE-Cache"]
    assert second.headers["X-WISE-Cache"].count("=hit") == 3
    assert first.data == second.data and sum(tap.requests.values()) == 3


def test_cli_bundle_of_the_real_ax_row_reproduces_offline(tmp_path):
    import subprocess
    import sys

    out_zip = tmp_path / "ax.zip"
    made = subprocess.run([sys.executable, "-m", "dashboard", "bundle", "ASASSN-15lh", "--offline", "-o", str(out_zip)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "WISE_CACHE_DIR": str(tmp_path / "cache")})
    assert out_zip.is_file(), made.stderr
    folder = _unzip(out_zip.read_bytes(), tmp_path / "bundle")
    epochs = pd.read_csv(folder / "lightcurve_epochs.csv")
    w2 = epochs[epochs.band == "W2"].iloc[0]
    assert not w2.passed and not w2.measured and "no measurement in W2 (ph_qual X)" in w2.reasons
    out = run_reproduce(folder)
    assert out.returncode == 0, out.stdout + out.stderr


def test_live_bundle_keeps_raw_bytes_as_received(settings, tap):
    from dashboard.pipeline import observe, view
    from dashboard.science.analysis import AnalysisParams

    observed = observe("314.26238 14.20441", 2.5, settings)
    data = build_bundle(view(observed, AnalysisParams()), settings)
    zf, manifest = read(data)
    assert zf.read("raw/neowiser_p1bs_psd.vot") == observed.observations.results["neowiser_p1bs_psd"].raw_votable
    tables = {t["name"]: t for t in manifest["tables"]}
    assert tables["allwise_p3as_psd"]["adql"].startswith("SELECT designation, cntr")
    psd = tables["allwise_p3as_psd"]
    assert psd["service_url"] == tap.url and not psd["from_offline_archive"]


def test_live_bundle_reproduces_offline(settings, tap, tmp_path):
    from dashboard.pipeline import observe, view
    from dashboard.science.analysis import AnalysisParams

    observed = observe("314.26238 14.20441", 2.5, settings)
    folder = _unzip(build_bundle(view(observed, AnalysisParams()), settings), tmp_path)
    out = run_reproduce(folder)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("text", ["../../etc/passwd", "a/b\\c", "", "  ", "J205702.96+141216.2", "名前"])
def test_safe_names(text):
    name = safe_name(text)
    assert name and "/" not in name and "\\" not in name and ".." not in name


def test_a_periodogram_view_bundles_its_power_and_summary_and_reproduces(offline_view, tmp_path):
    """pg=1 on AT2019dsg's real epochs: periodogram_w1/w2.csv, manifest "periodogram" per band,
    and reproduce.py recomputes the power offline."""
    from dataclasses import replace as with_

    from dashboard.science.analysis import AnalysisParams

    view = offline_view("AT2019dsg", 2.5, with_(AnalysisParams(), periodogram=True))
    data = build_bundle(view, Settings())
    zf, manifest = read(data)
    for band in ("W1", "W2"):
        table = pd.read_csv(zf.open(f"periodogram_{band.lower()}.csv"))
        entry = manifest["periodogram"][band]
        assert list(table.columns) == ["frequency_per_day", "power"] and len(table) == entry["grid"]["n"]
        assert table["frequency_per_day"].iloc[0] == pytest.approx(entry["grid"]["min_per_day"])
        best = table["frequency_per_day"].iloc[int(table["power"].idxmax())]
        assert 1 / best == pytest.approx(entry["best_period_d"], rel=1e-6)
        assert 0 <= entry["fap"] <= 1 and entry["fap_method"] == "baluev" and entry["n_epochs"] > 200
        assert "nifty-ls" in entry["method"] and "Baluev" in entry["method"]
    assert manifest["params"]["periodogram"] is True
    plain = read(build_bundle(offline_view("AT2019dsg", 2.5), Settings()))
    assert plain[1]["periodogram"] is None and "periodogram_w1.csv" not in plain[0].namelist()
    folder = _unzip(data, tmp_path)
    out = run_reproduce(folder)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "equal    periodogram_w1.csv" in out.stdout and "equal    periodogram_w2.csv" in out.stdout


def test_a_bundle_describes_the_data_never_the_delivery_when_sky_services_are_down(settings, tap):
    """SIMBAD, Gaia and the image service unreachable (conftest points them at a closed port):
    two workers of one server (two apps, one shared cache) serve the same view a second apart.
    The first notices "no connection", the second remembers it: the zips are byte-identical, and
    how each noticed is in the X-WISE-Sky header only."""
    import time

    from dashboard.app import create_app

    link = "/bundle.zip?target=AT2019dsg&r=2.5"
    first = create_app(settings).server.test_client().get(link)
    time.sleep(1.1)
    second = create_app(settings).server.test_client().get(link)
    assert first.status_code == second.status_code == 200
    assert "no connection" in first.headers["X-WISE-Sky"] and "remembered" in second.headers["X-WISE-Sky"]
    assert first.data == second.data
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(first.data)).read("manifest.json"))
    assert manifest["sky_context"]["simbad"]["failed"] == {"kind": "unreachable", "message": "SIMBAD cannot be reached"}


def test_two_batch_bundles_of_the_same_data_a_second_apart_are_byte_identical(settings, tap):
    import time
    from dataclasses import replace

    from dashboard.batch import service
    from dashboard.batch.bundle import build_batch_bundle

    batch = replace(settings, batch_chunk=2, default_radius_arcsec=2.5)
    targets = service.read("AT2019dsg\nASASSN-14li\n10 10\n", batch)
    result = service.run(targets, batch)
    one = build_batch_bundle(result.run, targets.bad, result.table, batch)
    time.sleep(1.1)
    again = service.run(targets, batch)  # from the cache this time
    two = build_batch_bundle(again.run, targets.bad, again.table, batch)
    assert one == two
    stamps = {info.date_time for info in zipfile.ZipFile(io.BytesIO(one)).infolist()}
    assert len(stamps) == 1 and stamps.pop()[0] >= 2020  # the data's retrieval time, not the clock


def test_every_csv_has_an_ecsv_twin_with_units_and_reproduce_checks_both(offline_view, offline_settings, tmp_path):
    """Real recorded rows (AT2019dsg offline): each CSV's ECSV twin holds the same values, with
    the units a reader needs (mjd in d, UTC; magnitudes; Jy; nu F_nu in erg s^-1 cm^-2; deg,
    arcsec); the manifest checksums both; a changed ECSV makes reproduce.py fail naming it."""
    from astropy.table import Table

    shown = offline_view("AT2019dsg", 2.5)
    files = zipfile.ZipFile(io.BytesIO(build_bundle(shown, offline_settings)))
    names = set(files.namelist())
    csvs = {n for n in names if n.endswith(".csv") and not n.startswith("periodogram")}
    assert {n.replace(".csv", ".ecsv") for n in csvs} <= names and len(csvs) == 5
    manifest = json.loads(files.read("manifest.json"))
    units = {}
    for name in sorted(csvs):
        plain = pd.read_csv(io.BytesIO(files.read(name)))
        twin = Table.read(files.read(name.replace(".csv", ".ecsv")).decode(), format="ascii.ecsv")
        assert twin.colnames == list(plain.columns) and len(twin) == len(plain), name
        for column in plain.columns:
            if plain[column].dtype.kind == "f" and twin[column].dtype.kind == "f":
                assert np.allclose(np.asarray(twin[column], float), plain[column].to_numpy(float), rtol=1e-9,
                                   equal_nan=True), (name, column)
            units[(name, column)] = str(twin[column].unit) if twin[column].unit else None
        assert manifest["files"][name.replace(".csv", ".ecsv")]
    assert units[("lightcurve_epochs.csv", "mjd")] == "d" and units[("sed.csv", "wavelength_um")] == "um"
    assert units[("sed.csv", "flux_jy")] == "Jy" and units[("sed.csv", "mag")] == "mag"
    assert units[("sed.csv", "nu_fnu")] == "erg / (s cm2)" and units[("sources.csv", "ra")] == "deg"
    assert units[("sources.csv", "separation_arcsec")] == "arcsec"
    epochs = Table.read(files.read("lightcurve_epochs.ecsv").decode(), format="ascii.ecsv")
    assert epochs.meta["mjd_time_scale"] == "utc" and epochs["mjd"].description.startswith("modified Julian date")
    files.extractall(tmp_path)
    assert run_reproduce(tmp_path).returncode == 0
    twin = tmp_path / "sed.ecsv"
    twin.write_text(twin.read_text().replace("W1 3.3526", "W1 3.4", 1))
    failed = run_reproduce(tmp_path)
    assert failed.returncode == 1 and "sed.ecsv" in failed.stdout


def test_an_ecsv_integer_column_with_a_missing_value_reads_back_masked():
    """CONSTRUCTED frame (no recording has a NULL in an integer column of one table): pandas'
    nullable integers were written as "<NA>", which astropy cannot read back as int64; a missing
    value is now astropy's own masked "" in the ECSV and empty in the CSV."""
    from astropy.table import Table

    from dashboard.provenance.table_writer import csv_and_ecsv

    frame = pd.DataFrame({"cntr": pd.array([1288163601351051264, None], dtype="Int64"),
                          "moon_masked": ["00", None]})
    plain, twin = csv_and_ecsv(frame, ["cntr", "moon_masked"], description="constructed")
    back = Table.read(twin.decode(), format="ascii.ecsv")
    assert back["cntr"].dtype == np.int64 and back["cntr"][0] == 1288163601351051264
    assert list(back["cntr"].mask) == [False, True]
    assert plain.decode().splitlines() == ["cntr,moon_masked", "1288163601351051264,00", ","]


def test_the_batch_summary_has_an_ecsv_twin(settings, tap):
    from dataclasses import replace

    from astropy.table import Table

    from dashboard.batch import service
    from dashboard.batch.bundle import build_batch_bundle

    batch = replace(settings, default_radius_arcsec=2.5)
    targets = service.read("AT2019dsg\n=HYPERLINK(\"x\")\n", batch)
    result = service.run(targets, batch)
    files = zipfile.ZipFile(io.BytesIO(build_batch_bundle(result.run, targets.bad, result.table, batch)))
    twin = Table.read(files.read("summary.ecsv").decode(), format="ascii.ecsv")
    plain = pd.read_csv(io.BytesIO(files.read("summary.csv")))
    assert twin.colnames == list(plain.columns) and len(twin) == len(plain) == 2
    assert str(twin["ra"].unit) == "deg" and str(twin["w1_w2_median"].unit) == "mag"
    assert list(twin["input"])[1].startswith("'=")  # typed text neutralised in the twin too
    assert "summary.ecsv" in json.loads(files.read("manifest.json"))["files"]


@pytest.mark.parametrize("repeat", [1, 8], ids=["10-rows", "80-rows"])  # text read one by one, or by distinct value
@pytest.mark.parametrize("text", [pd.StringDtype(na_value=np.nan), object])
def test_csv_rows_are_pandas_to_csv_bytes_for_hostile_text_and_one_column(text, repeat):
    """CONSTRUCTED frame (the quoting rules need text no recording has: commas, quotes, CR/LF,
    '#', spaces, an empty value alone on its row): the CSV writer joins tokens quoted once per
    distinct value; its bytes must stay those of pandas' ``to_csv``, in parts and whole."""
    from dashboard.provenance.table_writer import csv_and_ecsv, csv_and_ecsv_parts

    hostile = ["a,b", 'say "hi"', "line\nbreak", "cr\rhere", " lead", "#x", "", None, "=1+2", "ok"]
    frame = pd.DataFrame({"reasons": pd.array(hostile * repeat, dtype=text),
                          "mjd": np.linspace(55000.1, 60000.9, 10 * repeat),
                          "mag": [np.nan, 1.5, np.inf, -2.25e-7, 3, 4, 5, 6, 7, 8] * repeat,
                          "visit": np.arange(10 * repeat), "passed": [True, False] * 5 * repeat,
                          "n": pd.array([1, None] * 5 * repeat, dtype="Int64")})
    expected = frame.to_csv(index=False, float_format="%.10g", lineterminator="\n").encode()
    assert csv_and_ecsv(frame, list(frame.columns), description="constructed")[0] == expected
    parts = csv_and_ecsv_parts(frame, list(frame.columns), description="constructed", bounds=[0, 3, 3, len(frame)])
    assert [p for p, _ in parts] == [frame.iloc[a:b].to_csv(index=False, float_format="%.10g",
                                                            lineterminator="\n").encode()
                                     for a, b in ((0, 3), (3, 3), (3, len(frame)))]
    alone = frame[["reasons"]]
    assert csv_and_ecsv(alone, ["reasons"], description="constructed")[0] == alone.to_csv(
        index=False, lineterminator="\n").encode()


def test_a_manifest_rendered_in_sections_is_the_one_writers_bytes(offline_view, settings):
    """``ManifestText`` (a batch's thousands of manifests, fixed sections rendered once) must
    write the bytes of the one writer, ``manifest_bytes``: real views of two demo targets, one
    after the other (the second reuses the first's fixed sections), and an empty entry."""
    from dashboard.provenance.bundle import data_files
    from dashboard.provenance.manifest import ManifestText, manifest, manifest_bytes

    text = ManifestText()
    for name in ("AT2019dsg", "HD 73108", "AT2019dsg"):
        shown = offline_view(name, 4.0)
        entry = manifest(shown, settings, data_files(shown))
        assert text(entry) == manifest_bytes(entry)
    assert text({}) == manifest_bytes({}) == (json.dumps({}, indent=1) + "\n").encode()
    # CONSTRUCTED: values equal to Python but written apart (1, 1.0, True; 0.0, -0.0), one after another,
    # and numpy scalars (written by the one rule, not as text)
    for value in (1, 1.0, True, 0.0, -0.0, None, "1", [1], {"a": 1}, np.int64(5), np.float32(0.5), np.bool_(True),
                  np.float64("nan")):
        entry = {"filters": [{"removed": value, "status": "applied"}, {"removed": 2}], "files": {}}
        assert text(entry) == manifest_bytes(entry)


def test_one_json_rule_for_numpy_scalars_nan_and_text():
    """CONSTRUCTED: a numpy integer is a number (never "5"), a numpy NaN is null, a numpy bool a
    bool, a path or any other object its text: in every manifest alike."""
    from pathlib import PurePosixPath

    from dashboard.provenance.manifest import manifest_bytes

    entry = {"n": np.int64(5), "x": np.float32(0.5), "missing": np.float64("nan"), "ok": np.bool_(False),
             "where": PurePosixPath("a/b"), "deep": [{"inf": float("inf"), "nan32": np.float32("nan")}]}
    text = manifest_bytes(entry).decode()
    assert "NaN" not in text and "Infinity" not in text  # JSON has neither: every reader can parse it
    assert json.loads(text) == {"n": 5, "x": 0.5, "missing": None, "ok": False, "where": "a/b",
                                "deep": [{"inf": None, "nan32": None}]}


def test_reproduce_without_the_package_checks_checksums_and_says_how_to_install(offline_view, settings, tmp_path):
    """A colleague without WISE Explorer: reproduce.py checks every file's sha256 with Python alone,
    then says which version the recompute needs and how to install it (never a registry name);
    a changed file is named and fails. ``-I -S``: no site-packages, so no ``dashboard``."""
    import subprocess
    import sys

    from dashboard import __version__
    from dashboard.provenance.bundle import build_bundle

    zipfile.ZipFile(io.BytesIO(build_bundle(offline_view("AT2019dsg", 2.5), settings))).extractall(tmp_path)
    bare = subprocess.run([sys.executable, "-I", "-S", "reproduce.py"], cwd=tmp_path, capture_output=True, text=True)
    assert bare.returncode == 3, bare.stdout + bare.stderr
    assert "files match the manifest's checksums" in bare.stdout and f"WISE Explorer {__version__}" in bare.stdout
    assert "pip install ." in bare.stdout and "Traceback" not in bare.stderr
    (tmp_path / "sed.csv").write_text("band\nW1\n")
    changed = subprocess.run([sys.executable, "-I", "-S", "reproduce.py"], cwd=tmp_path, capture_output=True,
                             text=True)
    assert changed.returncode == 1 and "differs  sed.csv" in changed.stdout


@pytest.mark.parametrize("name", ["AT2019dsg", "HD 73108", "Arp 220"])
def test_the_fast_table_writer_equals_pandas_and_astropy_writers(offline_view, name):
    """``table_writer.csv_and_ecsv`` (the speed path) against ``columns.plain_csv_and_ecsv`` (pandas'
    ``to_csv`` and astropy's ECSV writer) on every table of real demo views: the CSV byte for byte,
    the ECSV as the same table read back (names, types, units, meanings, meta, values, masks)."""
    from astropy.table import Table

    from dashboard.provenance.bundle import LIGHTCURVE_TABLES, _table
    from dashboard.provenance.columns import plain_csv_and_ecsv
    from dashboard.provenance.table_writer import csv_and_ecsv

    shown = offline_view(name, 60.0 if name == "Arp 220" else 4.0)
    for table in ["sources", "sed", *LIGHTCURVE_TABLES]:
        frame, columns, text = _table(shown, table)
        fast_csv, fast_ecsv = csv_and_ecsv(frame, columns, description=text)
        plain_csv, plain_ecsv = plain_csv_and_ecsv(frame, columns, description=text)
        assert fast_csv == plain_csv, table
        fast, plain = Table.read(fast_ecsv.decode(), format="ascii.ecsv"), Table.read(plain_ecsv.decode(),
                                                                                      format="ascii.ecsv")
        assert fast.colnames == plain.colnames == columns and fast.meta == plain.meta and len(fast) == len(frame)
        for column in columns:
            a, b = fast[column], plain[column]
            assert (a.dtype.kind, a.unit, a.description) == (b.dtype.kind, b.unit, b.description), (table, column)
            assert np.array_equal(np.ma.getmaskarray(a), np.ma.getmaskarray(b)), (table, column)
            if a.dtype.kind == "f":
                assert np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True), (table, column)
            else:
                kept = ~np.ma.getmaskarray(a)
                assert list(np.ma.getdata(a)[kept]) == list(np.ma.getdata(b)[kept]), (table, column)
