"""The page's callbacks as plain functions, on the offline archive (real recorded rows)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from dash import no_update

from dashboard.ui import callbacks
from dashboard.ui.urlstate import EPOCH_CUTS, ViewState, parse_query, to_params, to_query


@pytest.fixture
def offline(settings):
    return replace(settings, offline=True)


def run_view(settings, search: str):
    state_out = callbacks.sync_state(settings, "url", search, None, [None] * 8, None, None, None)
    query, state = state_out[-2], state_out[-1]
    fetched = callbacks.fetch(settings, lambda *_: None, query)
    return state_out, callbacks.render(settings, fetched, state, "http://host/" + search)


def test_shared_url_renders_every_panel(offline):
    _, out = run_view(offline, "?target=AT2019dsg&r=10")
    rows, sed_fig, lc_fig, filters, _, sources_msg, selection, href, share, welcome, stats, status = out
    assert len(rows) == 1 and rows[0]["selected"] and rows[0]["ph_qual"] == "not recorded"
    assert sum(len(t.x) for t in sed_fig.data) == 4
    assert any(t.name == "W1 visit median" and len(t.x) == 20 for t in lc_fig.data)
    assert href.startswith("/bundle.zip?target=AT2019dsg") and share.startswith("http://host/?target=AT2019dsg")
    assert welcome == {"display": "none"} and "W1: 20 visits" in stats
    assert any(f["criterion"] == "cc_flags W1,W2 = '0'" and f["removed"] > 0 for f in filters)


def test_changing_a_cut_changes_counts_without_a_new_query(settings, tap):
    search = "?target=314.26238+14.20441&r=2.5"
    state_out, first = run_view(settings, search)  # live, through the local TAP server
    asked = sum(tap.requests.values())
    query, state = state_out[-2], state_out[-1]
    fetched = callbacks.fetch(settings, lambda *_: None, query)  # the page's fetch: cache hits now
    controls = callbacks.controls_of(ViewState(**{**state, "epoch_cuts": tuple(state["epoch_cuts"])}))
    controls[4] = [t for t in EPOCH_CUTS if t != "cc"]
    moved = callbacks.sync_state(settings, "epoch-cuts", search, None, controls, None, None, query)
    assert moved[-2] is no_update  # same target and radius: no new fetch
    assert "cuts=nb%2Cna%2Cqi" in moved[0]
    second = callbacks.render(settings, fetched, moved[-1], "http://host/")
    assert sum(tap.requests.values()) == asked == 3
    rejected = lambda fig: sum(len(t.x) for t in fig.data if "rejected" in (t.name or ""))  # noqa: E731
    assert rejected(second[2]) < rejected(first[2])
    assert not any(f["criterion"] == "cc_flags W1,W2 = '0'" for f in second[3])
    assert any(f["criterion"] == "cc_flags W1,W2 = '0'" and f["removed"] > 0 for f in first[3])


def test_clicking_a_source_row_selects_it(offline):
    out = callbacks.sync_state(offline, "sources", "?target=AT2019dsg&r=10", {"rowId": "J205702.96+141216.2"},
                               [None] * 8, None, None, {"target": "AT2019dsg", "radius": 10.0})
    assert "src=J205702.96%2B141216.2" in out[0] and out[-1]["source"] == "J205702.96+141216.2"


def test_bad_target_gives_the_message_and_keeps_the_view(offline):
    out = callbacks.sync_state(offline, "go", "?target=AT2019dsg&r=10", None, [None] * 8, "no such thing!!", 10, None)
    assert out[0] is no_update and "Accepted" in out[-3]
    out = callbacks.sync_state(offline, "go", "", None, [None] * 8, "AT2019dsg", 9999, None)
    assert "radius" in out[-3]


def test_garbage_parameters_fall_back_with_a_notice(offline):
    out = callbacks.sync_state(offline, "url", "?target=AT2019dsg&r=banana&cuts=zz&bogus=1&unit=parsec", None,
                               [None] * 8, None, None, None)
    notice, state = out[-3], out[-1]
    assert "r='banana'" in notice and "bogus" in notice and "unit='parsec'" in notice
    assert state["radius"] == 10.0 and state["unit"] == "mag"


def test_unknown_target_in_url_is_a_message_in_the_panels(offline):
    _, out = run_view(offline, "?target=xyzzy-not-a-demo&r=5")
    assert "names cannot be resolved here" in out[4]


def test_failed_catalog_shows_its_own_error_and_keeps_the_light_curve(settings, tap):
    from tap_server import Fault

    tap.faults["allwise_p3as_psd"] = Fault(http_status=503)
    _, out = run_view(settings, "?target=314.26238+14.20441&r=2.5")
    assert "AllWISE catalog unavailable" in out[5] and "HTTP 503" in out[5]
    assert any(t.name == "W1 visit median" for t in out[2].data)


def test_url_state_roundtrip_and_params():
    state = ViewState(target="HD 73108", radius=5, source="J084012.78+641940.9", ph_qual="AB", clean_cc=True,
                      max_ext=1, min_snr=3, epoch_cuts=("nb", "qf"), binning=False, unit="flux", sed_axis="nufnu")
    again = parse_query(to_query(state))
    assert again == state and not again.notices
    params = to_params(state)
    assert params.catalog_cuts.ph_qual == "AB" and params.epoch_cuts.na_below is None
    assert params.epoch_cuts.qual_frame_above == 0 and not params.binning.enabled
