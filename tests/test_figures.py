"""The figures' data on real recorded rows: what is drawn where, and what never is."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from dashboard.science.lightcurve import build_lightcurve
from dashboard.science.stacking import Binning
from dashboard.ui import figures


def traces(fig, word):
    return [t for t in fig["data"] if word in (t.get("name") or "")]


def values(trace, key):
    return figures.array(trace.get(key)).astype(float)


def test_rejected_outliers_never_squash_the_gaia20fnr_curve(offline_view):
    """Gaia20fnr: a ~0.4 mag curve near 10.8 mag with two W2 visit outliers at 6.07 and 8.55 mag."""
    view = offline_view("Gaia20fnr", 5)
    fig = figures.lightcurve_figure(view, "mag")
    low, high = sorted(fig["layout"]["yaxis"]["range"])
    assert 10.2 < low < high < 11.5 and high - low < 1.0  # the passed data with a margin, not 6..12
    rejected = traces(fig, "rejected")
    ys = np.concatenate([values(t, "y") for t in rejected])
    assert ys.min() >= low - 1e-3 and ys.max() <= high + 1e-3  # drawn at the edge, inside the range
    epochs = view.lightcurve.epochs
    bad = epochs[epochs.measured & (~epochs.passed | epochs.outlier)].mag
    brighter, fainter = int((bad < low).sum()), int((bad > high).sum())
    assert brighter == 2  # 6.07 and 8.55 mag
    symbols = [t["marker"]["symbol"] for t in rejected for _ in values(t, "y")]
    assert symbols.count("triangle-up") == brighter and symbols.count("triangle-down") == fainter
    note = " ".join(a["text"] for a in fig["layout"]["annotations"])
    assert f"{brighter + fainter} rejected beyond the range: ▲▼ at its edge" in note
    clipped = [t for t in rejected if t["marker"]["symbol"] != "x-thin"]
    hover_values = np.round(np.concatenate([values(t, "customdata") for t in clipped]), 3)
    assert {6.068, 8.546} <= set(hover_values)  # the hover keeps the true value
    assert all("customdata" in t["hovertemplate"] and "outside the plotted range" in t["hovertemplate"]
               for t in clipped)
    # each rejected trace names its reason once, in the hover; x is days since the stated reference
    assert all("rejected: " in t["hovertemplate"] for t in rejected)
    mjd = np.concatenate([values(t, "x") for t in rejected]) + figures.REFERENCE_MJD
    assert np.allclose(np.sort(mjd), np.sort(epochs[epochs.measured & (~epochs.passed | epochs.outlier)].mjd),
                       atol=1e-3)


def test_epoch_upper_limits_are_triangles_in_both_units(offline_view):
    """AT2018lzs (timewise rows at IRSA): three exposures without an error are 95% upper limits."""
    view = offline_view("AT2018lzs", 6)
    limits = view.lightcurve.epochs[view.lightcurve.epochs.upper_limit]
    assert len(limits) == 3
    for unit in ("mag", "flux"):
        fig = figures.lightcurve_figure(view, unit)
        drawn = traces(fig, "exposure 95% upper limits")
        assert sum(len(values(t, "x")) for t in drawn) == 3
        assert all(t["marker"]["symbol"] == "triangle-down-open" and "95% upper limit" in t["hovertemplate"]
                   for t in drawn)
        for band, group in limits.groupby("band"):
            exposures = traces(fig, f"{band} exposures")
            shown = {round(x + figures.REFERENCE_MJD, 2) for t in exposures for x in values(t, "x")}
            assert not set(np.round(group.mjd, 2)) & shown


def test_a_visit_of_only_limits_is_a_limit_triangle():
    """CONSTRUCTED rows (no recording has a visit made only of limits): two visits, the second all 'U'."""
    rows = pd.DataFrame({"mjd": [100.0, 100.1, 400.0, 400.1], "ra": 0.0, "dec": 0.0,
                         "w1mpro": [15.0, 15.1, 17.0, 17.2], "w1sigmpro": [0.05, 0.05, np.nan, np.nan],
                         "w1snr": [20.0, 18.0, 1.5, 1.2], "ph_qual": ["AA", "AA", "UA", "UA"],
                         "passed": True, "reasons": ""})
    lc = build_lightcurve({"neowiser_p1bs_psd": rows}, Binning())
    w1 = lc.visits[lc.visits.band == "W1"].sort_values("mjd")
    assert list(w1.upper_limit) == [False, True] and w1.iloc[1].n_limits == 2

    class Shown:  # the figure reads only the light curve and the selection
        lightcurve = lc
        selection = None

    fig = figures.lightcurve_figure(Shown(), "mag")  # type: ignore[arg-type]
    limit = traces(fig, "visit 95% upper limit")
    assert len(limit) == 1 and limit[0]["marker"]["symbol"] == "triangle-down"
    assert np.allclose(values(limit[0], "x") + figures.REFERENCE_MJD, [400.05], atol=1e-3)
    assert "95% upper limit" in limit[0]["hovertemplate"]


def test_hostile_text_is_escaped_in_the_sed_title(offline_view):
    from dataclasses import replace

    view = offline_view("AT2019dsg", 10)
    view.selection = replace(view.selection, label='<img src=x onerror="alert(1)">')
    fig = figures.sed_figure(view)
    title = fig["layout"]["title"]["text"]
    assert "<img" not in title and "&lt;img" in title


def test_a_long_source_name_wraps_the_sed_title_instead_of_being_clipped(offline_view):
    """Issue 26: at 390 px plotly clips a title it cannot fit (it never wraps). A catalog row
    without a designation is named by its position, longer than a phone's plot is wide."""
    from dataclasses import replace

    view = offline_view("HD 73108", 5)
    assert figures.sed_figure(view)["layout"]["title"]["text"] == "SED of WISEA J084012.78+641940.9"
    view.selection = replace(view.selection, label="catalog source at 314.26238 +14.20441")
    fig = figures.sed_figure(view)
    assert fig["layout"]["title"]["text"] == "SED of<br>catalog source at 314.26238 +14.20441"
    assert fig["layout"]["margin"]["t"] > 40  # room for the second line


def _read_label(label: str) -> float:
    """A tick label back to its number: '0.002', '2×10⁻⁵', '10¹²'."""
    digits = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
    if "10" in label and ("×" in label or label.startswith("10") and len(label) > 2 and not label.isdigit()):
        mantissa, _, power = label.rpartition("10")
        return float(mantissa.rstrip("×") or 1) * 10.0 ** int(power.translate(digits))
    return float(label)


@pytest.mark.parametrize(("low", "high"), [
    (0.0011, 0.0013),    # a narrow F_nu range (Jy): plotly showed no tick numbers here
    (0.0008, 0.005),     # AT2019dsg's real SED range
    (1.0, 500.0),        # HD 73108 (bright Cohen standard)
    (2e-13, 3e-12),      # nu F_nu in erg s^-1 cm^-2
    (1e-6, 1e3),         # beyond three decades: powers of ten
    (1.5e-4, 9e-4),      # a faint source in Jy: read "0.0005×10⁰", "0.0002×10⁰" (#27)
    (2e-17, 9e-16),      # nu F_nu in W m^-2
])
def test_sed_log_ticks_are_readable_numbers_in_every_range(low, high):
    values, labels = figures.log_ticks(low, high)
    assert len(values) >= 2 and all(low <= v <= high for v in values)
    for value, label in zip(values, labels, strict=True):
        assert _read_label(label) == pytest.approx(value, rel=1e-6), label  # never a bare mantissa
        assert READABLE.match(label), label


#: How a person writes an axis number: a plain decimal, or M×10ⁿ with 1 ≤ M < 10 (n ≠ 0), or 10ⁿ.
READABLE = re.compile(r"^(?:\d{1,4}(?:\.\d+)?|0\.\d*[1-9]\d*|[1-9](?:\.\d+)?×10⁻?[¹²³⁴⁵⁶⁷⁸⁹][⁰¹²³⁴⁵⁶⁷⁸⁹]*"
                      r"|10⁻?[¹²³⁴⁵⁶⁷⁸⁹][⁰¹²³⁴⁵⁶⁷⁸⁹]*)$")


@pytest.mark.parametrize("axis", ["fnu", "nufnu"])
@pytest.mark.parametrize("target", ["AT2019dsg", "HD 73108", "ASASSN-14li"])
def test_the_sed_axis_reads_as_a_person_writes_it_at_every_unit_choice(offline_view, target, axis):
    """Real recorded SEDs (a faint TDE host, a bright standard, a host with a W4 limit), in F_nu
    (Jy) and nu F_nu (W m^-2): every tick label is a readable number, never "0.0005×10⁰"."""
    shown = offline_view(target, 10.0)
    layout = figures.sed_figure(shown, axis)["layout"]
    labels = layout["yaxis"]["ticktext"]
    assert len(labels) >= 2 and layout["yaxis"]["title"]["text"].endswith(")")  # the unit is on the axis
    for value, label in zip(layout["yaxis"]["tickvals"], labels, strict=True):
        assert READABLE.match(label) and _read_label(label) == pytest.approx(value, rel=1e-6), label


def test_the_time_axis_in_dates_or_days_since_the_event_and_the_event_marked(offline_view):
    """AT2019dsg's real visits (2010-2024): dates are level and uncrowded, days since t0 count from
    0 at the event, and the event date is a dashed line through both panels."""
    from dashboard.ui import figures

    shown = offline_view("AT2019dsg", 2.5)
    dates = figures.lightcurve_figure(shown, time_axis="date", event_mjd=58582.0)["layout"]
    axis = dates["xaxis2"]
    assert axis["tickangle"] == 0 and 5 <= len(axis["ticktext"]) <= 9
    assert all(label.endswith("-01") for label in axis["ticktext"]) and axis["title"]["text"] == "date (UTC)"
    assert [s["x0"] for s in dates["shapes"]] == [58582.0 - figures.REFERENCE_MJD]
    days = figures.lightcurve_figure(shown, time_axis="t0", event_mjd=58582.0)["layout"]["xaxis2"]
    assert "0" in days["ticktext"] and days["title"]["text"] == "days since t0 (MJD 58582)"
    assert "shapes" not in figures.lightcurve_figure(shown)["layout"] or not figures.lightcurve_figure(shown)[
        "layout"]["shapes"]


def test_the_sed_hover_says_not_recorded_once_and_gives_the_plotted_quantity(offline_view):
    """Issue 41 item 6: ASASSN-14li's real Gator row has no flags: the hover said "ph_qual not
    recorded" twice per point; on the νFν axis it gave Fν only. The title sits left, clear of the
    toolbar (top right)."""
    from dashboard.ui.figures import sed_figure

    shown = offline_view("ASASSN-14li", 2.5)
    for axis in ("fnu", "nufnu"):
        figure = sed_figure(shown, axis)
        hovers = [h for t in figure["data"] for h in t.get("hovertext", []) if h.startswith("W")]  # not 2MASS
        assert hovers and all(h.count("not recorded") == 1 for h in hovers)
        assert all(("ν F<sub>ν</sub>" in h) == (axis == "nufnu") for h in hovers)
        assert figure["layout"]["title"]["xanchor"] == "left"
