"""2MASS J, H, Ks beside WISE (``science/near_infrared.py``), on real recorded rows: AT2019dsg's
2MASS association (the NEOWISE-R Gator recording's j/h/k_m_2mass of its AllWISE source), the Cohen
standard HD 73108 (VizieR II/328's Jmag/Hmag/Kmag) and Arp 220's All-Sky row."""

from __future__ import annotations

import math

import pytest

from dashboard.science.near_infrared import CATALOG, ZERO_POINTS, two_mass_rows


def test_at2019dsg_j_h_ks_fluxes_equal_hand_computed(offline_view):
    sed = offline_view("AT2019dsg", 2.5).sed
    near = sed[sed["catalog"] == CATALOG].set_index("band")
    assert list(near.index) == ["J", "H", "Ks"] and list(near.wavelength_um) == [1.235, 1.662, 2.159]
    # recorded: j_m_2mass 15.006 +- 0.0662, h 14.367 +- 0.0836, k 13.98 +- 0.0646
    assert near.loc["J", "flux_jy"] == pytest.approx(1594.0 * 10 ** (-0.4 * 15.006), rel=1e-12)
    assert near.loc["Ks", "flux_jy"] == pytest.approx(666.7 * 10 ** (-0.4 * 13.98), rel=1e-12)
    assert near.loc["Ks", "flux_jy"] == pytest.approx(0.0017058, rel=1e-4)  # by hand: 666.7 x 2.5586e-6
    assert near.loc["H", "flux_err_jy"] == pytest.approx(near.loc["H", "flux_jy"] * math.log(10) / 2.5 * 0.0836)
    assert not near["upper_limit"].any() and near["passed"].all()
    assert "2MASS PSC source 1001135249" in near.loc["J", "note"]
    # a galaxy's near-infrared to W1 colour: Ks - W1 = 13.98 - 13.272, the host is redder than a star
    w1 = sed[(sed["band"] == "W1") & (sed["catalog"] != CATALOG)].iloc[0]
    assert near.loc["Ks", "mag"] - w1["mag"] == pytest.approx(0.708, abs=1e-9)


def test_the_spectral_index_starts_at_ks_when_2mass_is_there(offline_view):
    """Greene et al.'s range from Ks (sed_fit.py): with the association, Ks is one of the bands used."""
    shape = offline_view("AT2019dsg", 2.5).sed_shape()
    assert shape.index is not None and "Ks" in shape.index.bands


def test_a_magnitude_without_error_is_a_limit_and_no_association_gives_no_rows():
    """CONSTRUCTED rows (no recording has a 2MASS limit): the PSC's default magnitude without an
    error is a 95% upper limit; a catalog row of an earlier query (no 2MASS columns) gives none."""
    rows = two_mass_rows({"tmass_key": 5, "r_2mass": 0.3, "j_m_2mass": 17.1, "j_msig_2mass": None,
                          "h_m_2mass": 16.0, "h_msig_2mass": 0.1, "k_m_2mass": None, "k_msig_2mass": None})
    by = {r["band"]: r for r in rows}
    assert by["J"]["upper_limit"] and math.isnan(by["J"]["flux_err_jy"]) and "95% upper limit" in by["J"]["note"]
    assert not by["H"]["upper_limit"] and not by["Ks"]["measured"]
    assert two_mass_rows({"w1mpro": 10.0}) == []
    assert set(ZERO_POINTS) == {"J", "H", "Ks"}


def test_the_sed_plot_draws_2mass_and_widens_its_axis(offline_view):
    from dashboard.ui.figures import sed_figure

    figure = sed_figure(offline_view("AT2019dsg", 2.5))
    names = [t["name"] for t in figure["data"]]
    assert "2MASS J, H, Ks (AllWISE's association)" in names
    assert figure["layout"]["xaxis"]["range"][0] == pytest.approx(math.log10(1.1))


def test_old_bundles_without_2mass_columns_reproduce(offline_view):
    """A catalog row of a query made before the 2MASS columns (0.12.0's and earlier bundles' raw
    VOTables) gives no J, H, Ks rows, so their sed.csv is recomputed the same."""
    sed = offline_view("AT2019dsg", 2.5).sed
    row = {c: None for c in ("tmass_key", "j_m_2mass")}
    assert two_mass_rows(row) == [] and len(sed) == 4 + 3


def test_the_index_names_its_range_blue_to_red(offline_view):
    """Served and looked at: with 2MASS rows after W4 in the table, the note said "W1–Ks"."""
    line = " ".join(offline_view("AT2019dsg", 2.5).sed_shape().lines())
    assert "(Ks–W3: Ks, W1, W2, W3)" in line and "W1–Ks" not in line
