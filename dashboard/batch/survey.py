"""Survey scale: a target list against IRSA's Parquet catalogs (``archive/parquet.py``), on Dask.

The graph, per HEALPix order-5 pixel holding targets (a *unit*):

* one **read** task per (pixel, dataset) for every pixel the unit's cones touch: the AllWISE
  catalog and each NEOWISE-R year, each file read once for all the targets whose cones touch
  that pixel (``parquet_two_pass.read_cones``: row groups by their ra/dec statistics, then the
  coordinates, the exact cones, and the other columns of matched rows only);
* one **analysis** task that takes those reads and the unit's AllWISE multi-epoch rows and runs
  the batch's own chunk analysis (``analysis.analyze_chunk``: the single view's selection, cuts,
  stacking, statistics and SED choice, vectorised across targets; no copy of any of it).

The AllWISE Multiepoch Photometry Table is not in the bucket: its rows come through TAP uploads
as in the TAP route (``BatchRunner.ask_chunk``, one job per ``WISE_BATCH_CHUNK`` targets, cached),
with the list in pixel order so a chunk's targets share few pixels. The manifest says which rows
came from where.

Memory: the client holds the target list and at most ``in_flight`` units' results; a worker, in a
read task, one batch of ``WISE_PARQUET_BATCH_ROWS`` projected rows plus its matches, and in an
analysis task one unit's matched rows. A LocalCluster worker is limited to
``WISE_DASK_WORKER_MEMORY``. A unit's results are written as soon as they arrive
(``outputs.OutDir``); a rerun skips the units already written.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from dashboard.archive.adql import upload_cone_query
from dashboard.archive.parquet import (
    DATASETS,
    NEOWISE_YEARS,
    Cones,
    ParquetDataset,
    ParquetRoot,
    cone_pixels,
    home_pixels,
    read_schema,
)
from dashboard.archive.parquet_two_pass import read_cones
from dashboard.archive.tap import TapReply
from dashboard.batch.analysis import VISITS, ChunkAnalysis, analyze_chunk
from dashboard.batch.outputs import OutDir, typed
from dashboard.batch.run import BatchRun, BatchRunner, chunks
from dashboard.batch.summary import STATUSES, assemble
from dashboard.batch.targets import BatchTarget, TargetList
from dashboard.config import Settings
from dashboard.core.errors import WiseError
from dashboard.core.tables import MEP, NEOWISE, PSD
from dashboard.provenance.manifest import epoch_cut_entries, software_versions
from dashboard.science.analysis import AnalysisParams

log = logging.getLogger(__name__)

#: The multi-epoch rows of one chunk of targets (chunk index, its targets): a TAP upload reply
#: whose ``upload_id`` is the target's place in the chunk, or why it failed.
MultiEpoch = Callable[[int, list[BatchTarget]], TapReply | WiseError]
PUSHDOWN = ("the pixel's hive partition (healpix_k0=K5//1024/healpix_k5=K5) only; then ra/dec boxes per target "
            "(dec +- r; RA +- asin(sin r / cos dec), wrapped at 0/360; every RA where the cone reaches a pole), "
            "at most 64 per read, merged in declination order")
MATCH = ("every row in a box matched to each target whose cone holds it: angular separation (Vincenty) <= the "
         "target's radius; one row per (target, row) pair, as an upload join answers")


def unit_name(pixel: int) -> str:
    return f"healpix_k5={pixel}"


@dataclass
class Plan:
    """The list in pixel order, and which pixels each unit reads."""

    targets: list[BatchTarget]  # by home pixel, then line
    home: np.ndarray  # each target's order-5 pixel
    units: dict[int, np.ndarray] = field(default_factory=dict)  # home pixel -> positions in targets
    reads: dict[int, np.ndarray] = field(default_factory=dict)  # pixel -> positions whose cone touches it
    needs: dict[int, list[int]] = field(default_factory=dict)  # home pixel -> the pixels its cones touch

    def cones(self, where: np.ndarray) -> Cones:
        items = [self.targets[i] for i in where]
        return Cones(np.asarray(where, np.int64), np.array([t.target.ra for t in items], float),
                     np.array([t.target.dec for t in items], float), np.array([t.radius_arcsec for t in items], float))


def plan(targets: list[BatchTarget]) -> Plan:
    ra = np.array([t.target.ra for t in targets], float)
    dec = np.array([t.target.dec for t in targets], float)
    home = home_pixels(ra, dec) if targets else np.zeros(0, np.int64)
    order = np.lexsort((np.array([t.line for t in targets], np.int64), home)) if targets else np.zeros(0, np.int64)
    ordered = Plan(targets=[targets[i] for i in order], home=home[order])
    reads: dict[int, list[int]] = {}
    needs: dict[int, set[int]] = {}
    for position, item in enumerate(ordered.targets):
        touched = cone_pixels(item.target.ra, item.target.dec, item.radius_arcsec)
        needs.setdefault(int(ordered.home[position]), set()).update(int(p) for p in touched)
        for pixel in touched:
            reads.setdefault(int(pixel), []).append(position)
    starts = np.flatnonzero(np.r_[True, np.diff(ordered.home) != 0]) if targets else np.zeros(0, np.int64)
    for start, stop in zip(starts, np.r_[starts[1:], len(ordered.targets)], strict=True):
        ordered.units[int(ordered.home[start])] = np.arange(start, stop)
    ordered.reads = {p: np.array(v, np.int64) for p, v in reads.items()}
    ordered.needs = {p: sorted(v) for p, v in needs.items()}
    return ordered


def analyze_unit(targets: list[BatchTarget], positions: np.ndarray, catalog: list[pd.DataFrame],
                 epochs: list[pd.DataFrame], multi_epoch: TapReply | WiseError,
                 params: AnalysisParams) -> ChunkAnalysis:
    """One unit's targets analysed as a chunk: the reads' rows of these targets (their
    ``upload_id``: the place in the run) renumbered to their place in the unit."""

    def own(parts: list[pd.DataFrame]) -> TapReply:
        rows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["upload_id"])
        ids = rows["upload_id"].to_numpy(np.int64)
        keep = np.isin(ids, positions)
        rows = rows[keep].assign(upload_id=np.searchsorted(positions, ids[keep]))
        return TapReply(raw=b"", rows=rows.sort_values("upload_id", kind="stable").reset_index(drop=True),
                        truncated=False, retrieved_utc="")

    replies: dict[str, TapReply | WiseError] = {PSD.name: own(catalog), MEP.name: multi_epoch,
                                                NEOWISE.name: own(epochs)}
    return analyze_chunk(targets, replies, params)


@dataclass
class SurveyRun:
    """What a survey run came to: the summary, its counts, and the manifest written."""

    summary: pd.DataFrame
    manifest: dict[str, Any]
    cancelled: bool = False


class Counter:
    """Targets done / total, rate and ETA: the terminal's bar and the batch page's line."""

    def __init__(self, total: int, already: int = 0) -> None:
        self.total, self.done, self.started, self.already = total, already, time.monotonic(), already

    def add(self, n: int) -> None:
        self.done += n

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = (self.done - self.already) / elapsed
        left = (self.total - self.done) / rate if rate > 0 else float("nan")
        eta = f"{int(left // 60)}m{int(left % 60):02d}s" if np.isfinite(left) else "--"
        return f"{self.done}/{self.total} targets, {rate:.1f}/s, ETA {eta}"


def identity(targets: list[BatchTarget], settings: Settings, params: AnalysisParams) -> dict[str, Any]:
    """What makes two runs the same (``run.json``): the parsed list, the root, the view."""
    listed = "\n".join(f"{t.line}\t{t.id}\t{t.target.ra!r}\t{t.target.dec!r}\t{t.radius_arcsec!r}" for t in targets)
    return {"service": "parquet", "root": settings.parquet_root, "region": settings.parquet_region,
            "tap_url": settings.tap_url, "offline": settings.offline,
            "list_sha256": hashlib.sha256(listed.encode()).hexdigest(), "targets": len(targets),
            "params": _params(params)}


def _params(params: AnalysisParams) -> dict[str, Any]:
    return params.recorded()


def multi_epoch_by_tap(settings: Settings) -> tuple[MultiEpoch, BatchRun]:
    """The multi-epoch rows through TAP uploads (or the offline archive), one chunk at a time;
    the ``BatchRun`` keeps the chunks' reports for the manifest."""
    runner = BatchRunner(settings)
    kept = BatchRun(targets=[], service_url=runner.client.url, queries={MEP.name: upload_cone_query(MEP.name)},
                    served="offline" if settings.offline else "live")

    def ask(index: int, chunk: list[BatchTarget]) -> TapReply | WiseError:
        replies, _ = runner.ask_chunk(index, chunk, kept, tables=(MEP.name,))
        return replies[MEP.name]

    return ask, kept


def run_survey(targets: TargetList, settings: Settings, out: OutDir, client: Any, *,
               params: AnalysisParams | None = None, multi_epoch: MultiEpoch | None = None,
               progress: Callable[[Counter], None] = lambda counter: None,
               cancelled: Callable[[], bool] = lambda: False, in_flight: int | None = None,
               annotate: Callable[[pd.DataFrame], pd.DataFrame] | None = None) -> SurveyRun:
    """Run ``targets`` on the Dask ``client`` into ``out``; see the module's docstring.
    ``annotate`` adds columns to the finished summary before it is written (the group's tags)."""
    params = params or AnalysisParams()
    root = ParquetRoot(settings.parquet_root, settings.parquet_region)
    datasets: list[ParquetDataset] = [d for group in DATASETS.values() for d in group]
    schemas = {d: read_schema(root, d) for d in datasets}  # a missing dataset or column stops here, named
    done = out.open()
    layout = plan(targets.targets)
    by_tap: BatchRun | None = None
    if multi_epoch is None:
        multi_epoch, by_tap = multi_epoch_by_tap(settings)
    todo = {u for u in layout.units if unit_name(u) not in done}
    counter = Counter(len(layout.targets), sum(len(layout.units[u]) for u in layout.units if u not in todo))
    progress(counter)
    token = identity(targets.targets, settings, params)["list_sha256"][:12]
    work = SurveySchedule(client, layout, todo, Reads(root, datasets, schemas, settings.parquet_batch_rows, token),
                          params, out, (counter, progress), in_flight or max(4, 3 * sum(client.nthreads().values())))
    last_chunk = {u: int(positions[-1]) // settings.batch_chunk for u, positions in layout.units.items()}
    for index, chunk in enumerate(chunks(layout.targets, settings.batch_chunk)):
        if cancelled():
            work.state = "cancelled"
            break
        start = index * settings.batch_chunk
        units_here = {int(layout.home[i]) for i in range(start, start + len(chunk))} & todo
        if units_here:
            work.take_multi_epoch(multi_epoch(index, chunk), start, units_here)
            work.submit_ready(sorted(u for u in units_here if last_chunk[u] == index))
    work.finish(cancelled)
    return _finish(targets, layout, out, work.failed, work.state == "cancelled", root, datasets, by_tap, settings,
                   params, client, annotate)


@dataclass(frozen=True)
class Reads:
    """How a unit's Parquet reads are made: the root, the datasets and their schemas, the batch
    size, and the run's token (in every task key, so two runs never share a task)."""

    root: ParquetRoot
    datasets: list[ParquetDataset]
    schemas: dict[ParquetDataset, Any]
    batch_rows: int
    token: str


#: ``running`` while chunks are being sent; ``draining`` when all are sent and tasks are still
#: out; ``cancelled`` when asked to stop (tasks out are cancelled); ``finished`` when none is left.
ScheduleState = Literal["running", "draining", "cancelled", "finished"]


class SurveySchedule:
    """The survey's scheduling state on the Dask cluster, in one place.

    A unit (a sky pixel's targets) is submitted when the last chunk of multi-epoch rows it needs
    has arrived (``take_multi_epoch``, then ``submit_ready``). Its reads (one task per dataset and
    pixel its cones touch) are shared with the other units that need that pixel and forgotten
    after the last of them is submitted, so the cluster frees them. At most ``limit`` analyses are
    out at once (``collect`` waits for one when there are more); each finished unit is written at
    once (``out.write_unit``) and counted; a unit whose task failed keeps why in ``failed``."""

    def __init__(self, client: Any, layout: Plan, todo: set[int], reads: Reads, params: AnalysisParams,
                 out: OutDir, counting: tuple[Counter, Callable[[Counter], None]], limit: int) -> None:
        self.client, self.layout, self.reads, self.params, self.out = client, layout, reads, params, out
        (self.counter, self.progress), self.limit = counting, limit
        self.state: ScheduleState = "running"
        self.read_futures: dict[tuple[ParquetDataset, int], Any] = {}
        self.users = {p: sum(1 for u in todo if p in layout.needs[u]) for p in layout.reads}  # units still to read
        self.pending: dict[Any, int] = {}  # analysis future -> its unit
        self.failed: dict[int, str] = {}  # unit -> why its targets failed
        self.multi: dict[int, list[pd.DataFrame]] = {}  # unit -> its multi-epoch rows so far
        self.multi_failed: dict[int, WiseError] = {}

    def take_multi_epoch(self, reply: TapReply | WiseError, start: int, units: set[int]) -> None:
        """A chunk's multi-epoch rows (from position ``start``), split among ``units``."""
        for unit in units:
            positions = self.layout.units[unit]
            if isinstance(reply, WiseError):
                self.multi_failed[unit] = reply
                continue
            rows = reply.rows
            ids = rows["upload_id"].to_numpy(np.int64) + start if len(rows) else np.zeros(0, np.int64)
            keep = np.isin(ids, positions)
            self.multi.setdefault(unit, []).append(rows[keep].assign(upload_id=np.searchsorted(positions, ids[keep])))

    def submit_ready(self, units: list[int]) -> None:
        """Submit these units (all their rows have arrived), keeping at most ``limit`` out."""
        for unit in units:
            self.submit(unit)
            while len(self.pending) >= self.limit:
                self.collect(block=True)
        self.collect(block=False)

    def submit(self, unit: int) -> None:
        positions = self.layout.units[unit]
        parts: dict[str, list[Any]] = {PSD.name: [], NEOWISE.name: []}
        for pixel in self.layout.needs[unit]:
            for dataset in self.reads.datasets:
                parts[dataset.table].append(self._read(dataset, pixel))
            self.users[pixel] -= 1
            if self.users[pixel] == 0:  # the last unit that needs this pixel holds its reads from here on
                for dataset in self.reads.datasets:
                    self.read_futures.pop((dataset, pixel), None)
        mep: TapReply | WiseError = self.multi_failed.get(unit) or _rows_of(self.multi.pop(unit, []))
        future = self.client.submit(analyze_unit, [self.layout.targets[i] for i in positions], positions,
                                    parts[PSD.name], parts[NEOWISE.name], mep, self.params,
                                    key=f"wise-unit-{unit}-{self.reads.token}")
        self.pending[future] = unit

    def _read(self, dataset: ParquetDataset, pixel: int) -> Any:
        key = (dataset, pixel)
        if key not in self.read_futures:
            r = self.reads
            self.read_futures[key] = self.client.submit(
                read_cones, r.root, dataset, pixel, self.layout.cones(self.layout.reads[pixel]), r.schemas[dataset],
                r.batch_rows, key=f"wise-read-{dataset.label.replace(' ', '-')}-{pixel}-{r.token}")
        return self.read_futures[key]

    def collect(self, block: bool) -> None:
        """Write the analyses that have finished (waiting for one if ``block``)."""
        from distributed import wait

        if not self.pending:
            return
        try:
            finished, _ = wait(list(self.pending), return_when="FIRST_COMPLETED", timeout=None if block else 0.01)
        except TimeoutError:  # nothing finished yet
            return
        for future in finished:
            unit = self.pending.pop(future)
            try:
                result: ChunkAnalysis = future.result()
            except WiseError as exc:
                self.failed[unit] = exc.data_message
            except Exception as exc:  # the task died with its workers (KilledWorker) or failed in them
                self.failed[unit] = f"{type(exc).__name__}: {exc}"[:300]
            else:
                self.out.write_unit(unit_name(unit), result.summary, result.visits)
            self.counter.add(len(self.layout.units[unit]))
            self.progress(self.counter)
            future.release()

    def finish(self, cancelled: Callable[[], bool]) -> None:
        """Wait for what is out unless cancelled; cancel what is left."""
        if self.state == "running":
            self.state = "draining"
        while self.pending and self.state == "draining":
            if cancelled():
                self.state = "cancelled"
                break
            self.collect(block=True)
        for future in self.pending:
            future.cancel()
        if self.state == "draining":
            self.state = "finished"


def _rows_of(parts: list[pd.DataFrame]) -> TapReply:
    rows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["upload_id"])
    return TapReply(raw=b"", rows=rows, truncated=False, retrieved_utc="")


def _finish(targets: TargetList, layout: Plan, out: OutDir, failed: dict[int, str], cancelled: bool,
            root: ParquetRoot, datasets: list[ParquetDataset], by_tap: BatchRun | None, settings: Settings,
            params: AnalysisParams, client: Any,
            annotate: Callable[[pd.DataFrame], pd.DataFrame] | None = None) -> SurveyRun:
    written = out.summaries()
    ran = {int(line) for frame in written for line in frame["line"]}
    rows = list(written)
    for unit, reason in failed.items():
        rows.append(assemble([], [layout.targets[i] for i in layout.units[unit]], reason, []))
        ran.update(layout.targets[i].line for i in layout.units[unit])
    reason = "cancelled before its pixel ran" if cancelled else "not run"
    table = typed(assemble(rows, [t for t in layout.targets if t.line not in ran], reason, targets.bad))
    if annotate is not None:
        table = annotate(table)
    counts = table["status"].value_counts()
    info = client.scheduler_info() if client is not None else {}
    manifest = {
        "kind": "WISE Explorer survey batch", "service": "parquet", "root": root.root, "region": root.region,
        "datasets": [{"table": d.table, "year": d.year or None, "path": d.path} for d in datasets],
        "years": list(NEOWISE_YEARS),
        "columns": {PSD.name: list(PSD.columns), NEOWISE.name: list(NEOWISE.columns)},
        "by_tap": {"tables": [MEP.name], "why": "the AllWISE Multiepoch Photometry Table is not among IRSA's Parquet "
                   "catalogs; its rows come through TAP uploads, one job per chunk of the list in pixel order",
                   "adql": upload_cone_query(MEP.name), "service_url": by_tap.service_url if by_tap else None,
                   "mode": ("the offline archive" if by_tap and by_tap.served == "offline" else "TAP_UPLOAD jobs")
                   if by_tap else "supplied by the caller", "chunk_size": settings.batch_chunk,
                   "chunks": [c.data() for c in by_tap.chunks] if by_tap else []},
        "pixels": {"order": 5, "scheme": "nested", "units": sorted(layout.units),
                   "read": sorted(layout.reads), "failed": {str(u): r for u, r in sorted(failed.items())}},
        "filters": {"pushdown": PUSHDOWN, "match": MATCH, "epoch_cuts": epoch_cut_entries(params)},
        "params": _params(params),
        "software": software_versions(batch=True),
        "cluster": {"scheduler": info.get("address"), "workers": len(info.get("workers", {}))},
        "counts": {"targets": len(targets.targets), "bad_lines": len(targets.bad),
                   **{s: int(counts.get(s, 0)) for s in STATUSES}},
        "cancelled": cancelled,
        "visits_columns": VISITS,
    }
    out.finish(table, manifest)
    return SurveyRun(summary=table, manifest=manifest, cancelled=cancelled)
