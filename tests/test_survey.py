"""Survey scale (#29): the Parquet route on Dask against a local mirror in IRSA's layout
(``parquet_mirror.py``: the real recorded rows the TAP stand-in answers from), compared with the
TAP route on the same targets; a real ``dask scheduler`` with two ``dask worker`` processes, one of
them killed mid-run; resuming a folder; the schema check; the command line."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import hpgeom
import numpy as np
import pandas as pd
import pytest
from parquet_mirror import build_mirror

from dashboard.archive import offline
from dashboard.archive.parquet import (
    NEOWISE_YEARS,
    Cones,
    ParquetRoot,
    boxes,
    cone_pixels,
    home_pixels,
    neowise_dataset,
    read_cones,
    read_schema,
)
from dashboard.batch import service
from dashboard.batch.cluster import dask_client
from dashboard.batch.outputs import OutDir, OutDirConflict
from dashboard.batch.survey import identity, run_survey
from dashboard.core.errors import ParquetSchemaMismatch
from dashboard.core.tables import MEP, NEOWISE, PSD
from dashboard.science.analysis import AnalysisParams
from servers import free_port
from tap_server import recorded_rows

ROOT = Path(__file__).resolve().parents[1]
#: Every demo target (real recordings) and a position no recording covers.
LIST = "\n".join(t.name for t in offline.demo_targets()) + "\n10.0 20.0\n"


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    return build_mirror(tmp_path_factory.mktemp("mirror"))


@pytest.fixture(scope="module")
def client():
    with dask_client(None, workers=2, memory_limit="1GiB") as c:
        yield c


@pytest.fixture
def survey_settings(settings, mirror):
    return replace(settings, parquet_root=str(mirror), batch_chunk=4, default_radius_arcsec=5.0,
                   batch_job_wait_s=20.0)


def survey(targets, settings, folder, client, **kwargs):
    out = OutDir(folder, identity(targets.targets, settings, AnalysisParams()))
    return run_survey(targets, settings, out, client, **kwargs)


def tap_folder(targets, settings, folder):
    result = service.run(targets, settings)
    return service.write_folder(folder, result, settings, AnalysisParams())


def sorted_visits(folder: Path) -> pd.DataFrame:
    return pd.read_parquet(folder / "visits.parquet").sort_values(["line", "visit", "band"]).reset_index(drop=True)


def test_every_row_in_a_cone_lies_in_a_pixel_and_a_box_of_that_cone():
    """Constructed positions (no recording reaches the poles or RA 0): targets everywhere, with
    points on the edge of each cone; every point's pixel is among the cone's pixels and a box holds it."""
    rng = np.random.default_rng(5)
    ra = np.r_[rng.uniform(0, 360, 300), 0.0005, 359.9995, 12.0, 200.0]
    dec = np.r_[rng.uniform(-89.9, 89.9, 300), 10.0, -10.0, 89.9995, -89.9995]
    radius = np.r_[rng.uniform(1, 120, 300), 5.0, 5.0, 3.0, 3.0]
    for r0, d0, rad in zip(ra, dec, radius, strict=True):
        angle = np.linspace(0, 2 * np.pi, 16, endpoint=False)
        # points at 0.999 of the radius, in 16 directions (tangent-plane offsets, then exact separation)
        d = d0 + 0.999 * rad / 3600 * np.cos(angle)
        r = (r0 + 0.999 * rad / 3600 * np.sin(angle) / np.cos(np.radians(d0))) % 360
        ok = np.abs(d) <= 90
        pixels = set(cone_pixels(r0, d0, rad).tolist())
        assert set(home_pixels(r[ok], d[ok]).tolist()) <= pixels
        held = np.zeros(ok.sum(), bool)
        for lo, hi, dlo, dhi in boxes(Cones(np.array([0]), np.array([r0]), np.array([d0]), np.array([rad]))):
            held |= (r[ok] >= lo) & (r[ok] <= hi) & (d[ok] >= dlo) & (d[ok] <= dhi)
        assert held.all(), (r0, d0, rad)
    many = Cones(np.arange(500), rng.uniform(0, 360, 500), rng.uniform(-60, 60, 500), np.full(500, 10.0))
    merged = boxes(many)
    assert len(merged) <= 64 and all(hi - lo < 360 or dhi - dlo < 181 for lo, hi, dlo, dhi in merged)


def test_the_parquet_route_equals_the_tap_route_on_real_rows(survey_settings, tap, client, tmp_path):
    """Same sources, same visits, the same summary.csv to the byte; the multi-epoch table through
    TAP uploads (one job per chunk), the catalog and NEOWISE-R never through TAP."""
    targets = service.read(LIST, survey_settings)
    by_tap = tap_folder(targets, survey_settings, tmp_path / "tap")
    tap.reset()
    run = survey(targets, survey_settings, tmp_path / "parquet", client)
    assert (tmp_path / "parquet" / "summary.csv").read_bytes() == (by_tap / "summary.csv").read_bytes()
    pd.testing.assert_frame_equal(sorted_visits(tmp_path / "parquet"), sorted_visits(by_tap))
    table = pd.read_csv(tmp_path / "parquet" / "summary.csv")
    assert len(table) == len(targets.targets) and (table["status"] == "ok").sum() >= 5
    assert table.loc[table["input"] == "AT2019dsg", "n_visits_w1"].item() == 20
    assert {t for t, _ in tap.uploads} == {MEP.name}  # only the multi-epoch table went through TAP
    assert len(tap.uploads) == -(-len(targets.targets) // survey_settings.batch_chunk)
    manifest = json.loads((tmp_path / "parquet" / "manifest.json").read_text())
    assert manifest["service"] == "parquet" and manifest["root"] == survey_settings.parquet_root
    assert [d["year"] for d in manifest["datasets"]] == [None, *NEOWISE_YEARS]
    assert manifest["by_tap"]["tables"] == [MEP.name] and "TAP_UPLOAD" in manifest["by_tap"]["adql"]
    assert manifest["pixels"]["units"] == sorted({int(p) for p in home_pixels(
        np.array([t.target.ra for t in targets.targets]), np.array([t.target.dec for t in targets.targets]))})
    assert manifest["counts"]["targets"] == len(targets.targets) and set(manifest["software"]) >= {"pyarrow", "dask"}
    for name, digest in manifest["files"].items():
        assert __import__("hashlib").sha256((tmp_path / "parquet" / name).read_bytes()).hexdigest() == digest
    assert run.summary["line"].tolist() == table["line"].tolist()


def test_a_cone_across_a_pixel_boundary_reads_both_pixels(settings, tap, client, tmp_path):
    """Constructed (no recording straddles a pixel edge): AT2019dsg's real NEOWISE-R rows moved
    to a point on the edge of two order-5 pixels, spread over 4 arcsec; both routes agree."""
    real = recorded_rows(NEOWISE.name)
    own = real[(np.abs(real["ra"] - 314.26238) < 0.01) & (np.abs(real["dec"] - 14.20441) < 0.01)].copy()
    corners_ra, corners_dec = hpgeom.boundaries(32, 5000, step=1, nest=True)
    edge_ra, edge_dec = (corners_ra[0] + corners_ra[1]) / 2, (corners_dec[0] + corners_dec[1]) / 2
    rng = np.random.default_rng(1)
    own["ra"] = edge_ra + rng.uniform(-4, 4, len(own)) / 3600 / np.cos(np.radians(edge_dec))
    own["dec"] = edge_dec + rng.uniform(-4, 4, len(own)) / 3600
    assert len(set(home_pixels(own["ra"].to_numpy(), own["dec"].to_numpy()).tolist())) == 2
    mirror = build_mirror(tmp_path / "mirror", extra={NEOWISE.name: own})
    tap.extra_rows[NEOWISE.name] = own
    edge = replace(settings, parquet_root=str(mirror), batch_chunk=4)
    targets = service.read(f"{edge_ra:.7f} {edge_dec:+.7f}\n", edge, radius=6.0)
    by_tap = tap_folder(targets, edge, tmp_path / "tap")
    survey(targets, edge, tmp_path / "parquet", client)
    assert (tmp_path / "parquet" / "summary.csv").read_bytes() == (by_tap / "summary.csv").read_bytes()
    table = pd.read_csv(tmp_path / "parquet" / "summary.csv")
    assert table["n_epochs_passed"].item() + table["n_epochs_rejected"].item() > 0.9 * len(own)
    manifest = json.loads((tmp_path / "parquet" / "manifest.json").read_text())
    assert len(manifest["pixels"]["read"]) >= 2


@pytest.mark.cluster
def test_a_real_scheduler_and_two_workers_and_a_worker_killed_mid_run(survey_settings, tap, client, tmp_path):
    """`dask scheduler` and two `dask worker` processes (the real commands): the same result as
    the LocalCluster's; then a worker process SIGKILLed inside its first analysis task: Dask
    reruns its tasks on the other, and the result is complete and identical."""
    from distributed import Client

    targets = service.read(LIST, survey_settings)
    survey(targets, survey_settings, tmp_path / "local", client)
    dask = Path(sys.executable).parent / "dask"
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
    procs = [subprocess.Popen([str(dask), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    address = f"tcp://127.0.0.1:{port}"
    try:
        for _ in range(2):
            procs.append(subprocess.Popen([str(dask), "worker", address, "--nthreads", "1", "--no-nanny",
                                           "--no-dashboard", "--memory-limit", "1GiB"], env=env,
                                          start_new_session=True, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
        with Client(address, timeout="30s") as real:
            real.wait_for_workers(2, timeout=60)
            survey(targets, survey_settings, tmp_path / "real", real)
            assert (tmp_path / "real" / "summary.csv").read_bytes() == (tmp_path / "local" / "summary.csv").read_bytes()
            marker = tmp_path / "killed"
            from killer import KillOnce

            real.register_plugin(KillOnce(str(marker)))
            survey(targets, survey_settings, tmp_path / "killed-run", real)
            assert marker.exists()  # a worker was killed inside a task
            assert len(real.scheduler_info()["workers"]) == 1  # and it stayed dead (no nanny)
        for name in ("summary.csv", "summary.parquet", "visits.parquet"):
            assert (tmp_path / "killed-run" / name).read_bytes() == (tmp_path / "local" / name).read_bytes()
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=15)


def test_a_rerun_goes_on_where_the_last_one_stopped(survey_settings, tap, client, tmp_path):
    """Cancelled after its first pixel: the folder holds what was done and says the rest was
    cancelled; a rerun into it does only the rest (a half-written pixel is redone, never read)
    and gives the same files as a run straight through. Another list into it is refused."""
    targets = service.read(LIST, survey_settings)
    survey(targets, survey_settings, tmp_path / "whole", client)
    seen = []
    folder = tmp_path / "resumed"
    first = survey(targets, survey_settings, folder, client, in_flight=1,
                   progress=lambda c: seen.append(c.done), cancelled=lambda: len(seen) >= 3)
    assert first.cancelled and "cancelled before its pixel ran" in set(first.summary["reason"])
    parts = sorted(p for p in (folder / "parts").iterdir())
    assert 0 < len(parts) < len(json.loads((tmp_path / "whole" / "manifest.json").read_text())["pixels"]["units"])
    stamps = {p.name: (p / "summary.parquet").stat().st_mtime_ns for p in parts}
    half = folder / "parts" / f".partial-{parts[0].name}-deadbeef"
    half.mkdir()
    (half / "summary.parquet").write_bytes(b"half a file")
    time.sleep(0.01)
    survey(targets, survey_settings, folder, client)
    assert not half.exists()
    assert {p.name: (p / "summary.parquet").stat().st_mtime_ns for p in parts} == stamps  # not redone
    for name in ("summary.csv", "visits.parquet"):
        assert (folder / name).read_bytes() == (tmp_path / "whole" / name).read_bytes()
    other = service.read("AT2019dsg\n", survey_settings)
    with pytest.raises(OutDirConflict, match="holds another run"):
        survey(other, survey_settings, folder, client)


def test_a_dataset_without_a_column_the_cuts_read_is_named(survey_settings, tmp_path, client):
    """A mirror whose NEOWISE-R year3 schema lacks qi_fact (constructed): refused before any read,
    naming the dataset and the column; the command line says it in one line."""
    root = build_mirror(tmp_path / "mirror", drop={neowise_dataset("year3").label: ("qi_fact",)})
    with pytest.raises(ParquetSchemaMismatch, match="neowiser_p1bs_psd year3 has no column qi_fact"):
        read_schema(ParquetRoot(str(root)), neowise_dataset("year3"))
    listing = tmp_path / "list.txt"
    listing.write_text("AT2019dsg\n")
    done = subprocess.run([sys.executable, "-m", "dashboard", "batch", str(listing), "--service", "parquet",
                           "--parquet-root", str(root), "--workers", "1", "--out-dir", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**os.environ, "WISE_TAP_URL": survey_settings.tap_url,
                               "WISE_CACHE_DIR": str(tmp_path / "c"), "WISE_RESOLVE_NAMES_ONLINE": "0"})
    assert done.returncode == 1 and "has no column qi_fact" in done.stderr and "Traceback" not in done.stderr


def test_read_cones_answers_as_an_upload_join(mirror):
    """One pixel's read: only rows inside each cone, tagged with the target's number, typed as the
    TAP client's frames (real AllWISE row of AT2019dsg)."""
    root = ParquetRoot(str(mirror))
    from dashboard.archive.parquet import ALLWISE

    schema = read_schema(root, ALLWISE)
    pixel = int(home_pixels(np.array([314.26238]), np.array([14.20441]))[0])
    cones = Cones(np.array([7, 9]), np.array([314.26238, 314.26238]), np.array([14.20441, 14.30441]),
                  np.array([5.0, 5.0]))
    rows = read_cones(root, ALLWISE, pixel, cones, schema)
    assert rows["upload_id"].tolist() == [7] and rows["designation"].tolist() == ["J205702.96+141216.2"]
    assert list(rows.columns) == ["upload_id", *PSD.columns] and rows["ra"].dtype == float
    empty = read_cones(root, ALLWISE, pixel + 1, cones, schema)
    assert empty.empty and list(empty.columns) == ["upload_id", *PSD.columns]


def test_the_command_line_writes_a_folder_by_either_service_and_refuses_a_huge_zip(tap, mirror, tmp_path):
    """Both services, each with the group's tags (``--tags``: a note tagged on AT2019dsg in the
    server's database, none on ASASSN-14li): the same summary.csv bytes."""
    from dashboard.group import db
    from dashboard.group.notes import NoteStore, Place

    listing = tmp_path / "list.txt"
    listing.write_text("AT2019dsg\nASASSN-14li\nnot a target !!\n")
    env = {**os.environ, "WISE_TAP_URL": tap.url, "WISE_CACHE_DIR": str(tmp_path / "c"),
           "WISE_RESOLVE_NAMES_ONLINE": "0", "WISE_DEFAULT_RADIUS_ARCSEC": "5", "WISE_DATA_DIR": str(tmp_path / "d")}
    NoteStore(db.engine(db.database_url(None, tmp_path / "d")), ("dust echo", "AGN")).add(
        Place("AT2019dsg", 314.2623881, 14.2044267, "WISEA J205702.96+141216.2"), "ana@example.org", "echo",
        ["dust echo", "AGN"])
    db.forget_engines()

    def cli(*args, **more):
        return subprocess.run([sys.executable, "-m", "dashboard", "batch", str(listing), *args], capture_output=True,
                              text=True, timeout=180, cwd=ROOT, env={**env, **more})

    parquet = cli("--service", "parquet", "--parquet-root", str(mirror), "--workers", "1", "--out-dir",
                  str(tmp_path / "p"), "--tags")
    assert parquet.returncode == 3, parquet.stderr  # a bad line
    assert "2 ok, 0 no_source, 0 failed, 1 bad_input" in parquet.stdout
    assert "2/2 targets" in parquet.stderr  # the progress line (not a terminal: its last state)
    by_tap = cli("--out-dir", str(tmp_path / "t"), "--tags")
    assert by_tap.returncode == 3, by_tap.stderr
    assert (tmp_path / "p" / "summary.csv").read_bytes() == (tmp_path / "t" / "summary.csv").read_bytes()
    tagged = pd.read_csv(tmp_path / "p" / "summary.csv", keep_default_na=False)
    assert tagged["tags"].tolist() == ["AGN; dust echo", "", ""]  # AT2019dsg, ASASSN-14li, the bad line
    assert pd.read_parquet(tmp_path / "p" / "summary.parquet")["tags"].iloc[0] == "AGN; dust echo"
    huge = cli("-o", str(tmp_path / "x.zip"), WISE_BATCH_ZIP_MAX_TARGETS="1")
    assert huge.returncode == 2 and "use --out-dir DIR" in huge.stderr and not (tmp_path / "x.zip").exists()
    neither = cli()
    assert neither.returncode == 2 and "--out-dir" in neither.stderr
    zip_by_parquet = cli("--service", "parquet", "-o", str(tmp_path / "y.zip"))
    assert zip_by_parquet.returncode == 2 and "--service tap" in zip_by_parquet.stderr


@pytest.mark.remote_data
def test_the_real_bucket_schema_and_one_partition():
    """IRSA's own bucket (opt-in: --remote-data): both schemas hold every column this app reads,
    and a cone in one partition of year 1 answers."""
    root = ParquetRoot("s3://nasa-irsa-wise")
    from dashboard.archive.parquet import ALLWISE

    read_schema(root, ALLWISE)
    year1 = neowise_dataset("year1")
    schema = read_schema(root, year1)
    pixel = int(home_pixels(np.array([314.26238]), np.array([14.20441]))[0])
    rows = read_cones(root, year1, pixel, Cones(np.array([0]), np.array([314.26238]), np.array([14.20441]),
                                               np.array([2.5])), schema)
    assert len(rows) > 5 and (rows["upload_id"] == 0).all()


def test_the_batch_page_offers_the_parquet_route_only_with_a_cluster(survey_settings, tap, client, tmp_path):
    """No WISE_DASK_SCHEDULER: no choice shown, a Parquet batch refused with what to do instead.
    With one (the LocalCluster's scheduler stands in for the group's cluster): the batch runs
    there, its progress is targets/total with rate and ETA, its table and visits are downloads."""
    from dashboard.ui.batch import poll, service_choice_style
    from dashboard.web.batches import Batches, BatchRefused

    assert service_choice_style(survey_settings) == {"display": "none"}
    with pytest.raises(BatchRefused, match="no Dask cluster"):
        Batches(survey_settings).start("AT2019dsg", "", "10.0.0.1", "parquet")
    group = replace(survey_settings, dask_scheduler=client.scheduler.address)
    assert service_choice_style(group) == {"display": "inline-block"}
    batches = Batches(group)
    ident = batches.start(LIST, "", "10.0.0.2", "parquet")
    deadline = time.monotonic() + 120
    while batches.get(ident).status == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    state = batches.get(ident)
    assert state.status == "done", state.message
    assert re.fullmatch(r"14/14 targets, [\d.]+/s, ETA 0m00s", state.progress["targets"])
    page = poll(group, f"/batch/{ident}")
    assert page["href"] == f"/batch/{ident}/visits.parquet" and page["label"].startswith("Download visits")
    assert page["summary_href"] == f"/batch/{ident}/summary.csv" and len(page["rows"]) == 14
    folder = batches.folder(ident)
    assert batches.summary_csv(ident) == (folder / "summary.csv").read_bytes()
    assert batches.visits(ident) == folder / "visits.parquet"


def test_an_unreachable_cluster_fails_the_batch_with_what_to_do(survey_settings, tap):
    """The page's Parquet batch with a scheduler address nothing listens on: the batch ends
    ``failed`` with a message naming the address and how to start a cluster; no traceback."""
    from dashboard.web.batches import Batches

    nowhere = replace(survey_settings, dask_scheduler=f"tcp://127.0.0.1:{free_port()}", dask_timeout_s=2.0)
    batches = Batches(nowhere)
    ident = batches.start("AT2019dsg\n", "", "10.0.0.3", "parquet")
    deadline = time.monotonic() + 60
    while batches.get(ident).status == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    state = batches.get(ident)
    assert state.status == "failed" and "cannot reach the Dask scheduler at tcp://127.0.0.1:" in state.message
    assert "dask worker ADDRESS" in state.message and "Traceback" not in state.message


@pytest.mark.cluster
@pytest.mark.parametrize("worker_package", ["other version", "not importable"])
def test_a_cluster_that_cannot_run_the_work_says_so_before_any_is_submitted(tap, mirror, tmp_path, worker_package,
                                                                           survey_settings):
    """Issue 44 item 4: a worker that could not import the package made every target "failed" with
    a Dask deserialization traceback. `dask scheduler` and `dask worker` (the real commands), the
    worker's `dashboard` shadowed by another version or by one that cannot be imported: the CLI
    stops at once with one line naming it, the address and how to install it (exit 1, no summary
    written), and the page's Parquet batch ends failed with the same words."""
    fake = tmp_path / "fake" / "dashboard"
    fake.mkdir(parents=True)
    fake.joinpath("__init__.py").write_text('__version__ = "0.0.1"\n' if worker_package == "other version"
                                            else 'raise ImportError("a broken install")\n')
    dask = Path(sys.executable).parent / "dask"
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "start_new_session": True}
    procs = [subprocess.Popen([str(dask), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, **quiet)]
    try:
        procs.append(subprocess.Popen([str(dask), "worker", address, "--nthreads", "1", "--no-nanny",
                                       "--no-dashboard"], env={**os.environ, "PYTHONPATH": str(tmp_path / "fake")},
                                      **quiet))
        from distributed import Client

        with Client(address, timeout="30s") as real:
            real.wait_for_workers(1, timeout=60)
        listing = tmp_path / "list.txt"
        listing.write_text("AT2019dsg\n")
        done = subprocess.run([sys.executable, "-m", "dashboard", "batch", str(listing), "--service", "parquet",
                               "--parquet-root", str(mirror), "--scheduler", address, "--out-dir", str(tmp_path / "o")],
                              capture_output=True, text=True, timeout=180, cwd=ROOT,
                              env={**os.environ, "WISE_TAP_URL": tap.url, "WISE_CACHE_DIR": str(tmp_path / "c"),
                                   "WISE_RESOLVE_NAMES_ONLINE": "0"})
        assert done.returncode == 1, done.stderr
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        said = "runs wise-explorer 0.0.1" if worker_package == "other version" else "cannot import the package"
        assert len(lines) == 1 and said in lines[0] and address in lines[0], done.stderr
        assert "install wise-explorer" in lines[0] and "Traceback" not in done.stderr
        assert not (tmp_path / "o" / "summary.csv").exists()
        from dashboard.web.batches import Batches  # the page's Parquet batch: the same words

        batches = Batches(replace(survey_settings, dask_scheduler=address))
        ident = batches.start("AT2019dsg\n", "", "10.0.0.4", "parquet")
        deadline = time.monotonic() + 60
        while batches.get(ident).status == "running" and time.monotonic() < deadline:
            time.sleep(0.2)
        state = batches.get(ident)
        assert state.status == "failed" and said in state.message and address in state.message
    finally:
        for proc in reversed(procs):  # the worker first: without its scheduler it would keep reconnecting
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=15)
