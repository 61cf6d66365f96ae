"""A local stand-in for IRSA's image archive (IBE), speaking its two documented requests on 127.0.0.1.

* ``/ibe/search/wise/merge/merge_p1bm_frm?POS=<ra>,<dec>&columns=…&where=mjd>=A AND mjd<=B AND
  band IN (…)&ct=csv``: the frames (one row per frame and band) whose time lies in the window;
* ``/ibe/data/wise/merge/merge_p1bm_frm/{scangrp}/{scan_id}/{frame:03d}/{scan_id}{frame:03d}-w{band}-int-1b.fits
  ?center=<ra>,<dec>&size=<n>pix``: a cutout of that frame.

CONSTRUCTED FRAMES, marked as built (no NEOWISE ``scan_id``/``frame_num`` was ever recorded): each
frame is noise on a flat sky plus a Gaussian source (FWHM 6.1″) at ``source`` whose flux follows
``flux_of(mjd)``, on a TAN WCS with SIP distortion terms (as the L1b frames have), 2.75″ pixels,
rotated by a few degrees per frame, with a MAGZP that differs per frame (the DN scale follows it,
so the flux on a common zero point is ``flux_of(mjd)``). ``frames`` lists (scan_id, frame_num,
mjd) per exposure; each exists in W1 and W2. Faults: ``fail_frames`` answer HTTP 500;
``search_status`` fails the search.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlparse

import numpy as np
from astropy.io import fits

from servers import LocalHttp, send

PIXEL_ARCSEC = 2.75
_DATA = re.compile(r"^/ibe/data/wise/merge/merge_p1bm_frm/(?P<grp>\w{2})/(?P<scan>\w+)/(?P<num>\d{3})/"
                   r"(?P=scan)(?P=num)-w(?P<band>[1-4])-int-1b\.fits$")
_WHERE = re.compile(r"mjd>=(?P<lo>[\d.]+) AND mjd<=(?P<hi>[\d.]+) AND band IN \((?P<bands>[\d,]+)\)")


def frame_fits(scan_id: str, frame_num: int, band: int, mjd: float, ra: float, dec: float, size: int,
               source: tuple[float, float], flux: float) -> bytes:
    """A constructed L1b cutout (see the module docstring)."""
    index = sum(map(ord, scan_id)) + frame_num + 7 * band
    rng = np.random.default_rng(index)
    angle = np.radians(3.0 * (index % 5) - 6.0)
    magzp = 20.5 + 0.05 * (index % 7)
    header = fits.Header()
    scale = PIXEL_ARCSEC / 3600.0
    header.update({"NAXIS": 2, "NAXIS1": size, "NAXIS2": size, "CTYPE1": "RA---TAN-SIP", "CTYPE2": "DEC--TAN-SIP",
                   "CRVAL1": ra + 1.2 * scale, "CRVAL2": dec - 0.7 * scale, "CRPIX1": (size + 1) / 2,
                   "CRPIX2": (size + 1) / 2, "CD1_1": -scale * np.cos(angle), "CD1_2": scale * np.sin(angle),
                   "CD2_1": scale * np.sin(angle), "CD2_2": scale * np.cos(angle), "A_ORDER": 2, "B_ORDER": 2,
                   "A_2_0": 2e-6, "A_0_2": -1e-6, "B_2_0": 1e-6, "B_1_1": 1.5e-6, "MAGZP": magzp,
                   "BAND": band, "SCAN_ID": scan_id, "FRAMENUM": frame_num, "MJD_OBS": mjd})
    header["COMMENT"] = "CONSTRUCTED by the test stand-in (tests/ibe_server.py): not an IRSA frame"
    from astropy.wcs import WCS

    wcs = WCS(header)
    yy, xx = np.mgrid[0:size, 0:size]
    x, y = wcs.all_world2pix(source[0], source[1], 0)
    sigma = 6.1 / 2.3548 / PIXEL_ARCSEC
    dn_per_flux = 10 ** (0.4 * (magzp - 22.5))  # DN that make ``flux`` on the common zero point 22.5
    peak = flux * dn_per_flux / (2 * np.pi * sigma**2)
    data = rng.normal(20.0, 0.5, (size, size)) + peak * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * sigma**2))
    out = io.BytesIO()
    fits.PrimaryHDU(data=data.astype(np.float32), header=header).writeto(out)
    return out.getvalue()


class LocalIbe(LocalHttp):
    """Start with ``LocalIbe().start()``; ``url`` is the IBE root (…/ibe)."""

    def __init__(self) -> None:
        self.frames: list[tuple[str, int, float]] = []
        self.source = (0.0, 0.0)
        self.flux_of: Callable[[float], float] = lambda mjd: 1000.0
        self.fail_frames: set[tuple[str, int]] = set()
        self.search_status: int | None = None
        self.requests: list[str] = []
        self._count_lock = threading.Lock()
        super().__init__()

    url = property(lambda self: self.base + "/ibe")

    def count(self, kind: str) -> int:
        with self._count_lock:
            return sum(1 for r in self.requests if r == kind)

    def answer(self, path: str, params: dict[str, str]) -> tuple[int, bytes, str]:
        if path == "/ibe/search/wise/merge/merge_p1bm_frm":
            if self.search_status:
                return self.search_status, b"<html>error</html>", "text/html"
            where = _WHERE.fullmatch(params.get("where", ""))
            if where is None or params.get("ct") != "csv" or "," not in params.get("POS", ""):
                return 400, b"bad query", "text/plain"
            lo, hi = float(where["lo"]), float(where["hi"])
            bands = [int(b) for b in where["bands"].split(",")]
            lines = ["scan_id,frame_num,band,mjd,image_set"]
            for scan, num, mjd in self.frames:
                if lo <= mjd <= hi:
                    lines += [f"{scan},{num},{band},{mjd:.8f},{6 + int((mjd - 56639) // 365.25)}" for band in bands]
            return 200, ("\n".join(lines) + "\n").encode(), "text/csv"
        match = _DATA.match(path)
        if match:
            scan, num, band = match["scan"], int(match["num"]), int(match["band"])
            if (scan, num) in self.fail_frames:
                return 500, b"<html>Internal Server Error</html>", "text/html"
            known = {(s, n): m for s, n, m in self.frames}
            centre, size = params.get("center", "").split(","), params.get("size", "")
            if (scan, num) not in known or len(centre) != 2 or not size.endswith("pix"):
                return 404, b"no such frame", "text/plain"
            mjd = known[(scan, num)]
            body = frame_fits(scan, num, band, mjd, float(centre[0]), float(centre[1]), int(size[:-3]),
                              self.source, self.flux_of(mjd))
            return 200, body, "application/fits"
        return 404, b"not found", "text/plain"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        ibe = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                parsed = urlparse(self.path)
                params = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
                with ibe._count_lock:
                    ibe.requests.append("search" if "/search/" in parsed.path else "cutout")
                send(self, *ibe.answer(parsed.path, params))

        return Handler
