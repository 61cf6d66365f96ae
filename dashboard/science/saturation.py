"""Saturation: where WISE photometry of a bright point source stops being a measurement.

One onset per product, each cited, and the same number wherever it is shown:

* **Catalog** (AllWISE Source Catalog, the SED and the source detail, all four bands):
  ``CATALOG_ONSET_MAG`` W1 8.1, W2 6.7, W3 3.8, W4 -0.4 mag, the onsets of saturation for point
  sources of the All-Sky/AllWISE Explanatory Supplements (All-Sky ES sec. VI.3.c; AllWISE ES
  sec. II.2), as quoted in public copies: NOT VERIFIED against the Supplement itself.
* **Single exposures** (NEOWISE-R and AllWISE multi-epoch, the light curve's epoch cut ``sat``):
  ``EXPOSURE_ONSET_MAG`` W1 8.0, W2 6.7 mag, where the NEOWISE Explanatory Supplement
  (sec. II.1.c.iv, "Saturated Source Photometry") describes the bias of single-exposure
  profile-fit photometry: NOT VERIFIED against the Supplement (its numbers were not in the
  material read).
* Either product: more than ``SATURATED_FRACTION`` of the fit region's pixels saturated
  (``w?sat``). Below it, saturated pixels are single charged-particle hits: "approximately 1% of
  sources fainter than the nominal saturation boundaries have w?sat>0 because of charged
  particle strikes within the fitting area" (WISE Preliminary Release ES sec. VI.4.d). The Arp
  220 field's rows carry w4sat <= 0.005 from such hits; a saturated core fills far more than one
  pixel in twenty of the fit region.

A saturated band's profile-fit magnitude is a biased fit, never an upper limit, even when the
catalog flags it ``ph_qual`` U: it is shown as saturated, never as "fainter than".
"""

from __future__ import annotations

CATALOG_ONSET_MAG = {"W1": 8.1, "W2": 6.7, "W3": 3.8, "W4": -0.4}
EXPOSURE_ONSET_MAG = {"W1": 8.0, "W2": 6.7}
SATURATED_FRACTION = 0.05
SATURATION_NOTE = ("profile-fit photometry on saturated pixels is biased (onsets NOT VERIFIED against the "
                   "Explanatory Supplement)")


def is_saturated(band: str, mag: float | None, sat: float | None) -> bool:
    """A catalog band counts as saturated (``CATALOG_ONSET_MAG``, ``SATURATED_FRACTION``)."""
    return bool((mag is not None and mag < CATALOG_ONSET_MAG[band])
                or (sat is not None and sat > SATURATED_FRACTION))


def saturation_rule(band: str) -> str:
    """The catalog rule for one band in words."""
    return (f"{band} brighter than the catalog onset {CATALOG_ONSET_MAG[band]:g} mag or "
            f"w{band[1]}sat > {SATURATED_FRACTION:g}")


def saturation_reason(band: str, mag: float | None, sat: float | None) -> str:
    """Which part of the catalog rule a saturated band meets, e.g. "brighter than the catalog's
    8.1 mag onset"."""
    if mag is not None and mag < CATALOG_ONSET_MAG[band]:
        return f"brighter than the catalog's {CATALOG_ONSET_MAG[band]:g} mag onset"
    return f"w{band[1]}sat {sat:g} > {SATURATED_FRACTION:g}"


def saturation_keeps(onset_w1: float, onset_w2: float, fraction: float) -> str:
    """The single-exposure cut's rule in words (the page, the reasons, the manifest)."""
    return (f"single exposures: W1 fainter than {onset_w1:g} mag, W2 fainter than {onset_w2:g} mag (onsets NOT "
            f"VERIFIED against the NEOWISE Explanatory Supplement sec. II.1.c.iv) and w?sat <= {fraction:g}, "
            "per band")
