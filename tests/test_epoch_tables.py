"""The epoch and visit tables' speed path (``science/epoch_tables.py``) equals the plain pandas it
replaces, on the real NEOWISE-R epochs of the timewise TDE sample (32 objects, 9,073 exposures;
``test_stacking.sample``) and on AT2019dsg's real ``ph_qual`` strings."""

from __future__ import annotations

import numpy as np
import pandas as pd
from test_stacking import sample  # noqa: F401, F811  (the fixture: the timewise sample's real rows)

from conftest import DATA
from dashboard.core.tables import NEOWISE
from dashboard.science.epoch_tables import (
    colour_join,
    epoch_frame,
    ph_qual_letters,
    plain_colour_join,
    plain_epoch_frame,
    plain_ph_qual_letters,
)
from dashboard.science.lightcurve import band_epochs, bin_visits, epochs_from_table
from dashboard.science.stacking import Binning


def test_the_epoch_frame_equals_concat_and_take(sample):  # noqa: F811
    parts = band_epochs(sample, NEOWISE, Binning(), label="neowiser_p1bs_psd")
    assert len(parts) == 2 and all(len(p["mjd"]) == len(sample) for p in parts)
    not_w1 = np.concatenate([np.full(len(p["mjd"]), p["band"][0] != "W1") for p in parts])
    order = np.lexsort((not_w1, np.concatenate([p["mjd"] for p in parts])))
    for taken in (None, order):
        codes: dict = {}
        fast = epoch_frame(parts, taken, codes)
        pd.testing.assert_frame_equal(fast, plain_epoch_frame(parts, taken))
        code, values = codes["band"]
        assert list(np.array(values, dtype=object)[code]) == list(fast["band"])


def test_ph_qual_letters_equal_pandas_str_on_real_strings_and_missing_values():
    """Real ``ph_qual`` of AT2019dsg's NEOWISE-R exposures, then with a missing value and a short
    string mixed in (CONSTRUCTED: no recorded row lacks one)."""
    from astropy.table import Table

    real = Table.read(DATA / "gator" / "neowiser_p1bs_psd__AT2019dsg.tbl", format="ascii.ipac")["ph_qual"]
    series = pd.Series([str(v) for v in real], dtype=object)
    assert series.nunique() > 1
    for ph_qual in (series, pd.concat([series, pd.Series([None, "U", ""], dtype=object)], ignore_index=True)):
        first, second = ph_qual_letters(ph_qual, len(ph_qual))
        assert list(first.astype(str)) == list(plain_ph_qual_letters(ph_qual, 0))
        assert list(second.astype(str)) == list(plain_ph_qual_letters(ph_qual, 1))


def test_the_colour_join_equals_the_pandas_merge(sample):  # noqa: F811
    epochs = epochs_from_table(sample, NEOWISE, Binning())
    _, visits = bin_visits(epochs, Binning())
    fast = colour_join(visits)
    assert len(fast) > 500 and fast["object"].nunique() == 32
    pd.testing.assert_frame_equal(fast, plain_colour_join(visits), check_dtype=False)
    one = visits[visits["object"] == 3].drop(columns="object").reset_index(drop=True)
    pd.testing.assert_frame_equal(colour_join(one), plain_colour_join(one), check_dtype=False)
