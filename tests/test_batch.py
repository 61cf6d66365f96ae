"""Batches (#18) against the local TAP server, extended for TAP_UPLOAD and UWS async jobs, on the
real recorded rows of the demo targets. Lists mix recorded targets with bad lines."""

from __future__ import annotations

import io
import json
import threading
import time
import zipfile
from dataclasses import asdict, replace

import numpy as np
import pandas as pd
import pytest
from dash import no_update

from conftest import early_in_a_minute, run_reproduce
from dashboard.batch import service
from dashboard.batch.bundle import build_batch_bundle
from dashboard.batch.run import BatchRunner
from dashboard.batch.summary import COLUMNS, summary_csv
from dashboard.batch.upload import upload_votable
from dashboard.pipeline import observe, view
from dashboard.provenance.reproduce import recompute
from dashboard.science.analysis import AnalysisParams
from dashboard.science.colours import CLASS_COLUMN, class_label
from dashboard.science.photometry import SedOptions
from dashboard.science.quality import CatalogCuts, EpochCuts
from dashboard.ui.batch import start as start_page_batch
from tap_server import Fault

#: Real recorded targets (offline aliases, coordinates, a radius per line) and bad lines.
LIST = """# a sample: names, coordinates, bad lines
AT2019dsg
192.06346 +17.77402
not a target !!
Gaia20fnr
20h57m02.97s +14d12m16.3s
999 99
10.0 20.0
"""


@pytest.fixture
def batch_settings(settings):
    return replace(settings, batch_chunk=2, batch_job_wait_s=20.0, default_radius_arcsec=2.5)


def test_every_line_is_checked_and_bad_lines_keep_their_number_and_reason(batch_settings):
    targets = service.read(LIST, batch_settings)
    assert [t.line for t in targets.targets] == [2, 3, 5, 6, 8]
    assert [(b.line, b.input) for b in targets.bad] == [(4, "not a target !!"), (7, "999 99")]
    assert "neither coordinates nor a name" in targets.bad[0].reason and "Accepted:" in targets.bad[0].reason
    assert "declination 99 is outside -90..+90 deg" in targets.bad[1].reason


def test_csv_and_ecsv_with_id_and_radius_columns(batch_settings):
    csv_text = "id,target,radius\nTDE-1,AT2019dsg,2.5\nhost,\"314.26238, +14.20441\",3\nbig,AT2019dsg,500\n"
    targets = service.read(csv_text, batch_settings)
    assert [(t.line, t.id, t.radius_arcsec) for t in targets.targets] == [(2, "TDE-1", 2.5), (3, "host", 3.0)]
    assert targets.bad[0].line == 4 and "radius" in targets.bad[0].reason
    ecsv = ("# %ECSV 1.0\n# ---\n# datatype:\n# - {name: id, datatype: string}\n# - {name: target, datatype: string}\n"
            "# schema: astropy-2.0\nid target\nA AT2019dsg\nB \"192.06346 17.77402\"\n")
    targets = service.read(ecsv, batch_settings)
    assert [(t.id, round(t.target.ra, 3)) for t in targets.targets] == [("A", 314.262), ("B", 192.063)]


def test_names_beyond_the_limit_must_be_coordinates(batch_settings):
    text = "\n".join(["AT2019dsg", "ASASSN-14li", "Gaia20fnr"])
    targets = service.read(text, replace(batch_settings, batch_max_names=1, offline=False, resolve_names_online=True,
                                         sesame_url="http://127.0.0.1:9/sesame"))
    # demo aliases resolve without the network and do not count; these are all aliases
    assert len(targets.targets) == 3
    names = service.read("Vega\nDeneb\nAltair", replace(batch_settings, batch_max_names=1, offline=False,
                                                        resolve_names_online=True,
                                                        sesame_url="http://127.0.0.1:9/sesame"))
    assert [b.line for b in names.bad if "more than 1 names" in b.reason] == [2, 3]
    assert "could not" in names.bad[0].reason.lower() or "reach" in names.bad[0].reason.lower()


def test_rows_statuses_and_visits_equal_the_single_target_view(batch_settings, tap):
    targets = service.read(LIST, batch_settings)
    result = service.run(targets, batch_settings)
    table = result.table
    assert list(table.columns) == COLUMNS
    assert table["line"].tolist() == [2, 3, 4, 5, 6, 7, 8]
    statuses = dict(zip(table["line"], table["status"], strict=True))
    assert statuses[4] == statuses[7] == "bad_input" and statuses[8] == "no_source"  # 10, 20: nothing recorded
    for item in targets.targets:
        single = view(observe(item.input, item.radius_arcsec, batch_settings), AnalysisParams())
        batch = result.run.view(item.line)
        assert statuses[item.line] == ("ok" if single.selection else "no_source")
        pd.testing.assert_frame_equal(batch.lightcurve.visits, single.lightcurve.visits)
        pd.testing.assert_frame_equal(batch.lightcurve.epochs, single.lightcurve.epochs)
        row = table[table["line"] == item.line].iloc[0]
        for band in ("W1", "W2"):
            stats = single.lightcurve.stats.get(band)
            assert row[f"n_visits_{band.lower()}"] == (stats.n_visits if stats else None) or pd.isna(
                row[f"n_visits_{band.lower()}"])
            if stats and stats.chi2_red is not None:
                assert row[f"{band.lower()}_chi2_red"] == pytest.approx(stats.chi2_red)
    ok = table[table["status"] == "ok"]
    assert (ok["n_visits_w1"] > 5).all() and ok["w1_w2_median"].notna().all()


def single_view_row(item, shown, failed: dict) -> dict:
    """The summary row a target should get, read off its single view (the page's ``analyze``):
    the oracle for the batch's all-at-once analysis (dashboard/batch/analysis.py)."""
    row: dict = {"line": item.line, "id": item.id, "input": item.input, "ra": item.target.ra, "dec": item.target.dec}
    if shown.selection is not None:
        source = shown.sources[shown.sources["key"] == shown.selection.key].iloc[0]
        row |= {"designation": shown.selection.designation, "ph_qual": source.get("ph_qual"),
                "separation_arcsec": round(shown.selection.separation_arcsec, 4)}
        for b in range(1, 5):
            row[f"w{b}mpro"], row[f"w{b}sigmpro"] = source.get(f"w{b}mpro"), source.get(f"w{b}sigmpro")
        ext = source.get("ext_flg")
        row["ext_flg"] = float(ext) if ext is not None and pd.notna(ext) else np.nan
        sed = shown.sed[shown.sed["catalog"] == shown.sed["catalog"].iloc[0]].set_index("band")
        for b in range(1, 5):  # the SED's photometry and saturation per band
            row[f"phot_w{b}"], row[f"sat_w{b}"] = sed.loc[f"W{b}", "phot"], bool(sed.loc[f"W{b}", "saturated"])
        row |= {v.criterion: v.answer for v in shown.colours}  # the colour classes of the selected source
        row[CLASS_COLUMN] = class_label(shown.colours)
    epochs = shown.lightcurve.epochs
    if not epochs.empty:
        row["n_epochs_passed"], row["n_epochs_rejected"] = int(epochs["passed"].sum()), int((~epochs["passed"]).sum())
    for band, stats in shown.lightcurve.stats.items():
        row[f"n_visits_{band.lower()}"] = stats.n_visits
        row |= {f"{band.lower()}_{k}": v for k, v in asdict(stats).items()}
    colour = shown.lightcurve.colour()
    if colour["w1_w2"].notna().any():
        row["w1_w2_median"] = float(np.nanmedian(colour["w1_w2"].to_numpy(float)))
    row["status"] = "failed" if failed else "ok" if shown.selection else "no_source"
    return row


def test_every_summary_value_equals_the_single_view_of_its_target(batch_settings, tap):
    """Real recorded targets of every kind: full AllWISE rows with designations, cntr and ph_qual
    (the Cohen standards, one typed as its designation), NEOWISE-R rows with allwise_cntr and
    placeholder values (ASASSN-15lh's host), epochs without a catalog source (Gaia20fnr), a pole
    target (AT2018lzs). Every column of every row equals what the single view says."""
    text = ("HD 73108\nJ084012.78+641940.9\nHD 199101\nGaia20fnr\nASASSN-15lh\nAT2018lzs\nASASSN-21qj\n"
            "AT2016eix\nAT2018lhv\nAT2019dsg\n192.06346 +17.77402\n")
    targets = service.read(text, replace(batch_settings, default_radius_arcsec=4.0))
    result = service.run(targets, batch_settings)
    got = result.table.set_index("line")
    expected = pd.DataFrame([single_view_row(t, view(observe(t.input, t.radius_arcsec, batch_settings),
                                                     AnalysisParams()), result.run.failures.get(t.line))
                             for t in targets.targets], columns=COLUMNS).set_index("line")
    assert set(got["status"]) == {"ok", "no_source"} and (got["status"] == "ok").sum() >= 5
    assert got["w1_chi2_red_floor"].notna().sum() >= 5 and got["ph_qual"].notna().sum() >= 3
    pd.testing.assert_frame_equal(got.drop(columns="reason"), expected.drop(columns="reason"), check_dtype=False,
                                  rtol=1e-12)


def test_the_flare_columns_equal_each_targets_own_flare_search(batch_settings, tap):
    """``batch --flare`` with a list's z column: each summary row's flare columns are what the
    single view's flare.csv says with that target's redshift (real rows: AT2019dsg's echo, a
    timewise host, a Cohen standard); a bad z is a bad line that says what is accepted."""
    from dashboard.batch.analysis import FLARE_SUMMARY
    from dashboard.science.flares import FlareParams, flare_row

    text = "target,z\nAT2019dsg,0.0512\nAT2018lhv,\nHD 73108,\nAT2016eix,seven\n"
    targets = service.read(text, replace(batch_settings, default_radius_arcsec=4.0))
    assert [b.line for b in targets.bad] == [5] and "not a redshift from 0 to 7" in targets.bad[0].reason
    params = AnalysisParams(flare=FlareParams())
    table = service.run(targets, batch_settings, params=params).table.set_index("line")
    assert table.loc[2, "flare"] and table.loc[2, "redshift"] == 0.0512 and table.loc[2, "t_dust_frame"] == "rest"
    for item in targets.targets:
        own = AnalysisParams(flare=FlareParams(redshift=item.redshift))
        row = flare_row(view(observe(item.input, item.radius_arcsec, batch_settings), own).flare)
        for name, column in FLARE_SUMMARY.items():
            got, expected = table.loc[item.line, column], row[name]
            assert (pd.isna(got) and pd.isna(expected)) or got == expected, (item.input, column, got, expected)


def test_one_query_per_table_per_chunk_and_every_job_deleted(batch_settings, tap):
    targets = service.read(LIST, batch_settings)  # 5 targets, chunks of 2: 3 chunks
    service.run(targets, batch_settings)
    per_table = pd.Series([t for t, _ in tap.uploads]).value_counts().to_dict()
    assert per_table == {"allwise_p3as_psd": 3, "allwise_p3as_mep": 3, "neowiser_p1bs_psd": 3}
    assert sorted(n for _, n in tap.uploads) == [1] * 3 + [2] * 6  # chunk sizes 2, 2, 1
    assert len(tap.jobs) == 9 and all(job.deleted for job in tap.jobs.values())
    assert not tap.requests.get("sync")  # nothing went through per-target sync queries


def test_a_failing_chunk_is_retried_alone_and_a_second_failure_stays_in_its_chunk(batch_settings, tap):
    targets = service.read(LIST, batch_settings)
    tap.faults["neowiser_p1bs_psd"] = Fault(job_failures=1)  # the first chunk's first try fails
    result = service.run(targets, batch_settings)
    assert set(result.table["status"]) == {"ok", "bad_input", "no_source"}
    assert result.run.chunks[0].attempts["neowiser_p1bs_psd"] == 2
    assert [c.attempts["neowiser_p1bs_psd"] for c in result.run.chunks[1:]] == [1, 1]
    tap.reset()
    tap.faults["neowiser_p1bs_psd"] = Fault(job_failures=2)  # the first chunk fails twice: only it fails
    again = service.run(targets, replace(batch_settings, cache_dir=batch_settings.cache_dir / "other"))
    statuses = dict(zip(again.table["line"], again.table["status"], strict=True))
    assert statuses[2] == statuses[3] == "failed" and statuses[6] == "ok" and statuses[8] == "no_source"
    assert "neowiser_p1bs_psd" in again.table.set_index("line").loc[2, "reason"]


def test_running_the_list_again_resumes_from_the_chunks_already_done(batch_settings, tap):
    targets = service.read(LIST, batch_settings)
    tap.faults["neowiser_p1bs_psd"] = Fault(job_failures=2)
    service.run(targets, batch_settings)
    tap.reset()
    second = service.run(targets, batch_settings)
    assert tap.uploads == [("neowiser_p1bs_psd", 2)]  # only the chunk that failed is asked again
    assert "failed" not in set(second.table["status"])


def test_the_same_list_run_twice_at_once_makes_one_irsa_job_per_chunk(batch_settings, tap):
    """Two people (or one, twice) run the same list at the same moment: each chunk is asked once;
    the second batch waits on the first's lease and takes its reply from the cache."""
    targets = service.read(LIST, batch_settings)
    tap.faults["neowiser_p1bs_psd"] = Fault(latency_s=1.0)  # each job takes a while, so the two overlap
    results: list = []
    runs = [threading.Thread(target=lambda: results.append(service.run(targets, batch_settings))) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join(120)
    assert len(results) == 2
    per_table = pd.Series([t for t, _ in tap.uploads]).value_counts().to_dict()
    assert per_table == {"allwise_p3as_psd": 3, "allwise_p3as_mep": 3, "neowiser_p1bs_psd": 3}
    pd.testing.assert_frame_equal(results[0].table, results[1].table)
    states = [state for r in results for c in r.run.chunks for state in c.tables.values()]
    assert sum("from cache" in state for state in states) == 9  # one batch asked, the other read


def test_a_batch_waiting_for_anothers_chunk_can_be_cancelled(batch_settings, tap):
    targets = service.read(LIST, batch_settings)
    tap.faults["neowiser_p1bs_psd"] = Fault(latency_s=30.0)
    first_stop, second_stop = threading.Event(), threading.Event()
    first = threading.Thread(target=lambda: service.run(targets, batch_settings, cancelled=first_stop.is_set))
    first.start()
    while not tap.uploads:  # the first batch holds the chunk's lease and its job is out
        time.sleep(0.05)
    threading.Timer(0.5, second_stop.set).start()
    started = time.monotonic()
    second = service.run(targets, batch_settings, cancelled=second_stop.is_set)
    assert time.monotonic() - started < 10 and second.run.cancelled  # it did not wait for the 30 s job
    first_stop.set()
    first.join(30)
    assert not first.is_alive()


def test_cancel_deletes_the_running_uws_job(batch_settings, tap):
    targets = service.read(LIST, batch_settings)
    tap.faults["neowiser_p1bs_psd"] = Fault(latency_s=30.0)
    stop = threading.Event()
    threading.Timer(0.8, stop.set).start()
    started = time.monotonic()
    result = service.run(targets, batch_settings, cancelled=stop.is_set)
    assert time.monotonic() - started < 20  # it did not wait for the slow job (30 s)
    assert result.run.cancelled and result.run.jobs
    assert all(tap.jobs[url.rsplit("/", 1)[1]].deleted for url in result.run.jobs)
    assert "cancelled" in " ".join(result.table["reason"].dropna())


def test_the_uploaded_table_is_built_from_numbers_never_from_the_text(batch_settings):
    hostile = "id,target\n\"'; DROP TABLE x; --\",AT2019dsg\n<script>,192.06346 17.77402\n"
    targets = service.read(hostile, batch_settings)
    upload = upload_votable(targets.targets)
    assert b"DROP" not in upload and b"script" not in upload and b"AT2019dsg" not in upload
    assert targets.targets[0].id == "'; DROP TABLE x; --"  # kept as an id for the summary, never sent


def test_typed_text_that_a_spreadsheet_would_run_is_neutralised_in_summary_csv(batch_settings, tap):
    """A colleague's list (OWASP's CSV-injection payloads as ids and as lines) gives a summary.csv
    whose typed cells a spreadsheet shows as text; numbers and the page's rows are untouched."""
    hostile = ('id,target\n"=HYPERLINK(""https://example.org"",""x"")",AT2019dsg\n'
               '"-2+3+cmd|\' /C calc\'!A0",192.06346 17.77402\n@SUM(1+1),AT2019dsg\nbad,=1+1\n'
               'plain,-1.5 +3\n')
    targets = service.read(hostile, batch_settings)
    result = service.run(targets, batch_settings)
    table = result.table
    assert table.loc[table["line"] == 2, "id"].item().startswith("=HYPERLINK")  # the data itself is kept
    written = pd.read_csv(io.BytesIO(summary_csv(table)), dtype={"id": str, "input": str})
    by_line = written.set_index("line")
    assert by_line.loc[2, "id"].startswith("'=HYPERLINK") and by_line.loc[3, "id"].startswith("'-2+3+cmd|")
    assert by_line.loc[4, "id"] == "'@SUM(1+1)" and by_line.loc[5, "input"] == "'=1+1"
    assert by_line.loc[6, "id"] == "plain" and by_line.loc[6, "input"] == "'-1.5 +3"
    typed = written[["id", "input", "reason"]].fillna("").astype(str).to_numpy().ravel()
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in typed)
    assert by_line.loc[2, "status"] == "ok" and abs(by_line.loc[2, "ra"] - 314.26238) < 1e-3


#: Real recorded targets of every kind (the summary test's list): full AllWISE rows, NEOWISE-R
#: rows with allwise_cntr and placeholder values, epochs without a catalog source, a pole target.
VARIED = ("HD 73108\nJ084012.78+641940.9\nHD 199101\nGaia20fnr\nASASSN-15lh\nAT2018lzs\nASASSN-21qj\n"
          "AT2016eix\nAT2018lhv\nAT2019dsg\n192.06346 +17.77402\n10.0 20.0\n")


@pytest.mark.parametrize("params", [
    AnalysisParams(),
    AnalysisParams(match_radius_arcsec=2.0, epoch_cuts=EpochCuts(("nb", "qf", "moon")),
                   sed_options=SedOptions(phot="aperture"), catalog_cuts=CatalogCuts(ph_qual="AB", min_snr=5.0)),
    AnalysisParams(periodogram=True),  # not made by the chunk route: every view through analyze
], ids=["default", "other-cuts", "periodogram"])
def test_a_chunks_views_made_at_once_equal_each_targets_analyze(batch_settings, tap, params):
    """The bundle's folders come from ``ChunkData.views`` (the chunk's epochs made at once);
    each view must be what ``analyze`` gives its target alone: every file and the manifest."""
    from dashboard.provenance.bundle import data_files
    from dashboard.provenance.manifest import manifest, manifest_bytes

    def text(entry: dict) -> bytes:  # as the bundle writes it (a NaN is not equal to itself in a dict)
        return manifest_bytes(entry)

    targets = service.read(VARIED, replace(batch_settings, default_radius_arcsec=4.0, batch_chunk=5))
    result = service.run(targets, replace(batch_settings, batch_chunk=5), params=params)
    run = result.run
    chunks = {chunk.index: chunk for chunk, _ in run.placed.values()}
    assert len(chunks) == 3
    compared = epochs = written_at_once = 0
    for chunk in chunks.values():
        for uid, (made, written) in enumerate(chunk.views(run.queries, run.service_url)):
            alone = chunk.view(uid, run.queries, run.service_url)
            for frame in ("epochs", "visits"):
                pd.testing.assert_frame_equal(getattr(made.lightcurve, frame), getattr(alone.lightcurve, frame))
            assert made.lightcurve.stats == alone.lightcurve.stats
            assert made.filters == alone.filters and made.match_counts == alone.match_counts
            files = data_files(made, written)  # as the bundle writes them: light curves from the chunk's frames
            assert files == data_files(alone)
            assert text(manifest(made, batch_settings, files)) == text(manifest(alone, batch_settings, files))
            compared += 1
            epochs += len(made.lightcurve.epochs)
            written_at_once += bool(written)
    assert compared == 12 and epochs > 3000, epochs
    assert written_at_once >= (0 if params.periodogram else 7)  # the light curves' files written from the chunks


def test_a_target_whose_own_selection_differs_goes_through_analyze(batch_settings, tap, monkeypatch):
    """The chunk's epochs are matched to the summary's choice of source; were a target's own
    selection ever another, its view must come from ``analyze`` alone (forced here: the chunk
    choosing no source for anyone), and still equal it."""
    from dashboard.batch import views as chunk_route
    from dashboard.provenance.bundle import data_files

    targets = service.read(VARIED, replace(batch_settings, default_radius_arcsec=4.0, batch_chunk=12))
    result = service.run(targets, replace(batch_settings, batch_chunk=12))
    run = result.run
    chunk = next(iter(run.placed.values()))[0]
    monkeypatch.setattr(chunk_route, "select_sources", lambda psd, ra, dec, wanted: (np.full(len(ra), -1), ra))
    made = list(chunk.views(run.queries, run.service_url))
    alone = [chunk.view(uid, run.queries, run.service_url) for uid in range(len(made))]
    assert [data_files(v, w) for v, w in made] == [data_files(v) for v in alone]
    with_source = [not w and v.selection is not None for v, w in made]  # nothing written at once: analyze's
    assert sum(with_source) >= 5 and all(bool(w) for (v, w) in made if v.selection is None and len(v.lightcurve.epochs))


def test_batch_bundle_has_the_summary_each_target_and_one_reproduce(batch_settings, tap, tmp_path):
    targets = service.read(LIST, batch_settings)
    result = service.run(targets, batch_settings)
    data = build_batch_bundle(result.run, targets.bad, result.table, batch_settings)
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    assert "summary.csv" in names and "reproduce.py" in names and "CITATION.bib" in names
    summary = pd.read_csv(io.BytesIO(archive.read("summary.csv")))
    assert list(summary.columns) == COLUMNS and len(summary) == 7
    top = json.loads(archive.read("manifest.json"))
    assert set(top["upload_queries"]) == {"allwise_p3as_psd", "allwise_p3as_mep", "neowiser_p1bs_psd"}
    assert len(top["chunks"]) == 3 and "line 4: bad input" in archive.read("FAILURES.txt").decode()
    folder = top["folders"]["2"]
    own = json.loads(archive.read(f"{folder}/manifest.json"))
    assert own["tables"][0]["adql"] in top["upload_queries"].values()
    # each chunk's reply is in the bundle once, as the TAP server sent it, and targets point into it
    replies = {n for n in names if n.startswith("raw/")}
    assert replies == {f"raw/chunk_{c:03d}_{t}.vot" for c in range(3) for t in top["upload_queries"]}
    assert not any(n.startswith("targets/") and n.endswith(".vot") for n in names)
    sent = {(c.index, t): r.raw for c, _ in result.run.placed.values() for t, r in c.replies.items()}
    assert all(archive.read(f"raw/chunk_{c:03d}_{t}.vot") == raw for (c, t), raw in sent.items())
    uid = result.run.placed[2][1]
    assert {t["upload_id"] for t in own["tables"]} == {uid}
    archive.extractall(tmp_path)
    for folder in top["folders"].values():  # every target recomputes offline to the same files
        again = recompute(tmp_path / folder)
        for name, content in again.items():
            assert content == (tmp_path / folder / name).read_bytes(), (folder, name)
    ran = run_reproduce(tmp_path)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert ran.stdout.count("equal    lightcurve_visits.csv") == len(top["folders"]) and "DIFFERS" not in ran.stdout
    # one target's rows changed inside the shared chunk reply: caught by checksum and by recomputing
    shared = tmp_path / own["tables"][-1]["raw_file"].removeprefix("../../")
    shared.write_bytes(shared.read_bytes().replace(b"<TD>1</TD>", b"<TD>2</TD>", 1))
    ran = run_reproduce(tmp_path)
    assert ran.returncode == 1 and f"CHANGED  {shared.relative_to(tmp_path)}" in ran.stdout


def test_runner_uses_at_most_half_of_the_upstream_slots(batch_settings):
    runner = BatchRunner(replace(batch_settings, max_concurrent_upstream=4))
    assert runner.slots.limit == 2 and runner.slots.service == "upstream"


def test_a_cancelled_batch_stops_waiting_for_an_upstream_slot(batch_settings, tap):
    """Every batch slot held by others (other batches' slow jobs): Cancel ends the wait while
    they still hold them, no job is created, and each table says it was cancelled (not "busy"
    after waiting out WISE_BATCH_JOB_WAIT_S)."""
    runner = BatchRunner(replace(batch_settings, max_concurrent_upstream=4, batch_job_wait_s=5.0))
    targets = service.read("AT2019dsg\nGaia20fnr\n", batch_settings).targets
    with runner.slots.slot(1.0), runner.slots.slot(1.0):  # both batch slots, held by "another batch"
        start = time.monotonic()
        out = runner.run(targets, cancelled=lambda: time.monotonic() > start + 0.5)
        assert out.cancelled  # returned with the slots still held by the others
    assert tap.uploads == [] and out.jobs == []
    tables = ("allwise_p3as_psd", "allwise_p3as_mep", "neowiser_p1bs_psd")
    # one attempt each, ended by the cancel (a wait that ignored it ends "busy" and tries again)
    assert out.chunks[0].tables == {t: "failed: cancelled" for t in tables}
    assert out.chunks[0].attempts == {t: 1 for t in tables}


def wait_for(predicate, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_the_group_server_runs_one_batch_per_client_and_cancel_deletes_its_job(batch_settings, tap):
    from dashboard.web.batches import Batches, BatchRefused

    batches = Batches(batch_settings)
    tap.faults["neowiser_p1bs_psd"] = Fault(latency_s=5.0)
    first = batches.start(LIST, "2.5", "203.0.113.7")
    with pytest.raises(BatchRefused, match="already have a batch running"):
        batches.start(LIST, "2.5", "203.0.113.7")
    # on the page, the refusal links to the batch that runs (and the address stays)
    where, said = start_page_batch(batches, LIST, None, "2.5", "203.0.113.7")
    assert where is no_update and [c.href for c in said if hasattr(c, "href")] == [f"/batch/{first}"]
    other = batches.start("AT2019dsg", "2.5", "198.51.100.1")  # another client is not held up
    # the first client's own job (not the other client's, which may start first) is at IRSA
    wait_for(lambda: any(tap.jobs[u.rsplit("/", 1)[1]].phase == "EXECUTING" for u in batches.get(first).jobs))
    batches.cancel(first)
    wait_for(lambda: batches.get(first).status == "cancelled", 8.0)
    state = batches.get(first)
    assert state.jobs and all(tap.jobs[u.rsplit("/", 1)[1]].deleted for u in state.jobs)
    wait_for(lambda: batches.get(other).status == "done", 30.0)  # the table first, then the bundle
    assert batches.get(other).rows[0]["status"] == "ok" and batches.summary_csv(other).startswith(b"line,id,input")
    wait_for(lambda: batches.get(other).bundle == "ready", 30.0)
    assert zipfile.ZipFile(io.BytesIO(batches.bundle(other))).read("summary.csv") == batches.summary_csv(other)
    wait_for(lambda: batches.get(first).bundle == "ready", 30.0)  # no batch thread outlives the test
    tap.faults.clear()
    third = batches.start(LIST, "2.5", "203.0.113.7")  # once cancelled, the client may start another
    wait_for(lambda: batches.get(third).bundle == "ready", 60.0)


def test_a_batch_whose_worker_died_is_told_and_its_jobs_are_deleted(batch_settings, tap):
    """A worker killed mid-batch leaves its state 'running' with no heartbeat and a UWS job at
    IRSA: the next reader says so and the clean-up deletes the job."""
    import pyvo

    from dashboard.web.batches import INDEX, Batches, BatchState

    batches = Batches(batch_settings)
    job = pyvo.dal.AsyncTAPJob.create(tap.url, "SELECT 1", uploads={"targets": io.BytesIO(upload_votable(
        service.read("AT2019dsg", batch_settings).targets))})
    dead = BatchState(id="a" * 32, client="x", jobs=[job.url])
    batches._save(dead)
    batches.store.set(INDEX, [dead.id])
    assert batches.get(dead.id).status == "lost"  # a read marks it lost and deletes nothing over the network
    assert not tap.jobs[job.url.rsplit("/", 1)[1]].deleted
    assert batches.clean_up() == 1
    assert tap.jobs[job.url.rsplit("/", 1)[1]].deleted
    assert batches.clean_up() == 0  # deleted once
    state = batches.get(dead.id)
    assert state.status == "lost" and "restarted" in state.message
    # killed after its table, while making the bundle: the table stands, the bundle is said to be lost
    batches._save(BatchState(id="c" * 32, client="x", status="done", bundle="preparing", rows=[{"line": 2}]))
    later = batches.get("c" * 32)
    assert later.status == "done" and later.bundle == "failed" and later.rows == [{"line": 2}]


def test_each_chunk_counts_against_the_clients_rate_limit(batch_settings, tap):
    from dashboard.web.batches import Batches

    batches = Batches(replace(batch_settings, rate_limit_per_minute=2))
    early_in_a_minute()  # the limit's window is the clock minute
    ident = batches.start(LIST, "2.5", "192.0.2.9")  # 5 targets in chunks of 2: 3 chunks, 2 allowed
    wait_for(lambda: batches.get(ident).bundle == "ready", 30.0)
    state = batches.get(ident)
    assert state.status == "done" and "Too many requests" in state.message
    reasons = {r["line"]: r["reason"] for r in state.rows}
    assert "Too many requests" in reasons[8] and reasons[2] == ""


def test_the_page_limit_refuses_a_long_list_with_what_to_do(batch_settings):
    from dashboard.web.batches import Batches, BatchRefused

    with pytest.raises(BatchRefused, match="at most 3 .*python -m dashboard batch"):
        Batches(replace(batch_settings, batch_max_targets=3)).start(LIST, "", "192.0.2.1")
    with pytest.raises(BatchRefused, match="radius"):
        Batches(batch_settings).start(LIST, "-3", "192.0.2.1")


def test_offline_a_batch_answers_demo_targets_from_the_archive_and_fails_the_rest_with_why(batch_settings,
                                                                                           offline_settings):
    """WISE_OFFLINE: the batch asks no TAP service (the local one counts no query), every demo
    target's summary row equals its offline single view, and a target the archive never recorded
    is ``failed`` naming the demo targets (it raised KeyError: 'ra' before)."""
    offline = replace(offline_settings, batch_chunk=3, default_radius_arcsec=4.0)
    text = "HD 73108\nGaia20fnr\nASASSN-15lh\nAT2019dsg\n192.06346 +17.77402\n10 10\n"
    targets = service.read(text, offline)
    result = service.run(targets, offline)
    got = result.table.set_index("line")
    assert got.loc[6, "status"] == "failed" and "not in the offline archive" in got.loc[6, "reason"]
    assert "AT2019dsg" in got.loc[6, "reason"]
    assert got.loc[2, "status"] == "no_source" and "catalog of this cone is not in the offline archive" in got.loc[
        2, "reason"]  # Gaia20fnr: epochs recorded, its catalog row not
    covered = [t for t in targets.targets if t.line != 6]
    expected = pd.DataFrame([single_view_row(t, view(observe(t.input, t.radius_arcsec, offline), AnalysisParams()),
                                             {}) for t in covered], columns=COLUMNS).set_index("line")
    pd.testing.assert_frame_equal(got.drop(index=6).drop(columns="reason"), expected.drop(columns="reason"),
                                  check_dtype=False, rtol=1e-12)
    for item in covered:  # each target's full view says where its rows came from
        shown = result.run.view(item.line)
        assert all(r.provenance.source == "offline" for r in shown.observations.results.values())


def test_an_offline_batch_bundle_reproduces_with_its_identifiers_exact(offline_settings, tmp_path):
    """Real recorded rows: the demo targets' recordings differ in columns (AT2019dsg's Gator row
    has no cntr, ext_flg, nb, na; the Cohen stars' VizieR rows have them). Their concatenation
    made those columns float in the batch (cntr 1288163601351051264 written as 1.288163601e+18,
    and sources.ecsv declared float64) while reproduce.py, reading the bundle's raw VOTable, got
    integers: it said DIFFERS. Now the batch's rows are the reply's, and every folder reproduces."""
    offline = replace(offline_settings, batch_chunk=5, default_radius_arcsec=4.0)
    targets = service.read("HD 73108\nAT2019dsg\nASASSN-14li\n", offline)
    result = service.run(targets, offline)
    data = build_batch_bundle(result.run, targets.bad, result.table, offline)
    zipfile.ZipFile(io.BytesIO(data)).extractall(tmp_path)
    ran = run_reproduce(tmp_path)
    assert ran.returncode == 0 and "DIFFERS" not in ran.stdout, ran.stdout + ran.stderr
    top = json.loads((tmp_path / "manifest.json").read_text())
    star = pd.read_csv(tmp_path / top["folders"]["1"] / "sources.csv", dtype={"cntr": str})
    single = view(observe("HD 73108", 4.0, offline), AnalysisParams()).sources
    assert star["cntr"].iloc[0] == str(single["cntr"].iloc[0]) and len(star["cntr"].iloc[0]) == 19


def test_a_batch_where_every_table_failed_still_has_a_row_per_target(batch_settings, tap):
    """Every table failing (every IRSA job ends in ERROR) gives the summary a failed row per
    target with the reason, never a KeyError."""
    for table in ("allwise_p3as_psd", "allwise_p3as_mep", "neowiser_p1bs_psd"):
        tap.faults[table] = Fault(job_failures=10)
    targets = service.read("AT2019dsg\n10 10\n", replace(batch_settings, batch_job_wait_s=5.0))
    result = service.run(targets, batch_settings)
    assert result.table["status"].tolist() == ["failed", "failed"]
    assert all("allwise_p3as_psd" in reason for reason in result.table["reason"])
    data = build_batch_bundle(result.run, targets.bad, result.table, batch_settings)
    assert zipfile.ZipFile(io.BytesIO(data)).read("summary.csv").count(b"\n") == 3


def test_an_offline_batch_says_where_a_recording_covers_less_than_the_cone(offline_settings):
    """Issue 41 item 8: offline, a batch line's cone larger than its recording gave "ok" with no
    word, where the single view warns. HD 73108's real catalog row is recorded within 5″."""
    targets = service.read("HD 73108\n", offline_settings, radius=10.0)
    row = service.run(targets, offline_settings).table.iloc[0]
    assert row["status"] == "ok" and "covers only 5 arcsec of this 10 arcsec cone" in row["reason"]
    inside = service.run(service.read("HD 73108\n", offline_settings, radius=4.0), offline_settings).table.iloc[0]
    assert inside["status"] == "ok" and not inside["reason"]


def test_the_batch_page_can_search_every_target_for_a_flare(offline_settings):
    """Issue 43 item 5 on the page's route: a batch started with the flare search analyses every
    target with it (AT2019dsg's real visits: the flare found, as the single view finds it) and the
    page's table shows the flare columns."""
    import time

    from dashboard.ui.batch import columns
    from dashboard.web.batches import Batches

    batches = Batches(offline_settings)
    ident = batches.start("AT2019dsg\n", "2.5", "10.0.0.5", "tap", flare=True)
    deadline = time.monotonic() + 120
    while batches.get(ident).status == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    state = batches.get(ident)
    assert state.status == "done" and state.flare
    row = state.rows[0]
    assert row["flare"] is True and row["peak_significance_w1"] > 5 and row["flare_start_mjd"] > 58400
    fields = [c["field"] for c in columns(with_id=False, flare=True)]
    assert fields[1:4] == ["status", "input", "flare"]
    plain = Batches(offline_settings).start("AT2019dsg\n", "2.5", "10.0.0.6", "tap")
    while Batches(offline_settings).get(plain).status == "running" and time.monotonic() < deadline + 60:
        time.sleep(0.2)
    assert not Batches(offline_settings).get(plain).flare
