"""Batches on the group server: each runs in a thread of the web worker that received it, its
state in the shared store, so a page on any worker (or a link opened later) finds it at
``/batch/<id>`` for as long as the cache keeps it (``WISE_CACHE_TTL_S``).

* One running batch per client address (a lease renewed by the batch's heartbeat); each chunk
  counts once against the client's rate limit (a chunk refused stops the batch there, said).
* Cancel sets a flag the runner reads between and inside its UWS jobs; the job is deleted.
* Every UWS job URL is recorded as it is created. A batch whose heartbeat lapsed (its worker was
  killed or recycled) is marked lost by the next reader, and ``clean_up`` deletes its jobs at IRSA;
  a thread per process runs ``clean_up`` every ``CLEAN_UP_S``.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from dashboard.archive.service import shared_store
from dashboard.batch import service
from dashboard.batch.bundle import build_batch_bundle
from dashboard.batch.summary import summary_csv
from dashboard.batch.targets import TargetList
from dashboard.batch.upload import delete_job
from dashboard.config import Settings
from dashboard.core.errors import WiseError
from dashboard.core.targets import TargetError
from dashboard.group.service import group
from dashboard.science.analysis import AnalysisParams
from dashboard.science.flares import FlareParams
from dashboard.web.ratelimit import rate_limiter

log = logging.getLogger(__name__)

HEARTBEAT_S = 10.0
CLEAN_UP_S = 60.0
INDEX = "batch:index"


#: A batch's state: ``running``; then ``done``, ``cancelled``, ``failed`` (its message says why),
#: or ``lost`` (found running with no worker alive: the server restarted under it).
BatchStatus = Literal["running", "done", "cancelled", "lost", "failed"]
#: Its bundle: ``""`` not started, ``preparing`` (each target's full view is made), ``ready``,
#: ``failed``, or ``none`` (the Parquet route makes no bundle: its folder is the result).
BundleState = Literal["", "preparing", "ready", "failed", "none"]


@dataclass
class BatchState:
    id: str
    client: str
    status: BatchStatus = "running"
    progress: dict[str, str] = field(default_factory=dict)  # "chunk i table" -> state
    chunks_total: int = 0
    message: str = ""
    rows: list[dict] = field(default_factory=list)  # summary.csv as records (when finished)
    bundle: BundleState = ""
    bad: list[dict] = field(default_factory=list)
    jobs: list[str] = field(default_factory=list)
    jobs_cleaned: bool = False
    created: float = field(default_factory=time.time)
    service: str = "tap"  # or "parquet": IRSA's Parquet catalogs on the server's Dask cluster (no bundle)
    flare: bool = False  # each target's infrared flare search (science/flares.py; a list's z column used)
    #: the summary carries the group's tags of each target (group/notes.py): then members only
    tags: bool = False

    def params(self) -> AnalysisParams:
        """The view every target is analysed with: the page's default, and the flare search if asked."""
        return AnalysisParams(flare=FlareParams() if self.flare else None)


class BatchRefused(WiseError):
    """A batch that is not started (the list is unusable, or another is running for this client)."""


class BatchAlreadyRunning(BatchRefused):
    """This client's batch ``running`` (its id) is still running: the page links to it."""

    def __init__(self, running: str) -> None:
        super().__init__(f"You already have a batch running (/batch/{running}); wait for it or cancel it.")
        self.running = running


class Batches:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = shared_store(settings)
        self.ttl_s = settings.cache_ttl_s

    def _save(self, state: BatchState) -> None:
        self.store.set(f"batch:{state.id}", asdict(state), expire=self.ttl_s)

    def get(self, batch_id: str) -> BatchState | None:
        """The batch's state; one found running with no worker alive is marked ``lost`` (its IRSA
        jobs are deleted by ``clean_up``, never by a read)."""
        if not batch_id or len(batch_id) != 32 or not batch_id.isalnum():
            return None
        raw = self.store.get(f"batch:{batch_id}")
        if not isinstance(raw, dict):
            return None
        state = BatchState(**raw)
        if state.status == "running" and self.store.get(f"batch-alive:{batch_id}") is None:
            state.status, state.message = "lost", ("The server restarted while running this batch. Run it again: "
                                                   "the chunks already done come from the cache.")
            self._save(state)
        elif state.bundle == "preparing" and self.store.get(f"batch-alive:{batch_id}") is None:
            state.bundle = "failed"  # the worker died after the table: the table stands, the bundle never comes
            self._save(state)
        return state

    def _index(self) -> list[str]:
        """The batches this store knows (the last 500 started), for the clean-up."""
        value = self.store.get(INDEX)
        return [str(v) for v in value] if isinstance(value, list) else []

    def _clean_jobs(self, state: BatchState) -> None:
        if state.jobs and not state.jobs_cleaned:
            for url in state.jobs:
                delete_job(url, self.settings.connect_timeout_s)
            state.jobs_cleaned = True

    def clean_up(self) -> int:
        """Jobs of batches whose worker died, deleted at IRSA; returns how many batches were cleaned."""
        cleaned = 0
        for batch_id in self._index():
            state = self.get(batch_id)  # marks a dead running batch lost
            if state and state.status == "lost" and state.jobs and not state.jobs_cleaned:
                self._clean_jobs(state)
                self._save(state)
                cleaned += 1
        return cleaned

    def cancel(self, batch_id: str) -> None:
        if self.get(batch_id) is not None:
            self.store.set(f"batch-cancel:{batch_id}", True, expire=self.ttl_s)

    def bundle(self, batch_id: str) -> bytes | None:
        value = self.store.get(f"batch-bundle:{batch_id}")
        return value if isinstance(value, bytes) else None

    def summary_csv(self, batch_id: str) -> bytes | None:
        """The batch's summary.csv: there as soon as the table is, before the bundle."""
        value = self.store.get(f"batch-summary:{batch_id}")
        return value if isinstance(value, bytes) else None

    def folder(self, batch_id: str) -> Path:
        """Where a Parquet-route batch writes its files (``batch/outputs.py``)."""
        return Path(self.settings.cache_dir) / "surveys" / batch_id

    def visits(self, batch_id: str) -> Path | None:
        """A finished Parquet-route batch's visits.parquet, if this host has it."""
        path = self.folder(batch_id) / "visits.parquet"
        state = self.get(batch_id)
        return path if state and state.service == "parquet" and path.exists() else None

    def start(self, text: str, radius: object, client: str, service: str = "tap", flare: bool = False,
              tags: bool = False) -> str:
        """Refuse at once what cannot run (a bad radius, too many or no lines, a batch already
        running, the Parquet route without a Dask cluster); read the lines (names resolved: the
        network) and run them in a thread, never in the page's request. Bad lines are kept."""
        from dashboard.batch.targets import count_lines
        from dashboard.core.targets import parse_radius

        if service not in ("tap", "parquet"):
            raise BatchRefused("The service is 'tap' (IRSA TAP uploads) or 'parquet' (IRSA's Parquet catalogs).")
        if service == "parquet" and not self.settings.dask_scheduler:
            raise BatchRefused("This server has no Dask cluster (WISE_DASK_SCHEDULER), so it offers no Parquet route; "
                               "run it from the command line: python -m dashboard batch FILE --service parquet "
                               "--out-dir DIR")

        try:
            r = parse_radius(radius, self.settings.max_radius_arcsec) if str(radius or "").strip() else None
        except TargetError as exc:
            raise BatchRefused(str(exc)) from None
        running = self.store.get(f"batch-running:{client}")
        if isinstance(running, str) and self.store.get(f"batch-alive:{running}") is not None:
            raise BatchAlreadyRunning(running)
        try:
            lines = count_lines(text)
        except TargetError as exc:  # an ECSV file that cannot be read
            raise BatchRefused(str(exc)) from None
        if lines > self.settings.batch_max_targets:
            raise BatchRefused(f"The list has {lines} targets; this server takes at most "
                               f"{self.settings.batch_max_targets} (the command line has no limit: "
                               "python -m dashboard batch FILE).")
        if lines == 0:
            raise BatchRefused("The list is empty: give one target per line (a name, coordinates or a designation).")
        state = BatchState(id=uuid.uuid4().hex, client=client, chunks_total=-(-lines // self.settings.batch_chunk),
                           service=service, flare=bool(flare), tags=bool(tags))
        self.store.set(f"batch-alive:{state.id}", True, expire=HEARTBEAT_S * 3)
        self.store.set(f"batch-running:{client}", state.id, expire=HEARTBEAT_S * 3)
        self._save(state)
        self.store.set(INDEX, [*self._index()[-500:], state.id], expire=self.ttl_s)
        threading.Thread(target=self._run, args=(state, text, r), daemon=True, name=f"batch:{state.id[:8]}").start()
        return state.id

    def _run(self, state: BatchState, text: str, radius: float | None) -> None:
        RunningBatch(self, state).run(text, radius)

    def _table(self, state: BatchState, targets: TargetList, table: pd.DataFrame,
               lock: threading.Lock) -> pd.DataFrame:
        """The finished table (with the group's tags in a tagged batch): summary.csv in the store,
        the rows on the page (each with its cone); returned for the bundle's summary."""
        if state.tags:  # the group's tags of each target (its notes within the default match radius)
            table = group(self.settings).notes.with_tags(table)
        self.store.set(f"batch-summary:{state.id}", summary_csv(table), expire=self.ttl_s)
        radii = {t.line: t.radius_arcsec for t in targets.targets}  # for each row's link to its view
        with lock:
            state.rows = [row | {"radius_arcsec": radii.get(row["line"])}
                          for row in table.replace({np.nan: None}).to_dict("records")]
        return table

    def _run_survey(self, state: BatchState, targets: TargetList, lock: threading.Lock,
                    cancelled: Callable[[], bool]) -> None:
        """The Parquet route on the configured cluster (never a LocalCluster in a web worker),
        into this batch's folder; progress as targets done / total, rate and ETA."""
        from dashboard.batch.cluster import dask_client
        from dashboard.batch.outputs import OutDir
        from dashboard.batch.survey import Counter, identity, run_survey

        def progress(counter: Counter) -> None:
            with lock:
                state.progress["targets"] = counter.line()
                self._save(state)

        params = state.params()
        with dask_client(self.settings.dask_scheduler, timeout_s=self.settings.dask_timeout_s) as client:
            out = OutDir(self.folder(state.id), identity(targets.targets, self.settings, params))
            run = run_survey(targets, self.settings, out, client, params=params, progress=progress,
                             cancelled=cancelled)
        self._table(state, targets, run.summary, lock)
        with lock:
            state.status = "cancelled" if run.cancelled else "done"
            state.bundle = "none"


class RunningBatch:
    """One batch running in this process: its state (saved to the shared store at each change,
    under ``lock``), its heartbeat (``batch-alive``: a batch found running without one is lost),
    and the steps of a run: read the list, run it (TAP or Parquet), the table, then the bundle."""

    def __init__(self, batches: Batches, state: BatchState) -> None:
        self.batches, self.state = batches, state
        self.store, self.settings = batches.store, batches.settings
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.limiter = rate_limiter(batches.settings)

    def beat(self) -> None:
        """Until the run ends: this batch is alive, and it is this client's running batch."""
        while not self.done.wait(HEARTBEAT_S / 3):
            self.store.set(f"batch-alive:{self.state.id}", True, expire=HEARTBEAT_S * 3)
            self.store.set(f"batch-running:{self.state.client}", self.state.id, expire=HEARTBEAT_S * 3)

    def progress(self, chunk: int, table: str, status: str) -> None:
        with self.lock:
            self.state.progress[f"chunk {chunk + 1}/{self.state.chunks_total} {table}"] = status
            self.batches._save(self.state)

    def on_job(self, url: str) -> None:
        with self.lock:
            self.state.jobs.append(url)
            self.batches._save(self.state)

    def before_chunk(self, index: int) -> str | None:
        return None if self.limiter.allow(self.state.client) else self.limiter.refusal()

    def cancelled(self) -> bool:
        return bool(self.store.get(f"batch-cancel:{self.state.id}"))

    def run(self, text: str, radius: float | None) -> None:
        state = self.state
        threading.Thread(target=self.beat, daemon=True).start()
        try:
            targets = self.read_list(text, radius)
            if state.service == "parquet":
                self.batches._run_survey(state, targets, self.lock, self.cancelled)
            else:
                self.run_tap(targets)
        except WiseError as exc:  # the cluster or the Parquet catalogs failed: said as it is
            with self.lock:
                state.status, state.message = "failed", str(exc)
        except Exception as exc:  # a defect: logged, said on the page
            log.exception("batch %s failed", state.id)
            with self.lock:
                state.status, state.message = "failed", f"The batch failed on the server ({type(exc).__name__}); " \
                                                         "it was logged."
        finally:
            self.done.set()
            with self.lock:
                self.batches._save(state)
            self.store.delete(f"batch-alive:{state.id}")
            self.store.delete(f"batch-running:{state.client}")

    def read_list(self, text: str, radius: float | None) -> TargetList:
        state = self.state
        state.progress["reading the list"] = "names resolved…"
        self.batches._save(state)
        targets = service.read(text, self.settings, radius=radius)
        with self.lock:
            state.progress["reading the list"] = f"{len(targets.targets)} targets, {len(targets.bad)} bad lines"
            state.bad = [{"line": b.line, "input": b.input, "reason": b.reason} for b in targets.bad]
            state.chunks_total = -(-len(targets.targets) // self.settings.batch_chunk)
            self.batches._save(state)
        return targets

    def run_tap(self, targets: TargetList) -> None:
        """The TAP route: the table first (all targets at once, seconds); the bundle, which makes
        each target's full single view, after it: the page shows the table while it is prepared."""
        state = self.state
        result = service.run(targets, self.settings, params=state.params(), progress=self.progress, on_job=self.on_job,
                             before_chunk=self.before_chunk, cancelled=self.cancelled)
        table = self.batches._table(state, targets, result.table, self.lock)
        with self.lock:
            state.status = "cancelled" if result.run.cancelled else "done"
            state.message = result.run.stopped
            state.jobs_cleaned = True  # the runner deleted each job as it ended
            state.bundle = "preparing"
            self.batches._save(state)
        try:
            bundle = build_batch_bundle(result.run, targets.bad, table, self.settings)
        except Exception:
            log.exception("batch %s: the bundle failed", state.id)
            with self.lock:
                state.bundle = "failed"
        else:
            self.store.set(f"batch-bundle:{state.id}", bundle, expire=self.batches.ttl_s)
            with self.lock:
                state.bundle = "ready"


_CLEANERS: set[str] = set()


def start_clean_up(settings: Settings) -> None:
    """One thread per process and cache: delete the UWS jobs of batches whose worker died."""
    key = str(settings.cache_dir) + str(settings.redis_url)
    if key in _CLEANERS:
        return
    _CLEANERS.add(key)

    def loop() -> None:
        while True:
            time.sleep(CLEAN_UP_S)
            try:
                Batches(settings).clean_up()
            except Exception:
                log.exception("batch clean-up failed")

    threading.Thread(target=loop, daemon=True, name="batch-clean-up").start()
