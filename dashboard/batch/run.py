"""Run a target list: chunks of ``WISE_BATCH_CHUNK`` targets, one upload query per WISE table per
chunk (``upload.py``), each chunk's reply cached on its own, then every target analysed by the
single view's functions over the whole chunk at once (``analysis.py``).

* A chunk's reply is cached under the table, the ADQL and the sha256 of the uploaded VOTable:
  running the same list again (after a failure, a restart or a cancel) takes the chunks already
  done from the cache and asks only for the rest. Failures are never cached.
* The same chunk asked by two batches at once (one list run twice, or by two people) makes one
  IRSA job: the second waits on a lease in the shared store (``cache.single_flight``; a cancel
  stops the wait) and takes the first's reply from the cache.
* A chunk that fails is retried once, alone; if it fails again its targets are ``failed`` with
  the reason, and the other chunks stand.
* Batches take at most half of the upstream-query slots (the lower half of the same slots the
  single views use), so single views always have the rest.
* Cancel (``cancelled()`` turning true) stops between and inside jobs; the running UWS jobs are
  deleted, and their URLs are kept in ``BatchRun.jobs`` for a clean-up if this process dies.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dashboard.archive import offline
from dashboard.archive.adql import upload_cone_query
from dashboard.archive.cache import CacheEntry, QueryCache, UpstreamSlots
from dashboard.archive.service import shared_store
from dashboard.archive.tap import IrsaTapClient, TapReply
from dashboard.archive.threads import each_at_once
from dashboard.archive.votable import frame_to_votable, votable_rows
from dashboard.batch.analysis import analyze_chunk, target_params
from dashboard.batch.targets import BatchTarget
from dashboard.batch.upload import UploadJobs, upload_votable
from dashboard.batch.views import Made, chunk_views, rows_between
from dashboard.config import Settings
from dashboard.core.errors import Cancelled, NotCovered, ServerBusy, WiseError
from dashboard.core.model import CacheState, Cone, Observations, Provenance, TableResult
from dashboard.core.tables import PSD, TABLES
from dashboard.science.analysis import AnalysisParams, View, analyze

log = logging.getLogger(__name__)

#: Called with (chunk index, table, state) as each chunk's table starts and ends.
Progress = Callable[[int, str, str], None]
RETRIES = 1


@dataclass
class ChunkReport:
    index: int
    size: int
    upload_sha256: str
    tables: dict[str, str] = field(default_factory=dict)  # table -> "done (N rows, from cache)" / "failed: …"
    attempts: dict[str, int] = field(default_factory=dict)
    uncatalogued: dict[int, str] = field(default_factory=dict)  # upload_id -> why its catalog rows are missing or
    # fewer than IRSA's (offline: not recorded, or recorded in a smaller cone)
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows of its reply (however it was delivered)
    failed: dict[str, str] = field(default_factory=dict)  # table -> what failed (the data's words)

    def data(self) -> dict[str, Any]:
        """What the chunk holds, for a bundle: never how it was delivered (asked now or taken from
        the cache, after how many attempts), so the same data gives the same bytes."""
        return {"index": self.index, "size": self.size, "upload_sha256": self.upload_sha256, "rows": self.rows,
                "failed": self.failed}


@dataclass
class BatchRun:
    """What a batch produced: a view per target (or why not), and how the chunks went."""

    targets: list[BatchTarget]
    rows: list[pd.DataFrame] = field(default_factory=list)  # summary rows, a frame per chunk (analysis.py)
    visits: list[pd.DataFrame] = field(default_factory=list)  # every target's visits, a frame per chunk
    placed: dict[int, tuple[ChunkData, int]] = field(default_factory=dict)  # line -> its chunk and upload_id
    failures: dict[int, dict[str, WiseError]] = field(default_factory=dict)  # line -> table -> error
    chunks: list[ChunkReport] = field(default_factory=list)
    queries: dict[str, str] = field(default_factory=dict)  # table -> the upload ADQL
    jobs: list[str] = field(default_factory=list)  # UWS job URLs created (each deleted when done)
    cancelled: bool = False
    stopped: str = ""  # why the batch stopped before its end (the client's rate limit), if it did
    service_url: str = ""
    served: CacheState = "live"  # "offline": every chunk was answered from the offline archive

    def view(self, line: int) -> View | None:
        """The single view of the target on ``line``, made when asked (the bundle's folders need it,
        the summary does not) and not kept: a thousand views held at once made every view after
        them slower (the collector scans them all); None if its chunk never ran."""
        if line not in self.placed:
            return None
        chunk, uid = self.placed[line]
        return chunk.view(uid, self.queries, self.service_url)


def chunks(targets: Sequence[BatchTarget], size: int) -> list[list[BatchTarget]]:
    return [list(targets[i:i + size]) for i in range(0, len(targets), max(size, 1))]


class BatchRunner:
    on_job: Callable[[str], None] = staticmethod(lambda url: None)

    def __init__(self, settings: Settings, *, chunk_size: int | None = None, job_wait_s: float | None = None) -> None:
        self.settings = settings
        self.chunk_size = chunk_size or settings.batch_chunk
        store = shared_store(settings)
        self.cache = QueryCache(store, ttl_s=settings.cache_ttl_s, empty_ttl_s=settings.empty_ttl_s)
        # the lower half of the single views' slots: a batch never takes the rest
        self.slots = UpstreamSlots(store, max(1, settings.max_concurrent_upstream // 2))
        self.client = IrsaTapClient(settings.tap_url, connect_timeout_s=settings.connect_timeout_s)
        self.job_wait_s = job_wait_s or settings.batch_job_wait_s

    def run(self, targets: Sequence[BatchTarget], *, progress: Progress | None = None,
            cancelled: Callable[[], bool] = lambda: False, params: AnalysisParams | None = None,
            on_job: Callable[[str], None] = lambda url: None,
            before_chunk: Callable[[int], str | None] = lambda index: None) -> BatchRun:
        """``on_job`` hears each UWS job URL as it is created (kept for a clean-up); ``before_chunk``
        may refuse a chunk with a reason (the client's rate limit), and then the batch stops there."""
        out = BatchRun(targets=list(targets), service_url=self.client.url,
                       served="offline" if self.settings.offline else "live",
                       queries={t: upload_cone_query(t) for t in TABLES})
        self.on_job = on_job
        for index, chunk in enumerate(chunks(targets, self.chunk_size)):
            if cancelled():
                out.cancelled = True
                break
            refusal = before_chunk(index)
            if refusal:
                out.stopped = refusal
                break
            replies, unanswered = self.ask_chunk(index, chunk, out, progress=progress, cancelled=cancelled)
            if cancelled():
                out.cancelled = True
                break
            self._split(chunk, replies, out, params or AnalysisParams(), unanswered)
        return out

    def ask_chunk(self, index: int, chunk: list[BatchTarget], out: BatchRun, *, tables: tuple[str, ...] = tuple(TABLES),
                  progress: Progress | None = None, cancelled: Callable[[], bool] = lambda: False,
                  ) -> tuple[dict[str, TapReply | WiseError], dict[int, str]]:
        """Each of ``tables``' replies for one chunk (upload job, cache or offline archive; its
        report appended to ``out.chunks``), and the targets no table could answer (offline)."""
        upload = upload_votable(chunk)
        report = ChunkReport(index, len(chunk), hashlib.sha256(upload).hexdigest())
        out.chunks.append(report)
        replies: dict[str, TapReply | WiseError] = {}
        lock = threading.Lock()

        def one(table: str) -> None:
            if progress:
                progress(index, table, "running")
            replies[table] = self._table(table, chunk, report, out, lock, cancelled)
            if progress:
                progress(index, table, report.tables[table])

        if self.settings.offline:
            return replies, offline_replies(chunk, replies, report, tables)
        each_at_once(tables, one, name=f"batch:{index}")
        return replies, {}

    def _table(self, table: str, chunk: list[BatchTarget], report: ChunkReport, out: BatchRun,
               lock: threading.Lock, cancelled: Callable[[], bool]) -> TapReply | WiseError:
        adql = upload_cone_query(table)
        key = f"batch:{table}:{report.upload_sha256}:{hashlib.sha256(adql.encode()).hexdigest()}"
        cached = self._cached(key, table, report)
        if cached is not None:
            return cached
        # the same chunk asked by another batch at this moment (the same list run twice, or by two
        # people): one IRSA job, and the other batch takes its reply from the cache
        with self.cache.single_flight(key, self.job_wait_s, give_up=cancelled):
            cached = self._cached(key, table, report)
            if cached is not None:
                return cached
            return self._ask(table, adql, key, chunk, report, out, lock, cancelled)

    def _cached(self, key: str, table: str, report: ChunkReport) -> TapReply | None:
        entry = self.cache.get(key)
        if entry is None or not self.cache.is_fresh(entry):
            return None
        report.tables[table] = f"done ({len(entry.rows)} rows, from cache)"
        report.rows[table] = len(entry.rows)
        return TapReply(raw=entry.raw, rows=entry.rows, truncated=entry.truncated, retrieved_utc=entry.retrieved_utc)

    def _ask(self, table: str, adql: str, key: str, chunk: list[BatchTarget], report: ChunkReport, out: BatchRun,
             lock: threading.Lock, cancelled: Callable[[], bool]) -> TapReply | WiseError:
        """The chunk's upload query as an IRSA async job, retried once; its reply cached, never a failure."""
        jobs = UploadJobs(self.client, read_timeout_s=self.settings.read_timeout(table), max_wait_s=self.job_wait_s)
        error: WiseError | None = None
        for attempt in range(1 + RETRIES):
            report.attempts[table] = attempt + 1
            if cancelled():
                error = WiseError("cancelled")
                break
            try:
                def record(url: str) -> None:
                    with lock:
                        out.jobs.append(url)
                    self.on_job(url)

                with self.slots.slot(wait_s=self.job_wait_s, give_up=cancelled):
                    reply = jobs.run(adql, chunk, maxrec=self.settings.max_rows * len(chunk), on_job=record,
                                     cancelled=cancelled)
            except Cancelled:
                error = WiseError("cancelled")
                break
            except (WiseError, ServerBusy) as exc:
                error = exc
                log.warning("batch chunk %d %s attempt %d failed: %s", report.index, table, attempt + 1, exc)
                time.sleep(0.2)
                continue
            self.cache.put(key, CacheEntry(table=table, adql=adql, raw=reply.raw, rows=reply.rows,
                                           truncated=reply.truncated, retrieved_utc=reply.retrieved_utc,
                                           stored_at=time.time(), service_url=self.client.url))
            report.tables[table] = f"done ({len(reply.rows)} rows)"
            report.rows[table] = len(reply.rows)
            return reply
        assert error is not None
        report.tables[table] = f"failed: {error}"
        report.failed[table] = error.data_message
        return error

    def _split(self, chunk: list[BatchTarget], replies: dict[str, TapReply | WiseError], out: BatchRun,
               params: AnalysisParams, unanswered: dict[int, str]) -> None:
        """The chunk's summary rows, all targets at once (``analysis.py``); the replies are kept
        so that each target's full view can be made when asked for (``BatchRun.view``)."""
        analysis = analyze_chunk(chunk, replies, params, unanswered, out.chunks[-1].uncatalogued)
        out.rows.append(analysis.summary)
        out.visits.append(analysis.visits)
        done = ChunkData(index=len(out.chunks) - 1, targets=chunk, replies=replies, params=params,
                         served="offline" if self.settings.offline else "live", unanswered=unanswered)
        failed = {table: reply for table, reply in replies.items() if isinstance(reply, WiseError)}
        for uid, item in enumerate(chunk):
            out.placed[item.line] = (done, uid)
            if failed:
                out.failures[item.line] = dict(failed)
            elif uid in unanswered:
                out.failures[item.line] = {table: NotCovered(unanswered[uid]) for table in replies}


def offline_replies(chunk: list[BatchTarget], replies: dict[str, TapReply | WiseError],
                    report: ChunkReport, tables: tuple[str, ...] = tuple(TABLES)) -> dict[int, str]:
    """Each table's reply for ``chunk`` from the offline archive (``WISE_OFFLINE``): the recorded
    rows of every target's cone, tagged with its upload_id as IRSA's upload join tags them, and
    written as a VOTable like a reply. Returns the targets no recording covers, with why; a table
    not recorded for a target that another table covers is simply empty, as in a single view (a
    missing catalog recording is said in ``report.uncatalogued``)."""
    covered: set[int] = set()
    for table in tables:
        parts, retrieved = [], set()
        columns = TABLES[table].columns.items()  # an empty reply still names the table's columns
        integers = [c for c, kind in columns if kind == "i8"]
        for uid, item in enumerate(chunk):
            try:
                result = offline.query(table, Cone(item.target.ra, item.target.dec, item.radius_arcsec))
            except NotCovered:
                if table == PSD.name:
                    report.uncatalogued[uid] = "the AllWISE catalog of this cone is not in the offline archive"
                continue
            covered.add(uid)
            footprint = result.provenance.footprint
            if table == PSD.name and footprint is not None and footprint.radius_arcsec < item.radius_arcsec - 1e-6:
                # said in the target's summary row, as the single view says it (archive/offline.py)
                report.uncatalogued[uid] = (f"the offline archive covers only {footprint.radius_arcsec:g} arcsec "
                                            f"of this {item.radius_arcsec:g} arcsec cone: IRSA may hold more rows")
            retrieved.add(result.provenance.retrieved_utc)
            # integer columns nullable before they meet a recording without them: int64 filled with
            # NaN would turn float, and a 19-digit cntr would lose its last digits
            parts.append(result.rows.assign(upload_id=uid).astype({c: "Int64" for c in integers if c in result.rows}))
        rows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["upload_id"])
        dtypes = {"upload_id": "i8"} | {c: k for c, k in columns if c in rows.columns or not parts}
        raw = frame_to_votable(rows, dtypes=dtypes)
        # the rows as the reply holds them (a live reply's rows are parsed from its VOTable too): the
        # targets' recordings differ in columns and types, and their concatenation is not what the
        # bundle's raw file, and so reproduce.py, gives back
        replies[table] = TapReply(raw=raw, rows=votable_rows(raw), truncated=False,
                                  retrieved_utc=", ".join(sorted(retrieved)) or "not recorded")
        report.tables[table] = f"done ({len(rows)} rows, offline archive)"
        report.rows[table] = len(rows)
    names = ", ".join(t.name for t in offline.demo_targets())
    return {uid: f"not in the offline archive (this server runs offline; the demo targets are {names})"
            for uid in range(len(chunk)) if uid not in covered}


@dataclass
class ChunkData:
    """One chunk's replies, from which any of its targets' single views is made."""

    index: int
    targets: list[BatchTarget]
    replies: dict[str, TapReply | WiseError]
    params: AnalysisParams
    served: CacheState = "live"  # or "offline": the chunk was answered from the offline archive
    unanswered: dict[int, str] = field(default_factory=dict)  # upload_id -> why no table answered it
    _split: dict[str, tuple[pd.DataFrame, np.ndarray]] | None = field(default=None, repr=False)

    def view(self, uid: int, queries: dict[str, str], service_url: str) -> View:
        """The single view of the chunk's target ``uid``: its own rows of each table (split off by
        upload_id), analysed by ``analyze`` as the page would."""
        return analyze(self.targets[uid].target, self.observations(uid, queries, service_url),
                       target_params(self.params, self.targets[uid]))

    def views(self, queries: dict[str, str], service_url: str) -> Iterator[Made]:
        """The single view of every target of the chunk, in order, made at once (``views.py``):
        what ``view`` gives each, for the bundle's folders."""
        return chunk_views([item.target for item in self.targets],
                           lambda uid: self.observations(uid, queries, service_url),
                           {t: r.rows for t, r in self.replies.items() if isinstance(r, TapReply)}, self.params,
                           [target_params(self.params, item) for item in self.targets])

    def observations(self, uid: int, queries: dict[str, str], service_url: str) -> Observations:
        """Target ``uid``'s own rows of each table, as a single view's observations of its cone."""
        if self._split is None:
            self._split = {t: _by_upload_id(r.rows, len(self.targets)) for t, r in self.replies.items()
                           if isinstance(r, TapReply)}
        item = self.targets[uid]
        observations = Observations(cone=Cone(item.target.ra, item.target.dec, item.radius_arcsec))
        for table in (t for t in TABLES if t in self.replies):  # the tables' order, not the order they answered in
            reply = self.replies[table]
            if isinstance(reply, WiseError):
                observations.failures[table] = reply
                continue
            if uid in self.unanswered:
                observations.failures[table] = NotCovered(self.unanswered[uid])
                continue
            ordered, starts = self._split[table]
            rows = rows_between(ordered, starts[uid], starts[uid + 1])
            provenance = Provenance(table=table, source=self.served, rows=len(rows), retrieved_utc=reply.retrieved_utc,
                                    adql=queries[table], service_url=service_url, truncated=reply.truncated)
            provenance.serving_notes.append(f"rows of upload_id {uid} in chunk {self.index}")
            observations.results[table] = TableResult(rows=rows, provenance=provenance)
        return observations


def _by_upload_id(rows: pd.DataFrame, n: int) -> tuple[pd.DataFrame, np.ndarray]:
    """A reply's rows without ``upload_id``, ordered by it (stably: each target's rows keep the
    reply's order), and where each of the ``n`` targets' rows start: one reorder per chunk, then
    a slice per target (a take per target cost ~5 ms of a wide reply)."""
    uid = rows["upload_id"].to_numpy(np.int64) if "upload_id" in rows and len(rows) else np.zeros(0, np.int64)
    order = np.argsort(uid, kind="stable")
    starts = np.searchsorted(uid[order], np.arange(n + 1))
    return rows.drop(columns="upload_id", errors="ignore").iloc[order].reset_index(drop=True), starts
