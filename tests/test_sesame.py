"""Name resolution against a local Sesame stand-in: resolved, unknown, unreachable, too slow;
and never inside a page request."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dashboard.archive.sesame import ResolverUnreachable, UnknownName
from dashboard.pipeline import resolve_target
from dashboard.ui import callbacks
from sesame_server import LocalSesame


@pytest.fixture
def sesame():
    server = LocalSesame()
    yield server
    server.stop()


@pytest.fixture
def online(settings, sesame):
    return replace(settings, resolve_names_online=True, sesame_url=sesame.url, sesame_timeout_s=1.0)


def test_a_known_name_resolves(online):
    target = resolve_target("Vega", online)
    assert (target.ra, target.dec) == pytest.approx((279.23473479, 38.78368896)) and target.name == "Vega"


def test_an_unknown_name_is_told_apart_from_an_unreachable_resolver(online, settings):
    with pytest.raises(UnknownName, match="does not know the name"):
        resolve_target("No Such Object 123", online)
    from servers import free_port

    dead = replace(online, sesame_url=f"http://127.0.0.1:{free_port()}/cgi-bin/nph-sesame")
    with pytest.raises(ResolverUnreachable, match="could not be reached"):
        resolve_target("Vega", dead)


def test_a_resolver_that_does_not_answer_in_time_is_unreachable(online, sesame):
    sesame.hang_s = 2.0
    with pytest.raises(ResolverUnreachable):
        resolve_target("Vega", online)


def test_the_page_request_never_resolves_a_name_the_background_fetch_does(online, sesame, tap):
    no_controls = {cid: None for cid in callbacks.CONTROLS}
    out = callbacks.sync_state(online, "go", "", None, no_controls, "Vega", 5, None)
    assert out["query"]["target"] == "Vega" and sesame.requests == []  # accepted without the network
    fetched = callbacks.fetch(online, lambda *_: None, out["query"])
    assert sesame.requests == ["Vega"] and fetched["error"] is None
    unknown = callbacks.fetch(online, lambda *_: None, out["query"] | {"target": "No Such Object 123"})
    assert "does not know the name" in unknown["error"]
