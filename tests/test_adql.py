"""ADQL is built from validated numbers and allow-listed names only: no user text gets in."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.archive import offline as archive
from dashboard.archive.adql import cone_query, query_key
from dashboard.core.model import Cone
from dashboard.core.tables import TABLES
from dashboard.core.targets import TargetError, parse_target

PATTERN = re.compile(
    r"^SELECT [a-z0-9_, ]+ FROM (allwise_p3as_psd|allwise_p3as_mep|neowiser_p1bs_psd) WHERE "
    r"CONTAINS\(POINT\('ICRS', ra, dec\), CIRCLE\('ICRS', \d+\.\d{8}, [+-]\d+\.\d{8}, \d\.\d{10}\)\)=1$"
)


def test_cone_query_shape_and_explicit_columns():
    adql = cone_query("allwise_p3as_mep", Cone(314.26238, 14.20441, 10))
    assert PATTERN.match(adql)
    assert "qual_frame" not in adql and "*" not in adql  # the multi-epoch table has no qual_frame
    assert "CIRCLE('ICRS', 314.26238000, +14.20441000, 0.0027777778)" in adql


def test_unknown_table_refused():
    with pytest.raises(ValueError, match="unknown table"):
        cone_query("allwise_p3as_psd; DROP TABLE x", Cone(1, 1, 1))


@pytest.mark.parametrize("cone", [Cone(float("nan"), 0, 1), Cone(0, 91, 1), Cone(0, 0, 0), Cone(0, 0, 1e9),
                                  Cone(-1, 0, 1), Cone(float("inf"), 0, 1)])
def test_invalid_numbers_refused(cone):
    with pytest.raises(ValueError):
        cone_query("allwise_p3as_psd", cone)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_no_user_text_reaches_the_query(text):
    """Whatever the user types, the ADQL is the fixed pattern with formatted numbers only."""
    try:
        target = parse_target(text, aliases=archive.aliases())
    except TargetError:
        return
    for table in TABLES:
        adql = cone_query(table, Cone(target.ra, target.dec, 10))
        assert PATTERN.match(adql), adql
        stripped = text.strip()
        if len(stripped) > 3 and not re.fullmatch(r"[\d.\s,+\-:hmsd°'\"]+", stripped):
            assert stripped not in adql


def test_query_key_is_table_plus_hash_of_canonical_adql():
    adql = cone_query("allwise_p3as_psd", Cone(1, 1, 1))
    assert query_key("allwise_p3as_psd", adql) == query_key("allwise_p3as_psd", adql.replace(" ", "  "))
    assert query_key("allwise_p3as_psd", adql).startswith("allwise_p3as_psd:")
