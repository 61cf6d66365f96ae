"""Every target's single view of a chunk at once, for the targets' folders in the batch bundle.

``analyze`` of one target costs ~17 ms, nearly all of it the fixed cost of ~100 pandas calls on a
few hundred epochs: a thousand targets took 17 s. Here the chunk's source tables and its epochs
(matched to the summary's choice of source, cut and binned: ``batch/analysis.chunk_epochs``,
``binned``) are made once for all its targets, and the files of both are written from the chunk's
frames, each value formatted once (``bundle.table_parts``). Per target remain the selection and
the SED (``analysis.catalog_part``) and the cutting out of its rows, match counts and cut reports.
The result is what ``analyze`` gives each target alone: tests/test_batch.py compares every file
and manifest. What the chunk route does not make (a periodogram, a moving counterpart, unbinned
epochs, a source chosen by hand) sends the chunk through ``analyze``; so does a target whose own
selection is not the summary's, or whose rows were cut at the server, alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

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
from dashboard.science.colours_table import with_colour_classes
from dashboard.science.lightcurve import LightCurve, build_lightcurve, visit_colours
from dashboard.science.select import identifiers, select_sources, sources_of_objects

#: A view and its tables already written from the chunk's frames (CSV, ECSV), by table name.
Made = tuple[View, dict[str, tuple[bytes, bytes]]]


def chunk_views(targets: list[Target], observations: Callable[[int], Observations], replies: dict[str, pd.DataFrame],
                params: AnalysisParams, own_params: list[AnalysisParams] | None = None) -> Iterator[Made]:
    """The view of each target of a chunk, in order, each with its sources and light-curve tables
    already written from the chunk's frames (``bundle.table_parts``; none for a light curve
    without epochs). ``observations(uid)``: target ``uid``'s own rows; ``replies``: the rows of
    each table that answered the chunk, every target's tagged by ``upload_id`` (its place in
    ``targets``). Each view is made when asked for and dropped: a chunk's 500 views (or their
    observations and catalog halves) held at once cost ~1 s of garbage collection. ``own_params``:
    each target's own (the batch's, with its list's redshift for the flare search)."""
    n = len(targets)
    mine = own_params or [params] * n
    if not _by_chunk(params):
        for uid, target in enumerate(targets):
            yield analyze(target, observations(uid), mine[uid]), {}
        return
    psd = replies.get(PSD.name, pd.DataFrame())
    at = np.array([[t.ra, t.dec] for t in targets], float).reshape(n, 2)
    # the source each target's epochs are matched to: the summary's choice (``select_sources``);
    # a target whose own catalog half chose otherwise is made by ``analyze``
    chosen, _ = select_sources(psd, at[:, 0], at[:, 1], [t.designation for t in targets])
    ra, dec, cntr, known = at[:, 0].copy(), at[:, 1].copy(), np.zeros(n, np.int64), np.zeros(n, bool)
    found = chosen >= 0
    if found.any():
        ra[found], dec[found] = psd["ra"].to_numpy(float)[chosen[found]], psd["dec"].to_numpy(float)[chosen[found]]
        if "cntr" in psd:
            values, recorded = identifiers(psd["cntr"])
            cntr[found], known[found] = values[chosen[found]], recorded[chosen[found]]
    sources = _ChunkSources(psd, at, n)
    epochs = chunk_epochs(replies, params, ra, dec, cntr, known)
    curves = _ChunkCurves(epochs.epochs, params, n)
    for uid, target in enumerate(targets):
        own = observations(uid)
        table = sources.table(uid) if PSD.name in own.results else None
        catalog = catalog_part(target, own, mine[uid], table)
        sel = catalog.selection
        same = (sel is None and not found[uid]) or (sel is not None and found[uid] and (sel.ra, sel.dec, sel.cntr) == (
            ra[uid], dec[uid], int(cntr[uid]) if known[uid] else None))
        if not same or any(r.provenance.server_side_filter is not None for r in own.results.values()):
            yield analyze(target, own, mine[uid]), {}
            continue
        curve = curves.curve(uid)
        tables = [s.name for s in EPOCH_TABLES if s.name in own.results and s.name in epochs.reports]
        filters = [report for t in tables for report in epochs.reports[t][uid]]
        filters += saturation_reports(curve.epochs, {t: own.results[t].provenance.table for t in tables}, params)
        written = curves.written[uid] | ({"sources": sources.written[uid]} if table is not None else {})
        yield assemble(target, own, mine[uid], catalog, curve, filters,
                       {t: epochs.match_counts[t][uid] for t in tables}), written


class _ChunkSources:
    """Each target's source table, cut out of the chunk's (``select.sources_of_objects``) when
    asked for (``table``), and its ``sources`` files written from it (``written``)."""

    def __init__(self, psd: pd.DataFrame, at: np.ndarray, n: int) -> None:
        self.frame: pd.DataFrame | None = None
        self.written: dict[int, tuple[bytes, bytes]] = {}
        if psd.empty:  # each target makes its own (empty) table
            return
        obj = psd["upload_id"].to_numpy(np.int64)
        self.frame = with_colour_classes(sources_of_objects(psd.drop(columns="upload_id"), obj, at[:, 0], at[:, 1]))
        self.bounds = np.searchsorted(np.sort(obj, kind="stable"), np.arange(n + 1))
        self.written = dict(enumerate(table_parts("sources", self.frame, self.bounds.tolist())))

    def table(self, uid: int) -> pd.DataFrame | None:
        if self.frame is None:
            return None
        return rows_between(self.frame, self.bounds[uid], self.bounds[uid + 1])


def _by_chunk(params: AnalysisParams) -> bool:
    """Whether the chunk route makes these views (what it leaves to ``analyze``: module docstring)."""
    return not params.periodogram and not params.counterparts and params.binning.enabled and params.source is None


class _ChunkCurves:
    """Each object's light curve, cut out of the chunk's binned epochs, visits and colours when
    asked for (``curve``), and its light-curve tables, written from the chunk's frames (``written``)."""

    def __init__(self, epochs: pd.DataFrame, params: AnalysisParams, n: int) -> None:
        self.binning, self.n = params.binning, n
        self.written: list[dict[str, tuple[bytes, bytes]]] = [{} for _ in range(n)]
        if epochs.empty:
            self.has = np.zeros(n, bool)
            return
        epochs, visits, self.stats = binned(epochs, params)
        self.frames = {"epochs": epochs, "visits": visits, "colour": visit_colours(visits)}  # colours by object too
        self.bounds = {}
        for name, frame in self.frames.items():
            obj = frame.pop("object").to_numpy(np.int64)
            if np.any(np.diff(obj) < 0):  # each comes grouped by object; kept safe if that changes
                raise AssertionError(f"a chunk's {name} are not grouped by object")
            self.bounds[name] = np.searchsorted(obj, np.arange(n + 1))
        self.has = np.diff(self.bounds["epochs"]) > 0
        for table, (kind, _, _) in LIGHTCURVE_TABLES.items():
            parts = table_parts(table, self.frames[kind], self.bounds[kind].tolist())
            for uid in np.flatnonzero(self.has).tolist():  # one without epochs keeps the single view's empty frames
                self.written[uid][table] = parts[uid]

    def curve(self, uid: int) -> LightCurve:
        if not self.has[uid]:  # no epoch: the empty frames a single view has
            return build_lightcurve({}, self.binning)
        own = {name: rows_between(frame, self.bounds[name][uid], self.bounds[name][uid + 1])
               for name, frame in self.frames.items()}
        return LightCurve(epochs=own["epochs"], visits=own["visits"], binning=self.binning,
                          stats=self.stats.get(uid, {}), _colour=own["colour"])


def rows_between(frame: pd.DataFrame, start: int, stop: int) -> pd.DataFrame:
    """Rows ``start:stop`` of ``frame``, numbered from 0 (as ``reset_index(drop=True)`` numbers
    them, which cost ~8x more on a reply's text columns: 270 against 33 µs a slice)."""
    rows = frame.iloc[start:stop]
    rows.index = pd.RangeIndex(stop - start)
    return rows
