"""Which data release a set of rows belongs to, read from the rows and their retrieval record.

A label is never a constant: NEOWISE-R was re-released every year until its final release, so
rows retrieved before that date are not the final release, and the range of dates they span is
the range of their own ``mjd``, not the mission's. References: NEOWISE Explanatory Supplement
(Cutri et al. 2015, updated for each release) sec. I.1.a (the data releases); the final NEOWISE
release of 2024-11-14 (IRSA news, 14 Nov 2024); AllWISE Explanatory Supplement (Cutri et al.
2013) sec. I.1; WISE All-Sky Explanatory Supplement (Cutri et al. 2012) sec. I.1.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np

from dashboard.core.tables import NEOWISE, RECORDED_VARIANTS

#: The date of the final NEOWISE-R data release (no later release of new epochs exists).
NEOWISE_FINAL_RELEASE = dt.date(2024, 11, 14)
#: MJD 40587 is 1970-01-01 (UTC); WISE and NEOWISE ``mjd`` are UTC (NEOWISE ES sec. III.1.c pairs
#: mjd 57196.47882488 with 2015-06-23 11:29:30.47 UTC).
_UNIX_EPOCH_MJD = 40587.0

#: NEOWISE-R's table and the recorded variants that stand in for it (one list: core/tables.py)
_NEOWISE = (NEOWISE.name, *(v for v, role in RECORDED_VARIANTS.items() if role == NEOWISE.name))
_FIXED = {
    "allwise_p3as_psd": "AllWISE Data Release (2013)",
    "allwise_p3as_mep": "AllWISE Data Release (2013)",
    "wise_allsky_4band_p3as_psd": "WISE All-Sky Data Release (2012), the catalog before AllWISE",
}


def mjd_date(mjd: float) -> dt.date:
    """The UTC calendar date of a modified Julian date."""
    return (dt.datetime(1970, 1, 1) + dt.timedelta(days=float(mjd) - _UNIX_EPOCH_MJD)).date()


def retrieval_date(retrieved_utc: str) -> dt.date | None:
    """The date of a retrieval record (ISO 8601, e.g. ``2023-05-16T12:52:41Z``), or None when
    it was not recorded. A list of several (a batch) gives the latest."""
    dates = []
    for part in retrieved_utc.split(","):
        try:
            dates.append(dt.date.fromisoformat(part.strip()[:10]))
        except ValueError:
            continue
    return max(dates) if dates else None


def mjd_span(mjd: Iterable[float]) -> tuple[float, float] | None:
    values = np.asarray(list(mjd), dtype=float)
    values = values[np.isfinite(values)]
    return (float(values.min()), float(values.max())) if values.size else None


def release_label(table: str, retrieved_utc: str, mjd: Iterable[float] | None = None) -> str:
    """What release ``table``'s rows are, e.g. "NEOWISE-R as served by IRSA on 2023-05-16 (before
    the final release of 2024-11-14), single exposures 2013-12-19 to 2022-12-01".

    ``table`` is the table the rows really came from; ``mjd`` their epochs (None for a catalog)."""
    if table in _NEOWISE:
        when = retrieval_date(retrieved_utc)
        if when is None:
            label = "NEOWISE-R, release not recorded (retrieval date not recorded)"
        elif when >= NEOWISE_FINAL_RELEASE:
            label = f"NEOWISE-R final data release ({NEOWISE_FINAL_RELEASE.isoformat()})"
        else:
            label = (f"NEOWISE-R as served by IRSA on {when.isoformat()} (a yearly release before the "
                     f"final release of {NEOWISE_FINAL_RELEASE.isoformat()})")
    else:
        label = _FIXED.get(table, table)
    span = mjd_span(mjd) if mjd is not None else None
    if span is not None:
        label += f", single exposures {mjd_date(span[0]).isoformat()} to {mjd_date(span[1]).isoformat()}"
    elif mjd is not None:
        label += ", no single exposures"
    return label


def year_span(mjd: Iterable[float]) -> str:
    """The years a set of epochs spans, "2014–2022" (or "2015" for one year); "" for none."""
    span = mjd_span(mjd)
    if span is None:
        return ""
    first, last = mjd_date(span[0]).year, mjd_date(span[1]).year
    return f"{first}" if first == last else f"{first}–{last}"
