"""The batch entry points the CLI and the page call: read a list, run it, make its table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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
