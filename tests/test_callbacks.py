"""The page's callbacks as plain functions, on the offline archive (real recorded rows)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from dash import no_update

from dashboard.science.quality import ALL_CUTS
from dashboard.ui import callbacks, figures
from dashboard.ui.urlstate import ViewState, from_store, parse_query, to_params, to_query

NO_CONTROLS = {cid: None for cid in callbacks.CONTROLS}


@pytest.fixture
def offline(settings):
    return replace(settings, offline=True)


def run_view(settings, search: str):
    state_out = callbacks.sync_state(settings, "url", search, None, NO_CONTROLS, None, None, None)
    fetched = callbacks.fetch(settings, lambda *_: None, state_out["query"])
    return state_out, callbacks.render(settings, fetched, state_out["state"], "http://host/" + search)


def test_shared_url_renders_every_panel(offline):
    _, out = run_view(offline, "?target=AT2019dsg&r=10")
    rows = out["rows"]
    assert len(rows) == 1 and rows[0]["selected"] and rows[0]["ph_qual"] == "not recorded"
    assert sum(len(t["x"]) for t in out["sed"]["data"] if t.get("mode") != "lines") == 4 + 3  # WISE, 2MASS
    curve = [t for t in out["sed"]["data"] if t.get("mode") == "lines"]  # and the blackbody fitted to them
    assert len(curve) == 1 and curve[0]["name"].startswith("blackbody ") and "χ²" in curve[0]["name"]
    assert any(t["name"] == "W1 visit median" and len(figures.array(t["x"])) == 20 for t in out["lc"]["data"])
    assert out["download"].startswith("/bundle.zip?target=AT2019dsg")
    assert out["share"].startswith("http://host/?target=AT2019dsg")
    assert out["welcome"] == {"display": "none"} and "W1: 20 visits" in out["stats"]
    assert any(f["criterion"] == "cc_flags W1,W2 = '00'" and f["removed"] > 0 for f in out["filters"])


def test_changing_a_cut_changes_counts_without_a_new_query(settings, tap):
    search = "?target=314.26238+14.20441&r=2.5"
    state_out, first = run_view(settings, search)  # live, through the local TAP server
    asked = sum(tap.requests.values())
    query = state_out["query"]
    fetched = callbacks.fetch(settings, lambda *_: None, query)  # the page's fetch: cache hits now
    controls = callbacks.controls_of(from_store(state_out["state"]))
    controls["epoch-cuts"] = [t for t in ALL_CUTS if t != "cc"]
    moved = callbacks.sync_state(settings, "epoch-cuts", search, None, controls, None, None, query)
    assert moved["query"] is no_update  # same target and radius: no new fetch
    assert "cuts=nb%2Cna%2Cqi" in moved["search"]
    second = callbacks.render(settings, fetched, moved["state"], "http://host/")
    assert sum(tap.requests.values()) == asked == 3
    rejected = lambda fig: sum(len(figures.array(t["x"])) for t in fig["data"]  # noqa: E731
                               if "rejected" in (t.get("name") or ""))
    assert rejected(second["lc"]) < rejected(first["lc"])
    assert not any(f["criterion"] == "cc_flags W1,W2 = '00'" for f in second["filters"])
    assert any(f["criterion"] == "cc_flags W1,W2 = '00'" and f["removed"] > 0 for f in first["filters"])


def test_clicking_a_source_row_selects_it(offline):
    out = callbacks.sync_state(offline, "sources", "?target=AT2019dsg&r=10", {"rowId": "J205702.96+141216.2"},
                               NO_CONTROLS, None, None, {"target": "AT2019dsg", "radius": 10.0})
    assert "src=J205702.96%2B141216.2" in out["search"] and out["state"]["source"] == "J205702.96+141216.2"


def test_bad_target_gives_the_message_and_keeps_the_view(offline):
    out = callbacks.sync_state(offline, "go", "?target=AT2019dsg&r=10", None, NO_CONTROLS, "no such thing!!", 10, None)
    assert out["search"] is no_update and "Accepted" in out["notice"]
    out = callbacks.sync_state(offline, "go", "", None, NO_CONTROLS, "AT2019dsg", 9999, None)
    assert "radius" in out["notice"] and "9999" in out["notice"]


def test_garbage_parameters_fall_back_with_a_notice(offline):
    out = callbacks.sync_state(offline, "url", "?target=AT2019dsg&r=banana&cuts=zz&bogus=1&unit=parsec", None,
                               NO_CONTROLS, None, None, None)
    notice, state = out["notice"], out["state"]
    assert "r='banana'" in notice and "bogus" in notice and "unit='parsec'" in notice
    assert state["radius"] == 10.0 and state["unit"] == "mag"


def test_unknown_target_in_url_is_a_message_in_the_panels(offline):
    _, out = run_view(offline, "?target=xyzzy-not-a-demo&r=5")
    assert "names cannot be resolved here" in out["progress"]


def test_failed_catalog_shows_its_own_error_and_keeps_the_light_curve(settings, tap):
    from tap_server import Fault

    tap.faults["allwise_p3as_psd"] = Fault(http_status=503)
    _, out = run_view(settings, "?target=314.26238+14.20441&r=2.5")
    assert "AllWISE catalog unavailable" in out["sources_message"] and "HTTP 503" in out["sources_message"]
    assert any(t.get("name") == "W1 visit median" for t in out["lc"]["data"])
    assert "not matched to an AllWISE source (the catalog failed)" in out["stats"]
    assert '3" of the target' in out["stats"]


def test_expired_handover_never_fetches_in_the_render(settings, tap):
    state_out, _ = run_view(settings, "?target=314.26238+14.20441&r=2.5")
    asked = sum(tap.requests.values())
    out = callbacks.render(settings, {"query": state_out["query"], "fetch_id": "gone"}, state_out["state"], "")
    assert "expired" in out["progress"] and sum(tap.requests.values()) == asked


def test_hostile_target_text_is_escaped_in_plot_annotations(offline):
    hostile = '<a href="https://example.org/login">Session expired</a>'
    _, out = run_view(offline, "?" + to_query(ViewState(target=hostile, radius=5)).lstrip("?"))
    texts = [a["text"] for fig in (out["sed"], out["lc"]) for a in fig["layout"].get("annotations", [])]
    assert texts and all("<a " not in t for t in texts)
    assert hostile in out["progress"]  # said once, at the top, as text (Dash renders children as text)
    from dashboard.ui import figures  # a short message in a plot: escaped

    drawn = figures.message_figure(hostile)["layout"]["annotations"][0]["text"]
    assert "<a " not in drawn and "&lt;a" in drawn


def test_url_state_roundtrip_and_params():
    state = ViewState(target="HD 73108", radius=5, source="J084012.78+641940.9", ph_qual="AB", clean_cc=True,
                      max_ext=1, min_snr=3, epoch_cuts=("nb", "qf"), binning=False, unit="flux", sed_axis="nufnu")
    again = parse_query(to_query(state))
    assert again == state and not again.notices
    params = to_params(state)
    assert params.catalog_cuts.ph_qual == "AB" and params.epoch_cuts.enabled == ("nb", "qf")
    assert [c.token for c in params.epoch_cuts.cuts()] == ["nb", "qf"] and not params.binning.enabled


def test_a_cancelled_lookup_says_so_and_a_new_one_does_not(offline):
    state_out, _ = run_view(offline, "?target=AT2019dsg&r=10")
    query = state_out["query"]
    out = callbacks.render(offline, None, state_out["state"], "", query=query, cancelled=query)
    assert out["progress"].startswith("Cancelled")
    newer = query | {"nonce": "another"}  # Go pressed again after the cancel
    fetched = callbacks.fetch(offline, lambda *_: None, newer)
    out = callbacks.render(offline, fetched, state_out["state"], "", query=newer, cancelled=query)
    assert out["progress"] == "" and out["rows"]


def test_many_viewers_of_one_link_share_one_rendering(offline, monkeypatch):
    """The second viewer of a fetched view gets the first one's panels (same fetch id, same
    state); a different view state renders anew, from the same handed-over data."""
    state_out = callbacks.sync_state(offline, "url", "?target=AT2019dsg&r=10", None, NO_CONTROLS, None, None, None)
    fetched = callbacks.fetch(offline, lambda *_: None, state_out["query"])
    built = []
    from dashboard.ui.callbacks import rendering

    real = rendering.build_panels
    monkeypatch.setattr(rendering, "build_panels", lambda *a: built.append(a[1]) or real(*a))
    first = callbacks.render(offline, fetched, state_out["state"], "http://host/?x")
    second = callbacks.render(offline, fetched, state_out["state"], "http://host/?y")
    assert second is first and len(built) == 1
    flux = dict(state_out["state"], unit="flux")
    third = callbacks.render(offline, fetched, flux, "http://host/")
    assert len(built) == 2 and built[-1].unit == "flux" and third["lc"] != first["lc"]


def test_memo_keeps_the_most_recently_used_views():
    from dashboard.web.memo import Memo

    memo: Memo[int] = Memo(size=2)
    calls = []
    for key in ["a", "b", "a", "c", "a", "b"]:
        memo.get(key, lambda key=key: calls.append(key) or len(calls))
    assert calls == ["a", "b", "c", "b"]  # "b" was the least recently used when "c" came


def test_every_view_setting_travels_in_the_url():
    """alpha, w4red, gap, othr, oq, xr and yr: written, read back, and given to the service layer."""
    state = ViewState(target="AT2019dsg", radius=2.5, colour_alpha=-1, w4_red=True, visit_gap=50.0,
                      outlier_threshold=3.0, outlier_quantile=0.9,
                      x_range=(56000.125, 59000.5), y_range=(14.25, 15.5))
    query = to_query(state)
    for part in ("alpha=-1", "w4red=1", "gap=50", "othr=3", "oq=0.9", "xr=56000.125%2C59000.5", "yr=14.25%2C15.5"):
        assert part in query
    again = parse_query(query)
    assert again == state and not again.notices
    params = to_params(state)
    assert (params.sed_options.alpha, params.sed_options.w4_red_correction) == (-1, True)
    assert (params.binning.gap_days, params.binning.outlier_threshold, params.binning.outlier_quantile) == (50, 3, 0.9)
    assert "alpha" not in to_query(ViewState(target="x")) and "xr" not in to_query(ViewState(target="x"))


@pytest.mark.parametrize("fold", [0.2718, "best", None])
def test_periodogram_and_fold_travel_in_the_url(fold):
    state = ViewState(target="AT2019dsg", radius=2.5, periodogram=True, fold_period=fold, fold_band="W2")
    query = to_query(state)
    assert "pg=1" in query and "fb=W2" in query and (f"fold={fold}" in query if fold else "fold=" not in query)
    again = parse_query(query)
    assert again == state and not again.notices
    assert to_params(state).periodogram and not to_params(ViewState(target="x")).periodogram
    # folding at the best period finds that period itself: the periodogram is drawn, and its tables
    # bundled, only with pg=1 (a fold=best bundle was 6.6 MB of periodogram CSVs)
    assert not to_params(ViewState(target="x", fold_period="best")).periodogram


def test_a_fold_at_the_best_period_without_the_periodogram_says_where_its_period_came_from(offline_view):
    """fold=best&pg=0: the fold is drawn at the W1 periodogram's best period, which the title says
    was not drawn; the fold follows unit=flux (mJy, not reversed)."""
    from dashboard.ui import figures
    from dashboard.ui.callbacks.rendering import best_period

    shown = offline_view("AT2019dsg", 2.5)
    assert not shown.periodograms
    period, how = best_period(shown, "W1")
    assert period is not None and "not drawn" in how
    with_pg = offline_view("AT2019dsg", 2.5, to_params(ViewState(target="x", periodogram=True)))
    assert best_period(with_pg, "W1") == (period, how.replace("not drawn: tick 'Lomb–Scargle periodogram' to see it",
                                                               "drawn above"))
    flux = figures.folded_figure(shown, "W1", period, how, "flux")
    assert "mJy" in flux["layout"]["yaxis"]["title"]["text"] and flux["layout"]["yaxis"]["autorange"] is True
    mag = figures.folded_figure(shown, "W1", period, how)
    assert mag["layout"]["yaxis"]["autorange"] == "reversed"


@pytest.mark.parametrize("part, says", [("fold=0", "a fold period is 'best' or days from 0.0657"),
                                        ("fb=W3", "fb is W1 or W2"),
                                        ("pg=2", "use 0 or 1"), ("fold=-1e9", "a fold period is")])
def test_bad_periodogram_settings_say_what_is_accepted(part, says):
    state = parse_query("target=AT2019dsg&" + part)
    assert any(says in n for n in state.notices)
    assert (state.periodogram, state.fold_period, state.fold_band) == (False, None, "W1")


@pytest.mark.parametrize("part, says", [("alpha=7", "alpha is an integer -3..4"), ("alpha=1.5", "alpha is an integer"),
                                        ("gap=0", "visit gap is 1 to 1000 days"), ("oq=1", "outlier quantile"),
                                        ("xr=59000,56000", "MJD range"), ("yr=nan,3", "plot range"),
                                        ("w4red=yes", "use 0 or 1")])
def test_bad_view_settings_fall_back_and_say_what_is_accepted(part, says):
    state = parse_query("target=AT2019dsg&" + part)
    assert state.target == "AT2019dsg" and any(says in n for n in state.notices)
    assert (state.colour_alpha, state.x_range, state.y_range) == (None, None, None)
    assert state.visit_gap == ViewState().visit_gap


def test_the_view_settings_change_what_is_drawn(offline):
    """A zoom written in the URL is the plotted range; gap and alpha reach the visits and the SED."""
    _, plain = run_view(offline, "?target=AT2019dsg&r=2.5")
    _, zoomed = run_view(offline, "?target=AT2019dsg&r=2.5&xr=58000,59000&yr=14,16&alpha=-3&gap=20")
    x_axis, y_axis = zoomed["lc"]["layout"]["xaxis"], zoomed["lc"]["layout"]["yaxis"]
    assert [round(v + figures.REFERENCE_MJD) for v in x_axis["range"]] == [58000, 59000]
    assert y_axis["range"] == [16, 14]  # magnitudes: bright up
    sed_flux = [v for t in plain["sed"]["data"] for v in figures.array(t.get("y")) if v is not None]
    sed_alpha = [v for t in zoomed["sed"]["data"] for v in figures.array(t.get("y")) if v is not None]
    assert sed_flux and sed_flux != sed_alpha


def test_a_zoom_on_the_light_curve_goes_into_the_url(offline):
    search = "?target=AT2019dsg&r=2.5"
    relayout = {"xaxis.range[0]": 3000.5, "xaxis.range[1]": 4000.25, "yaxis.range[0]": 16.5, "yaxis.range[1]": 14.0}
    zoomed = callbacks.zoom_search(offline, search, relayout)
    assert "xr=58000.5%2C59000.25" in zoomed and "yr=14%2C16.5" in zoomed
    back = callbacks.zoom_search(offline, zoomed, {"xaxis.autorange": True, "yaxis.autorange": True})
    assert "xr=" not in back and "yr=" not in back
    scripted = callbacks.zoom_search(offline, search, {"xaxis.range": [3000.5, 4000.25], "yaxis.range": [16.5, 14.0]})
    assert scripted == zoomed  # Plotly.relayout may send the pair in one key
    ignored = callbacks.zoom_search(offline, search, {"autosize": True})
    assert ignored is no_update


def test_flag_cells_get_a_tone_and_the_selected_source_is_told_in_words(offline):
    """HD 73108's real catalog row: ph_qual 'UUAA', cc_flags 'hh00' (saturated in W1/W2)."""
    _, out = run_view(offline, "?target=HD+73108&r=4.9")
    row = out["rows"][0]
    assert (row["ph_qual"], row["cc_flags"]) == ("UUAA", "hh00")
    assert (row["ph_qual_tone"], row["cc_flags_tone"]) == ("caution", "caution")
    text = str(out["detail"])
    assert "J084012.78+641940.9" in text and "0.47" in text
    # a U band is a limit, never a value, unless it is saturated: HD 73108's W1 (-0.342 mag, U) is a
    # saturated 424 Jy star, told as saturated and never "fainter than" (issue 41 item 5)
    assert "saturated: -0.342 mag is the profile fit of saturated pixels" in text and "fainter than" not in text
    assert "1.817 ± 0.016 mag" in text and "ph_qual A: detected, SNR > 10" in text
    assert "cc_flags h: scattered-light halo contamination" in text and "ext_flg 0: point-source-like" in text


@pytest.mark.parametrize(("column", "value", "tone"), [
    ("ph_qual", "AABA", "clean"), ("ph_qual", "AAUU", "caution"), ("ph_qual", "AXUA", "bad"),
    ("cc_flags", "0000", "clean"), ("cc_flags", "00d0", "caution"), ("cc_flags", "H0d0", "bad"),
    ("ext_flg", "0", ""),
])
def test_flag_tone_reads_every_band(column, value, tone):
    from dashboard.ui.panels import flag_tone

    assert flag_tone(column, value) == tone


def test_the_page_controls_for_sed_and_binning_write_the_url_and_read_it_back(offline):
    """alpha, w4red, gap, othr, oq: each page control goes into the link and comes back from it;
    a box left empty or out of range (the browser hands over None) keeps the current value."""
    search = "?target=AT2019dsg&r=2.5"
    state_out, _ = run_view(offline, search)
    controls = callbacks.controls_of(from_store(state_out["state"]))
    assert (controls["sed-alpha"], controls["w4red"], controls["visit-gap"]) == ("none", [], 100.0)
    controls |= {"sed-alpha": -3, "w4red": ["on"], "visit-gap": 20, "outlier-threshold": 4, "outlier-quantile": None}
    moved = callbacks.sync_state(offline, "sed-alpha", search, None, controls, None, None, state_out["query"])
    for part in ("alpha=-3", "w4red=1", "gap=20", "othr=4", "oq=0.6827"):
        assert part in moved["search"], part
    back = callbacks.controls_of(parse_query(moved["search"]))
    assert back | {"outlier-quantile": None} == controls
    assert moved["query"] is no_update  # a view setting, not a new lookup


@pytest.mark.parametrize(("cuts", "kept"), [
    ("zz", ALL_CUTS),                                     # none known: the defaults, as the notice says
    ("NB,na", ("nb", "na")),                              # case-insensitive, the rest kept
    ("nb,zz,Moon", ("nb", "moon")),                       # unknown dropped, known kept
    ("", ()),                                             # the page's own "no cut ticked"
])
def test_a_mistyped_cut_drops_only_itself(offline, cuts, kept):
    """cuts=zz used to untick every cut, rewrite the link to cuts= and change W1 chi2_red (408.9
    -> 442.6 on AT2019dsg's real epochs): the view must equal the view of the cuts it keeps."""
    state_out, out = run_view(offline, f"?target=AT2019dsg&r=10&cuts={cuts}")
    assert tuple(state_out["state"]["epoch_cuts"]) == kept
    assert ("zz" in state_out["notice"]) == ("zz" in cuts)
    if "zz" in cuts and kept == ALL_CUTS:
        assert "the defaults apply" in state_out["notice"]
    same = "" if kept == ALL_CUTS else "&cuts=" + ",".join(kept)
    _, reference = run_view(offline, f"?target=AT2019dsg&r=10{same}")
    assert out["stats"] == reference["stats"] and out["filters"] == reference["filters"]
    if kept == ALL_CUTS:
        assert "χ²_red 408.9" in out["stats"]


def test_ph_letters_follow_the_same_rule(offline):
    state = parse_query("?target=AT2019dsg&ph=abq")
    assert state.ph_qual == "AB" and any("q" in n for n in state.notices)
    assert parse_query("?target=AT2019dsg&ph=qq").ph_qual == ViewState().ph_qual


def test_a_refused_new_target_says_the_view_below_is_the_previous_one(offline):
    for text, radius in (("asdfqwer", 10), ("HD 73108", 0), ("HD 73108", 500), ("HD 73108", "abc")):
        out = callbacks.sync_state(offline, "go", "?target=HD+73108&r=10", None, NO_CONTROLS, text, radius, None)
        assert out["search"] is no_update  # the address keeps the previous view
        assert "the view below is still the previous target, HD 73108 (r = 10″)" in out["notice"], (text, radius)
    offline_notice = callbacks.sync_state(offline, "go", "", None, NO_CONTROLS, "asdfqwer", 10, None)["notice"]
    assert "object name" not in offline_notice and "AT2019dsg" in offline_notice and "HD 73108" in offline_notice


def test_a_long_error_is_said_once_at_the_top_not_in_every_panel():
    """Issue 41 item 6: a bad link's long error appeared in three panels. The placeholder says it at
    the top (the progress line) and the panels point there; a short state ("Loading this view…")
    stays in the panels, where it is read."""
    from dashboard.core.targets import TargetError, parse_target
    from dashboard.ui.callbacks.rendering import placeholder

    try:
        parse_target("999 99")
    except TargetError as exc:
        long = str(exc)
    assert len(long) > 90
    out = placeholder(long, welcome=False)
    assert out["progress"] == long and out["sources_message"] == ""
    drawn = [a["text"] for fig in (out["sed"], out["lc"], out["colours"]) for a in fig["layout"]["annotations"]]
    assert drawn == ["See the message at the top of the page."] * 3
    short = placeholder("Loading this view…", welcome=False)
    assert short["sources_message"] == "Loading this view…"
