"""The colour–magnitude track on real visits (AT2019dsg), and a BUILT reddening track."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard.science.colour_track import REDDENING_SLOPE, colour_track


def test_at2019dsg_brightens_as_it_reddens_unlike_dust_in_front(offline_view):
    """The real TDE's infrared echo: W1 brighter (smaller) when W1−W2 is redder, a negative slope,
    far from the +3.0 of extinction (Wang & Chen 2019 ratios)."""
    view = offline_view("AT2019dsg", 2.5)
    track = view.colour_track
    assert track.n_visits == 20 and track.slope < 0
    assert abs(track.slope - REDDENING_SLOPE) > 10 * track.slope_err
    assert REDDENING_SLOPE == pytest.approx(3.0)


def test_a_source_dimmed_by_dust_follows_the_reddening_vector(offline_view):
    """BUILT: AT2019dsg's real quiescent visits, each dimmed by a different A_V, moves along the vector."""
    lc = offline_view("AT2019dsg", 2.5).lightcurve
    visits = lc.visits.copy()
    av = np.linspace(0, 5, visits["visit"].nunique())[visits["visit"].to_numpy()]
    quiet = {"W1": 13.3, "W2": 13.3}
    visits["mag"] = [quiet[b] for b in visits["band"]] + np.where(visits["band"] == "W1", 0.039, 0.026) * av
    w1, w2 = (visits[visits.band == b].set_index("visit") for b in ("W1", "W2"))
    colour = pd.DataFrame({"visit": w1.index, "mjd": w1["mjd"].to_numpy(),
                           "w1_w2": (w1["mag"] - w2["mag"]).to_numpy(),
                           "w1_w2_err": np.hypot(w1["mag_err"], w2["mag_err"]).to_numpy()})
    track = colour_track(colour, visits)
    assert track.slope == pytest.approx(REDDENING_SLOPE, rel=1e-6)


def test_the_track_is_in_the_manifest(offline_view):
    import io
    import json
    import zipfile

    from dashboard.config import Settings
    from dashboard.provenance.bundle import build_bundle

    manifest = json.loads(zipfile.ZipFile(io.BytesIO(build_bundle(offline_view("AT2019dsg", 2.5), Settings())))
                          .read("manifest.json"))
    entry = manifest["colour_magnitude"]
    assert entry["n_visits"] == 20 and entry["slope"] < 0 and entry["slope_err"] > 0
    assert "Wang & Chen 2019, ApJ 877, 116" in entry["extinction_law"]
