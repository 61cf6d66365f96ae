"""One client per sky-context service, each failing with its own typed ``ServiceError``.

* ``ImageService``: IRSA's Simple Image Access v2 service through pyvo's SIA2 client (what
  astroquery's ``Irsa.query_sia`` wraps), on IRSA's documented query endpoint ``/SIA``
  (https://irsa.ipac.caltech.edu/ibe/sia.html) asked directly: astroquery would first read a VOSI
  ``/capabilities`` document, and pyvo reports that read's failures as text only, so a timeout
  could not be told from a malformed reply. Then a cutout of the chosen image from IRSA's image server,
  whose documented form is ``<image URL>?center=<ra>,<dec>deg&size=<s>arcsec&gzip=false``
  (https://irsa.ipac.caltech.edu/ibe/cutouts.html): never a whole 1.56° Atlas tile.
* ``CatalogTap``: a synchronous TAP query (pyvo) on SIMBAD's or the Gaia archive's TAP service;
  astroquery's ``Simbad`` accepts only its own mirrors, so pyvo is used where the URL is configurable.

Every request carries (connect, read) timeouts through the session shared with the IRSA client.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import pandas as pd

from dashboard.archive.tap import http_status, now_utc, request_failure, timeout_session
from dashboard.core.errors import (
    ServiceError,
    ServiceHttpError,
    ServiceMalformedReply,
    ServiceQueryError,
    ServiceTimeout,
    ServiceUnreachable,
)

#: IRSA's SIA2 collection of the AllWISE Atlas coadds, and the image kind shown (not the
#: uncertainty or coverage maps that share the collection).
ALLWISE_COLLECTION = "wise_allwise"
SCIENCE_SUBTYPE = "science"
MAX_CUTOUT_BYTES = 16 * 1024**2


def service_error(service: str, exc: Exception, read_timeout_s: float) -> ServiceError:
    """The typed failure of ``service`` for a failed request (one wording per kind of failure)."""
    failure = request_failure(exc)
    if failure == "http":
        return ServiceHttpError(service, f"answered HTTP {http_status(exc)}")
    if failure == "timeout":
        return ServiceTimeout(service, f"did not answer in {read_timeout_s:g} s")
    if failure == "unreachable":
        return ServiceUnreachable(service, "cannot be reached", noticed="no connection")
    if failure == "cut":
        return ServiceMalformedReply(service, "sent a reply that was cut short")
    return ServiceMalformedReply(service, f"sent a reply that could not be read ({type(exc).__name__})")


@dataclass(frozen=True)
class Reply:
    """One successful answer: rows, the raw bytes as received, what was asked and when."""

    rows: pd.DataFrame
    raw: bytes
    request: str  # the ADQL, or the SIA2 query / cutout URL
    service_url: str
    retrieved_utc: str


class CatalogTap:
    """Synchronous ADQL on one TAP service (SIMBAD or the Gaia archive)."""

    def __init__(self, service: str, url: str, *, connect_timeout_s: float, read_timeout_s: float) -> None:
        self.service, self.url = service, url.rstrip("/")
        self.connect_timeout_s, self.read_timeout_s = connect_timeout_s, read_timeout_s

    def run(self, adql: str, *, maxrec: int) -> Reply:
        import pyvo
        import requests
        from astropy.io.votable import parse as parse_votable

        from dashboard.archive.votable import table_to_frame

        session = timeout_session()(self.connect_timeout_s, self.read_timeout_s)  # type: ignore[call-arg]
        retrieved = now_utc()
        try:
            response = pyvo.dal.TAPService(self.url, session=session).create_query(adql, maxrec=maxrec).submit(
                post=True)
            response.raise_for_status()
            raw = response.content
        except requests.exceptions.RequestException as exc:
            raise service_error(self.service, exc, self.read_timeout_s) from exc
        finally:
            session.close()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                table = pyvo.dal.TAPResults(parse_votable(io.BytesIO(raw), verify="ignore"), url=self.url).to_table()
        except pyvo.dal.DALQueryError as exc:
            raise ServiceQueryError(self.service, f"refused the query: {exc.reason}") from exc
        except Exception as exc:  # malformed XML surfaces as many astropy/expat error types
            raise ServiceMalformedReply(self.service, "sent a reply that is not a readable VOTable") from exc
        return Reply(rows=table_to_frame(table), raw=raw, request=adql, service_url=self.url, retrieved_utc=retrieved)


class ImageService:
    """IRSA's SIA2 service: which AllWISE Atlas images cover a position, and a cutout of one."""

    service = "IRSA's image service (SIA)"

    def __init__(self, url: str, *, connect_timeout_s: float, read_timeout_s: float) -> None:
        self.url = url.rstrip("/")
        self.connect_timeout_s, self.read_timeout_s = connect_timeout_s, read_timeout_s

    def query_description(self, ra: float, dec: float, radius_deg: float) -> str:
        """The SIA2 query as sent (for the manifest): POS and COLLECTION, IVOA SIA 2.0 parameters."""
        return f"{self.url}?POS=CIRCLE {ra:.8f} {dec:+.8f} {radius_deg:.10f}&COLLECTION={ALLWISE_COLLECTION}"

    def images(self, ra: float, dec: float, radius_deg: float) -> Reply:
        """The science images of the AllWISE Atlas that cover the circle (one row per image and band)."""
        import astropy.units as u
        import pyvo
        from astropy.coordinates import SkyCoord

        from dashboard.archive.votable import table_to_frame

        session = timeout_session()(self.connect_timeout_s, self.read_timeout_s)  # type: ignore[call-arg]
        retrieved = now_utc()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                service = pyvo.dal.SIA2Service(self.url, session=session, check_baseurl=False)
                table = service.search(pos=(SkyCoord(ra * u.deg, dec * u.deg), radius_deg * u.deg),
                                       collection=ALLWISE_COLLECTION).to_table()
        except Exception as exc:
            raise self._error(exc) from exc
        finally:
            session.close()
        rows = table_to_frame(table)
        missing = {"access_url", "energy_bandpassname"} - set(rows.columns)
        if missing:
            raise ServiceMalformedReply(self.service, f"sent no {', '.join(sorted(missing))} column")
        return Reply(rows=rows, raw=b"", request=self.query_description(ra, dec, radius_deg),
                     service_url=self.url, retrieved_utc=retrieved)

    def cutout(self, access_url: str, ra: float, dec: float, size_arcsec: float) -> Reply:
        """A FITS cutout (uncompressed) of one image, checked to be a 2-D image with a celestial WCS."""
        import requests

        url = cutout_url(access_url, ra, dec, size_arcsec)
        session = timeout_session()(self.connect_timeout_s, self.read_timeout_s)  # type: ignore[call-arg]
        retrieved = now_utc()
        try:
            response = session.get(url, stream=True)
            response.raise_for_status()
            raw = response.raw.read(MAX_CUTOUT_BYTES + 1, decode_content=True)
        except requests.exceptions.RequestException as exc:
            raise self._error(exc) from exc
        finally:
            session.close()
        if len(raw) > MAX_CUTOUT_BYTES:
            raise ServiceMalformedReply(self.service, f"sent a cutout larger than {MAX_CUTOUT_BYTES // 1024**2} MB")
        from dashboard.sky.image import read_cutout  # checks the FITS and its WCS

        read_cutout(raw, self.service)
        return Reply(rows=pd.DataFrame(), raw=raw, request=url, service_url=self.url, retrieved_utc=retrieved)

    def _error(self, exc: Exception) -> ServiceError:
        """pyvo wraps the requests failure (also a read timeout while parsing, as a format error)."""
        import pyvo

        if isinstance(exc, pyvo.dal.DALQueryError):
            return ServiceQueryError(self.service, f"refused the query: {exc.reason}")
        error = service_error(self.service, exc, self.read_timeout_s)
        if isinstance(error, ServiceMalformedReply) and isinstance(exc, pyvo.dal.DALFormatError):
            return ServiceMalformedReply(self.service, "sent a reply that is not a readable VOTable")
        return error


def cutout_url(access_url: str, ra: float, dec: float, size_arcsec: float) -> str:
    """IRSA's image-server cutout of ``access_url``: centre in degrees, full width in arcsec."""
    joiner = "&" if "?" in access_url else "?"
    return f"{access_url}{joiner}center={ra:.6f},{dec:.6f}deg&size={size_arcsec:.1f}arcsec&gzip=false"
