"""The epoch and visit tables built fast: the speed path of plain pandas, and that pandas.

``lightcurve.py`` says what the tables hold; this module builds them the way that is fast at 10^5
epochs, and keeps beside each the plain pandas it replaces (tested equal in
``tests/test_epoch_tables.py`` on the real epochs of the timewise TDE sample):

* ``epoch_frame`` replaces ``pd.concat`` of one frame per (table, band) and a sort by time:
  arrays are joined and taken before the frame is made (a frame's take of its text columns cost
  ~10 ms at 10^5), and the per-part text (``band``, ``table``) is joined as integer codes.
* ``ph_qual_letters`` replaces ``ph_qual.str[i]``: a table holds few distinct ``ph_qual``
  strings, so the letters are read once per distinct value (``.str[i]`` per row took a quarter
  of a warm view at 10^5 epochs).
* ``colour_join`` replaces the merge of the W1 and W2 visits on (object, visit): a (object,
  visit) is one row per band, so the join is a match of integer keys (pandas' merge cost ~3 ms a
  view).
* ``repeated`` replaces ``np.full(n, text)``: one string object n times (n copies compare and
  hash one by one: a factorize of 10^5 band names took 27 ms instead of 8).

The pandas option this module's text dtype assumes is set where a process starts
(``dashboard/runtime.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

#: A text column as codes: (code per epoch, the values the codes index).
TextCodes = tuple[np.ndarray, tuple[str, ...]]


def repeated(text: str, n: int) -> np.ndarray:
    """``text`` n times, one string object: ``np.full`` would make n copies, which compare and hash
    one by one (a factorize of 10^5 band names took 27 ms instead of 8)."""
    out = np.empty(n, dtype=object)
    out.fill(text)
    return out


#: Epoch columns that hold one value per ``band_epochs`` part: joined as codes, not as strings.
_PER_PART = ("band", "table")


def _text() -> pd.StringDtype:
    """What pandas infers for text now (its storage follows ``mode.string_storage``: runtime.py)."""
    return pd.StringDtype(na_value=np.nan)


def epoch_frame(parts: list[dict[str, np.ndarray]], order: np.ndarray | None = None,
                 codes: dict[str, TextCodes] | None = None) -> pd.DataFrame:
    """The epochs of ``band_epochs`` parts as one frame, rows in ``order`` if given: arrays joined
    and taken before the frame is made (a frame's take of its text columns cost ~10 ms at 10^5),
    per-part text as codes (kept in ``codes`` when given), text typed as pandas would infer it
    without the scan."""
    pick = (lambda a: a) if order is None else (lambda a: a[order])
    columns: dict[str, Any] = {}
    for name in parts[0]:
        if name in _PER_PART:
            values = list(dict.fromkeys(part[name][0] for part in parts))
            code = pick(np.concatenate([np.full(len(part[name]), values.index(part[name][0])) for part in parts]))
            columns[name] = pd.array(np.array(values, dtype=object)[code], dtype=_text())
            if codes is not None:
                codes[name] = (code, tuple(values))
        else:
            joined = pick(np.concatenate([part[name] for part in parts]))
            columns[name] = pd.array(joined, dtype=_text()) if joined.dtype == object else joined
    return pd.DataFrame(columns)


def plain_epoch_frame(parts: list[dict[str, np.ndarray]], order: np.ndarray | None = None) -> pd.DataFrame:
    """What ``epoch_frame`` replaces: one frame per part, concatenated, rows taken in ``order``."""
    frame = pd.concat([pd.DataFrame(part) for part in parts], ignore_index=True)
    return frame if order is None else frame.iloc[order].reset_index(drop=True)


def ph_qual_letters(ph_qual: pd.Series | None, n: int) -> tuple[pd.Categorical, pd.Categorical]:
    """The W1 and W2 letters of each row's ``ph_qual`` ('' where it has none), as categoricals:
    a few distinct letters, compared by code (``no_measurement`` reads them without factorizing)."""
    if ph_qual is None or not pd.api.types.is_object_dtype(ph_qual) and not pd.api.types.is_string_dtype(ph_qual):
        return _letters(np.zeros(n, np.int64), [""]), _letters(np.zeros(n, np.int64), [""])
    # A table holds few distinct ph_qual strings: read the letters once per distinct value (pandas'
    # .str[i] per row took a quarter of a warm view at 10^5 epochs).
    codes, distinct = pd.factorize(ph_qual.astype(object), use_na_sentinel=True)

    def letter(index: int) -> pd.Categorical:
        # code -1 (a missing value) takes the trailing ""
        return _letters(codes, [v[index] if isinstance(v, str) and len(v) > index else "" for v in distinct] + [""])

    return letter(0), letter(1)


def _letters(codes: np.ndarray, table: list[str]) -> pd.Categorical:
    """Letter ``table[code]`` of each row (code -1: the table's last entry) as a categorical."""
    categories, inverse = np.unique(np.array(table, dtype=object), return_inverse=True)
    letters: np.ndarray = inverse[codes]
    return pd.Categorical.from_codes(letters, categories=pd.Index(categories))


def plain_ph_qual_letters(ph_qual: pd.Series, index: int) -> pd.Series:
    """What ``ph_qual_letters`` replaces: letter ``index`` of each row's ``ph_qual`` ('' if none)."""
    return ph_qual.astype(object).str[index].fillna("")


def colour_join(visits: pd.DataFrame) -> pd.DataFrame:
    """W1 - W2 of each (object, visit) detected in both bands, in the W1 visits' order (what an
    inner join keeps); ``visits`` not empty."""
    many = "object" in visits
    detected = ~visits["upper_limit"].to_numpy(bool)
    band = visits["band"].to_numpy(object)
    visit = visits["visit"].to_numpy(np.int64)
    obj = visits["object"].to_numpy(np.int64) if many else np.zeros(len(visits), np.int64)
    key = obj * (int(visit.max()) + 1) + visit
    w1 = np.flatnonzero(detected & (band == "W1"))
    w2 = np.flatnonzero(detected & (band == "W2"))
    _, at1, at2 = np.intersect1d(key[w1], key[w2], assume_unique=True, return_indices=True)
    order = np.argsort(at1, kind="stable")
    i1, i2 = w1[at1[order]], w2[at2[order]]
    mag = visits["mag"].to_numpy(float)
    err = visits["mag_err"].to_numpy(float)
    return pd.DataFrame({
        **({"object": obj[i1]} if many else {}), "visit": visit[i1], "mjd": visits["mjd"].to_numpy(float)[i1],
        "w1_w2": mag[i1] - mag[i2], "w1_w2_err": np.hypot(err[i1], err[i2]),
    })


def plain_colour_join(visits: pd.DataFrame) -> pd.DataFrame:
    """What ``colour_join`` replaces: the pandas merge of the detected W1 and W2 visits."""
    keys = ["object", "visit"] if "object" in visits else ["visit"]
    detected = visits[~visits["upper_limit"].astype(bool)]
    w1 = detected[detected["band"] == "W1"][keys + ["mjd", "mag", "mag_err"]]
    w2 = detected[detected["band"] == "W2"][keys + ["mag", "mag_err"]]
    both = w1.merge(w2, on=keys, suffixes=("_1", "_2"), how="inner")
    return pd.DataFrame({**{k: both[k].to_numpy(np.int64) for k in keys}, "mjd": both["mjd"].to_numpy(float),
                         "w1_w2": (both["mag_1"] - both["mag_2"]).to_numpy(float),
                         "w1_w2_err": np.hypot(both["mag_err_1"].to_numpy(float), both["mag_err_2"].to_numpy(float))})
