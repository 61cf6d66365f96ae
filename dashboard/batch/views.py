"""Every target's single view of a chunk at once, for the targets' folders in the batch bundle.

``analyze`` of one target costs ~17 ms, nearly all of it the fixed cost of ~100 pandas calls on a
few hundred epochs: a thousand targets took 17 s. Here the catalog half stays per target
(``analysis.catalog_part``: its source table, selection and SED), and the epoch half runs once
over the whole chunk, as the summary's does (``batch/analysis.chunk_epochs``, ``binned``); each
target's light curve, match counts and cut reports are then cut out of the chunk's. The result is
what ``analyze`` gives each target alone: tests/test_batch.py compares every frame, report and
count. What the chunk route does not make (a periodogram, a moving counterpart, unbinned epochs,
a filter made at the server) sends the whole chunk through ``analyze`` instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard.batch.analysis import binned, chunk_epochs
from dashboard.core.model import Observations, Target
from dashboard.core.tables import EPOCH_TABLES, PSD
from dashboard.provenance.bundle import LIGHTCURVE_TABLES, table_parts
from dashboard.science.analysis import (
    AnalysisParams,
    View,
    analyze,
    assemble,
    catalog_part,
    saturation_reports,
)
from dashboard.science.lightcurve import LightCurve, build_lightcurve, visit_colours
from dashboard.science.select import sources_of_objects


@dataclass
class ChunkViews:
    """A chunk's views, in order, and the light-curve tables of each already written (CSV, ECSV)
    from the chunk's frames (``bundle.table_parts``: sources and light curves; a light curve's not
    for a view without epochs)."""

    views: list[View]
    written: list[dict[str, tuple[bytes, bytes]]]


def chunk_views(items: list[tuple[Target, Observations]], replies: dict[str, pd.DataFrame],
                params: AnalysisParams) -> ChunkViews:
    """The view of each (target, its observations) of a chunk, in order. ``replies``: the rows of
    each table that answered the chunk, every target's tagged by ``upload_id`` (its place in ``items``)."""
    if not _by_chunk(items, params):
        views = [analyze(target, observations, params) for target, observations in items]
        return ChunkViews(views, [{} for _ in views])
    n = len(items)
    sources, written_sources = _sources(items, replies.get(PSD.name), n)
    catalogs = [catalog_part(target, observations, params, sources[uid])
                for uid, (target, observations) in enumerate(items)]
    ra = np.array([c.selection.ra if c.selection else t.ra for (t, _), c in zip(items, catalogs, strict=True)])
    dec = np.array([c.selection.dec if c.selection else t.dec for (t, _), c in zip(items, catalogs, strict=True)])
    cntr = np.array([c.selection.cntr or 0 if c.selection else 0 for c in catalogs], np.int64)
    known = np.array([c.selection is not None and c.selection.cntr is not None for c in catalogs], bool)
    found = chunk_epochs(replies, params, ra, dec, cntr, known)
    curves, written = _light_curves(found.epochs, params, n)
    for uid, files in written_sources.items():
        written[uid]["sources"] = files
    views = []
    for uid, ((target, observations), catalog) in enumerate(zip(items, catalogs, strict=True)):
        tables = [s.name for s in EPOCH_TABLES if s.name in observations.results and s.name in found.reports]
        filters = [report for t in tables for report in found.reports[t][uid]]
        labels = {t: observations.results[t].provenance.table for t in tables}
        filters += saturation_reports(curves[uid].epochs, labels, params)
        views.append(assemble(target, observations, params, catalog, curves[uid], filters,
                              {t: found.match_counts[t][uid] for t in tables}))
    return ChunkViews(views, written)


def _sources(items: list[tuple[Target, Observations]], psd: pd.DataFrame | None, n: int,
             ) -> tuple[list[pd.DataFrame | None], dict[int, tuple[bytes, bytes]]]:
    """Each target's source table, cut out of the chunk's (``select.sources_of_objects``), and its
    ``sources`` files written from it; None (the view makes its own) for a target whose catalog
    rows are not the chunk's (its table failed, or nothing answered it)."""
    mine = [PSD.name in observations.results for _, observations in items]
    if psd is None or psd.empty or not any(mine):
        return [None] * n, {}
    obj = psd["upload_id"].to_numpy(np.int64)
    ra = np.array([t.ra for t, _ in items], float)
    dec = np.array([t.dec for t, _ in items], float)
    table = sources_of_objects(psd.drop(columns="upload_id", errors="ignore"), obj, ra, dec)
    at = np.searchsorted(np.sort(obj, kind="stable"), np.arange(n + 1))
    parts = table_parts("sources", table, at.tolist())
    own = [table.iloc[at[uid]:at[uid + 1]].reset_index(drop=True) if mine[uid] else None for uid in range(n)]
    return own, {uid: parts[uid] for uid in range(n) if mine[uid]}


def _by_chunk(items: list[tuple[Target, Observations]], params: AnalysisParams) -> bool:
    """Whether the chunk route makes these views (what it leaves to ``analyze``: module docstring)."""
    plain = not params.periodogram and not params.counterparts and params.binning.enabled
    return plain and all(r.provenance.server_side_filter is None for _, o in items for r in o.results.values())


def _light_curves(epochs: pd.DataFrame, params: AnalysisParams, n: int,
                  ) -> tuple[list[LightCurve], list[dict[str, tuple[bytes, bytes]]]]:
    """Each object's light curve, cut out of the chunk's binned epochs, visits and colours, and its
    light-curve tables written from the chunk's frames."""
    if epochs.empty:
        return [build_lightcurve({}, params.binning) for _ in range(n)], [{} for _ in range(n)]
    epochs, visits, stats = binned(epochs, params)
    colours = visit_colours(visits)  # in the visits' order: by object too
    frames = {"epochs": epochs, "visits": visits, "colour": colours}
    bounds = {}
    for name, frame in frames.items():
        obj = frame.pop("object").to_numpy(np.int64)
        if np.any(np.diff(obj) < 0):  # each comes grouped by object; kept safe if that changes
            raise AssertionError(f"a chunk's {name} are not grouped by object")
        bounds[name] = np.searchsorted(obj, np.arange(n + 1))
    has = np.diff(bounds["epochs"]) > 0
    written: list[dict[str, tuple[bytes, bytes]]] = [{} for _ in range(n)]
    for table, (kind, _, _) in LIGHTCURVE_TABLES.items():
        parts = table_parts(table, frames[kind], bounds[kind].tolist())
        for uid in np.flatnonzero(has).tolist():  # an object without epochs keeps the single view's empty frames
            written[uid][table] = parts[uid]
    curves = []
    for uid in range(n):
        if not has[uid]:  # no epoch: the empty frames a single view has
            curves.append(build_lightcurve({}, params.binning))
            continue
        own = {name: frame.iloc[bounds[name][uid]:bounds[name][uid + 1]].reset_index(drop=True)
               for name, frame in frames.items()}
        curves.append(LightCurve(epochs=own["epochs"], visits=own["visits"], binning=params.binning,
                                 stats=stats.get(uid, {}), _colour=own["colour"]))
    return curves, written
