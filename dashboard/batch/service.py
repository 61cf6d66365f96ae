"""The batch entry points the CLI and the page call: read a list, run it, make its table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dashboard.archive import offline as archive
from dashboard.archive.sesame import SesameResolver
from dashboard.batch.run import BatchRun, BatchRunner, Progress
from dashboard.batch.summary import summary
from dashboard.batch.targets import TargetList, read_list
from dashboard.config import Settings
from dashboard.science.analysis import AnalysisParams


@dataclass
class BatchResult:
    targets: TargetList
    run: BatchRun
    table: pd.DataFrame


def read(text: str, settings: Settings, *, radius: float | None = None, max_targets: int | None = None) -> TargetList:
    """Every line of ``text`` checked; names resolved online unless offline or disabled."""
    online = settings.resolve_names_online and not settings.offline
    resolver = SesameResolver(settings.sesame_url, settings.sesame_timeout_s) if online else None
    return read_list(text, default_radius=radius or settings.default_radius_arcsec,
                     max_radius=settings.max_radius_arcsec, aliases=archive.aliases(), resolver=resolver,
                     max_targets=max_targets, max_names=settings.batch_max_names)


def run(targets: TargetList, settings: Settings, *, progress: Progress | None = None,
        cancelled: Callable[[], bool] = lambda: False, on_job: Callable[[str], None] = lambda url: None,
        before_chunk: Callable[[int], str | None] = lambda index: None,
        params: AnalysisParams | None = None) -> BatchResult:
    """``params``: the view every target is analysed with (the CLI's ``--phot``); the page's default."""
    done = BatchRunner(settings).run(targets.targets, progress=progress, cancelled=cancelled, on_job=on_job,
                                     before_chunk=before_chunk, params=params)
    return BatchResult(targets, done, summary(done, targets.bad))


def write_folder(path: Path, result: BatchResult, settings: Settings, params: AnalysisParams) -> Path:
    """The TAP route's results as a folder (``--out-dir``): the same files as the Parquet route's
    (``outputs.py``), the visits from each chunk's own analysis, the manifest naming the upload
    queries and chunks. Repeating the run takes every chunk from the cache."""
    from dashboard.batch.outputs import OutDir
    from dashboard.batch.summary import STATUSES
    from dashboard.batch.survey import identity
    from dashboard.provenance.manifest import epoch_cut_entries, software_versions

    run = result.run
    out = OutDir(path, {**identity(result.targets.targets, settings, params), "service": "tap", "root": None})
    out.open()
    counts = result.table["status"].value_counts()
    out.finish(result.table, {
        "kind": "WISE Explorer batch", "service": "tap", "service_url": run.service_url,
        "mode": ("the offline archive" if run.served == "offline"
                 else "IRSA TAP asynchronous (UWS) jobs with TAP_UPLOAD"),
        "upload_queries": run.queries, "chunk_size": settings.batch_chunk, "chunks": [c.data() for c in run.chunks],
        "filters": {"match": "ADQL CONTAINS(POINT, CIRCLE(upload ra, dec, radius_deg)) per uploaded target",
                    "epoch_cuts": epoch_cut_entries(params)},
        "params": identity(result.targets.targets, settings, params)["params"],
        "software": software_versions(batch=True),
        "counts": {"targets": len(result.targets.targets), "bad_lines": len(result.targets.bad),
                   **{s: int(counts.get(s, 0)) for s in STATUSES}},
        "cancelled": run.cancelled,
    }, visits=run.visits)
    return path
