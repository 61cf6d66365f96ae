"""Flag decoding on real catalog rows (Cohen standards, VizieR II/328 with all flags)."""

from __future__ import annotations

from dashboard.archive import offline as archive
from dashboard.core.flags import decode
from dashboard.core.model import Cone


def star_row(name: str):
    star = next(t for t in archive.demo_targets() if t.name == name)
    return archive.query("allwise_p3as_psd", Cone(star.ra, star.dec, 3)).rows.iloc[0]


def test_ph_qual_is_decoded_per_band():
    text = decode("ph_qual", star_row("HD 199101").ph_qual)  # 'UUXA'
    assert text.startswith("W1 'U': upper limit") and "W3 'X': no profile-fit measurement" in text
    assert text.endswith("W4 'A': detected, SNR > 10")


def test_cc_flags_tell_spurious_from_contaminated():
    assert decode("cc_flags", star_row("HD 199101").cc_flags).count("spurious: scattered-light halo") == 4  # HHHH
    text = decode("cc_flags", star_row("HD 73108").cc_flags)  # hh00
    assert "W1 'h': scattered-light halo contamination" in text and "W3 '0': unaffected" in text


def test_ext_flg_missing_and_unknown_values():
    assert decode("ext_flg", 0).startswith("ext_flg 0: point-source-like")
    assert decode("ext_flg", 9) == "ext_flg 9: unknown value"
    for missing in (None, float("nan")):
        assert decode("ph_qual", missing) == "not recorded" and decode("ext_flg", missing) == "not recorded"
    assert "not described" in decode("cc_flags", "q000")
