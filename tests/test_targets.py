"""Target parsing: every accepted form, the refusals, and a property test on arbitrary text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.archive import offline as archive
from dashboard.core.targets import TargetError, accepted_without_names, parse_radius, parse_target

AT2019DSG = (314.26238, 14.20441)


@pytest.mark.parametrize("text", ["314.2624 14.2044", "314.2624, +14.2044", "314.2624d +14.2044d",
                                  "  314.2624   14.2044 "])
def test_decimal_degrees(text):
    t = parse_target(text)
    assert (t.ra, t.dec) == (pytest.approx(314.2624), pytest.approx(14.2044))
    assert t.resolver == "decimal degrees"


@pytest.mark.parametrize("text", ["20h57m02.97s +14d12m16.3s", "20:57:02.97 +14:12:16.3", "20 57 02.97 +14 12 16.3"])
def test_sexagesimal(text):
    t = parse_target(text)
    assert t.ra == pytest.approx(15 * (20 + 57 / 60 + 2.97 / 3600))
    assert t.dec == pytest.approx(14 + 12 / 60 + 16.3 / 3600)


def test_negative_declination_below_one_degree():
    t = parse_target("00:00:00.0 -00:30:00")
    assert t.dec == pytest.approx(-0.5)


@pytest.mark.parametrize("text", ["l=61.403 b=-19.734", "gal 61.403 -19.734"])
def test_galactic(text):
    from astropy.coordinates import SkyCoord

    t = parse_target(text)
    expected = SkyCoord(l=61.403, b=-19.734, unit="deg", frame="galactic").icrs
    assert t.resolver == "galactic"
    assert SkyCoord(t.ra, t.dec, unit="deg").separation(expected).arcsec < 1e-6
    assert abs(t.ra - AT2019DSG[0]) < 0.01 and abs(t.dec - AT2019DSG[1]) < 0.01


@pytest.mark.parametrize("prefix", ["", "WISEA ", "WISE ", "AllWISE ", "wisea"])
def test_allwise_designation_is_truncated_position_and_kept(prefix):
    t = parse_target(prefix + "J205702.96+141216.2")
    assert t.designation == "J205702.96+141216.2"
    assert t.ra == pytest.approx(15 * (20 + 57 / 60 + 2.96 / 3600))
    assert t.dec == pytest.approx(14 + 12 / 60 + 16.2 / 3600)


def test_designation_of_a_real_catalog_row_lies_within_truncation_of_its_position():
    row = archive.query("allwise_p3as_psd", archive.Cone(130.0532719, 64.3280527, 3)).rows.iloc[0]
    t = parse_target("WISEA " + row.designation)
    # truncation (not rounding): the encoded position is never past the true one, and within 0.01 s / 0.1"
    assert 0 <= (row.ra - t.ra) * 3600 < 0.15 * 1.0001 and 0 <= (row.dec - t.dec) * 3600 < 0.1 * 1.0001


def test_southern_designation():
    t = parse_target("J165009.76-334223.5")
    assert t.dec == pytest.approx(-(33 + 42 / 60 + 23.5 / 3600))


def test_demo_alias_offline():
    t = parse_target("asassn 14li", aliases=archive.aliases())
    assert t.name == "ASASSN-14li" and t.resolver == "offline demo alias"


def test_name_uses_resolver_behind_interface():
    seen = []

    def fake_sesame(name):
        seen.append(name)
        return 150.0, 2.2

    t = parse_target("M 101", resolver=fake_sesame)
    assert seen == ["M 101"] and (t.ra, t.dec) == (150.0, 2.2) and t.resolver.startswith("Sesame")


def test_resolver_failure_is_a_plain_message():
    def broken(name):
        raise ConnectionError("no network")

    with pytest.raises(TargetError, match="did not resolve"):
        parse_target("M 101", resolver=broken)


def test_name_offline_says_coordinates_always_work():
    with pytest.raises(TargetError, match="coordinates and AllWISE designations always work"):
        parse_target("NGC 1068")


@pytest.mark.parametrize("text", ["", "   ", "400 10", "10 95", "25h00m00s +10d00m00s", "10:61:00 +10:00:00",
                                  "l=10 b=100", "J999999.99+999999.9", "nan nan", "inf 3", "SELECT * FROM x;",
                                  "'; DROP TABLE", "x" * 500, "1 2 3"])
def test_refusals_list_accepted_forms(text):
    with pytest.raises(TargetError) as err:
        parse_target(text)
    assert "Accepted" in str(err.value) or "Enter a target" in str(err.value)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_arbitrary_text_raises_only_target_error(text):
    try:
        t = parse_target(text, aliases=archive.aliases())
    except TargetError as err:  # no resolver here: the forms offered are those that work without names
        offline_forms = accepted_without_names(archive.aliases())
        assert offline_forms in str(err) and "object name" not in str(err)
    else:
        assert 0 <= t.ra < 360 and -90 <= t.dec <= 90


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=0, max_value=359.999), st.floats(min_value=-90, max_value=90))
def test_decimal_roundtrip(ra, dec):
    t = parse_target(f"{ra:.6f} {dec:+.6f}")
    assert t.ra == pytest.approx(float(f"{ra:.6f}")) and t.dec == pytest.approx(float(f"{dec:.6f}"))


@pytest.mark.parametrize("value,expected", [("10", 10.0), (2.5, 2.5), ('30"', 30.0), ("120", 120.0)])
def test_radius(value, expected):
    assert parse_radius(value, 120.0) == expected


@pytest.mark.parametrize("value", ["0", "-1", "121", "abc", "nan", "inf", None, ""])
def test_radius_refusals(value):
    with pytest.raises(TargetError, match="radius"):
        parse_radius(value, 120.0)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=20), st.floats(allow_nan=True), st.integers()))
def test_radius_never_raises_anything_else(value):
    try:
        r = parse_radius(value, 120.0)
    except TargetError:
        return
    assert 0 < r <= 120


@pytest.mark.parametrize("text", ["0", "-3", "1e-7", "0.001", "121", "nan", "ten", ""])
def test_radius_outside_the_bounds_is_refused_with_the_bounds_and_what_was_typed(text):
    from dashboard.core.targets import MIN_RADIUS_ARCSEC

    with pytest.raises(TargetError) as refused:
        parse_radius(text, 120.0)
    message = str(refused.value)
    assert f"from {MIN_RADIUS_ARCSEC:g} to 120 arcsec" in message
    assert (repr(text) if text else "nothing") in message


def test_the_smallest_accepted_radius_makes_a_valid_query():
    from dashboard.archive.adql import cone_query
    from dashboard.core.model import Cone
    from dashboard.core.targets import MIN_RADIUS_ARCSEC

    assert "CIRCLE('ICRS'" in cone_query("allwise_p3as_psd", Cone(10, 20, parse_radius(MIN_RADIUS_ARCSEC, 120)))
