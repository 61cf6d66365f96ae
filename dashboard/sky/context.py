"""Fetch the sky context of a cone: the WISE cutout, SIMBAD and Gaia DR3, concurrently.

Each service has its own client (``clients.py``), timeout, cache entries and upstream slots, and
fails alone with its typed ``ServiceError``: the others, and the WISE view, are unaffected.
Successful replies are cached in the shared store for ``WISE_CACHE_TTL_S`` (cutouts count
against the store's size bound like every entry); failures are never cached. SIMBAD and Gaia
are asked out to the cone plus the W1/W2 beam (``blending.BEAM_ARCSEC``), so a source at the
cone's edge still has its neighbours; the cutout covers the cone plus ``IMAGE_MARGIN_ARCSEC``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from dashboard.archive.adql import SKY_ROW_LIMIT, gaia_cone_query, simbad_cone_query
from dashboard.archive.cache import UpstreamSlots
from dashboard.archive.service import shared_store
from dashboard.archive.threads import each_at_once
from dashboard.config import Settings
from dashboard.core.errors import ServerBusy, ServiceError, ServiceOffline, ServiceUnreachable
from dashboard.core.geometry import separation_arcsec
from dashboard.core.model import Cone
from dashboard.sky.blending import BEAM_ARCSEC
from dashboard.sky.clients import SCIENCE_SUBTYPE, CatalogTap, ImageService, Reply, cutout_url
from dashboard.sky.identify import SIMBAD_Z_RADIUS_ARCSEC, SimbadRedshift, simbad_redshift
from dashboard.sky.image import Cutout, read_cutout

log = logging.getLogger(__name__)

BANDS = ("W1", "W2", "W3", "W4")
IMAGE_MARGIN_ARCSEC = 15.0
#: Service key -> the name the page and the errors use.
SERVICES = {"image": ImageService.service, "simbad": "SIMBAD", "gaia": "Gaia archive"}
#: What each service adds, said when it cannot be asked.
WOULD_SHOW = {"image": "the AllWISE image around the target with every source on it",
              "simbad": "the SIMBAD objects in the cone", "gaia": "the Gaia DR3 sources in the cone"}


@dataclass
class SkyContext:
    cone: Cone
    band: str
    replies: dict[str, Reply] = field(default_factory=dict)  # by service key
    failures: dict[str, ServiceError] = field(default_factory=dict)
    from_cache: set[str] = field(default_factory=set)
    image_query: str = ""  # the SIA2 query that found the image

    def fingerprint(self) -> tuple:
        """What was received (or why not): equal fingerprints, equal bundles."""
        return (self.cone, self.band, tuple(sorted((k, r.request, r.retrieved_utc) for k, r in self.replies.items())),
                tuple(sorted((k, e.kind) for k, e in self.failures.items())))

    def cutout(self) -> Cutout | None:
        reply = self.replies.get("image")
        return read_cutout(reply.raw, SERVICES["image"]) if reply else None

    def rows(self, service: str):  # pandas.DataFrame | None
        reply = self.replies.get(service)
        return reply.rows if reply is not None else None

    def redshift_at(self, ra: float, dec: float) -> SimbadRedshift | None:
        """SIMBAD's redshift of the object at (ra, dec), the target (``identify.simbad_redshift``):
        the one lookup the page, the bundle and the command line share."""
        return simbad_redshift(self.rows("simbad"), ra, dec, SIMBAD_Z_RADIUS_ARCSEC)


def search_cone(cone: Cone) -> Cone:
    """The cone SIMBAD and Gaia are asked for: the user's plus the beam."""
    return replace(cone, radius_arcsec=cone.radius_arcsec + BEAM_ARCSEC)


def cutout_size_arcsec(cone: Cone) -> float:
    return 2 * (cone.radius_arcsec + IMAGE_MARGIN_ARCSEC)


class ContextFetcher:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = shared_store(settings)
        connect = settings.connect_timeout_s
        self.images = ImageService(settings.sia_url, connect_timeout_s=connect, read_timeout_s=settings.sia_timeout_s)
        self.catalogs = {
            "simbad": CatalogTap("SIMBAD", settings.simbad_tap_url, connect_timeout_s=connect,
                                 read_timeout_s=settings.simbad_timeout_s),
            "gaia": CatalogTap("Gaia archive", settings.gaia_tap_url, connect_timeout_s=connect,
                               read_timeout_s=settings.gaia_timeout_s),
        }

    def fetch(self, cone: Cone, band: str, *, progress: Callable[[str, str], None] | None = None) -> SkyContext:
        context = SkyContext(cone=cone, band=band if band in BANDS else "W1")
        if self.settings.offline:
            for key, name in SERVICES.items():
                context.failures[key] = ServiceOffline(name, "is not asked: this server runs offline (WISE_OFFLINE), "
                                                             f"so it cannot show {WOULD_SHOW[key]}.")
            return context
        work = {"image": lambda: self._image(context), "simbad": lambda: self._catalog("simbad", cone, context),
                "gaia": lambda: self._catalog("gaia", cone, context)}

        def run(key: str) -> None:
            if progress:
                progress(key, "fetching…")
            try:
                context.replies[key] = work[key]()
            except ServiceError as exc:
                context.failures[key] = exc
            except ServerBusy as exc:
                context.failures[key] = ServiceError(SERVICES[key], f"was not asked: {exc}")
            except Exception as exc:  # a defect: logged, and this service fails alone
                log.exception("sky context: %s failed", key)
                context.failures[key] = ServiceError(SERVICES[key], f"failed on this server ({type(exc).__name__}); "
                                                                    "it was logged")
            if progress:
                progress(key, "failed" if key in context.failures else "done")

        each_at_once(work, run, name="sky")
        return context

    def _cached(self, service: str, request: str, timeout_s: float, ask: Callable[[], Reply],
                context: SkyContext) -> Reply:
        key = f"sky:{service}:{hashlib.sha256(request.encode()).hexdigest()}"
        try:
            hit = self.store.get(key)
        except Exception:  # an unreadable entry or an unreachable store is a miss
            hit = None
        if isinstance(hit, Reply):
            context.from_cache.add(service)
            return hit
        down = f"sky:{service}:unreachable"  # like IRSA's (fetch.py): not data, a short memory
        if self.store.get(down):
            raise ServiceUnreachable(SERVICES.get(service, SERVICES["image"]),
                                     "cannot be reached", noticed="remembered; retrying soon")
        try:
            with UpstreamSlots(self.store, self.settings.max_concurrent_upstream, service=f"sky-{service}").slot(
                    wait_s=timeout_s):
                reply = ask()
        except ServiceUnreachable:
            self.store.set(down, True, expire=self.settings.unreachable_memory_s)
            raise
        try:
            self.store.set(key, reply, expire=self.settings.cache_ttl_s)
        except Exception:
            log.warning("sky context: could not cache %s", service)
        return reply

    def _catalog(self, key: str, cone: Cone, context: SkyContext) -> Reply:
        client = self.catalogs[key]
        adql = (simbad_cone_query if key == "simbad" else gaia_cone_query)(search_cone(cone))
        return self._cached(key, f"{client.url}\n{adql}", client.read_timeout_s,
                            lambda: client.run(adql, maxrec=SKY_ROW_LIMIT), context)

    def _image(self, context: SkyContext) -> Reply:
        cone, band = context.cone, context.band
        radius_deg = min(cone.radius_deg, 0.5)
        context.image_query = self.images.query_description(cone.ra, cone.dec, radius_deg)
        found = self._cached("sia", context.image_query, self.images.read_timeout_s,
                             lambda: self.images.images(cone.ra, cone.dec, radius_deg), context)
        rows = found.rows
        chosen = rows[rows["energy_bandpassname"].astype(str).str.upper() == band]
        if "dataproduct_subtype" in rows.columns:
            chosen = chosen[chosen["dataproduct_subtype"].astype(str).str.lower() == SCIENCE_SUBTYPE]
        if chosen.empty:
            raise ServiceError(SERVICES["image"], f"lists no AllWISE {band} image here")
        if {"s_ra", "s_dec"} <= set(chosen.columns):  # the image whose centre is nearest: the cone lies inside it
            sep = separation_arcsec(chosen["s_ra"].to_numpy(float), chosen["s_dec"].to_numpy(float), cone.ra, cone.dec)
            chosen = chosen.iloc[[int(sep.argmin())]]
        access_url = str(chosen.iloc[0]["access_url"])
        size = cutout_size_arcsec(cone)
        url = cutout_url(access_url, cone.ra, cone.dec, size)
        return self._cached("image", url, self.images.read_timeout_s,
                            lambda: self.images.cutout(access_url, cone.ra, cone.dec, size), context)


def fetch_context(cone: Cone, band: str, settings: Settings, *,
                  progress: Callable[[str, str], None] | None = None) -> SkyContext:
    return ContextFetcher(settings).fetch(cone, band, progress=progress)
