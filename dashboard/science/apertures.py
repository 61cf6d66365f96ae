"""Which photometry an SED point uses, per band: profile fit, elliptical aperture or standard aperture.

The profile-fit magnitudes ``w?mpro`` assume a point source: for a resolved galaxy they miss the
flux outside the PSF, by up to a magnitude for a large one (AllWISE Explanatory Supplement sec.
II.1.a, the ``w?mpro`` caution). The catalog also carries (same section, column descriptions):

* ``w?gmag``/``w?gerr``/``w?gflg``: photometry in an elliptical aperture of semi-major axis
  ``w?rsemi`` (arcsec), axis ratio ``w?ba`` and position angle ``w?pa`` (deg E of N), the shape of
  the associated 2MASS Extended Source Catalog (XSC) galaxy scaled to the band; recorded only for
  sources associated with the XSC (``ext_flg`` 2-5; ``xscprox``, arcsec, is the distance to it).
* ``w?mag``/``w?sigm``/``w?flg``: the "standard" aperture, 8.25" radius in W1-W3 and 16.5" in W4,
  corrected by the point-source curve of growth ``w?mcor``: for a source larger than the aperture,
  a lower limit on its total flux.
* ``w?flg``/``w?gflg`` bits: 1 confusion, 2 bad pixels, 4 other bit flags, 8 all pixels unusable
  or negative flux (a non-null magnitude is then a 95 % upper limit), 16 saturated pixels, 32 a
  95 % upper limit.

``phot=auto`` decides per band by ``AUTO_RULE``. ``ext_flg`` 1 alone only says ``w?rchi2`` > 3 in
some band, which saturated stars show as well (12 of 220 Cohen standards): it never switches a
band by itself. The resolved criterion for the standard aperture is T. Jarrett's ("How to decide
when a WISE object is resolved", WISE extended-source notes), read on W1: ``w1rchi2`` > 5 is well
resolved, below 2 unresolved. It counts only where W1 is not saturated (``saturation.is_saturated``),
since saturated cores fit badly too; W1 saturates first (its onset is the faintest), so a star
saturated in any band is saturated in W1 and never qualifies. The band switched must itself be
unsaturated. A band whose chosen photometry is missing falls back to the profile fit, and says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dashboard.core.measurement import SourceRow, finite_number

PHOT_MODES = ("auto", "profile", "elliptical", "aperture")
#: ext_flg values that mean an association with a 2MASS XSC source (ES sec. II.1.a: 2 inside its
#: isophotal footprint, 3 = 1 and 2, 4 within 5" of it, 5 = 1 and 4).
XSC_EXT_FLG = (2, 3, 4, 5)
#: w1rchi2 above which a source is well resolved (Jarrett, see the module docstring).
RESOLVED_RCHI2 = 5.0
#: Standard-aperture radius per band (arcsec; ES sec. II.1.a, ``w?mag``).
STANDARD_APERTURE_ARCSEC = {"W1": 8.25, "W2": 8.25, "W3": 8.25, "W4": 16.5}
#: w?flg / w?gflg bits that make a non-null aperture magnitude a 95 % upper limit (ES sec. II.1.a).
LIMIT_BITS = 8 | 32
AUTO_RULE = ("per band: elliptical aperture (w?gmag) where ext_flg is 2-5 "
             "(associated with a 2MASS XSC galaxy) and w?gmag is a measurement; else the standard aperture "
             f"(w?mag, a lower limit on the total flux) where ext_flg > 0, w1rchi2 > {RESOLVED_RCHI2:g} (resolved) "
             "and neither W1 nor the band is saturated; else the profile fit (w?mpro). ext_flg = 1 alone never "
             "switches a band.")
REFERENCES = ("AllWISE Explanatory Supplement (Cutri et al. 2013) sec. II.1.a: w?mpro, w?gmag, w?rsemi, w?ba, "
              "w?pa, w?gflg, w?mag, w?mcor, w?flg, xscprox, ext_flg",
              "Jarrett et al. 2013, AJ 145, 6 (WISE photometry of resolved galaxies, 2MASS XSC apertures)",
              "T. Jarrett, 'How to decide when a WISE object is resolved' (w1rchi2 > 5 well resolved)")
RESOLVED_LIGHTCURVE_NOTE = ("This source is resolved: the light curve is profile-fit photometry (NEOWISE has no "
                            "other), so changes in its flux are meaningful, but its level is not the galaxy's "
                            "total flux.")


@dataclass(frozen=True)
class BandPhotometry:
    """The magnitude one SED band uses, and why."""

    band: str
    kind: str  # "profile" | "elliptical" | "aperture"
    mag: float | None
    err: float | None
    #: a 95 % upper limit on the flux, from the aperture flag (the profile fit's come from ph_qual)
    limit: bool
    #: an aperture smaller than a resolved source: its total flux is at least this
    lower_limit: bool
    reason: str
    #: the elliptical aperture: (semi-major axis arcsec, b/a, position angle deg E of N)
    ellipse: tuple[float, float, float] | None = None


def _flag(value: object) -> int:
    number = finite_number(value)
    return int(number) if number is not None else 0


def _ext_flg(source: SourceRow) -> int | None:
    number = finite_number(source.get("ext_flg"))
    return int(number) if number is not None else None


def _resolved(source: SourceRow, band: str, saturated: dict[str, bool]) -> float | None:
    """``w1rchi2`` when it says resolved (``RESOLVED_RCHI2``) with W1 and ``band`` unsaturated."""
    ext = _ext_flg(source)
    rchi2 = finite_number(source.get("w1rchi2"))
    if ext is None or ext == 0 or saturated.get("W1", False) or saturated.get(band, False):
        return None
    return rchi2 if rchi2 is not None and rchi2 > RESOLVED_RCHI2 else None


def _elliptical(source: SourceRow, band: str, reason: str) -> BandPhotometry | None:
    b = band.lower()
    mag = finite_number(source.get(f"{b}gmag"))
    if mag is None:
        return None
    limit = bool(_flag(source.get(f"{b}gflg")) & LIMIT_BITS)
    a, ba, pa = (finite_number(source.get(f"{b}{c}")) for c in ("rsemi", "ba", "pa"))
    ellipse = (a, ba, pa) if a is not None and ba is not None and pa is not None else None
    if ellipse is not None:
        reason += f"; 2MASS XSC ellipse {ellipse[0]:.0f}″ × b/a {ellipse[1]:.2f}, PA {ellipse[2]:.0f}°"
    return BandPhotometry(band, "elliptical", mag, None if limit else finite_number(source.get(f"{b}gerr")),
                          limit, False, reason, ellipse)


def _aperture(source: SourceRow, band: str, reason: str, lower: bool) -> BandPhotometry | None:
    b = band.lower()
    mag = finite_number(source.get(f"{b}mag"))
    if mag is None:
        return None
    limit = bool(_flag(source.get(f"{b}flg")) & LIMIT_BITS)
    radius = STANDARD_APERTURE_ARCSEC[band]
    reason += f"; standard {radius:g}″ aperture" + (", a lower limit on the total flux" if lower and not limit else "")
    return BandPhotometry(band, "aperture", mag, None if limit else finite_number(source.get(f"{b}sigm")),
                          limit, lower and not limit, reason)


def _profile(band: str, reason: str) -> BandPhotometry:
    return BandPhotometry(band, "profile", None, None, False, False, reason)


def choose(source: SourceRow, band: str, mode: str, *, saturated: dict[str, bool]) -> BandPhotometry:
    """The photometry of one band under ``mode`` (``PHOT_MODES``). A "profile" choice carries no
    magnitude: the caller reads w?mpro with its ph_qual as always. ``saturated``: by band, whether
    it meets the catalog saturation rule (``saturation.is_saturated``)."""
    if mode not in PHOT_MODES:
        raise ValueError(f"phot is one of {', '.join(PHOT_MODES)}, got {mode!r}")
    b = band.lower()
    ext = _ext_flg(source)
    if mode == "profile":
        return _profile(band, "phot=profile asked")
    if mode == "elliptical":
        return (_elliptical(source, band, "phot=elliptical asked")
                or _profile(band, f"phot=elliptical asked, but {b}gmag is not recorded (only 2MASS XSC galaxies have "
                                  "one): profile fit used"))
    resolved = _resolved(source, band, saturated)
    if mode == "aperture":
        return (_aperture(source, band, "phot=aperture asked", resolved is not None or ext in XSC_EXT_FLG)
                or _profile(band, f"phot=aperture asked, but {b}mag is not recorded: profile fit used"))
    # auto
    if ext in XSC_EXT_FLG:
        why = f"ext_flg = {ext}: associated with a 2MASS XSC galaxy"
        xsc = finite_number(source.get("xscprox"))
        if xsc is not None:
            why += f" {xsc:.1f}″ away"
        chosen = _elliptical(source, band, f"elliptical aperture, because {why}")
        if chosen is not None and not chosen.limit:
            return chosen
        missing = f"{b}gmag is an upper limit" if chosen is not None else f"{b}gmag is not recorded"
        if resolved is not None:
            found = _aperture(source, band, f"{why}, but {missing}; w1rchi2 = {resolved:.1f} > {RESOLVED_RCHI2:g}",
                              True)
            if found is not None and not found.limit:
                return found
        return _profile(band, f"{why}, but {missing}: profile fit, which underestimates a resolved source's "
                              "total flux")
    if resolved is not None:
        found = _aperture(source, band, f"resolved: ext_flg = {ext}, w1rchi2 = {resolved:.1f} > "
                                        f"{RESOLVED_RCHI2:g}, not saturated", True)
        if found is not None and not found.limit:
            return found
        return _profile(band, f"resolved (w1rchi2 = {resolved:.1f}) but {b}mag is not a measurement: profile fit, "
                              "which underestimates the total flux")
    if ext == 1:
        return _profile(band, "ext_flg = 1 only says w?rchi2 > 3 in some band (saturated stars show it too): "
                              "profile fit")
    return _profile(band, "point source (ext_flg = 0): profile fit" if ext == 0
                    else "ext_flg not recorded: profile fit")


def is_resolved(source: SourceRow, saturated: dict[str, bool]) -> bool:
    """The source is resolved in the sense of ``AUTO_RULE`` (XSC association, or a resolved,
    unsaturated band): its profile-fit level is not its total flux. ``saturated``: by band."""
    return _ext_flg(source) in XSC_EXT_FLG or _resolved(source, "W1", saturated) is not None


def summary(choices: list[tuple[str, str, str]]) -> str:
    """One line per kind of photometry used, for the page: "W1-W3: elliptical aperture, …".
    ``choices``: (band, kind, reason) per band, as the SED table's ``band``, ``phot``, ``phot_reason``."""
    groups: dict[tuple[str, str], list[str]] = {}
    for band, kind, reason in choices:  # "w1gmag" and "w2gmag" in one reason read "w?gmag"
        groups.setdefault((kind, re.sub(r"\bw[1-4](?=[a-z])", "w?", reason)), []).append(band)
    parts = []
    order = list(STANDARD_APERTURE_ARCSEC)
    for (kind, reason), bands in groups.items():
        run = len(bands) > 2 and order.index(bands[-1]) - order.index(bands[0]) == len(bands) - 1
        names = f"{bands[0]}–{bands[-1]}" if run else ", ".join(bands)
        parts.append(f"{names}: {reason}" if reason.startswith(kind) else f"{names}: {kind} ({reason})")
    return " · ".join(parts)
