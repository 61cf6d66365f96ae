"""WISE colour classes (``science/colours.py``): each criterion on both sides of each of its
lines, limits read as bounds, and real catalog rows recomputed by hand.

The boundary cases are CONSTRUCTED magnitudes (a catalog row with only the W1–W4 magnitudes,
their errors and ``ph_qual``); the Arp 220 field and AT2019dsg's host are real recorded rows.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from dashboard.science.colours import (
    ASSEF18_R90,
    CRITERIA,
    Magnitudes,
    class_label,
    classify,
    r90_threshold,
    with_colour_classes,
)
from dashboard.science.photometry import BANDS


def row(w1: float | None, w2: float | None, w3: float | None, letters: str = "AAAA") -> dict:
    """CONSTRUCTED: a catalog row; a 'U' letter makes that band a 95% upper limit (null error)."""
    out: dict = {"ph_qual": letters, "w4mpro": 9.0, "w4sigmpro": None, "ext_flg": 0}
    for band, mag in zip("123", (w1, w2, w3), strict=True):
        out[f"w{band}mpro"] = mag
        out[f"w{band}sigmpro"] = None if letters[int(band) - 1] in "UX" or mag is None else 0.02
        out[f"w{band}snr"] = 2.0 if letters[int(band) - 1] == "U" else 50.0
    return out


def answers(source: dict) -> dict[str, str]:
    return {v.criterion: v.answer for v in classify(source)}


@pytest.mark.parametrize("w1w2, expected", [(0.8, "yes"), (0.801, "yes"), (0.799, "no")])
def test_stern12_at_its_line(w1w2, expected):
    assert answers(row(12.0 + w1w2, 12.0, 10.0))["agn_stern12"] == expected


@pytest.mark.parametrize("w2, expected", [(15.05, "yes"), (15.051, "n/a"), (16.5, "n/a")])
def test_stern12_beyond_its_w2_limit_is_not_applicable(w2, expected):
    assert answers(row(w2 + 1.0, w2, 12.0))["agn_stern12"] == expected


@pytest.mark.parametrize("w2", [12.0, 13.86, 14.5, 16.0])
def test_assef18_r90_on_both_sides_of_its_curve(w2):
    threshold = ASSEF18_R90[0] * math.exp(ASSEF18_R90[1] * (w2 - ASSEF18_R90[2]) ** 2) if w2 > ASSEF18_R90[2] \
        else ASSEF18_R90[0]
    assert r90_threshold(w2) == pytest.approx(threshold)
    assert answers(row(w2 + threshold + 0.002, w2, 10.0))["agn_assef18_r90"] == "yes"
    assert answers(row(w2 + threshold - 0.002, w2, 10.0))["agn_assef18_r90"] == "no"


def test_assef18_r90_grows_fainter_than_gamma_as_the_paper_writes_it():
    """At W2 = 16 the R90 line sits at 0.650 exp(0.153 x 2.14^2) = 0.650 exp(0.7007) = 1.310 (by hand)."""
    assert r90_threshold(16.0) == pytest.approx(1.310, abs=1e-3)
    assert r90_threshold(13.0) == 0.650  # brighter than gamma: the constant (no precedence slip)


@pytest.mark.parametrize("w1w2, expected", [(0.711, "yes"), (0.71, "no"), (0.709, "no")])
def test_assef18_c75_at_its_line(w1w2, expected):
    assert answers(row(14.0 + w1w2, 14.0, 11.0))["agn_assef18_c75"] == expected


def _mags_for(x: float, y: float) -> tuple[float, float, float]:
    """CONSTRUCTED: W1, W2, W3 with log10(f12/f4.6) = x and log10(f4.6/f3.4) = y."""
    f1, f2, f3 = (BANDS[b].zero_point_jy for b in ("W1", "W2", "W3"))
    w2 = 12.0
    w1 = w2 + (y - math.log10(f2 / f1)) / 0.4
    w3 = w2 - (x - math.log10(f3 / f2)) / 0.4
    return round(w1, 6), w2, round(w3, 6)


@pytest.mark.parametrize("x, y, expected", [
    (0.8, 0.4, "yes"),            # inside: 0.315x - 0.110 = 0.142 < y < 0.315x + 0.297 = 0.549, y > -3.172x + 0.436
    (0.8, 0.56, "no"),            # above the top line
    (0.8, 0.13, "no"),            # below the bottom line
    (0.09, 0.12, "no"),           # between the two lines, but left of the blue edge: -3.172 * 0.09 + 0.436 = 0.151
    (0.1, 0.2, "yes"),            # right of the edge (0.119) and 0.0215 < y < 0.3285
])
def test_mateos12_wedge_in_flux_ratios(x, y, expected):
    w1, w2, w3 = _mags_for(x, y)
    assert answers(row(w1, w2, w3))["agn_mateos12"] == expected


@pytest.mark.parametrize("w1w2, w2w3, expected", [
    (1.0, 3.0, "yes"), (1.0, 2.2, "no"), (1.0, 2.21, "yes"), (1.0, 4.2, "no"), (1.0, 4.19, "yes"),
    (1.7, 3.0, "no"), (1.69, 3.0, "yes"), (0.68, 3.0, "no"), (0.681, 3.0, "yes"),  # 0.1 * 3 + 0.38 = 0.68
])
def test_jarrett11_box_on_both_sides_of_each_edge(w1w2, w2w3, expected):
    w2 = 12.0
    assert answers(row(w2 + w1w2, w2, w2 - w2w3))["agn_jarrett11"] == expected


def test_a_w3_limit_is_an_upper_bound_on_w2_w3_and_decides_what_it_can():
    """CONSTRUCTED. W3 'U': W3 >= 9.5, so W2 - W3 <= 2.5. Jarrett needs W2 - W3 > 2.2: open.
    With W3 >= 10 (W2 - W3 <= 2.0) the box is out of reach: no."""
    open_ = classify(row(13.0, 12.0, 9.5, "AAUA"))
    jarrett = next(v for v in open_ if v.criterion == "agn_jarrett11")
    assert jarrett.answer == "undetermined" and "W3 is a 95% upper limit" in jarrett.reason
    assert "W2−W3 ≤ 2.500" in jarrett.reason
    assert answers(row(13.0, 12.0, 10.0, "AAUA"))["agn_jarrett11"] == "no"
    assert answers(row(13.0, 12.0, 10.0, "AAUA"))["agn_stern12"] == "yes"  # W3 plays no part in Stern


def test_a_w2_limit_bounds_w1_w2_from_above_and_w2_w3_from_below():
    """CONSTRUCTED. W2 'U' at 12: W2 >= 12, so W1 - W2 <= 0.3 (Stern: no, whatever W2 is) and
    W2 - W3 >= 1.0. A W2 limit may also be beyond Stern's W2 range: then undetermined."""
    m = Magnitudes.of(row(12.3, 12.0, 11.0, "AUAA"))
    assert m.colour(0, 1) == (-math.inf, pytest.approx(0.3)) and m.colour(1, 2) == (pytest.approx(1.0), math.inf)
    verdicts = answers(row(12.3, 12.0, 11.0, "AUAA"))
    assert verdicts["agn_assef18_c75"] == "no" and verdicts["agn_assef18_r90"] == "no"
    assert verdicts["agn_stern12"] == "undetermined"  # W1-W2 <= 0.3 fails 0.8, but W2 may be beyond 15.05: n/a there


def test_a_missing_band_leaves_open_what_it_would_decide():
    """CONSTRUCTED: no W3 measurement ('X'): Mateos and Jarrett need it, unless W1 - W2 alone decides."""
    assert answers(row(13.0, 12.0, None, "AAXA"))["agn_jarrett11"] == "undetermined"
    assert answers(row(14.0, 12.0, None, "AAXA"))["agn_jarrett11"] == "no"  # W1 - W2 = 2 > 1.7 whatever W3 is


def test_real_rows_arp220_field_verdicts_recomputed_by_hand(offline_view):
    """The Arp 220 field (real WISE All-Sky rows, 60 arcsec): twelve sources. Its nucleus,
    J153457.25+233011.5, W1 10.068, W2 9.327, W3 4.587 (by hand): W1 - W2 = 0.741 < 0.8, Stern no;
    W2 < 13.86 so R90's line is 0.650: yes; 0.741 > 0.71: C75 yes; W2 - W3 = 4.740 > 4.2: Jarrett no;
    Mateos: x = 0.4 * 4.740 + log10(31.674 / 171.787) = 1.162, y = 0.4 * 0.741 + log10(171.787 /
    309.540) = 0.041 < 0.315x - 0.110 = 0.256: no."""
    shown = offline_view("Arp 220", 60.0)
    assert len(shown.sources) == 12
    nucleus = shown.sources[shown.sources["designation"] == "J153457.25+233011.5"].iloc[0]
    assert [nucleus[c.column] for c in CRITERIA] == ["no", "yes", "yes", "no", "no"]
    assert nucleus["colour_class"] == "AGN: R90, C75"
    x = 0.4 * (9.327 - 4.587) + math.log10(31.674 / 171.787)
    y = 0.4 * (10.068 - 9.327) + math.log10(171.787 / 309.540)
    assert y < 0.315 * x - 0.110
    # every faint source of the field is beyond Stern's W2 range or fails it; none is an AGN by all five
    assert set(shown.sources["agn_stern12"]) <= {"no", "n/a"}
    assert (shown.sources["colour_class"] != "AGN: Stern12, R90, C75, Mateos12, Jarrett11").all()


def test_real_row_at2019dsg_host_is_no_agn_by_any_criterion(offline_view):
    """AT2019dsg's host (real AllWISE row): W1 13.272, W2 13.252, W3 10.986: W1 - W2 = 0.020 fails
    every W1 - W2 cut; W2 - W3 = 2.266 with W1 - W2 below 0.1 * 2.266 + 0.38 = 0.607: Jarrett no."""
    shown = offline_view("AT2019dsg", 2.5)
    assert [v.answer for v in shown.colours] == ["no"] * 5
    assert class_label(shown.colours) == "—"
    assert "W1−W2 = 0.020" in shown.colours[0].reason


def test_an_empty_cone_gets_the_columns_and_no_rows():
    import pandas as pd

    out = with_colour_classes(pd.DataFrame({"designation": pd.Series(dtype=object)}))
    assert {c.column for c in CRITERIA} <= set(out.columns) and out.empty


def test_the_table_speed_path_equals_the_plain_classes_on_every_shipped_catalog_row(tmp_path):
    """``colours_table.with_colour_classes`` against ``colours.with_colour_classes`` on the real
    rows of every demo target (Arp 220's whole 5' recording: 319 All-Sky rows, limits and all)."""
    from dataclasses import replace

    from dashboard.archive import offline
    from dashboard.config import Settings
    from dashboard.pipeline import observe, view
    from dashboard.science.analysis import AnalysisParams
    from dashboard.science.colours import with_colour_classes as plain
    from dashboard.science.colours_table import with_colour_classes as fast

    settings = replace(Settings(), cache_dir=tmp_path, offline=True, max_radius_arcsec=300.0)
    compared = 0
    for target in offline.demo_targets():
        radius = 300.0 if target.name == "Arp 220" else target.covered_radius_arcsec
        sources = view(observe(target.name, radius, settings), AnalysisParams()).sources
        bare = sources.drop(columns=[c.column for c in CRITERIA] + ["colour_class"])
        pd.testing.assert_frame_equal(fast(bare), plain(bare))
        compared += len(bare)
    assert compared >= 319 + 5  # the Arp 220 field and a source or more of each other demo target
