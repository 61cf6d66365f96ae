"""What the AllWISE quality flags mean, per character (AllWISE Explanatory Supplement II.1.a).

Used for tooltips in the source table and for the reasons attached to rejected rows.
"""

from __future__ import annotations

PH_QUAL = {
    "A": "detected, SNR > 10",
    "B": "detected, 3 < SNR < 10",
    "C": "detected, 2 < SNR < 3",
    "U": "upper limit (SNR < 2): magnitude is a 95% confidence upper limit",
    "X": "no profile-fit measurement possible",
    "Z": "flux measured but its uncertainty could not be",
}
CC_FLAGS = {
    "0": "unaffected by known artifacts",
    "D": "spurious: diffraction spike of a nearby bright star",
    "d": "diffraction spike contamination",
    "P": "spurious: persistence (latent image)",
    "p": "persistence contamination",
    "H": "spurious: scattered-light halo of a bright star",
    "h": "scattered-light halo contamination",
    "O": "spurious: optical ghost",
    "o": "optical ghost contamination",
}
EXT_FLG = {
    0: "point-source-like, not associated with a 2MASS XSC source",
    1: "profile-fit reduced chi2 > 3 in at least one band",
    2: "inside the isophotal footprint of a 2MASS XSC source",
    3: "1 and 2",
    4: "within 5 arcsec of a 2MASS XSC source",
    5: "1 and 4",
}
BANDS = ("W1", "W2", "W3", "W4")


def decode(column: str, value: object) -> str:
    """A readable, per-band decoding of one flag value; 'not recorded' when it is missing."""
    if value is None or (isinstance(value, float) and value != value):
        return "not recorded"
    if column == "ext_flg":
        try:
            return f"ext_flg {int(value)}: {EXT_FLG.get(int(value), 'unknown value')}"  # type: ignore[call-overload]
        except (TypeError, ValueError):
            return "not recorded"
    table = {"ph_qual": PH_QUAL, "cc_flags": CC_FLAGS}.get(column)
    if table is None or not isinstance(value, str):
        return str(value)
    parts = []
    for band, char in zip(BANDS, value, strict=False):
        parts.append(f"{band} '{char}': {table.get(char, 'flag not described in this app (see the Supplement)')}")
    return "; ".join(parts)
