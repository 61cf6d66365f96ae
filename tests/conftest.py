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

from dashboard.config import Settings  # noqa: E402
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
    from dashboard.wise.analysis import AnalysisParams
    from dashboard.wise.pipeline import observe, view

    def make(text: str, radius: float, params=None):
        return view(observe(text, radius, offline_settings), params or AnalysisParams())

    return make
