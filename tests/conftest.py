"""Shared fixtures: the local TAP server, settings with a private cache, recorded data paths.

No test touches the network or anything outside the project: recorded IRSA data lives in ``tests/data``.
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from dashboard.archive.service import build_fetcher  # noqa: E402
from dashboard.config import Settings  # noqa: E402
from dashboard.runtime import configure  # noqa: E402
from tap_server import LocalTap  # noqa: E402

configure()  # the options every process of the product sets where it starts

DATA = ROOT / "tests" / "data" / "wise-data"

#: No test reaches a real sky-context service: unless a test points them at its stand-in
#: (sky_servers.py), they go to a port where nothing listens, for the app's subprocesses too.
NOWHERE = "http://127.0.0.1:9"
SKY_NOWHERE = {"WISE_SIA_URL": f"{NOWHERE}/sia", "WISE_SIMBAD_TAP_URL": f"{NOWHERE}/simbad",
               "WISE_GAIA_TAP_URL": f"{NOWHERE}/gaia"}
for _name, _url in SKY_NOWHERE.items():
    os.environ.setdefault(_name, _url)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--remote-data", action="store_true", help="also run tests that query the real IRSA")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked remote_data are deselected (not skipped) unless --remote-data is given."""
    if config.getoption("--remote-data"):
        return
    remote = [item for item in items if item.get_closest_marker("remote_data")]
    if remote:
        config.hook.pytest_deselected(items=remote)
        items[:] = [item for item in items if not item.get_closest_marker("remote_data")]


@pytest.fixture(scope="session")
def tap_server():
    server = LocalTap().start()
    yield server
    server.stop()


@pytest.fixture
def tap(tap_server):
    tap_server.reset()
    yield tap_server
    tap_server.reset()


@pytest.fixture
def settings(tmp_path, tap) -> Settings:
    return replace(
        Settings(), tap_url=tap.url, cache_dir=tmp_path / "cache", resolve_names_online=False,
        sia_url=SKY_NOWHERE["WISE_SIA_URL"], simbad_tap_url=SKY_NOWHERE["WISE_SIMBAD_TAP_URL"],
        gaia_tap_url=SKY_NOWHERE["WISE_GAIA_TAP_URL"],
        connect_timeout_s=2.0, read_timeouts_s={t: 2.0 for t in Settings().read_timeouts_s},
    )


@pytest.fixture
def fetcher(settings):
    return build_fetcher(settings)


@pytest.fixture(scope="session")
def offline_settings(tmp_path_factory) -> Settings:
    """Settings that answer only from the offline archive (real recorded rows)."""
    return replace(Settings(), offline=True, resolve_names_online=False,
                   cache_dir=tmp_path_factory.mktemp("offline-cache"))


@pytest.fixture(scope="session")
def offline_view(offline_settings):
    """The pipeline on the offline archive: ``offline_view(target_text, radius, params=None)``."""
    from dashboard.pipeline import observe, view
    from dashboard.science.analysis import AnalysisParams

    def make(text: str, radius: float, params=None):
        return view(observe(text, radius, offline_settings), params or AnalysisParams())

    return make


def constructed_multi_source():
    """CONSTRUCTED, test-only (no recorded cone holds two AllWISE sources): the three Cohen demo
    stars' real catalog rows placed 0", 4" and 8" from (10, +20). Never shipped, no science on it."""
    import pandas as pd

    from dashboard.archive import offline as archive
    from dashboard.core.model import Cone

    stars = [t for t in archive.demo_targets() if t.kind.startswith("Cohen")]
    frame = pd.concat([archive.query("allwise_p3as_psd", Cone(t.ra, t.dec, 3)).rows for t in stars],
                      ignore_index=True)
    frame["ra"] = [10.0, 10.0 + 4 / 3600 / 0.9397, 10.0]
    frame["dec"] = [20.0, 20.0, 20.0 + 8 / 3600]
    return frame.astype({"cntr": "Int64", "ext_flg": "Int64"})


def early_in_a_minute(margin_s: float = 15.0) -> None:
    """Wait until a test that counts against the per-minute rate limit (its window is the clock
    minute, ``web/ratelimit.py``) can finish before the window turns over and resets the count."""
    import time

    while time.time() % 60 > 60 - margin_s:
        time.sleep(0.25)


def run_reproduce(folder, *args):
    """A bundle's own reproduce.py, run as a user would (a fresh process, no network settings)."""
    import subprocess

    return subprocess.run([sys.executable, "reproduce.py", *args], cwd=folder, capture_output=True, text=True,
                          timeout=300, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium (never a downloaded browser), headless, through Playwright."""
    import shutil

    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--enable-unsafe-swiftshader"]
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", headless=True,
                                     args=args)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def sky_server():
    """The local SIA2, SIMBAD and Gaia stand-ins (``sky_servers.py``), one per test module."""
    from sky_servers import LocalSky

    server = LocalSky().start()
    yield server
    server.stop()


@pytest.fixture
def sky(sky_server):
    sky_server.reset()
    yield sky_server
    sky_server.reset()


@pytest.fixture
def sky_settings(settings, sky):
    return replace(settings, sia_url=sky.sia_url, simbad_tap_url=sky.simbad_url, gaia_tap_url=sky.gaia_url,
                   sia_timeout_s=1.0, simbad_timeout_s=1.0, gaia_timeout_s=1.0, connect_timeout_s=1.0)
