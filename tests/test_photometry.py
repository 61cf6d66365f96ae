"""SED on real catalog rows: fluxes equal hand-computed values; 'U' is a limit per band."""

from __future__ import annotations

import math

import pytest

from dashboard.science.photometry import BANDS, SedOptions, sed


def test_at2019dsg_fluxes_equal_hand_computed(offline_view):
    view = offline_view("AT2019dsg", 10)
    table = view.sed.set_index("band")
    # Recorded: w1mpro 13.272 +- 0.024, w4mpro 8.675 +- 0.386 (Gator, allwise_p3as_psd)
    assert table.loc["W1", "flux_jy"] == pytest.approx(309.540 * 10 ** (-0.4 * 13.272), rel=1e-12)
    assert table.loc["W1", "flux_jy"] == pytest.approx(0.00152026, rel=1e-5)  # 309.54 x 10^(-5.3088)
    assert table.loc["W1", "flux_err_jy"] == pytest.approx(table.loc["W1", "flux_jy"] * math.log(10) / 2.5 * 0.024)
    assert table.loc["W4", "flux_jy"] == pytest.approx(8.363 * 10 ** (-0.4 * 8.675), rel=1e-12)
    wise = table[table.catalog != "2mass_psc"]  # then the 2MASS association's J, H, Ks (test_near_infrared.py)
    assert list(wise.wavelength_um) == [3.3526, 4.6028, 11.5608, 22.0883]
    # flags were not recorded for this row: said so, never inferred
    assert set(wise.ph_qual) == {"not recorded"} and set(wise.cc_flag) == {"not recorded"}


def test_asassn14li_null_w4_error_is_a_limit_other_bands_are_points(offline_view):
    table = offline_view("ASASSN-14li", 10).sed.set_index("band")
    assert table.loc["W4", "upper_limit"] and math.isnan(table.loc["W4", "flux_err_jy"])
    assert not table.loc[["W1", "W2", "W3"], "upper_limit"].any()


def test_u_band_is_a_limit_while_the_others_are_not(offline_view):
    """HD 186791 (gam Aql, Cohen standard, VizieR II/328): ph_qual 'UUCA'."""
    table = offline_view("HD 186791", 3).sed.set_index("band").loc[["W1", "W2", "W3", "W4"]]
    assert list(table.ph_qual) == ["U", "U", "C", "A"]
    assert list(table.upper_limit) == [True, True, False, False]
    assert table.loc["W3", "flux_err_jy"] > 0 and math.isnan(table.loc["W1", "flux_err_jy"])
    assert table.loc["W1", "flux_jy"] == pytest.approx(309.540 * 10 ** (-0.4 * table.loc["W1", "mag"]))


def test_real_x_band_is_no_measurement_while_the_others_stand(offline_view):
    """HD 199101 (Cohen standard, VizieR II/328): ph_qual 'UUXA': W3 has no measurement."""
    view = offline_view("HD 199101", 3)
    table = view.sed.set_index("band").loc[["W1", "W2", "W3", "W4"]]  # then 2MASS J, H, Ks
    assert list(table.measured) == [True, True, False, True] and list(table.upper_limit) == [True, True, False, False]
    assert math.isnan(table.loc["W3", "flux_jy"]) and "no measurement in W3 (ph_qual X)" in table.loc["W3", "reasons"]
    from dashboard.ui.figures import sed_figure

    drawn = [h.split(" ")[0] for t in sed_figure(view)["data"] for h in t.get("hovertext", [])]
    assert sorted(b for b in drawn if b.startswith("W")) == ["W1", "W2", "W4"]  # W3 is nowhere on the plot
    catalog = next(f for f in view.filters if f.table == "allwise_p3as_psd")
    assert catalog.removed == 0  # no measurement is not a point the cuts removed


def test_named_demo_stars_are_those_stars():
    """Each named Cohen demo star's AllWISE source lies within 1 arcsec of its catalogued position
    (the Cohen R.A./Decl. columns of the recording, not its derived ra/dec)."""
    import pandas as pd
    from astropy.coordinates import SkyCoord

    from conftest import DATA
    from dashboard.archive import offline as archive
    from dashboard.core.model import Cone

    cohen = pd.read_csv(DATA / "vizier" / "allwise_II-328__cohen_standards.csv")
    stars = [t for t in archive.demo_targets() if t.kind.startswith("Cohen")]
    assert len(stars) == 3
    for star in stars:
        row = cohen[cohen["HD #"].str.strip() == star.name].iloc[0]
        catalogued = SkyCoord(row["R.A."].strip(), row["Decl."].strip(), unit=("hourangle", "deg"))
        rows = archive.query("allwise_p3as_psd", Cone(star.ra, star.dec, 5)).rows
        assert len(rows) == 1
        source = SkyCoord(rows.ra.iloc[0], rows.dec.iloc[0], unit="deg")
        assert source.separation(catalogued).arcsec < 1.0, star.name


def test_bright_star_uuaa_reads_letters_per_band_not_the_whole_string(offline_view):
    """HD 73108: 'UUAA' - the IRSA tutorial's whole-string test would miss both limits."""
    table = offline_view("HD 73108", 3).sed.set_index("band").loc[["W1", "W2", "W3", "W4"]]
    assert list(table.upper_limit) == [True, True, False, False]
    assert list(table.cc_flag) == ["h", "h", "0", "0"]


def test_x_is_no_measurement_and_z_is_a_flagged_point():
    import pandas as pd

    row = pd.Series({"w1mpro": 10.0, "w1sigmpro": 0.02, "w2mpro": None, "w2sigmpro": None, "w3mpro": 5.0,
                     "w3sigmpro": None, "w4mpro": 3.0, "w4sigmpro": 0.1, "ph_qual": "AXZA", "cc_flags": "0000"})
    table = sed(row).set_index("band")  # constructed row: no recording has X and Z together
    assert not table.loc["W2", "measured"] and math.isnan(table.loc["W2", "flux_jy"])
    assert table.loc["W3", "measured"] and not table.loc["W3", "upper_limit"] and "Z" in table.loc["W3", "note"]


def test_colour_correction_and_w4_red_factor_are_optional():
    import pandas as pd

    row = pd.Series({f"w{b}mpro": 10.0 for b in "1234"} | {f"w{b}sigmpro": 0.05 for b in "1234"}
                    | {"ph_qual": "AAAA", "cc_flags": "0000"})
    plain = sed(row).set_index("band")
    corrected = sed(row, SedOptions(alpha=0, w4_red_correction=True)).set_index("band")
    assert corrected.loc["W3", "flux_jy"] == pytest.approx(plain.loc["W3", "flux_jy"] / 0.9169)
    assert corrected.loc["W4", "flux_jy"] == pytest.approx(plain.loc["W4", "flux_jy"] / 0.9905 * 0.92)


def test_nu_fnu():
    import pandas as pd

    row = pd.Series({"w1mpro": 0.0, "w1sigmpro": 0.01, "ph_qual": "AXXX", "cc_flags": "0000"})
    w1 = sed(row).set_index("band").loc["W1"]
    assert w1.nu_fnu == pytest.approx(309.54e-23 * 2.99792458e14 / BANDS["W1"].wavelength_um)


@pytest.mark.parametrize("band", [0, 1], ids=["W1", "W2"])
def test_no_measurement_reads_letters_alike_in_every_form(band):
    """Real NEOWISE-R rows, AT2019dsg's and ASASSN-15lh's placeholder 'AX' row: the rule gives
    the same mask and reasons for the letters as an array (pandas' factorize), as a categorical
    (the light curve's), and one row at a time (a catalog row's few letters, read by a dict)."""
    import numpy as np
    import pandas as pd

    from dashboard.archive import offline
    from dashboard.core.measurement import no_measurement
    from dashboard.core.model import Cone

    recorded = [offline.query("neowiser_p1bs_psd", Cone(t.ra, t.dec, 10.0)).rows
                for t in offline.demo_targets() if t.name in ("AT2019dsg", "ASASSN-15lh")]
    rows = pd.concat(recorded, ignore_index=True)
    b = f"w{band + 1}"
    letters = np.array([q[band] if isinstance(q, str) else None for q in rows["ph_qual"]], dtype=object)
    mag, err, snr = (rows[f"{b}{c}"].to_numpy(float) for c in ("mpro", "sigmpro", "snr"))
    whole = no_measurement(mag, err, snr, letters)
    assert len(rows) > 16 and whole[0].any()  # the placeholder row is there
    as_categorical = no_measurement(mag, err, snr, pd.Categorical(letters))
    one_by_one = [no_measurement(mag[i:i + 1], err[i:i + 1], snr[i:i + 1], letters[i:i + 1]) for i in range(len(rows))]
    for mask, why in (as_categorical, (np.concatenate([m for m, _ in one_by_one]),
                                       np.concatenate([w for _, w in one_by_one]))):
        assert np.array_equal(mask, whole[0]) and list(why) == list(whole[1])
