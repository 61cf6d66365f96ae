"""The single-exposure frames of a visit, from IRSA's image archive (IBE), and cutouts of them.

Frames are found by position and time, never from the detections: the frames where the source
vanished are the ones that explain a dip. IRSA documents both requests
(https://irsa.ipac.caltech.edu/ibe/docs/wise/merge/merge_p1bm_frm):

* **Search** the WISE Merge L1b image metadata table, which holds every single-exposure frame of
  the AllSky, 3-band, post-cryo and NEOWISE-R data sets (``image_set`` 4, 3, 2, and 6, 7, 8, …
  one per NEOWISE-R year from 2013 Dec 13):
  ``<ibe>/search/wise/merge/merge_p1bm_frm?POS=<ra>,<dec>&columns=…&where=mjd>=… AND mjd<=…&ct=csv``.
  The ``where`` clause holds only numbers written here with a fixed format.
* **Cutout** of a frame: ``<ibe>/data/wise/merge/merge_p1bm_frm/{scangrp}/{scan_id}/{frame_num:03d}/
  {scan_id}{frame_num:03d}-w{band}-int-1b.fits?center=<ra>,<dec>&size=<n>pix`` with ``scangrp`` the
  last two characters of ``scan_id`` (IRSA's image-server cutout parameters).

Each cutout is cached in the shared store under its URL (a failure never is); at most
``WISE_IBE_CONCURRENCY`` cutouts are asked at once across all workers and hosts (the shared
upstream slots of the image archive), and at most ``WISE_IBE_PER_MINUTE`` requests a minute (each
counted in the shared store); at most ``WISE_MAX_FRAMES`` frames per visit are fetched, the rest
listed as not fetched, with why. A frame that fails is named; the others still come.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import time
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

import pandas as pd

from dashboard.archive.cache import UpstreamSlots
from dashboard.archive.service import shared_store
from dashboard.archive.tap import now_utc, timeout_session
from dashboard.archive.threads import each_at_once
from dashboard.config import Settings
from dashboard.core.errors import ServerBusy, ServiceError, ServiceMalformedReply
from dashboard.sky.clients import MAX_CUTOUT_BYTES, service_error

log = logging.getLogger(__name__)

SERVICE = "IRSA's image archive (IBE)"
COLLECTION = "wise/merge/merge_p1bm_frm"
COLUMNS = ("scan_id", "frame_num", "band", "mjd", "image_set")
#: The L1b frames' pixel scale (WISE ES sec. IV.4.a: 2.75″ in W1-W3).
FRAME_PIXEL_ARCSEC = 2.75


@dataclass(frozen=True)
class Frame:
    """One single-exposure frame in one band, as IBE's metadata names it."""

    scan_id: str
    frame_num: int
    band: int
    mjd: float
    image_set: int | None = None

    @property
    def path(self) -> str:
        return (f"{self.scan_id[-2:]}/{self.scan_id}/{self.frame_num:03d}/"
                f"{self.scan_id}{self.frame_num:03d}-w{self.band}-int-1b.fits")


@dataclass
class FrameCutout:
    """A frame's cutout around the target, or why there is none (``status``)."""

    frame: Frame
    url: str
    raw: bytes | None = None
    status: str = "fetched"
    from_cache: bool = False


@dataclass
class VisitFrames:
    """The frames of one visit's time window and their cutouts (or each one's failure)."""

    search: str  # the metadata request as sent
    cutouts: list[FrameCutout] = field(default_factory=list)
    failure: ServiceError | None = None  # the search itself failed: no frame is known
    retrieved_utc: str = ""


def search_url(ibe: str, ra: float, dec: float, mjd_lo: float, mjd_hi: float, bands: tuple[int, ...]) -> str:
    """The metadata search of the frames covering (ra, dec) between two MJDs, in ``bands``."""
    for value in (ra, dec, mjd_lo, mjd_hi):
        if not math.isfinite(value):
            raise ValueError("the frame search takes finite numbers only")
    where = f"mjd>={mjd_lo:.6f} AND mjd<={mjd_hi:.6f} AND band IN ({','.join(str(int(b)) for b in bands)})"
    return (f"{ibe.rstrip('/')}/search/{COLLECTION}?POS={ra:.7f},{dec:+.7f}&columns={','.join(COLUMNS)}"
            f"&where={quote(where)}&ct=csv")


def cutout_url(ibe: str, frame: Frame, ra: float, dec: float, size_pix: int) -> str:
    return f"{ibe.rstrip('/')}/data/{COLLECTION}/{frame.path}?center={ra:.7f},{dec:+.7f}&size={int(size_pix)}pix"


def parse_search(text: str) -> list[Frame]:
    """IBE's CSV reply -> frames, by time then band (a reply without the columns is malformed)."""
    try:
        rows = pd.read_csv(io.StringIO(text), dtype={"scan_id": str})
    except (ValueError, pd.errors.ParserError) as exc:
        raise ServiceMalformedReply(SERVICE, "sent a frame list that could not be read") from exc
    missing = [c for c in COLUMNS[:4] if c not in rows.columns]
    if missing:
        raise ServiceMalformedReply(SERVICE, f"sent a frame list without {', '.join(missing)}")
    sets = rows["image_set"].tolist() if "image_set" in rows else [None] * len(rows)
    frames = [Frame(str(scan), int(num), int(band), float(mjd), None if s is None or pd.isna(s) else int(s))
              for scan, num, band, mjd, s in zip(rows["scan_id"].tolist(), rows["frame_num"].tolist(),
                                                  rows["band"].tolist(), rows["mjd"].tolist(), sets, strict=True)]
    return sorted(frames, key=lambda f: (f.mjd, f.band, f.scan_id, f.frame_num))


class FrameArchive:
    """The image archive's two requests, each with (connect, read) timeouts and typed failures."""

    def __init__(self, url: str, *, connect_timeout_s: float, read_timeout_s: float) -> None:
        self.url = url.rstrip("/")
        self.connect_timeout_s, self.read_timeout_s = connect_timeout_s, read_timeout_s

    def _get(self, url: str, limit: int) -> bytes:
        import requests

        session = timeout_session()(self.connect_timeout_s, self.read_timeout_s)  # type: ignore[call-arg]
        try:
            response = session.get(url, stream=True)
            response.raise_for_status()
            raw = response.raw.read(limit + 1, decode_content=True)
        except requests.exceptions.RequestException as exc:
            raise service_error(SERVICE, exc, self.read_timeout_s) from exc
        finally:
            session.close()
        if len(raw) > limit:
            raise ServiceMalformedReply(SERVICE, f"sent more than {limit // 1024**2} MB")
        return raw

    def frames(self, url: str) -> list[Frame]:
        return parse_search(self._get(url, 8 * 1024**2).decode("utf-8", "replace"))

    def cutout(self, url: str) -> bytes:
        """A frame cutout, checked to be a FITS image with a celestial WCS."""
        raw = self._get(url, MAX_CUTOUT_BYTES)
        from dashboard.sky.image import read_cutout

        read_cutout(raw, SERVICE)
        return raw


class FrameFetcher:
    """The frames of a visit, through the shared store's cache and upstream slots."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = shared_store(settings)
        self.archive = FrameArchive(settings.ibe_url, connect_timeout_s=settings.connect_timeout_s,
                                    read_timeout_s=settings.ibe_timeout_s)
        self.slots = UpstreamSlots(self.store, max(1, settings.ibe_concurrency), service="ibe")

    def _cached(self, url: str, ask):  # noqa: ANN001, ANN202 (bytes or frames, as ``ask`` gives)
        key = f"ibe:{hashlib.sha256(url.encode()).hexdigest()}"
        try:
            hit = self.store.get(key)
        except Exception:  # an unreadable entry or an unreachable store is a miss
            hit = None
        if hit is not None:
            return hit, True
        self._account()
        with self.slots.slot(wait_s=self.settings.ibe_timeout_s):
            value = ask()
        try:
            self.store.set(key, value, expire=self.settings.cache_ttl_s)
        except Exception:
            log.warning("frames: could not cache %s", url)
        return value, False

    def _account(self) -> None:
        """Count one request to the image archive in this minute, across every worker and host;
        past ``WISE_IBE_PER_MINUTE`` it is not sent (IRSA is a shared service)."""
        budget = self.settings.ibe_per_minute
        if budget <= 0:
            return
        host = urlsplit(self.settings.ibe_url).netloc
        if self.store.incr(f"ibe:requests:{host}:{int(time.time() // 60)}", expire=120) > budget:
            raise ServerBusy(f"this server's budget of {budget} image-archive requests a minute is used up "
                             "(WISE_IBE_PER_MINUTE); try again in a minute")

    def visit(self, ra: float, dec: float, mjd_lo: float, mjd_hi: float, *, size_pix: int = 31,
              bands: tuple[int, ...] = (1, 2)) -> VisitFrames:
        """Every frame of the window (half a day wider on each side: a frame's mid-exposure time
        may lie just outside its visit's detections) and the cutouts of the first ``WISE_MAX_FRAMES``."""
        url = search_url(self.settings.ibe_url, ra, dec, mjd_lo - 0.5, mjd_hi + 0.5, bands)
        out = VisitFrames(search=url, retrieved_utc=now_utc())
        try:
            frames, _ = self._cached(url, lambda: self.archive.frames(url))
        except ServiceError as exc:
            out.failure = exc
            return out
        except ServerBusy as exc:
            out.failure = ServiceError(SERVICE, f"was not asked: {exc}")
            return out
        cap = max(0, self.settings.max_frames)
        out.cutouts = [FrameCutout(f, cutout_url(self.settings.ibe_url, f, ra, dec, size_pix)) for f in frames]
        for late in out.cutouts[cap:]:
            late.status = f"not fetched: more than {cap} frames in this visit (WISE_MAX_FRAMES)"

        def one(item: FrameCutout) -> None:
            try:
                item.raw, item.from_cache = self._cached(item.url, lambda: self.archive.cutout(item.url))
            except ServiceError as exc:
                item.status = f"failed: {exc.data_message}"
            except ServerBusy as exc:
                item.status = f"not fetched: {exc}"

        each_at_once([str(i) for i in range(min(cap, len(out.cutouts)))], lambda i: one(out.cutouts[int(i)]),
                     name="frames")
        return out
