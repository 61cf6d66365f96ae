"""A WISE cutout as the page shows it: pixels with a display stretch, and its WCS.

The stretch is astropy.visualization's: an asinh stretch between the 1st and 99.7th percentile
(``AsymmetricPercentileInterval``), so a bright source and the faint background both show.
Positions are placed through the image's own WCS (``world_to_pixel``), never by assuming a
pixel scale or orientation; the figure then draws the image with north up and east left when
the WCS says so (``orientation``).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np

from dashboard.core.errors import ServiceMalformedReply

STRETCH_PERCENTILES = (1.0, 99.7)


@dataclass(frozen=True)
class Cutout:
    """Pixel data (rows = y, columns = x, FITS order) and the header it came with."""

    data: np.ndarray
    header_text: str

    @property
    def wcs(self):  # astropy.wcs.WCS (imported lazily: astropy.wcs costs a tenth of a second)
        from astropy.io.fits import Header
        from astropy.wcs import WCS

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return WCS(Header.fromstring(self.header_text)).celestial

    def to_pixels(self, ra: np.ndarray, dec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Zero-based pixel (x, y) of sky positions (deg), from the WCS."""
        from astropy.coordinates import SkyCoord

        x, y = self.wcs.world_to_pixel(SkyCoord(np.atleast_1d(ra), np.atleast_1d(dec), unit="deg"))
        return np.asarray(x, float), np.asarray(y, float)

    def pixel_scale_arcsec(self) -> float:
        from astropy.wcs.utils import proj_plane_pixel_scales

        return float(np.mean(proj_plane_pixel_scales(self.wcs)) * 3600.0)

    def orientation(self) -> tuple[bool, bool]:
        """(east is to the left when x grows rightwards, north is up when y grows upwards)."""
        wcs = self.wcs
        ny, nx = self.data.shape
        centre = wcs.pixel_to_world(nx / 2, ny / 2)
        right = wcs.pixel_to_world(nx / 2 + 1, ny / 2)
        up = wcs.pixel_to_world(nx / 2, ny / 2 + 1)
        east_left = bool(centre.position_angle(right).deg % 360 > 180)  # +x points west
        north_up = bool(abs(((centre.position_angle(up).deg + 180) % 360) - 180) < 90)
        return east_left, north_up

    def stretched(self) -> np.ndarray:
        """Display values in 0..1 (NaN where the image has none)."""
        from astropy.visualization import AsinhStretch, AsymmetricPercentileInterval

        data = np.asarray(self.data, float)
        finite = np.isfinite(data)
        if not finite.any():
            return data
        interval = AsymmetricPercentileInterval(*STRETCH_PERCENTILES)
        low, high = interval.get_limits(data[finite])
        scaled = np.clip((data - low) / ((high - low) or 1.0), 0.0, 1.0)
        return np.where(finite, AsinhStretch()(scaled), np.nan)


def read_cutout(raw: bytes, service: str) -> Cutout:
    """The first 2-D image HDU of a FITS file and its celestial WCS; a typed error otherwise."""
    from astropy.io import fits

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with fits.open(io.BytesIO(raw)) as hdus:
                hdu = next((h for h in hdus if h.data is not None and np.ndim(h.data) == 2), None)
                if hdu is None:
                    raise ServiceMalformedReply(service, "sent a FITS file without a 2-D image")
                cutout = Cutout(data=np.array(hdu.data, dtype=np.float32), header_text=hdu.header.tostring())
    except ServiceMalformedReply:
        raise
    except Exception as exc:
        raise ServiceMalformedReply(service, "sent a cutout that is not a readable FITS image") from exc
    try:
        if not cutout.wcs.has_celestial:
            raise ValueError("no celestial axes")
    except Exception as exc:
        raise ServiceMalformedReply(service, "sent a cutout without a sky (WCS) header") from exc
    return cutout
