"""Angles on the sky, one definition for every layer (selection, offline archive, sky context)."""

from __future__ import annotations

import numpy as np


def separation_arcsec(ra: np.ndarray, dec: np.ndarray, ra0: float, dec0: float) -> np.ndarray:
    if len(ra) == 0:
        return np.array([], dtype=float)
    # Vincenty's formula, as astropy's ``angular_separation``: exact at small and large angles
    lon1, lat1, lon2, lat2 = np.radians(ra0), np.radians(dec0), np.radians(ra), np.radians(dec)
    sdlon, cdlon = np.sin(lon2 - lon1), np.cos(lon2 - lon1)
    slat1, slat2, clat1, clat2 = np.sin(lat1), np.sin(lat2), np.cos(lat1), np.cos(lat2)
    num1 = clat2 * sdlon
    num2 = clat1 * slat2 - slat1 * clat2 * cdlon
    denominator = slat1 * slat2 + clat1 * clat2 * cdlon
    return np.degrees(np.arctan2(np.hypot(num1, num2), denominator)) * 3600.0


def ellipse_outline(ra: float, dec: float, semi_major_arcsec: float, axis_ratio: float, pa_deg: float,
                    points: int = 73) -> tuple[np.ndarray, np.ndarray]:
    """An ellipse on the sky as (ra, dec) points (deg): centre, semi-major axis, b/a and position
    angle of the major axis in degrees east of north (the convention of AllWISE's ``w?pa``).
    Tangent-plane offsets: exact enough for apertures of arcminutes away from the poles."""
    t = np.linspace(0.0, 2.0 * np.pi, points)
    major, minor = semi_major_arcsec * np.cos(t), semi_major_arcsec * axis_ratio * np.sin(t)
    pa = np.radians(pa_deg)
    north = major * np.cos(pa) - minor * np.sin(pa)
    east = major * np.sin(pa) + minor * np.cos(pa)
    return (ra + east / 3600.0 / max(np.cos(np.radians(dec)), 1e-6), dec + north / 3600.0)
