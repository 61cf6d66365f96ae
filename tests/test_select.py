"""Source selection: nearest by default, exact designation, chosen row; epochs follow the source.

No recorded cone holds two AllWISE sources, so the multi-source cases use a CONSTRUCTED fixture:
real catalog rows (Cohen standards, VizieR II/328) moved to nearby positions. Test-only.
"""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import constructed_multi_source
from dashboard.core.targets import parse_target
from dashboard.science.select import select_source, sources_table


def test_nearest_is_selected():
    sources = sources_table(constructed_multi_source(), parse_target("10 20"))
    sel = select_source(sources, parse_target("10 20"))
    assert sel.designation == sources.iloc[0].designation and sel.separation_arcsec == pytest.approx(0, abs=1e-6)
    assert list(sources.separation_arcsec) == sorted(sources.separation_arcsec)


def test_designation_selects_that_source():
    frame = constructed_multi_source()
    wanted = frame.designation.iloc[2]
    target = parse_target("10 20")
    sel = select_source(sources_table(frame, target), target, requested=wanted)
    assert sel.designation == wanted and sel.method == "chosen source"
    assert sel.separation_arcsec == pytest.approx(8.0, abs=0.01)


def test_unknown_designation_falls_back_to_nearest_and_says_so():
    target = parse_target("10 20")
    sel = select_source(sources_table(constructed_multi_source(), target), target, requested="J000000.00+000000.0")
    assert "not in the cone" in sel.method


def test_empty_cone_selects_nothing():
    target = parse_target("10 20")
    assert select_source(sources_table(pd.DataFrame(), target), target) is None
