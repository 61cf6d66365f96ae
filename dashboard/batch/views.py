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

import numpy as np
import pandas as pd

from dashboard.batch.analysis import binned, chunk_epochs
from dashboard.core.model import Observations, Target
from dashboard.core.tables import EPOCH_TABLES
from dashboard.science.analysis import (
    AnalysisParams,
    View,
    analyze,
    assemble,
    catalog_part,
    saturation_reports,
)
from dashboard.science.lightcurve import LightCurve, build_lightcurve


def chunk_views(items: list[tuple[Target, Observations]], replies: dict[str, pd.DataFrame],
                params: AnalysisParams) -> list[View]:
    """The view of each (target, its observations) of a chunk, in order. ``replies``: the rows of
    each table that answered the chunk, every target's tagged by ``upload_id`` (its place in ``items``)."""
    if not _by_chunk(items, params):
        return [analyze(target, observations, params) for target, observations in items]
    catalogs = [catalog_part(target, observations, params) for target, observations in items]
    n = len(items)
    ra = np.array([c.selection.ra if c.selection else t.ra for (t, _), c in zip(items, catalogs, strict=True)])
    dec = np.array([c.selection.dec if c.selection else t.dec for (t, _), c in zip(items, catalogs, strict=True)])
    cntr = np.array([c.selection.cntr or 0 if c.selection else 0 for c in catalogs], np.int64)
    known = np.array([c.selection is not None and c.selection.cntr is not None for c in catalogs], bool)
    found = chunk_epochs(replies, params, ra, dec, cntr, known)
    curves = _light_curves(found.epochs, params, n)
    views = []
    for uid, ((target, observations), catalog) in enumerate(zip(items, catalogs, strict=True)):
        tables = [s.name for s in EPOCH_TABLES if s.name in observations.results and s.name in found.reports]
        filters = [report for t in tables for report in found.reports[t][uid]]
        labels = {t: observations.results[t].provenance.table for t in tables}
        filters += saturation_reports(curves[uid].epochs, labels, params)
        views.append(assemble(target, observations, params, catalog, curves[uid], filters,
                              {t: found.match_counts[t][uid] for t in tables}))
    return views


def _by_chunk(items: list[tuple[Target, Observations]], params: AnalysisParams) -> bool:
    """Whether the chunk route makes these views (what it leaves to ``analyze``: module docstring)."""
    plain = not params.periodogram and not params.counterparts and params.binning.enabled
    return plain and all(r.provenance.server_side_filter is None for _, o in items for r in o.results.values())


def _light_curves(epochs: pd.DataFrame, params: AnalysisParams, n: int) -> list[LightCurve]:
    """Each object's light curve, cut out of the chunk's binned epochs and visits."""
    if epochs.empty:
        return [build_lightcurve({}, params.binning) for _ in range(n)]
    epochs, visits, stats = binned(epochs, params)
    e_obj = epochs.pop("object").to_numpy(np.int64)
    v_obj = visits.pop("object").to_numpy(np.int64)
    if np.any(np.diff(v_obj) < 0):  # the visits come grouped by object; kept safe if that changes
        order = np.argsort(v_obj, kind="stable")
        visits, v_obj = visits.take(order), v_obj[order]
    e_at = np.searchsorted(e_obj, np.arange(n + 1))
    v_at = np.searchsorted(v_obj, np.arange(n + 1))
    out = []
    for uid in range(n):
        if e_at[uid] == e_at[uid + 1]:  # no epoch: the empty frames a single view has
            out.append(build_lightcurve({}, params.binning))
            continue
        out.append(LightCurve(epochs=epochs.iloc[e_at[uid]:e_at[uid + 1]].reset_index(drop=True),
                              visits=visits.iloc[v_at[uid]:v_at[uid + 1]].reset_index(drop=True),
                              binning=params.binning, stats=stats.get(uid, {})))
    return out

