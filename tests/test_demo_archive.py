"""The demo archive shows what its labels promise, on its real rows (issue 26, items 5 and 7):
designations by the AllWISE rule, the crowded WISE All-Sky field of Arp 220 labelled as All-Sky,
an absent recording worded as "not in the offline archive", and release and date labels read from
the rows and their retrieval record instead of constants."""

from __future__ import annotations

import io
import json
import zipfile

import pandas as pd

from conftest import ROOT
from dashboard.archive import offline as archive
from dashboard.config import Settings
from dashboard.core.releases import release_label, year_span
from dashboard.core.tables import catalog_table, sources_title
from dashboard.core.targets import designation_of
from dashboard.pipeline import observe
from dashboard.provenance.bundle import build_bundle
from dashboard.ui import panels
from dashboard.ui.callbacks.rendering import build_panels
from dashboard.ui.urlstate import parse_query


def test_designation_rule_reproduces_the_catalogs_own_designations():
    """220 real AllWISE rows (VizieR II/328): the designation is the position truncated. One row
    lies within one unit of the recording's last digit (1e-7 deg) of a 0.01 s boundary; it must
    match one side."""
    rows = pd.read_csv(ROOT / "tests/data/wise-data/vizier/allwise_II-328__cohen_standards.csv")
    for ra, dec, name in zip(rows["RAJ2000"], rows["DEJ2000"], rows["AllWISE"], strict=True):
        near = {designation_of(ra + d_ra, dec + d_dec) for d_ra in (-1e-7, 0, 1e-7) for d_dec in (-1e-7, 0, 1e-7)}
        assert name in near, (ra, dec, name)
    exact = sum(designation_of(ra, dec) == name for ra, dec, name in
                zip(rows["RAJ2000"], rows["DEJ2000"], rows["AllWISE"], strict=True))
    assert exact >= 219


def test_readme_designation_selects_at2019dsgs_host_exactly(offline_view):
    view = offline_view("J205702.96+141216.2", 2)
    assert view.selection is not None and view.selection.method == "AllWISE designation (exact match)"
    assert view.selection.label == "WISEA J205702.96+141216.2"
    warnings = view.observations.results["allwise_p3as_psd"].provenance.warnings
    assert any("designation derived from the recorded ra/dec" in w for w in warnings)


def test_arp220_is_a_crowded_flagged_field_labelled_as_all_sky(offline_view):
    view = offline_view("Arp 220", 60)
    prov = view.observations.results["allwise_p3as_psd"].provenance
    assert prov.table == "wise_allsky_4band_p3as_psd" and any("WISE All-Sky" in w for w in prov.warnings)
    assert len(view.sources) == 12
    assert view.selection is not None and view.selection.label == "WISE J153457.25+233011.5"
    assert int(view.sources.iloc[0]["ext_flg"]) == 5
    assert (view.sources["cc_flags"] != "0000").sum() >= 5  # the galaxy's halo and spike flags
    assert "WISE All-Sky Source Catalog" in sources_title(catalog_table(view.observations.results))
    zf = zipfile.ZipFile(io.BytesIO(build_bundle(view, Settings())))
    manifest = json.loads(zf.read("manifest.json"))
    table = manifest["tables"][0]
    assert table["name"] == "wise_allsky_4band_p3as_psd" and table["requested_as"] == "allwise_p3as_psd"
    assert table["release"].startswith("WISE All-Sky Data Release (2012)") and "AllWISE (2013)" not in table["release"]
    assert "raw/wise_allsky_4band_p3as_psd.vot" in zf.namelist()


def test_every_demo_shows_what_its_label_says(offline_view):
    """The demo list's text comes from the rows: a light curve is promised only with epochs to
    show it, flags only where they were recorded; ASASSN-15lh (one row) is not a light curve."""
    for target in archive.demo_targets():
        view = offline_view(target.name, target.link_radius_arcsec)
        epochs = view.lightcurve.epochs
        if "light curve of" in target.shows:
            n = int(target.shows.split("light curve of ")[1].split()[0])
            assert len(epochs.drop_duplicates(["mjd", "table"])) >= 10 and n >= 10, target.name
        else:
            assert len(epochs.drop_duplicates(["mjd", "table"])) < 10, target.name
        if "with ph_qual" in target.shows:
            assert view.sources["ph_qual"].notna().all(), target.name
        if "SED" not in target.shows:
            message = panels.catalog_unavailable(view.observations.failures["allwise_p3as_psd"])
            assert "is in the offline archive" in message and "unavailable" not in message
    assert "not a light curve" in next(t.shows for t in archive.demo_targets() if t.name == "ASASSN-15lh")


def test_demo_without_a_catalog_says_not_in_the_offline_archive(offline_settings, offline_view):
    observed = observe("Gaia20fnr", 5, offline_settings)
    out = build_panels(observed, parse_query("?target=Gaia20fnr&r=5", max_radius=120), "")
    assert "no catalog row in the offline archive" in out["stats"] and "the catalog failed" not in out["stats"]
    assert out["sources_message"] == "No AllWISE catalog row of this target is in the offline archive."
    assert out["lc_title"] == "W1/W2 light curve (AllWISE 2010, NEOWISE-R 2014–2021)"
    # ASASSN-21qj's rows came from neowiser_merge_i1bs_psd: still NEOWISE-R's years
    assert panels.lightcurve_title(offline_view("ASASSN-21qj", 5)) == "W1/W2 light curve (NEOWISE-R 2014–2021)"


def test_release_comes_from_the_retrieval_record_and_the_rows(offline_view):
    """AT2019dsg's NEOWISE rows were retrieved on 2023-05-16 and end in 2022: not the final
    release of 2024-11-14, and not "to 2024-07"."""
    view = offline_view("AT2019dsg", 2.5)
    zf = zipfile.ZipFile(io.BytesIO(build_bundle(view, Settings())))
    manifest = json.loads(zf.read("manifest.json"))
    neowise = next(t for t in manifest["tables"] if t["name"] == "neowiser_p1bs_psd")
    assert neowise["retrieved_utc"].startswith("2023-05-16")
    assert neowise["release"].startswith("NEOWISE-R as served by IRSA on 2023-05-16")
    assert "final data release" not in neowise["release"] and "2024-07" not in neowise["release"]
    assert neowise["release"].endswith("to 2022-12-01") or " to 2022-" in neowise["release"]
    assert "UTC" in manifest["time_system"]["mjd"]
    assert panels.lightcurve_title(view) == "W1/W2 light curve (AllWISE 2010, NEOWISE-R 2014–2022)"
    ecsv = zf.read("lightcurve_epochs.ecsv").decode()
    assert "mjd_time_scale: utc" in ecsv


def test_release_labels_for_each_kind_of_record():
    from astropy.time import Time

    first, last = (Time(m, format="mjd", scale="utc").to_value("iso", subfmt="date") for m in (56650.0, 60500.9))
    assert release_label("neowiser_p1bs_psd", "2025-01-02T00:00:00Z", [56650.0, 60500.9]) == (
        f"NEOWISE-R final data release (2024-11-14), single exposures {first} to {last}")
    assert "release not recorded" in release_label("neowiser_p1bs_psd", "not recorded", [])
    assert release_label("neowiser_p1bs_psd", "not recorded", []).endswith("no single exposures")
    assert release_label("allwise_p3as_psd", "2023-05-16T00:00:00Z") == "AllWISE Data Release (2013)"
    assert year_span([55300.0]) == "2010" and year_span([]) == ""
