"""Conversions between row frames and VOTables (astropy does the XML; nothing hand-written).

Used by the TAP client (parse a reply), the bundle (write ``raw/`` for offline rows; read them back
in ``reproduce.py``), an offline batch (its rows are those of the VOTable it writes) and the local
TAP server in the tests (answer a query from recorded rows).
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
from astropy.io.votable import from_table
from astropy.io.votable import parse as parse_votable
from astropy.io.votable.tree import Info
from astropy.table import Column, MaskedColumn, Table

from dashboard.core.tables import UNITS


def table_to_frame(table: Table) -> pd.DataFrame:
    """astropy Table -> pandas, with NaN for missing numbers and None for missing text."""
    frame = table.to_pandas()
    for col in frame.columns:
        if not (pd.api.types.is_numeric_dtype(frame[col]) or pd.api.types.is_bool_dtype(frame[col])):
            frame[col] = pd.Series(
                [None if (v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) or v == "")
                 else (v.decode() if isinstance(v, bytes) else str(v)) for v in frame[col]],
                index=frame.index, dtype=object,
            )
    return frame


def votable_rows(data: bytes) -> pd.DataFrame:
    """The rows of a VOTable's first table, as ``table_to_frame`` gives them (NULL integers as
    pandas' missing value, missing text as None)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return table_to_frame(parse_votable(io.BytesIO(data), verify="ignore").get_first_table().to_table())


def frame_to_table(frame: pd.DataFrame, dtypes: dict[str, str] | None = None) -> Table:
    """pandas -> astropy Table with masks for missing values; ``dtypes`` adds all-NULL columns."""
    table = Table()
    dtypes = dtypes or {}
    columns = list(dtypes) if dtypes else list(frame.columns)
    for name in columns:
        kind = dtypes.get(name) or ("U" if frame[name].dtype == object or pd.api.types.is_string_dtype(frame[name])
                                    else frame[name].dtype.kind)
        if name in frame.columns:
            series = frame[name]
            mask = series.isna().to_numpy()
        else:
            series = pd.Series([None] * len(frame), dtype=object)
            mask = np.ones(len(frame), dtype=bool)
        numeric = pd.api.types.is_numeric_dtype(series)  # whole columns at once; text value by value
        if kind == "U":
            data = np.array(["" if m else str(v) for v, m in zip(series, mask, strict=True)], dtype=str)
            if data.dtype.itemsize == 0 or len(data) == 0:
                data = data.astype("U1")
        elif kind in "iu" or kind == "i8":
            data = (series.to_numpy(np.int64) if numeric and not mask.any() else
                    np.array([0 if m else int(v) for v, m in zip(series, mask, strict=True)], dtype=np.int64))
        else:
            data = (series.to_numpy(np.float64, na_value=np.nan) if numeric else
                    np.array([np.nan if m else float(v) for v, m in zip(series, mask, strict=True)], dtype=np.float64))
        # a column without a missing value is written unmasked: the same XML, without a mask test per cell
        table[name] = MaskedColumn(data, mask=mask, unit=UNITS.get(name)) if mask.any() else \
            Column(data, unit=UNITS.get(name))
    return table


def frame_to_votable(frame: pd.DataFrame, *, dtypes: dict[str, str] | None = None,
                     infos: dict[str, str] | None = None, status: str = "OK") -> bytes:
    """A TAP-style VOTable (with QUERY_STATUS) holding ``frame``'s rows. A table needs at least one
    column to be a valid VOTable (a TABLE without FIELD fails the schema): pass ``dtypes``."""
    if not (dtypes or len(frame.columns)):
        raise ValueError("a VOTable needs at least one column: give the table's columns in dtypes")
    votable = from_table(frame_to_table(frame, dtypes))
    for field in votable.get_first_table().fields:
        if field.datatype in ("char", "unicodeChar"):  # text of any length ("1" is deprecated: VOTable 1.3 Erratum 3)
            field.arraysize = "*"
    resource = votable.resources[0]
    resource.type = "results"
    resource.infos.append(Info(name="QUERY_STATUS", value=status))
    for name, value in (infos or {}).items():
        resource.infos.append(Info(name=name, value=value))
    buffer = io.BytesIO()
    votable.to_xml(buffer)
    return buffer.getvalue()
