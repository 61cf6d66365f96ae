"""A speed path of ``colours.with_colour_classes`` for a whole source table at once (a batch
chunk holds ~10^3 sources; a crowded cone, hundreds).

What it replaces: per source, the SED's reading of the catalog row (``photometry.sed_rows``,
~0.5 ms: the photometry choice, saturation and notes of four bands) and each criterion's answer.
What it does instead: the W1–W3 intervals read from the columns at once with the same rules
(``no_measurement`` for a band without a measurement, ``ph_qual`` U or a null error for a limit),
and, for the sources whose three bands are all detections (most), each criterion evaluated on
arrays; only sources with a limit or a missing band go through the plain per-source answer.
~30× faster on the Arp 220 field's 319 rows; equal to the plain path on every shipped catalog
row (``tests/test_colours.py``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from dashboard.core.measurement import no_measurement
from dashboard.science.colours import (
    ASSEF18_C75,
    ASSEF18_R90,
    CLASS_COLUMN,
    CRITERIA,
    JARRETT11,
    MATEOS12,
    PRECISION,
    STERN12_W1W2,
    STERN12_W2_LIMIT,
    Magnitudes,
)
from dashboard.science.colours import with_colour_classes as plain_with_colour_classes
from dashboard.science.photometry import BANDS

NAMES = ("w1", "w2", "w3")


def _letters(sources: pd.DataFrame) -> list[np.ndarray | None]:
    """Each band's ``ph_qual`` letter per row (None where the row has no four-letter ph_qual)."""
    if "ph_qual" not in sources:
        return [None, None, None]
    flags = [v if isinstance(v, str) and len(v) == 4 else None for v in sources["ph_qual"].tolist()]
    return [np.array([f[i] if f else None for f in flags], dtype=object) for i in range(3)]


def intervals(sources: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lo, hi, kind) per row and band, as ``colours.Magnitudes.of`` reads one row."""
    n = len(sources)
    lo, hi, kind = np.empty((n, 3)), np.empty((n, 3)), np.empty((n, 3), dtype=object)
    letters = _letters(sources)
    for i, b in enumerate(NAMES):
        mag = sources[f"{b}mpro"].to_numpy(float) if f"{b}mpro" in sources else np.full(n, np.nan)
        err = sources[f"{b}sigmpro"].to_numpy(float) if f"{b}sigmpro" in sources else np.full(n, np.nan)
        snr = sources[f"{b}snr"].to_numpy(float) if f"{b}snr" in sources else None
        letter = letters[i]
        missing, _ = no_measurement(mag, err, snr, letter)
        has_letter = np.array([x is not None for x in letter], bool) if letter is not None else np.zeros(n, bool)
        is_u = np.array([x == "U" for x in letter], bool) if letter is not None else np.zeros(n, bool)
        limit = ~missing & np.where(has_letter, is_u, ~np.isfinite(err) & np.isfinite(mag))
        lo[:, i] = np.where(missing, -np.inf, mag)
        hi[:, i] = np.where(missing, np.inf, np.where(limit, np.inf, mag))
        kind[:, i] = np.where(missing, "missing", np.where(limit, "limit", "detection"))
    return lo, hi, kind


def _rounded(values: np.ndarray) -> np.ndarray:
    return np.round(values / PRECISION) * PRECISION


def _detected_answers(m1: np.ndarray, m2: np.ndarray, m3: np.ndarray) -> dict[str, np.ndarray]:
    """Each criterion's answer for sources whose W1–W3 are all detections (points)."""
    c12, c23 = m1 - m2, m2 - m3
    alpha, beta, gamma = ASSEF18_R90
    threshold = np.where(m2 > gamma, alpha * np.exp(beta * (m2 - gamma) ** 2), alpha)
    f1, f2, f3 = (BANDS[b].zero_point_jy for b in ("W1", "W2", "W3"))
    x = 0.4 * c23 + math.log10(f3 / f2)
    y = 0.4 * c12 + math.log10(f2 / f1)
    k, j = MATEOS12, JARRETT11
    mateos = ((_rounded(k["slope"] * x + k["upper"] - y) > 0) & (_rounded(y - k["slope"] * x - k["lower"]) > 0)
              & (_rounded(y - k["edge_slope"] * x - k["edge"]) > 0))
    jarrett = ((_rounded(c23 - j["w2w3_min"]) > 0) & (_rounded(j["w2w3_max"] - c23) > 0)
               & (_rounded(c12 - j["slope"] * c23 - j["intercept"]) > 0) & (_rounded(j["w1w2_max"] - c12) > 0))
    yes_no = {True: "yes", False: "no"}
    stern = np.where(m2 > STERN12_W2_LIMIT, "n/a", np.where(_rounded(c12 - STERN12_W1W2) >= 0, "yes", "no"))
    return {"agn_stern12": stern,
            "agn_assef18_r90": np.array([yes_no[v] for v in (_rounded(c12 - threshold) > 0).tolist()], dtype=object),
            "agn_assef18_c75": np.array([yes_no[v] for v in (_rounded(c12 - ASSEF18_C75) > 0).tolist()], dtype=object),
            "agn_mateos12": np.array([yes_no[v] for v in mateos.tolist()], dtype=object),
            "agn_jarrett11": np.array([yes_no[v] for v in jarrett.tolist()], dtype=object)}


def colour_columns(sources: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each criterion's column and ``colour_class`` for every row (``with_colour_classes``)."""
    lo, hi, kind = intervals(sources)
    n = len(sources)
    out = {c.column: np.empty(n, dtype=object) for c in CRITERIA}
    points = (kind == "detection").all(axis=1)
    if points.any():
        for column, answers in _detected_answers(lo[points, 0], lo[points, 1], lo[points, 2]).items():
            out[column][points] = answers
    for row in np.flatnonzero(~points):  # a limit or a missing band: the plain per-source answer
        m = Magnitudes(tuple(lo[row]), tuple(hi[row]), tuple(kind[row]),
                       tuple(np.where(kind[row] == "missing", math.nan, lo[row])))
        for c in CRITERIA:
            out[c.column][row] = c.answer(m)[0]
    labels = {c.column: c.label for c in CRITERIA}
    met = [[labels[c.column] for c in CRITERIA if c.kind == "AGN" and out[c.column][i] == "yes"] for i in range(n)]
    out[CLASS_COLUMN] = np.array([f"AGN: {', '.join(m)}" if m else "—" for m in met], dtype=object)
    return out


def with_colour_classes(sources: pd.DataFrame) -> pd.DataFrame:
    """``colours.with_colour_classes`` by this speed path (the same columns and values)."""
    if sources.empty:
        return plain_with_colour_classes(sources)
    return sources.assign(**colour_columns(sources))
