"""Local stand-ins for the sky-context services, speaking their real protocols on 127.0.0.1.

* IRSA SIA2: ``/sia/capabilities`` (VOSI, the SIA 2.0 standardID and its query access URL) and
  ``/sia`` itself, the query endpoint (POS=CIRCLE, COLLECTION) answering an ObsCore VOTable of AllWISE Atlas images
  (science and uncertainty maps per band, IRSA's column names), whose ``access_url`` points at
  ``/ibe/data/…fits``; that path serves cutouts in IRSA's image-server form
  (``center=<ra>,<dec>deg&size=<s>arcsec&gzip=false``).
* SIMBAD and the Gaia archive: TAP ``/sync`` (REQUEST=doQuery, LANG=ADQL, QUERY) answering the
  cone queries the app writes with the rows a test puts in ``simbad_rows`` / ``gaia_rows``.

CONSTRUCTED DATA, marked as built: no SIA, SIMBAD or Gaia reply was ever recorded, so the cutout
is built here — a real TAN WCS header (AllWISE Atlas pixel scale 1.375″, north up, east left)
centred where it was asked, with a Gaussian source (FWHM 6.1″) at each position in
``image_sources`` on a flat noisy background — and the SIMBAD/Gaia rows are given by each test.
Faults per service key ("sia", "cutout", "simbad", "gaia"): latency, HTTP status, hang, a
malformed reply.
"""

from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlparse

import numpy as np
import pandas as pd
from astropy.io import fits

from dashboard.archive.votable import frame_to_votable
from dashboard.core.geometry import separation_arcsec
from servers import LocalHttp, send

PIXEL_ARCSEC = 1.375
SIA2_STANDARD_ID = "ivo://ivoa.net/std/SIA#query-2.0"
_CIRCLE = re.compile(r"CIRCLE\('ICRS', (?P<ra>[-+\d.]+), (?P<dec>[-+\d.]+), (?P<r>[-+\d.eE]+)\)\)=1")
_SIMBAD = re.compile(r"^SELECT TOP \d+ main_id, otype, ra, dec, rvz_redshift, rvz_bibcode, rvz_type, rvz_qual "
                     r"FROM basic WHERE "
                     r"CONTAINS\(POINT\('ICRS', ra, dec\), ")
_GAIA = re.compile(r"^SELECT TOP \d+ g\.source_id, .+ FROM gaiadr3\.gaia_source AS g LEFT OUTER JOIN "
                   r"gaiadr3\.allwise_best_neighbour AS n ON n\.source_id = g\.source_id "
                   r"WHERE CONTAINS\(POINT\('ICRS', g\.ra, g\.dec\), ")
GAIA_DTYPES = {"source_id": "i8", "ra": "f8", "dec": "f8", "ref_epoch": "f8", "phot_g_mean_mag": "f8", "bp_rp": "f8",
               "parallax": "f8", "parallax_error": "f8", "pmra": "f8", "pmdec": "f8", "ruwe": "f8",
               "phot_bp_mean_mag": "f8", "phot_rp_mean_mag": "f8",
               **{f"phot_{b}_mean_{c}": "f8" for b in ("g", "bp", "rp") for c in ("flux", "flux_error")},
               "original_ext_source_id": "U", "angular_distance": "f8"}
SIMBAD_DTYPES = {"main_id": "U", "otype": "U", "ra": "f8", "dec": "f8", "rvz_redshift": "f8", "rvz_bibcode": "U",
                 "rvz_type": "U", "rvz_qual": "U"}
SIA_DTYPES = {"access_url": "U", "energy_bandpassname": "U", "dataproduct_subtype": "U", "obs_collection": "U",
              "s_ra": "f8", "s_dec": "f8", "dataproduct_type": "U"}


@dataclass
class Fault:
    latency_s: float = 0.0
    http_status: int | None = None
    hang_s: float = 0.0
    malformed: bool = False


def capabilities(query_url: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<vosi:capabilities xmlns:vosi="http://www.ivoa.net/xml/VOSICapabilities/v1.0" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:vs="http://www.ivoa.net/xml/VODataService/v1.1">'
        f'<capability standardID="{SIA2_STANDARD_ID}"><interface xsi:type="vs:ParamHTTP" role="std">'
        f'<accessURL use="base">{query_url}</accessURL></interface></capability>'
        '</vosi:capabilities>').encode()


def cutout_fits(ra: float, dec: float, size_arcsec: float, sources: list[tuple[float, float, float]],
                band: str) -> bytes:
    """A constructed cutout (see the module docstring): TAN WCS at (ra, dec), sources as (ra, dec, peak)."""
    from astropy.wcs import WCS

    n = max(int(round(size_arcsec / PIXEL_ARCSEC)), 8)
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = [ra, dec]
    wcs.wcs.crpix = [(n + 1) / 2, (n + 1) / 2]
    wcs.wcs.cdelt = [-PIXEL_ARCSEC / 3600, PIXEL_ARCSEC / 3600]
    rng = np.random.default_rng(7)
    data = rng.normal(100.0, 1.0, (n, n)).astype(np.float32)
    yy, xx = np.mgrid[0:n, 0:n]
    sigma_px = 6.1 / 2.3548 / PIXEL_ARCSEC
    for s_ra, s_dec, peak in sources:
        x, y = wcs.world_to_pixel_values(s_ra, s_dec)
        data += (peak * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * sigma_px**2))).astype(np.float32)
    header = wcs.to_header()
    header["BAND"] = band
    header["COMMENT"] = "CONSTRUCTED by the test stand-in (tests/sky_servers.py): not an IRSA image"
    out = io.BytesIO()
    fits.PrimaryHDU(data=data, header=header).writeto(out)
    return out.getvalue()


class LocalSky(LocalHttp):
    """Start with ``LocalSky().start()``; URLs: ``sia_url``, ``simbad_url``, ``gaia_url``."""

    def __init__(self) -> None:
        self.faults: dict[str, Fault] = {}
        self.simbad_rows = pd.DataFrame(columns=list(SIMBAD_DTYPES))
        self.gaia_rows = pd.DataFrame(columns=list(GAIA_DTYPES))
        self.image_sources: list[tuple[float, float, float]] = []
        self.requests: list[str] = []
        super().__init__()

    sia_url = property(lambda self: self.base + "/sia")
    simbad_url = property(lambda self: self.base + "/simbad")
    gaia_url = property(lambda self: self.base + "/gaia")

    def reset(self) -> None:
        with self._lock:
            self.faults.clear()
            self.requests.clear()
        self.simbad_rows = pd.DataFrame(columns=list(SIMBAD_DTYPES))
        self.gaia_rows = pd.DataFrame(columns=list(GAIA_DTYPES))
        self.image_sources = []

    def count(self, prefix: str) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.startswith(prefix))

    def _sia_rows(self, ra: float, dec: float) -> pd.DataFrame:
        rows = []
        for band in ("W1", "W2", "W3", "W4"):
            for subtype, kind in (("science", "int"), ("ancillary", "unc")):
                url = f"{self.base}/ibe/data/wise/allwise/p3am_cdd/tile-{band.lower()}-{kind}-3.fits"
                rows.append({"access_url": url, "energy_bandpassname": band, "dataproduct_subtype": subtype,
                             "obs_collection": "wise_allwise", "s_ra": ra, "s_dec": dec, "dataproduct_type": "image"})
        return pd.DataFrame(rows)

    def _tap(self, service: str, query: str) -> tuple[int, bytes, str]:
        flat = " ".join(query.split())
        pattern, frame, dtypes = ((_SIMBAD, self.simbad_rows, SIMBAD_DTYPES) if service == "simbad"
                                  else (_GAIA, self.gaia_rows, GAIA_DTYPES))
        circle = _CIRCLE.search(flat)
        if not pattern.match(flat) or circle is None:
            from tap_server import error_votable

            return 200, error_votable("Cannot parse ADQL"), "application/x-votable+xml"
        rows = frame
        if len(rows):
            sep = separation_arcsec(rows["ra"].to_numpy(float), rows["dec"].to_numpy(float), float(circle["ra"]),
                                    float(circle["dec"]))
            rows = rows[sep <= float(circle["r"]) * 3600 + 1e-9]
        return 200, frame_to_votable(rows.reset_index(drop=True), dtypes=dtypes), "application/x-votable+xml"

    def answer(self, path: str, params: dict[str, str]) -> tuple[int, bytes, str]:
        if path == "/sia/capabilities":
            return 200, capabilities(self.sia_url), "text/xml"
        if path == "/sia":  # the query endpoint (IRSA's /SIA), as its capabilities say
            pos = params.get("POS", "").split()
            if len(pos) != 4 or pos[0].upper() != "CIRCLE":
                return 400, b"POS must be CIRCLE ra dec r", "text/plain"
            rows = self._sia_rows(float(pos[1]), float(pos[2]))
            return 200, frame_to_votable(rows, dtypes=SIA_DTYPES), "application/x-votable+xml"
        if path.startswith("/ibe/data/") and path.endswith(".fits"):
            centre = params.get("CENTER", "").removesuffix("deg").split(",")
            size = params.get("SIZE", "")
            if len(centre) != 2 or not size.endswith("arcsec") or params.get("GZIP") != "false":
                return 400, b"need center=<ra>,<dec>deg&size=<s>arcsec&gzip=false", "text/plain"
            band = path.split("tile-")[1][:2].upper()
            body = cutout_fits(float(centre[0]), float(centre[1]), float(size.removesuffix("arcsec")),
                               self.image_sources, band)
            return 200, body, "application/fits"
        if path in ("/simbad/sync", "/gaia/sync"):
            return self._tap(path.split("/")[1], params.get("QUERY", ""))
        return 404, b"not found", "text/plain"

    @staticmethod
    def service_of(path: str) -> str:
        if path.startswith("/sia"):
            return "sia"
        if path.startswith("/ibe"):
            return "cutout"
        return path.split("/")[1]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        sky = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _serve(self) -> None:
                parsed = urlparse(self.path)
                params = {k.upper(): v[-1] for k, v in parse_qs(parsed.query).items()}
                if self.command == "POST":
                    body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                    params |= {k.upper(): v[-1] for k, v in parse_qs(body).items()}
                service = sky.service_of(parsed.path)
                with sky._lock:
                    sky.requests.append(f"{service} {parsed.path}")
                    fault = sky.faults.get(service, Fault())
                time.sleep(fault.latency_s + fault.hang_s)
                if fault.http_status:
                    status, body_out, kind = fault.http_status, b"<html>Internal Server Error</html>", "text/html"
                else:
                    status, body_out, kind = sky.answer(parsed.path, params)
                    if fault.malformed:
                        body_out = body_out[: len(body_out) // 3]
                send(self, status, body_out, kind)

            do_GET = _serve
            do_POST = _serve

        return Handler


def gaia_row(source_id: int, ra: float, dec: float, **extra) -> dict:
    """A CONSTRUCTED Gaia DR3 row for the stand-in's reply: astrometry of a G = 15 star with no
    photometry fluxes unless ``extra`` gives them, paired with no AllWISE source unless it says."""
    row = {"source_id": source_id, "ra": ra, "dec": dec, "ref_epoch": 2016.0, "phot_g_mean_mag": 15.0,
           "bp_rp": 1.0, "parallax": 1.0, "parallax_error": 0.1, "pmra": 2.0, "pmdec": -1.0, "ruwe": 1.0,
           "original_ext_source_id": None, "angular_distance": None}
    return row | extra
