"""Numbers a person can read (issue 26, item 8), on real rows: a catalog magnitude that is an
upper limit reads "> m", a probability below chi2's underflow reads "< 1e-300", an invalid fold
period gets a message instead of vanishing, and the periodogram of a TDE carries a red-noise
caution beside its FAP."""

from __future__ import annotations

import pytest

from dashboard.science.analysis import AnalysisParams
from dashboard.science.variability import describe, probability_text
from dashboard.ui import callbacks, panels
from dashboard.ui.layout import _mag_formatter

NO_CONTROLS = {cid: None for cid in callbacks.CONTROLS}


def test_upper_limit_magnitudes_are_marked_in_the_source_table(offline_view):
    """HD 73108 (VizieR II/328 row): ph_qual UUAA, so W1 and W2 are 95% limits; W3, W4 measured."""
    row = panels.source_rows(offline_view("HD 73108", 5))[0]
    assert [row[f"w{b}_limit"] for b in "1234"] == [True, True, False, False]
    formatter = _mag_formatter("1")["function"]
    assert "'> ' + params.value.toFixed(3)" in formatter and "params.data.w1_limit" in formatter
    # ASASSN-14li's catalog row was recorded without ph_qual: its null W4 error is how the catalog
    # writes a limit (INDEX.md), so W4 is marked and W1-W3 are not
    row = panels.source_rows(offline_view("ASASSN-14li", 10))[0]
    assert [row[f"w{b}_limit"] for b in "1234"] == [False, False, False, True]


def test_sed_and_table_read_limits_by_one_rule(offline_view):
    view = offline_view("HD 73108", 5)
    row = panels.source_rows(view)[0]
    assert list(view.sed["upper_limit"])[:4] == [row[f"w{b}_limit"] for b in "1234"]


def test_a_probability_below_underflow_is_a_bound(offline_view):
    """AT2019dsg's W1 visits: chi2_red 408.9 on 19 degrees of freedom, whose survival function
    underflows to 0; the page said "p(constant) 0"."""
    view = offline_view("AT2019dsg", 2.5)
    assert view.lightcurve.stats["W1"].p_constant == 0.0
    text = describe(view.lightcurve.stats)
    assert "p(constant) < 1e-300" in text and "p(constant) 0," not in text and "p(constant) 0 " not in text
    assert probability_text(2.8e-316) == "< 1e-300" and probability_text(0.0312) == "0.031"
    assert probability_text(4.2e-12) == "4.2e-12"


@pytest.mark.parametrize("typed", ["-3", "abc", "0.05", "0.01d", "1e9"])
def test_an_invalid_fold_period_gets_a_message_and_stays_in_its_box(offline_settings, typed):
    search = "?target=AT2019dsg&r=2.5&pg=1"
    out = callbacks.sync_state(offline_settings, "fold-input", search, None, NO_CONTROLS | {"fold-input": typed},
                               None, None, None)
    assert "not used" in out["notice"] and "94.6-min orbit" in out["notice"] and typed[:20] in out["notice"]
    assert out["search"] is callbacks.no_update and out["controls"]["fold-input"] is callbacks.no_update


def test_a_valid_fold_period_is_taken(offline_settings):
    out = callbacks.sync_state(offline_settings, "fold-input", "?target=AT2019dsg&r=2.5", None,
                               NO_CONTROLS | {"fold-input": "0.5"}, None, None, None)
    assert "fold=0.5" in out["search"]


def test_the_periodogram_of_a_tde_carries_a_red_noise_caution(offline_view):
    """AT2019dsg is a TDE: one flare. Its W2 best period (~2800 d) holds under two cycles of the
    baseline, and its visits vary; the FAP alone would read as a detection."""
    view = offline_view("AT2019dsg", 2.5, AnalysisParams(periodogram=True))
    w2 = view.periodograms["W2"]
    assert w2.fap < 1e-10 and w2.cycles < 3
    caution = view.periodogram_caution("W2")
    assert caution and "white noise" in caution and f"{w2.cycles:.1f} cycles" in caution
    from dashboard.ui.figures import periodogram_figure

    title = periodogram_figure(view, "W2")["layout"]["title"]["text"]
    assert "FAP" in title and "red-noise caution" in title


def test_a_constant_star_has_no_caution():
    """Constructed: white noise about a constant over ten years, many cycles of any short period."""
    import numpy as np
    import pandas as pd

    from dashboard.science.periodogram import periodogram

    rng = np.random.default_rng(1)
    t = np.sort(rng.uniform(56650, 60500, 300))
    epochs = pd.DataFrame({"mjd": t, "band": "W1", "mag": 12 + rng.normal(0, 0.02, t.size), "mag_err": 0.02,
                           "upper_limit": False, "measured": True, "passed": True, "outlier": False})
    found = periodogram(epochs, "W1")
    assert found is not None
    quiet = found.red_noise_caution(0.4)
    assert (quiet is None) == (found.cycles >= 3) and (quiet is None or "visits vary" not in quiet)
    assert "visits vary" in (found.red_noise_caution(1e-5) or "")
