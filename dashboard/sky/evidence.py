"""Evidence for the visits of a light curve: the frames of a chosen visit and of a reference,
their co-adds, the difference, and a strip of every visit's co-add in one stretch.

A visit's time window is the span of its exposures in the view (``lightcurve.epochs``, the
visits of ``lightcurve_visits.csv``: they renumber when the binning or the cuts change, which the
link carries); its frames are found by position and time (``frames.py``), co-added on one grid
(``visit_image.py``). The strip uses at most ``STRIP_FRAMES`` W1 frames a visit, enough to see
when something changed without fetching every frame of every year.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dashboard.config import Settings
from dashboard.core.errors import ServiceError, ServiceOffline
from dashboard.core.geometry import separation_arcsec
from dashboard.core.tables import EPOCH_TABLES
from dashboard.science.analysis import View
from dashboard.sky.frames import SERVICE, FrameFetcher, VisitFrames
from dashboard.sky.visit_image import VisitImage, coadd

#: Cutouts of SIZE_PIX square L1b pixels (2.75″): 85″ around the target.
SIZE_PIX = 31
STRIP_FRAMES = 4
FRAME_COLUMNS = ["visit", "band", "mjd", "scan_id", "frame_num", "url", "status"]


@dataclass
class VisitEvidence:
    """What the images of the chosen visit (and its reference) show, and the strip."""

    visit: int
    ref: int | None
    windows: dict[int, tuple[float, float]]
    frames: dict[int, VisitFrames] = field(default_factory=dict)  # the chosen visit and the reference
    images: dict[tuple[int, int], VisitImage] = field(default_factory=dict)  # (visit, band) -> co-add
    strip: dict[int, VisitImage] = field(default_factory=dict)  # visit -> W1 co-add of a few frames
    positions: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)  # the visit's detections
    failure: ServiceError | None = None  # the image archive failed: no frame of the chosen visit is known

    def difference(self, band: int) -> np.ndarray | None:
        a, b = self.images.get((self.visit, band)), self.images.get((self.ref, band)) if self.ref is not None else None
        if a is None or b is None or a.data.shape != b.data.shape:
            return None
        return (a.data - b.data).astype(np.float32)

    def frames_table(self) -> pd.DataFrame:
        """One row per frame of the chosen visit (and the reference): ``FRAME_COLUMNS``."""
        rows = [{"visit": v, "band": f"W{c.frame.band}", "mjd": c.frame.mjd, "scan_id": c.frame.scan_id,
                 "frame_num": c.frame.frame_num, "url": c.url, "status": c.status}
                for v, found in sorted(self.frames.items()) for c in found.cutouts]
        return pd.DataFrame(rows, columns=FRAME_COLUMNS)


def visit_windows(view: View) -> dict[int, tuple[float, float]]:
    """Each visit's first and last exposure (MJD) in the view."""
    epochs = view.lightcurve.epochs
    if epochs.empty or "visit" not in epochs:
        return {}
    visit = epochs["visit"].to_numpy(np.int64)
    mjd = epochs["mjd"].to_numpy(float)
    return {int(v): (float(mjd[visit == v].min()), float(mjd[visit == v].max())) for v in np.unique(visit)}


def _positions(view: View, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """The detections of the visit's window near the source: where the epochs were measured."""
    sel = view.selection
    ra0, dec0 = (sel.ra, sel.dec) if sel is not None else (view.target.ra, view.target.dec)
    ras, decs = [], []
    for spec in EPOCH_TABLES:
        result = view.observations.results.get(spec.name)
        if result is None or result.rows.empty:
            continue
        rows = result.rows
        mjd = pd.to_numeric(rows["mjd"], errors="coerce").to_numpy(float)
        ra, dec = rows["ra"].to_numpy(float), rows["dec"].to_numpy(float)
        near = separation_arcsec(ra, dec, ra0, dec0) <= view.params.match_radius_arcsec
        keep = near & (mjd >= lo) & (mjd <= hi)
        ras.append(ra[keep])
        decs.append(dec[keep])
    return (np.concatenate(ras), np.concatenate(decs)) if ras else (np.zeros(0), np.zeros(0))


def gather(view: View, visit: int, ref: int | None, settings: Settings, *, strip: bool = True,
           progress: Callable[[str], None] = lambda text: None) -> VisitEvidence:
    """The chosen visit's and the reference's frames and co-adds (W1, W2), and the strip."""
    windows = visit_windows(view)
    if visit not in windows:
        raise ValueError(f"this view has visits 0 to {max(windows, default=-1)}; visit {visit} is not one of them")
    if ref is not None and ref not in windows:
        raise ValueError(f"this view has visits 0 to {max(windows)}; ref {ref} is not one of them")
    sel = view.selection
    ra, dec = (sel.ra, sel.dec) if sel is not None else (view.target.ra, view.target.dec)
    out = VisitEvidence(visit=visit, ref=ref, windows=windows)
    if settings.offline:
        out.failure = ServiceOffline(SERVICE, "is not asked: this server runs offline (WISE_OFFLINE), so it cannot "
                                              "show the frames of a visit")
        return out
    fetcher = FrameFetcher(settings)
    for v in [visit] + ([ref] if ref is not None and ref != visit else []):
        progress(f"frames of visit {v}…")
        found = fetcher.visit(ra, dec, *windows[v], size_pix=SIZE_PIX)
        out.frames[v] = found
        out.positions[v] = _positions(view, *windows[v])
        if found.failure is not None:
            out.failure = out.failure or found.failure
            continue
        for band in (1, 2):
            got = [(c.frame, c.url, c.raw) for c in found.cutouts if c.frame.band == band and c.raw is not None]
            if got:
                out.images[(v, band)] = coadd(got, band, ra, dec, SIZE_PIX)
    if strip and out.failure is None:
        for n, (v, window) in enumerate(sorted(windows.items()), start=1):
            progress(f"strip: visit {n} of {len(windows)}…")
            if (v, 1) in out.images:
                out.strip[v] = out.images[(v, 1)]
                continue
            found = fetcher.visit(ra, dec, *window, size_pix=SIZE_PIX, bands=(1,))
            got = [(c.frame, c.url, c.raw) for c in found.cutouts[:STRIP_FRAMES] if c.raw is not None]
            if got:
                out.strip[v] = coadd(got, 1, ra, dec, SIZE_PIX)
    return out
