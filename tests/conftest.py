"""Shared fixtures: the local TAP server, settings with a private cache, recorded data paths.

No test touches the network or anything outside the project: recorded IRSA data lives in ``tests/data``.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from dashboard.config import Settings, Timeouts  # noqa: E402
from dashboard.wise.service import build_fetcher  # noqa: E402
from tap_server import LocalTap  # noqa: E402

DATA = ROOT / "tests" / "data" / "wise-data"


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
        timeouts=Timeouts(connect=2.0, allwise_p3as_psd=2.0, allwise_p3as_mep=2.0, neowiser_p1bs_psd=2.0),
    )


@pytest.fixture
def fetcher(settings):
    return build_fetcher(settings)


@pytest.fixture(scope="session")
def offline_view():
    """analyze() on the offline archive: ``offline_view(target_text, radius, params=None)``."""
    from dashboard.wise import archive
    from dashboard.wise.analysis import analyze, default_params
    from dashboard.wise.fetch import Fetcher
    from dashboard.wise.model import Cone
    from dashboard.wise.targets import parse_target

    def make(text: str, radius: float, params=None):
        target = parse_target(text, aliases=archive.aliases())
        obs = Fetcher(client=None, cache=None).fetch(Cone(target.ra, target.dec, radius), offline=True)  # type: ignore[arg-type]
        return analyze(target, obs, params or default_params())

    return make
