"""VOTable conversion: recorded rows survive frame -> VOTable -> frame unchanged (the bundle's
``raw/`` files and ``reproduce.py`` depend on it), nulls included."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from astropy.io.votable import parse

from dashboard.archive import offline as archive
from dashboard.archive.votable import frame_to_votable, table_to_frame
from dashboard.core.model import Cone
from dashboard.core.tables import TABLES


def roundtrip(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    dtypes = {c: k for c, k in TABLES[table].columns.items() if c in frame.columns}
    data = frame_to_votable(frame, dtypes=dtypes, infos={"ORIGIN": "test"})
    return table_to_frame(parse(io.BytesIO(data)).get_first_table().to_table())


def test_real_neowise_rows_roundtrip_with_their_nulls():
    rows = archive.query("neowiser_p1bs_psd", Cone(330.5642, -61.6594, 10)).rows  # the AX row: null w2snr
    back = roundtrip(rows, "neowiser_p1bs_psd")
    assert set(back.columns) == set(rows.columns)
    assert np.isnan(back.w2snr.iloc[0]) and back.w2sigmpro.iloc[0] == 10000.0 and back.ph_qual.iloc[0] == "AX"
    assert int(back.allwise_cntr.iloc[0]) == int(rows.allwise_cntr.iloc[0])  # 19 digits, not through float


def test_real_catalog_rows_with_null_errors_and_flags_roundtrip():
    star = next(t for t in archive.demo_targets() if t.name == "HD 199101")
    rows = archive.query("allwise_p3as_psd", Cone(star.ra, star.dec, 3)).rows
    back = roundtrip(rows, "allwise_p3as_psd")
    for col in rows.columns:
        a, b = rows[col].iloc[0], back[col].iloc[0]
        assert (pd.isna(a) and pd.isna(b)) or a == b, col


def test_columns_asked_for_but_not_recorded_come_back_null():
    rows = archive.query("allwise_p3as_mep", Cone(314.26238, 14.20441, 10)).rows  # Gator: no flags recorded
    data = frame_to_votable(rows, dtypes=dict(TABLES["allwise_p3as_mep"].columns))
    back = table_to_frame(parse(io.BytesIO(data)).get_first_table().to_table())
    assert set(TABLES["allwise_p3as_mep"].columns) == set(back.columns)
    assert back.cc_flags.isna().all() and back.qi_fact.isna().all() and len(back) == len(rows)
