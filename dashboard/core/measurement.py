"""Is there a measurement in this band of this row? One rule for the catalog, the SED and epochs.

IRSA fills a band without a measurement in two ways: a null magnitude, or a placeholder
(magnitude 0.0 with error 10000, and a null SNR; e.g. the NEOWISE-R row of the ASASSN-15lh host
at MJD 58234.82594, ``ph_qual`` 'AX'). ``ph_qual`` 'X' says the same explicitly (AllWISE ES
sec. II.1.a; NEOWISE ES sec. II.2.a). A band without a measurement is never a detection, never an
upper limit, never binned and never plotted; tables keep the row with the reason.

Rule per band and row: in tables with ``ph_qual`` and SNR (catalog, NEOWISE), no measurement if
``ph_qual`` is 'X', the magnitude is null, or the SNR is null together with a magnitude <= 0 or
an error >= 9999. The multi-epoch table has neither column: a null magnitude, a magnitude <= 0 or
an error >= 9999 is no measurement there. A recording without the SNR column (VizieR's AllWISE
rows) cannot show a null SNR: there only an error >= 9999 marks the placeholder, since bright
stars have real magnitudes <= 0. The same where ``ph_qual`` grades the band A, B, C, U or Z: the
placeholder's band is 'X', and a bright star's magnitude <= 0 with no SNR at hand (a batch chunk
that joins a row without the SNR column to rows with it) is a measurement.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

#: One catalog row as the SED reads it: a pandas row, or the same row as a dict (the batch reads
#: thousands at once from ``DataFrame.to_dict("records")``, ~50x cheaper than a Series each).
SourceRow = pd.Series | Mapping[Any, Any]

PLACEHOLDER_ERROR = 9999.0


def no_measurement(mag: np.ndarray, err: np.ndarray, snr: np.ndarray | None,
                   letter: np.ndarray | pd.Categorical | None,
                   *, multi_epoch: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(mask, reason) per row: True where the band holds no measurement, and why (else '').

    ``snr`` None: the SNR column was not recorded; ``multi_epoch``: the table has no SNR at all;
    ``letter``: the band's ``ph_qual`` letter per row (a categorical is read by its codes)."""
    mag = np.asarray(mag, dtype=float)
    err = np.asarray(err, dtype=float)
    if isinstance(letter, pd.Categorical):  # few distinct letters: each test is made once per distinct one
        codes, distinct = np.asarray(letter.codes), np.asarray(letter.categories, dtype=object)
    elif letter is not None:
        codes, distinct = _letter_codes(np.asarray(letter, dtype=object))
    with np.errstate(invalid="ignore"):
        suspicious = (mag <= 0) | (err >= PLACEHOLDER_ERROR)
        if multi_epoch:
            placeholder = suspicious
        elif snr is not None:
            graded = np.array([v in _GRADED for v in distinct.tolist()], bool)[codes] if letter is not None \
                else np.zeros(len(mag), bool)
            placeholder = suspicious & ~np.isfinite(np.asarray(snr, dtype=float)) & (
                ~graded | (err >= PLACEHOLDER_ERROR))
        else:
            placeholder = err >= PLACEHOLDER_ERROR
    flagged = (distinct == "X")[codes] if letter is not None else np.zeros(len(mag), bool)
    null = ~np.isfinite(mag)
    reason = np.full(len(mag), "", dtype=object)
    reason[placeholder & ~null] = "placeholder magnitude"
    reason[null] = "magnitude null"
    reason[flagged] = "ph_qual X"
    return flagged | null | placeholder, reason


_GRADED = frozenset("ABCUZ")  # a ph_qual letter that grades a measurement


def _letter_codes(letter: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(code per row, distinct letters): pandas' factorize, or for a few rows (a catalog row's
    band, ~4,000 calls in a 1,000-target batch) a dict, without pandas' fixed cost (~60 us)."""
    if len(letter) > 16:
        codes, distinct = pd.factorize(letter, use_na_sentinel=False)
        return codes, np.asarray(distinct, dtype=object)
    seen: dict[Any, int] = {}
    codes = np.array([seen.setdefault(v, len(seen)) for v in letter.tolist()], np.int64)
    distinct = np.empty(len(seen), dtype=object)
    distinct[:] = list(seen)
    return codes, distinct


def finite_number(value: object) -> float | None:
    """A catalog cell as a finite float, or None (null, NaN, text, infinite): one reading for
    the SED, the sky context's Gaia rows and the blending estimate."""
    import math

    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
