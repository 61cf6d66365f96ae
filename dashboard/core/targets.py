"""User text -> ``Target`` (a sky position), or a ``TargetError`` that says what is accepted.

Accepted forms, tried in this order:

* AllWISE designation ``J205702.96+141216.2``, optionally prefixed ``WISEA``, ``WISE`` or
  ``AllWISE``. The name encodes the position truncated (not rounded) to 0.01 s and 0.1 arcsec
  (AllWISE Explanatory Supplement, sec. II.1.a); the designation is kept so that exact source
  can be picked.
* Galactic ``l=61.403 b=-19.734`` or ``gal 61.403 -19.734`` (degrees).
* Decimal ICRS degrees ``314.2624 14.2044`` or ``314.2624, +14.2044``.
* Sexagesimal ICRS ``20h57m02.97s +14d12m16.3s``, ``20:57:02.97 +14:12:16.3`` or
  ``20 57 02.97 +14 12 16.3``.
* A name: a demo target's alias offline, or astropy's Sesame resolver when online.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping

from dashboard.core.model import Target

ACCEPTED_FORMS = (
    "Accepted: decimal degrees '314.2624 +14.2044'; sexagesimal '20h57m02.97s +14d12m16.3s' or "
    "'20:57:02.97 +14:12:16.3'; galactic 'l=61.403 b=-19.734'; an AllWISE designation "
    "'J205702.96+141216.2' (optionally prefixed WISEA); or an object name."
)

MAX_TEXT = 200
#: The smallest cone radius (arcsec), one definition for the target box, the URL, the CLI and the
#: bundle route: it keeps the ADQL's CIRCLE radius (degrees, 10 digits) non-zero.
MIN_RADIUS_ARCSEC = 0.01

#: A function from an object name to (ra, dec) in degrees; raises on failure.
NameResolver = Callable[[str], tuple[float, float]]


class TargetError(ValueError):
    """The text is not a target this app understands; the message says what is accepted."""


_NUM = r"[+-]?(?:\d+\.?\d*|\.\d+)"
_DESIGNATION = re.compile(
    r"^(?:(?:WISEA|WISE|ALLWISE)\s*)?J(\d{2})(\d{2})(\d{2}\.\d{2})([+-])(\d{2})(\d{2})(\d{2}\.\d)$",
    re.IGNORECASE,
)
_GALACTIC = re.compile(
    rf"^(?:l\s*=\s*({_NUM})\s*[, ]\s*b\s*=\s*({_NUM})|(?:gal|galactic)\s+({_NUM})\s*[, ]\s*({_NUM}))$",
    re.IGNORECASE,
)
_DECIMAL = re.compile(rf"^({_NUM})(?:\s*d(?:eg)?)?\s*(?:,\s*|\s+)({_NUM})(?:\s*d(?:eg)?)?$", re.IGNORECASE)
_SEXA_RA = r"(\d{1,2})\s*[h: ]\s*(\d{1,2})\s*[m: ]\s*(\d{1,2}(?:\.\d*)?)\s*s?"
_SEXA_DEC = r"([+-]?)(\d{1,2})\s*[d: °]\s*(\d{1,2})\s*[m:' ]\s*(\d{1,2}(?:\.\d*)?)\s*(?:s|\"|'')?"
_SEXAGESIMAL = re.compile(rf"^{_SEXA_RA}\s*,?\s+{_SEXA_DEC}$", re.IGNORECASE)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 +\-_.*'/()\[\]]{0,99}$")


def designation_of(ra: float, dec: float) -> str:
    """The AllWISE designation of a position, ``Jhhmmss.ss+ddmmss.s``: the J2000 sexagesimal
    position truncated, not rounded (AllWISE Explanatory Supplement sec. II.1.a)."""
    hours = (ra % 360.0) / 15.0
    hh, mm, ss = _truncated_sexagesimal(hours, 2)
    dd, am, asec = _truncated_sexagesimal(abs(dec), 1)
    return f"J{hh:02d}{mm:02d}{ss:05.2f}{'-' if dec < 0 else '+'}{dd:02d}{am:02d}{asec:04.1f}"


def _truncated_sexagesimal(value: float, decimals: int) -> tuple[int, int, float]:
    # In units of the last digit, so that truncation is exact integer arithmetic (the 1e-6
    # absorbs binary representation: 45.46 s stored as 45.459999... is still .46).
    scale = 10 ** decimals
    ticks = int(value * 3600 * scale + 1e-6)
    whole, rest = divmod(ticks, 3600 * scale)
    minutes, seconds = divmod(rest, 60 * scale)
    return whole, minutes, seconds / scale


def _fail(text: str, why: str) -> TargetError:
    shown = text if len(text) <= 60 else text[:57] + "..."
    return TargetError(f"Could not read the target {shown!r}: {why}. {ACCEPTED_FORMS}")


def _check_position(text: str, ra: float, dec: float) -> tuple[float, float]:
    if not (math.isfinite(ra) and math.isfinite(dec)):
        raise _fail(text, "coordinates must be finite numbers")
    if not -90.0 <= dec <= 90.0:
        raise _fail(text, f"declination {dec:g} is outside -90..+90 deg")
    if not 0.0 <= ra <= 360.0:
        raise _fail(text, f"right ascension {ra:g} is outside 0..360 deg")
    return ra % 360.0, dec


def _sexagesimal(text: str, hours: str, minutes: str, seconds: str, sign: str, deg: str, amin: str,
                 asec: str) -> tuple[float, float]:
    h, m, s = int(hours), int(minutes), float(seconds)
    d, dm, ds = int(deg), int(amin), float(asec)
    if h >= 24 or m >= 60 or s >= 60 or dm >= 60 or ds >= 60 or d > 90:
        raise _fail(text, "a sexagesimal field is out of range (h < 24, m and s < 60, |d| <= 90)")
    ra = 15.0 * (h + m / 60.0 + s / 3600.0)
    dec = d + dm / 60.0 + ds / 3600.0
    return _check_position(text, ra, -dec if sign == "-" else dec)


def normalize_alias(name: str) -> str:
    """Aliases compare without case, spaces, dashes or underscores: 'ASASSN-14li' == 'asassn 14li'."""
    return re.sub(r"[\s_\-]+", "", name).lower()


def accepted_without_names(aliases: Mapping[str, tuple[float, float, str]] | None) -> str:
    """The accepted forms where names cannot be resolved (offline): no "object name", and the
    demo targets that do work, by name."""
    demos = sorted({name for _, _, name in (aliases or {}).values()})
    return ("Accepted here (names cannot be resolved on this server): decimal degrees '314.2624 +14.2044'; "
            "sexagesimal '20h57m02.97s +14d12m16.3s' or '20:57:02.97 +14:12:16.3'; galactic 'l=61.403 b=-19.734'; "
            "an AllWISE designation 'J205702.96+141216.2'"
            + (f"; or a demo target: {', '.join(demos)}." if demos else "."))


def parse_target(
    text: str,
    *,
    aliases: Mapping[str, tuple[float, float, str]] | None = None,
    resolver: NameResolver | None = None,
) -> Target:
    """Read one target. ``aliases`` maps normalized names to (ra, dec, name); ``resolver``
    resolves other names (None when names cannot be resolved here: the message then offers no
    name but the demo targets)."""
    try:
        return _parse_target(text, aliases, resolver)
    except TargetError as exc:
        if resolver is None and ACCEPTED_FORMS in str(exc):
            raise TargetError(str(exc).replace(ACCEPTED_FORMS, accepted_without_names(aliases))) from None
        raise


def _parse_target(text: str, aliases: Mapping[str, tuple[float, float, str]] | None,
                  resolver: NameResolver | None) -> Target:
    if not isinstance(text, str):
        raise TargetError(f"The target must be text. {ACCEPTED_FORMS}")
    stripped = " ".join(text.strip().split())
    if not stripped:
        raise TargetError(f"Enter a target. {ACCEPTED_FORMS}")
    if len(stripped) > MAX_TEXT:
        raise _fail(stripped, f"longer than {MAX_TEXT} characters")

    if match := _DESIGNATION.match(stripped):
        hh, mm, ss, sign, dd, am, asec = match.groups()
        ra, dec = _sexagesimal(stripped, hh, mm, ss, sign, dd, am, asec)
        designation = f"J{hh}{mm}{ss}{sign}{dd}{am}{asec}"
        return Target(stripped, ra, dec, "AllWISE designation", designation=designation)

    if match := _GALACTIC.match(stripped):
        groups = [g for g in match.groups() if g is not None]
        lon, lat = float(groups[0]), float(groups[1])
        if not (math.isfinite(lon) and math.isfinite(lat)) or not -90 <= lat <= 90 or not 0 <= lon <= 360:
            raise _fail(stripped, "galactic l must be in 0..360 and b in -90..+90 deg")
        ra, dec = _galactic_to_icrs(lon, lat)
        return Target(stripped, ra, dec, "galactic")

    if match := _DECIMAL.match(stripped):
        ra, dec = _check_position(stripped, float(match.group(1)), float(match.group(2)))
        return Target(stripped, ra, dec, "decimal degrees")

    if match := _SEXAGESIMAL.match(stripped):
        ra, dec = _sexagesimal(stripped, *match.groups())
        return Target(stripped, ra, dec, "sexagesimal")

    if not _NAME.match(stripped) or not re.search(r"[A-Za-z]", stripped):
        raise _fail(stripped, "it is neither coordinates nor a name")

    known = (aliases or {}).get(normalize_alias(stripped))
    if known is not None:
        ra, dec, name = known
        return Target(stripped, ra, dec, "offline demo alias", name=name)
    if resolver is None:
        raise _fail(
            stripped,
            "names cannot be resolved here (no network); coordinates and AllWISE designations always work",
        )
    try:
        ra, dec = resolver(stripped)
    except TargetError:  # the resolver's own typed refusal (unknown name, resolver unreachable)
        raise
    except Exception as exc:  # any other failure of a remote resolver becomes a plain message
        raise _fail(stripped, f"the name resolver (Sesame) did not resolve it ({type(exc).__name__})") from None
    ra, dec = _check_position(stripped, float(ra), float(dec))
    return Target(stripped, ra, dec, "Sesame (astropy)", name=stripped)


def _galactic_to_icrs(lon: float, lat: float) -> tuple[float, float]:
    from astropy.coordinates import SkyCoord

    icrs = SkyCoord(l=lon, b=lat, unit="deg", frame="galactic").icrs
    return float(icrs.ra.deg), float(icrs.dec.deg)


def parse_radius(value: object, maximum: float) -> float:
    """A cone radius in arcsec, from ``MIN_RADIUS_ARCSEC`` to ``maximum``, else a ``TargetError``."""
    bounds = f"from {MIN_RADIUS_ARCSEC:g} to {maximum:g} arcsec"
    shown = "nothing" if value is None or str(value).strip() == "" else repr(str(value)[:40])
    try:
        radius = float(str(value).strip().removesuffix('"').removesuffix("arcsec").strip())
    except (TypeError, ValueError):
        raise TargetError(f"The radius must be a number {bounds}; got {shown}.") from None
    if not math.isfinite(radius) or radius < MIN_RADIUS_ARCSEC or radius > maximum:
        raise TargetError(f"The radius must be {bounds}; got {shown}.")
    return radius


#: Obliquity of the ecliptic at J2000 (IAU 1976; degrees), for the ecliptic latitude below.
OBLIQUITY_J2000_DEG = 23.4392911


def ecliptic_latitude(ra_deg: float, dec_deg: float) -> float:
    """Ecliptic latitude (degrees, J2000 mean ecliptic) of an ICRS position: near |beta| = 90 deg
    WISE sees a position almost continuously (see stacking.py's window mode)."""
    ra, dec, eps = (math.radians(v) for v in (ra_deg, dec_deg, OBLIQUITY_J2000_DEG))
    return math.degrees(math.asin(math.sin(dec) * math.cos(eps) - math.cos(dec) * math.sin(eps) * math.sin(ra)))
