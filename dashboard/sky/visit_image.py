"""A visit's frames co-added on one WCS, and the difference of two visits: what changed, seen.

Method: each frame cutout (``frames.py``) has its own sky level (median) taken off and is put on
the flux scale of zero point 22.5 mag (its
``MAGZP`` header keyword, the frame's photometric zero point; WISE/NEOWISE Explanatory
Supplements, the L1b image headers), then reprojected onto one tangent-plane grid centred on the
target (north up, east left, the L1b frames' 2.75″ pixels) by ``reproject.reproject_interp``,
which applies each frame's full WCS including its SIP distortion; the co-add is the mean of the
frames that cover a pixel, where at least half of them do. The difference image is visit −
reference, pixel by pixel on that grid.
The FITS written for the bundle carries the grid's WCS and a header naming every frame used.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field

import numpy as np

from dashboard.sky.frames import FRAME_PIXEL_ARCSEC, Frame

#: The flux scale of every co-add: DN scaled to this zero point (mag), so frames of different
#: zero points add up.
COMMON_ZERO_POINT = 22.5
METHOD = ("each frame's median sky subtracted, scaled to zero point 22.5 mag by its MAGZP, reprojected "
          "(reproject.reproject_interp, full WCS with SIP) onto a target-centred TAN grid of 2.75 arcsec "
          "pixels, north up, east left; "
          "the mean of the frames covering each pixel where at least half of them do")


@dataclass
class VisitImage:
    """One band's co-add of one visit: pixels (FITS order), the grid's WCS header, the frames used."""

    band: int
    data: np.ndarray
    header_text: str
    frames: list[Frame] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)


def grid_header(ra: float, dec: float, size_pix: int, scale_arcsec: float = FRAME_PIXEL_ARCSEC):
    """A TAN header of ``size_pix`` square pixels centred on (ra, dec), north up, east left."""
    from astropy.io.fits import Header

    header = Header()
    header.update({"NAXIS": 2, "NAXIS1": size_pix, "NAXIS2": size_pix, "CTYPE1": "RA---TAN", "CTYPE2": "DEC--TAN",
                   "CRVAL1": ra, "CRVAL2": dec, "CRPIX1": (size_pix + 1) / 2, "CRPIX2": (size_pix + 1) / 2,
                   "CDELT1": -scale_arcsec / 3600.0, "CDELT2": scale_arcsec / 3600.0, "CUNIT1": "deg",
                   "CUNIT2": "deg", "RADESYS": "ICRS", "EQUINOX": 2000.0})
    return header


def coadd(cutouts: list[tuple[Frame, str, bytes]], band: int, ra: float, dec: float, size_pix: int) -> VisitImage:
    """The co-add of ``cutouts`` ((frame, url, FITS bytes), one band) on the target's grid."""
    from astropy.io import fits
    from astropy.wcs import WCS
    from reproject import reproject_interp

    header = grid_header(ra, dec, size_pix)
    target = WCS(header)
    total = np.zeros((size_pix, size_pix))
    count = np.zeros((size_pix, size_pix))
    used, urls = [], []
    for frame, url, raw in cutouts:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with fits.open(io.BytesIO(raw)) as hdus:
                hdu = next(h for h in hdus if h.data is not None and np.ndim(h.data) == 2)
                data = np.asarray(hdu.data, float)
                magzp = hdu.header.get("MAGZP")
                wcs = WCS(hdu.header)
        scale = 10 ** (-0.4 * (float(magzp) - COMMON_ZERO_POINT)) if magzp is not None else 1.0
        sky = float(np.nanmedian(data)) if np.isfinite(data).any() else 0.0  # each frame's own sky level
        on_grid, footprint = reproject_interp(((data - sky) * scale, wcs), target, shape_out=(size_pix, size_pix))
        good = (footprint > 0) & np.isfinite(on_grid)
        total[good] += on_grid[good]
        count[good] += 1
        used.append(frame)
        urls.append(url)
    with np.errstate(invalid="ignore", divide="ignore"):  # a pixel most frames miss (the cutouts' edges) is left out
        data = np.where(count >= max(1.0, 0.5 * len(used)), total / np.maximum(count, 1), np.nan)
    return VisitImage(band=band, data=data.astype(np.float32), header_text=header.tostring(), frames=used, urls=urls)


def difference(visit: VisitImage, reference: VisitImage) -> np.ndarray:
    """visit − reference on their common grid (NaN where either has no frame)."""
    if visit.data.shape != reference.data.shape or visit.header_text != reference.header_text:
        raise ValueError("the two co-adds are not on one grid")
    return (visit.data - reference.data).astype(np.float32)


def to_fits(image: VisitImage, *, visit: int, data: np.ndarray | None = None, note: str = "") -> bytes:
    """The co-add (or ``data`` on its grid, e.g. a difference) as FITS: the grid's WCS, the method,
    and one FRAMEnnn card per frame used (scan_id, frame_num, band, MJD)."""
    from astropy.io import fits

    header = fits.Header.fromstring(image.header_text)
    header["BUNIT"] = ("DN at ZP 22.5", "DN scaled to zero point 22.5 by MAGZP")
    header["VISIT"] = (visit, "0-based visit of lightcurve_visits.csv")
    header["BAND"] = (f"W{image.band}", "WISE band")
    header["NFRAMES"] = (len(image.frames), "single-exposure frames co-added")
    for i, frame in enumerate(image.frames, start=1):
        header[f"FRAME{i:03d}"] = f"{frame.scan_id} {frame.frame_num:03d} w{frame.band} mjd {frame.mjd:.6f}"
    if note:
        header["COMMENT"] = note
    header["COMMENT"] = METHOD
    buffer = io.BytesIO()
    fits.PrimaryHDU(data=np.asarray(image.data if data is None else data, np.float32), header=header).writeto(buffer)
    return buffer.getvalue()
