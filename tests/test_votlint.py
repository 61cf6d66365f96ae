"""Every VOTable the product itself writes passes STILTS votlint (validate=true: the VOTable
schema as well as votlint's own checks), on the real recorded rows of the offline archive.

Kinds written: the bundle's raw/ files for rows answered by the offline archive; a batch chunk's
replies answered offline (an empty one included); the local TAP stand-in's sync and async
(upload) replies, built from the same recorded rows by the same writer; and hostile text. Raw
replies that IRSA sent are never rewritten (test_provenance checks that the zip holds IRSA's
bytes), so they are not checked here."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import requests
from votlint import votlint

from dashboard.archive import offline
from dashboard.archive.votable import frame_to_votable
from dashboard.batch import service
from dashboard.batch.bundle import build_batch_bundle
from dashboard.pipeline import observe, view
from dashboard.provenance.bundle import build_bundle
from dashboard.science.analysis import AnalysisParams


def test_votlint_reports_a_broken_votable(tmp_path):
    """The check can fail: votlint exits 0 on errors, the helper reads what it prints."""
    good = frame_to_votable(pd.DataFrame({"ra": [1.0]}))
    (tmp_path / "bad.vot").write_bytes(good.replace(b'datatype="double"', b'datatype="dubble"'))
    (tmp_path / "good.vot").write_bytes(good)
    assert votlint(tmp_path / "bad.vot") and not votlint(tmp_path / "good.vot")


@pytest.mark.parametrize("target", [t.name for t in offline.demo_targets()])
def test_the_bundles_raw_votables_of_every_demo_target(offline_settings, tmp_path, target):
    demo = next(t for t in offline.demo_targets() if t.name == target)
    shown = view(observe(target, demo.link_radius_arcsec, offline_settings), AnalysisParams())
    files = zipfile.ZipFile(io.BytesIO(build_bundle(shown, offline_settings)))
    raws = [n for n in files.namelist() if n.startswith("raw/")]
    assert raws
    for name in raws:
        path = tmp_path / name.replace("/", "_")
        path.write_bytes(files.read(name))
        assert votlint(path) == [], name


def test_an_offline_batchs_chunk_replies_empty_ones_included(offline_settings, tmp_path):
    settings = replace(offline_settings, default_radius_arcsec=4.0)
    for text in ("AT2019dsg\nASASSN-15lh\nGaia20fnr\n10 10\n", "HD 73108\n"):  # HD 73108: no epochs recorded
        targets = service.read(text, settings)
        result = service.run(targets, settings)
        files = zipfile.ZipFile(io.BytesIO(build_batch_bundle(result.run, targets.bad, result.table, settings)))
        for name in (n for n in files.namelist() if n.endswith(".vot")):
            path = tmp_path / name.replace("/", "_")
            path.write_bytes(files.read(name))
            assert votlint(path) == [], (text, name)


def test_the_tap_stand_ins_sync_and_upload_replies(tap, settings, tmp_path):
    from dashboard.archive.adql import cone_query
    from dashboard.core.model import Cone

    replies = []
    for cone in (Cone(314.26238, 14.20441, 2.5), Cone(10.0, 10.0, 1.0)):  # real rows, and none
        for table in ("allwise_p3as_psd", "allwise_p3as_mep", "neowiser_p1bs_psd"):
            reply = requests.post(tap.url + "/sync", data={"REQUEST": "doQuery", "LANG": "ADQL",
                                                           "QUERY": cone_query(table, cone)}, timeout=30)
            replies.append(reply.content)
    batch = replace(settings, default_radius_arcsec=2.5)
    targets = service.read("AT2019dsg\nASASSN-14li\n", batch)
    run = service.run(targets, batch).run
    replies += [r.raw for chunk, _ in run.placed.values() for r in chunk.replies.values()]
    for i, data in enumerate(replies):
        path = tmp_path / f"reply_{i}.vot"
        path.write_bytes(data)
        assert votlint(path) == [], i


def test_hostile_text_and_placeholder_values_still_validate(tmp_path):
    """Markup, quotes and ampersands in text; NaN and a NEOWISE placeholder (w2mpro 0.0, w2sigmpro
    10000: the real ASASSN-15lh AX row's shape) in numbers."""
    frame = pd.DataFrame({"designation": ['<script>alert("x")</script> & \'', None, "J1234"],
                          "w2mpro": [0.0, np.nan, 12.5], "w2sigmpro": [10000.0, np.nan, 0.1], "cntr": [1, 2, 3]})
    path = tmp_path / "hostile.vot"
    path.write_bytes(frame_to_votable(frame, dtypes={"designation": "U", "w2mpro": "f8", "w2sigmpro": "f8",
                                                     "cntr": "i8"}))
    assert votlint(path) == []
    path.write_bytes(frame_to_votable(frame))  # the kinds guessed from the frame (pandas 3 text columns too)
    assert votlint(path) == []
