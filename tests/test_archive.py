"""The offline archive: real rows, footprints, honest warnings, a shipped copy that is current."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from conftest import ROOT
from dashboard.archive import offline as archive
from dashboard.core.errors import NotCovered
from dashboard.core.model import Cone


def test_every_demo_target_answers_offline():
    for target in archive.demo_targets():
        for table in target.tables:
            result = archive.query(table, Cone(target.ra, target.dec, 2.0))
            assert result.provenance.source == "offline"
            assert result.provenance.origin["file"]


def test_cone_inside_footprint_uses_true_separation():
    full = archive.query("neowiser_p1bs_psd", Cone(314.26238, 14.20441, 2.5)).rows
    small = archive.query("neowiser_p1bs_psd", Cone(314.26238, 14.20441, 0.5)).rows
    assert len(full) == 253 and 0 < len(small) < len(full)
    assert not archive.query("neowiser_p1bs_psd", Cone(314.26238, 14.20441, 0.5)).provenance.warnings


def test_larger_cone_than_recorded_says_so():
    result = archive.query("neowiser_p1bs_psd", Cone(314.26238, 14.20441, 30))
    assert len(result.rows) == 253
    assert "covers only 2.5 arcsec" in result.provenance.warnings[0]


def test_outside_every_footprint_is_not_covered_not_empty():
    with pytest.raises(NotCovered, match="not in the offline archive"):
        archive.query("allwise_p3as_psd", Cone(0.0, 0.0, 10))


def test_asassn21qj_keeps_its_real_table_name():
    result = archive.query("neowiser_p1bs_psd", Cone(123.84708, -38.98981, 5))
    assert result.provenance.table == "neowiser_merge_i1bs_psd"
    assert any("merged variant" in w for w in result.provenance.warnings)


def test_unrecorded_flags_are_absent_not_invented():
    rows = archive.query("allwise_p3as_psd", Cone(314.26238, 14.20441, 10)).rows
    assert "ph_qual" not in rows.columns and "cc_flags" not in rows.columns


def test_timewise_rows_record_the_server_side_cut():
    result = archive.query("neowiser_p1bs_psd", Cone(268.233229, 58.636443, 6))
    ssf = result.provenance.server_side_filter
    assert ssf is not None and "nb < 2" in ssf.text and ssf.covers("nb") and len(result.rows) == 721
    assert "allwise_cntr" not in result.rows.columns  # lost digits in the recording: dropped


def test_shipped_archive_is_what_the_build_script_makes(tmp_path):
    """The build writes to a temporary folder (never into the repository) and must match."""
    out = tmp_path / "data"
    done = subprocess.run([sys.executable, "scripts/build_archive.py", str(out)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    shipped = ROOT / "dashboard" / "archive" / "data"
    names = sorted(p.name for p in shipped.iterdir() if p.is_file())
    assert names == sorted(p.name for p in out.iterdir())
    for name in names:
        assert (out / name).read_bytes() == (shipped / name).read_bytes(), name


def test_the_fast_ecsv_reader_equals_astropys_on_every_shipped_file():
    """archive._read_rows reads ECSV with pandas; astropy's reader is the reference."""
    from astropy.table import Table

    from dashboard.archive.votable import table_to_frame

    files = sorted(archive.DATA_DIR.glob("*.ecsv"))
    assert len(files) >= 19
    for path in files:
        expected = table_to_frame(Table.read(path, format="ascii.ecsv"))
        pd.testing.assert_frame_equal(archive._read_rows(path.name), expected)


def test_demo_links_use_radii_their_recordings_cover():
    """A demo link never opens a view that warns about its own footprint (AT2019dsg's NEOWISE
    recording reaches 2.5 arcsec, so its link asks for 2.5, not 5)."""
    radii = {t.name: t.covered_radius_arcsec for t in archive.demo_targets()}
    assert radii["AT2019dsg"] == 2.5
    for target in archive.demo_targets():
        for table in target.tables:
            result = archive.query(table, Cone(target.ra, target.dec, target.covered_radius_arcsec))
            reach = [w for w in result.provenance.warnings if "covers only" in w]
            assert not reach, (target.name, table, reach)
    assert "covers only" in archive.query("neowiser_p1bs_psd", Cone(314.26238, 14.20441, 5)).provenance.warnings[0]
