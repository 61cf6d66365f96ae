"""Gaia DR3 G, BP, RP in the SED (#42 item 3) and a star's infrared excess (item 5).

The zero points and pivot wavelengths are checked against Riello et al. 2021's own CDS files
(``tests/data/gaia_edr3``, SOURCE.txt). The AllWISE and 2MASS rows are the real recorded ones of
the demo archive; every Gaia reply is CONSTRUCTED (no Gaia reply was ever recorded: the local
stand-in ``sky_servers.py`` serves what each test puts in ``gaia_rows``), and says so below.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sky_servers import Fault, gaia_row

from dashboard.pipeline import observe, view, with_sky
from dashboard.provenance.bundle import build_bundle
from dashboard.provenance.reproduce import LATER_SECTIONS, recompute
from dashboard.science.analysis import AnalysisParams
from dashboard.science.blackbody import planck_nu
from dashboard.science.blackbody_table import colour_corrections
from dashboard.science.gaia_photometry import AB_ZERO_JY, BANDS, GaiaPhotometry, GaiaSource, gaia_sed
from dashboard.science.infrared_excess import EXCESS_SIGMA, SYSTEMATIC_FLOOR, Star, infrared_excess
from dashboard.science.sed_fit import C_UM_HZ, Points
from dashboard.sky.context import fetch_context

CDS = Path(__file__).parent / "data" / "gaia_edr3"


def test_zero_points_and_pivot_wavelengths_are_riello_2021s():
    """zeropt.dat's VEGAMAG and AB rows, and λ_p² = ∫Sλ dλ / ∫S/λ dλ over passband.dat (photon
    counting), give the module's constants."""
    vega, ab = (line.split() for line in (CDS / "zeropt.dat").read_text().splitlines() if line.strip())
    assert vega[-1] == "VEGAMAG" and ab[-1] == "AB"
    for i, name in enumerate(("G", "BP", "RP")):  # the file's order
        band = BANDS[name]
        assert (band.zp_vega, band.zp_vega_err) == (float(vega[2 * i]), float(vega[2 * i + 1]))
        assert (band.zp_ab, band.zp_ab_err) == (float(ab[2 * i]), float(ab[2 * i + 1]))
    table = np.loadtxt(CDS / "passband.dat")
    for name, column in (("G", 1), ("BP", 3), ("RP", 5)):
        defined = table[:, column] < 99  # 99.99: not defined at that wavelength
        lam, s = table[defined, 0] / 1000.0, table[defined, column]
        pivot = math.sqrt(np.trapezoid(s * lam, lam) / np.trapezoid(s / lam, lam))
        assert BANDS[name].pivot_um == pytest.approx(pivot, abs=5e-5), name


def constructed_source(designation: str, **fluxes: float) -> GaiaSource:
    """CONSTRUCTED Gaia photometry for ``designation``: fluxes in e-/s by band, 1 % errors."""
    flux = tuple(fluxes.get(b) for b in BANDS)
    return GaiaSource("4242", designation, flux, tuple(f * 0.01 if f else None for f in flux),
                      tuple(g.zp_vega - 2.5 * math.log10(f) if f else None for g, f in zip(BANDS.values(), flux,
                                                                                            strict=True)),
                      parallax=10.0, parallax_error=0.5)


def test_a_flux_becomes_jansky_through_the_ab_zero_point_and_a_missing_band_is_said():
    """By hand: G at 10^5 e-/s is m_AB = 25.8010 − 12.5 = 13.3010, so 3631 Jy × 10^(−0.4 × 13.3010);
    the Vega magnitude is 25.6874 − 12.5. A zero-magnitude Vega star is fainter than 3631 Jy in G
    (ZP_AB > ZP_Vega), the sign one public implementation has wrong. No BP flux: no BP point."""
    rows, match = gaia_sed(GaiaPhotometry((constructed_source("J1", G=1e5, RP=5e4),)), "WISEA J1")
    by_band = {r["band"]: r for r in rows}
    g = by_band["G"]
    assert g["flux_jy"] == pytest.approx(3631.0 * 10 ** (-0.4 * (25.8010446445 - 12.5)), rel=1e-12)
    assert g["mag"] == pytest.approx(25.6873668671 - 12.5, abs=1e-9)
    relative = math.hypot(0.01, 0.4 * math.log(10) * 0.0027590522)
    assert g["flux_err_jy"] == pytest.approx(g["flux_jy"] * relative, rel=1e-12)
    assert g["wavelength_um"] == BANDS["G"].pivot_um and g["survey"] == "Gaia DR3" and g["source_id"] == "4242"
    assert AB_ZERO_JY * 10 ** (-0.4 * (BANDS["G"].zp_ab - BANDS["G"].zp_vega)) < 3631.0
    assert not by_band["BP"]["measured"] and "no BP flux" in by_band["BP"]["note"]
    assert match.source is not None and "G, RP" in match.note
    # the archive's cross-match names another source: no Gaia point, and why
    rows, match = gaia_sed(GaiaPhotometry((constructed_source("J2", G=1e5),)), "WISEA J1")
    assert rows == [] and match.source is None and "no counterpart" in match.note
    rows, match = gaia_sed(GaiaPhotometry(unavailable="Gaia archive cannot be reached"), "WISEA J1")
    assert rows == [] and "cannot be reached" in match.note
    rows, match = gaia_sed(None, "WISEA J1")
    assert rows == [] and "not asked" in match.note


def test_the_manifest_record_reads_back_as_the_same_source():
    source = constructed_source("J1", G=1e5, BP=6e4, RP=5e4)
    assert GaiaSource.from_dict(json.loads(json.dumps(source.as_dict()))) == source


@pytest.fixture
def at2019dsg(offline_settings):
    observed = observe("AT2019dsg", 2.5, offline_settings)
    return observed, view(observed, AnalysisParams()).selection


def test_the_sed_has_the_counterparts_gaia_points_in_the_page_the_bundle_and_reproduce(
        sky, sky_settings, offline_settings, at2019dsg):
    """Real AllWISE and 2MASS rows of AT2019dsg's host; a CONSTRUCTED Gaia reply through the local
    TAP stand-in pairing a Gaia source with the selected AllWISE designation, and one more Gaia
    source 2″ away that the cross-match does not pair (never drawn)."""
    observed, sel = at2019dsg
    sky.gaia_rows = pd.DataFrame([
        gaia_row(77, sel.ra, sel.dec, original_ext_source_id=sel.designation, phot_g_mean_flux=2.0e4,
                 phot_g_mean_flux_error=30.0, phot_bp_mean_flux=9.0e3, phot_bp_mean_flux_error=60.0,
                 phot_rp_mean_flux=1.6e4, phot_rp_mean_flux_error=50.0, phot_g_mean_mag=14.94,
                 phot_bp_mean_mag=15.45, phot_rp_mean_mag=14.23),
        gaia_row(78, sel.ra, sel.dec + 2 / 3600, phot_g_mean_flux=1e3, phot_g_mean_flux_error=10.0)])
    context = fetch_context(observed.cone, "W1", sky_settings)
    shown = view(observed, with_sky(AnalysisParams(), context))
    sed = shown.sed
    gaia = sed[sed["survey"] == "Gaia DR3"]
    assert list(gaia["band"]) == ["BP", "G", "RP"] and set(gaia["source_id"]) == {"77"}
    assert set(sed["survey"]) == {"WISE", "2MASS", "Gaia DR3"}
    assert set(sed.loc[sed["survey"] == "WISE", "source_id"]) == {sel.designation}
    assert gaia["flux_jy"].iloc[1] == pytest.approx(3631.0 * 2.0e4 * 10 ** (-0.4 * BANDS["G"].zp_ab))
    files = zipfile.ZipFile(io.BytesIO(build_bundle(shown, offline_settings, context)))
    manifest = json.loads(files.read("manifest.json"))
    assert manifest["gaia_photometry"]["counterpart"]["source_id"] == "77"
    assert any("Riello" in c for c in manifest["citations"])
    shipped = pd.read_csv(io.BytesIO(files.read("sed.csv")))
    assert list(shipped.columns[-2:]) == ["survey", "source_id"] and (shipped["survey"] == "Gaia DR3").sum() == 3
    folder = Path(sky_settings.cache_dir) / "bundle"
    files.extractall(folder)
    assert recompute(folder)["sed.csv"] == files.read("sed.csv")  # replayed from the manifest's record
    assert "gaia_photometry" in LATER_SECTIONS  # an older bundle is compared without the new columns


def test_without_gaia_the_sed_keeps_wise_and_2mass_and_says_why(sky, sky_settings, offline_settings, at2019dsg):
    """The Gaia stand-in answers HTTP 500 (a CONSTRUCTED fault); offline, Gaia is not asked."""
    observed, _ = at2019dsg
    sky.faults["gaia"] = Fault(http_status=500)
    shown = view(observed, with_sky(AnalysisParams(), fetch_context(observed.cone, "W1", sky_settings)))
    assert set(shown.sed["survey"]) == {"WISE", "2MASS"}
    assert shown.gaia is not None and shown.gaia.note.startswith("Gaia DR3: no G, BP, RP points (Gaia archive")
    offline = view(observed, with_sky(AnalysisParams(), fetch_context(observed.cone, "W1", offline_settings)))
    assert "runs offline" in offline.gaia.note and set(offline.sed["survey"]) == {"WISE", "2MASS"}


def blackbody_points(temperature_k: float, bands: dict[str, float], scale: dict[str, float]) -> Points:
    """CONSTRUCTED detections of a blackbody (WISE bands as the catalog quotes them, with f_c),
    2 % errors; ``scale`` multiplies a band (an excess)."""
    names = list(bands)
    lam = np.array([bands[b] for b in names])
    flux = 1e-16 * planck_nu(C_UM_HZ / lam, temperature_k) / 1e-26
    flux *= np.array([float(colour_corrections(b, temperature_k)) if b.startswith("W") else 1.0 for b in names])
    flux *= np.array([scale.get(b, 1.0) for b in names])
    return Points(np.array(names, dtype=object), lam, flux, 0.02 * flux)


STAR_BANDS = {"BP": 0.511, "G": 0.6218, "RP": 0.7769, "J": 1.235, "H": 1.662, "Ks": 2.159, "W1": 3.3526,
              "W2": 4.6028, "W3": 11.5608, "W4": 22.0883}


def test_a_star_with_a_disc_has_an_excess_and_a_bare_photosphere_none():
    """A CONSTRUCTED 5800 K star: W3 and W4 as the photosphere gives them are not in excess;
    doubled, they are, and the σ is (F − F_pred) / √(σ² + (floor F_pred)²) by hand."""
    star = Star(parallax_snr=20.0, ext_flg=0)
    bare = infrared_excess(blackbody_points(5800.0, STAR_BANDS, {}), star)
    assert not isinstance(bare, str) and bare.photosphere.bands == ("BP", "G", "RP", "J", "H", "Ks")
    assert bare.photosphere.temperature_k == pytest.approx(5800.0, rel=0.01)
    assert all(abs(b.sigma) < 0.5 for b in bare.bands) and "no infrared excess" in bare.text()
    disc = infrared_excess(blackbody_points(5800.0, STAR_BANDS, {"W3": 2.0, "W4": 2.0}), star)
    assert not isinstance(disc, str) and all(b.in_excess for b in disc.bands)
    w3 = disc.bands[0]
    by_hand = (w3.observed_jy - w3.predicted_jy) / math.sqrt((0.02 * w3.observed_jy) ** 2 + w3.predicted_err_jy ** 2
                                                             + (SYSTEMATIC_FLOOR["W3"] * w3.predicted_jy) ** 2)
    assert 0 < w3.predicted_err_jy < 0.05 * w3.predicted_jy  # six 2 % points fix a 5800 K photosphere
    assert w3.sigma == pytest.approx(by_hand) and w3.sigma >= EXCESS_SIGMA
    assert w3.observed_jy / w3.predicted_jy == pytest.approx(2.0, rel=0.02)


def test_no_excess_is_tested_for_what_is_not_shown_to_be_a_star():
    points = blackbody_points(5800.0, STAR_BANDS, {})
    assert "parallax/error 3.0" in infrared_excess(points, Star(3.0, 0))
    assert "ext_flg 2" in infrared_excess(points, Star(20.0, 2))
    assert "no Gaia DR3 counterpart" in infrared_excess(points, Star(None, 0))
    few = Points(points.band[3:], points.wavelength_um[3:], points.flux_jy[3:], points.flux_err_jy[3:])
    only_two = Points(few.band[1:], few.wavelength_um[1:], few.flux_jy[1:], few.flux_err_jy[1:])
    assert "photosphere has no fit" in infrared_excess(only_two, Star(20.0, 0))


def test_a_cohen_standard_star_has_no_infrared_excess(offline_settings):
    """HD 73108 (K1 III, a Cohen et al. infrared standard): its real AllWISE and 2MASS rows. The
    Gaia counterpart is CONSTRUCTED (a parallax of 13 ± 0.2 mas makes it a star by the rule; no
    Gaia flux, so only 2MASS fixes the photosphere). Its 2MASS magnitudes are a bright star's
    (errors 0.19–0.29 mag): the photosphere's temperature is loose, and the test carries that into
    the prediction instead of claiming a deficit. W3 (1.8 mag) is saturated and left out."""
    observed = observe("HD 73108", 5.0, offline_settings)
    shown = view(observed, AnalysisParams())
    source = GaiaSource("1", shown.selection.designation, (None, None, None), (None, None, None),
                        (None, None, None), parallax=13.0, parallax_error=0.2)
    shown = view(observed, AnalysisParams(gaia=GaiaPhotometry((source,))))
    shape = shown.sed_shape()
    assert shape.star, shown.star()
    excess = shape.excess
    assert not isinstance(excess, str) and excess is not None, excess
    assert excess.photosphere.bands == ("J", "H", "Ks")
    assert [b.band for b in excess.bands] == ["W4"] and not excess.bands[0].in_excess, excess.text()
    assert excess.bands[0].predicted_err_jy > 0.3 * excess.bands[0].predicted_jy  # loose, and said
    assert any("infrared excess" in line for line in shape.lines())
