"""The render of the panels: every panel from the handed-over observations and the view state,
or every panel in one placeholder state (loading, cancelled, failed, landing)."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from dash import Output, no_update

from dashboard.config import Settings
from dashboard.core.tables import catalog_table, sources_title
from dashboard.pipeline import view, with_sky
from dashboard.science.analysis import AnalysisParams, binning_note
from dashboard.science.apertures import RESOLVED_LIGHTCURVE_NOTE
from dashboard.science.variability import describe
from dashboard.ui import figures, panels
from dashboard.ui.urlstate import ViewState, from_store, to_params, to_query
from dashboard.web.handover import handover
from dashboard.web.memo import Memo

log = logging.getLogger(__name__)


DOWNLOAD_ON, DOWNLOAD_OFF = "button", "button disabled"  # assets/wise.js does nothing when disabled


def render(settings: Settings, fetched: dict | None, state_data: dict | None, href: str | None, *,
           query: dict | None = None, cancelled: dict | None = None, sky_data: dict | None = None) -> dict:
    """Every panel from the handed-over observations and the view state. ``cancelled`` is the
    lookup the user stopped: if it is the current ``query`` and nothing came for it, say so."""
    nonce = (query or {}).get("nonce")
    if nonce and (cancelled or {}).get("nonce") == nonce and ((fetched or {}).get("query") or {}).get(
            "nonce") != nonce:
        fetched = {"cancelled": True, "query": query}
    if not state_data or not state_data.get("target"):
        if "target=" in (href or "").partition("?")[2]:  # a link is being opened: its state comes next
            return placeholder("Loading this view…", welcome=False)
        return placeholder(WELCOME, welcome=True)
    if (fetched or {}).get("lost"):  # the worker running the fetch died (web/jobs.py) or the job failed
        return placeholder(str(fetched.get("error")), welcome=False)  # type: ignore[union-attr]
    state = from_store(state_data)
    asked = (fetched or {}).get("query") or {}
    if not fetched or (asked.get("target"), asked.get("radius"), tuple(asked.get("add") or ())) != (
            state.target, state.radius, state.added_tables):
        return placeholder(fetching_message(state), welcome=False)
    if fetched.get("cancelled"):
        return placeholder(f"Cancelled: {state.target} was not fetched. Press Go to fetch it again.",
                            welcome=False)
    if fetched.get("error"):
        return placeholder(fetched["error"], welcome=False)
    fetch_id = fetched.get("fetch_id", "")
    share_base = (href or "").split("?")[0]
    sky_id = (sky_data or {}).get("sky_id") if (sky_data or {}).get("fetch_id") == fetch_id else None
    try:  # a fetch id names immutable data: many viewers of one link share one rendering
        return PANELS.get((fetch_id, state, share_base, sky_id),
                          lambda: _panels_of(settings, fetch_id, state, share_base, sky_id))
    except _Expired:  # the hand-over expired: never fetch inside a render
        return placeholder("This view's data expired on the server; press Go to fetch it again.", welcome=False)
    except Exception:  # never a traceback in the browser; the log has it
        log.exception("render failed")
        return placeholder("Something went wrong building this view; the error was logged.", welcome=False)


def _same(old: Any, new: Any) -> bool:
    try:
        return bool(old == new)
    except ValueError:  # an array compared elementwise: not worth telling apart here
        return False


class _Expired(LookupError):
    """The handed-over data of a fetch id is gone (not kept: the next render asks again)."""


#: Rendered panels by (fetch id, view state, page address).
PANELS: Memo[dict] = Memo()


def _panels_of(settings: Settings, fetch_id: str, state: ViewState, share_base: str, sky_id: str | None) -> dict:
    observed = handover(settings).get(fetch_id)
    if observed is None:
        raise _Expired(fetch_id)
    out = build_panels(observed, state, share_base, params_with_sky(settings, state, sky_id))
    context = handover(settings).get_sky(sky_id) if sky_id and state.flare_search else None
    found = context.redshift_at(observed.target.ra, observed.target.dec) if context is not None else None
    if found is not None and state.redshift == found.z:  # where the link's z came from
        out["flare_summary"] = f"{out['flare_summary']} · {found.said()}"
    return out


def params_with_sky(settings: Settings, state: ViewState, sky_id: str | None) -> AnalysisParams:
    """The view's parameters with the sky context's Gaia astrometry, once it has come."""
    return with_sky(to_params(state), handover(settings).get_sky(sky_id) if sky_id else None)


def fetching_message(state: ViewState) -> str:
    return f"Fetching {state.target} (cone {state.radius:g}″)…"


WELCOME = "Type a target in the box at the top, or open one of the demo targets listed above."


#: Longer than this, a placeholder's message is said once at the top, not in every panel.
SHORT_MESSAGE = 90


def placeholder(message: str, *, welcome: bool) -> dict:
    """Every panel in one state (loading, cancelled, failed, landing): nothing of a previous view
    stays on screen, and Download is off until there is a view. A long message (a bad link's
    error, what is accepted) is said once, at the top; the panels point to it."""
    long = len(message) > SHORT_MESSAGE
    fig = figures.message_figure("See the message at the top of the page." if long else message)
    return {"rows": [], "sed": fig, "colours": fig, "colour_verdicts": [], "lc": fig, "filters": [], "filters_note": "",
            "progress": "" if welcome else message,
            "sources_message": "" if welcome or long else message, "selection": "", "detail": [], "fit": None,
            "download": None, "download_class": DOWNLOAD_OFF, "share": "", "configs": [no_update] * len(PLOTS),
            "timeseries": [fig, fig, fig], "pg_hint": "", "pg_style": {"display": "none"},
            "flare": [fig, fig], "flare_summary": "", "flare_style": {"display": "none"},
            "welcome": {"display": "block" if welcome else "none"}, "stats": "", "status": [],
            "lc_title": panels.LIGHTCURVE_TITLE, "sources_title": panels.SOURCES_TITLE,
            "tab": "landing" if welcome else "view", "phot_note": "", "shape_note": "", "rejects": []}


def build_panels(observed: Any, state: ViewState, share_base: str, params: AnalysisParams | None = None) -> dict:
    shown = view(observed, params or to_params(state))
    observations = observed.observations
    rows = panels.source_rows(shown)
    catalog_failed = panels.catalog_failure(observations)
    if catalog_failed is not None:
        sources_message = panels.catalog_unavailable(catalog_failed)
        sed_fig = cc_fig = figures.message_figure(sources_message)
    else:
        sed_fig = figures.sed_figure(shown, state.sed_axis)
        cc_fig = figures.colour_colour_figure(shown)
        with_psr = replace(state, added_tables=(*state.added_tables, "psr"))
        offer = panels.reject_offer(shown, state.added_tables, to_query(with_psr))
        sources_message = "" if rows else (offer or f"No AllWISE sources within "
                                                    f"{observations.cone.radius_arcsec:g} arcsec.")
    epoch_failed = panels.epoch_failures(observations)
    if shown.lightcurve.epochs.empty and epoch_failed:
        lc_fig = figures.message_figure(panels.lightcurve_unavailable(observations))
    else:
        lc_fig = figures.lightcurve_figure(shown, state.unit, state.x_range, state.y_range, state.event_mjd,
                                           state.time_axis)
    stats = binning_note(shown) + describe(shown.lightcurve.stats)
    if catalog_failed is not None and not shown.lightcurve.epochs.empty:
        why = ("no catalog row in the offline archive" if panels.not_in_offline_archive(catalog_failed)
               else "the catalog failed")
        stats += (f" · not matched to an AllWISE source ({why}): epochs within "
                  f"{shown.params.match_radius_arcsec:g}\" of the target position")
    if shown.motion is not None:
        stats += " · " + shown.motion.note()
    if shown.resolved and not shown.lightcurve.epochs.empty:
        stats += " · " + RESOLVED_LIGHTCURVE_NOTE
    if saturated := panels.saturation_notice(shown):
        stats += " · " + saturated
    if epoch_failed and not shown.lightcurve.epochs.empty:
        stats += " · partial: " + "; ".join(f"{t}: {e}" for t, e in epoch_failed.items())
    query = to_query(state)
    return {"rows": rows, "sed": sed_fig, "colours": cc_fig, "colour_verdicts": panels.colour_verdicts(shown),
            "lc": lc_fig, "filters": panels.filter_rows(shown), "filters_note": panels.filters_note(shown),
            "progress": "",
            "sources_message": sources_message, "selection": panels.selection_text(shown),
            "detail": panels.source_detail(rows), "fit": "autoSize",
            "configs": [figures.graph_config(observed.target.label(), plot) for plot in PLOTS.values()],
            "timeseries": [*_timeseries(shown, state), figures.colour_magnitude_figure(shown)],
            "pg_hint": (shown.periodogram_caution(state.fold_band) or "") if state.wants_timeseries else PG_HINT,
            "pg_style": {} if state.wants_timeseries else {"display": "none"},
            **_flare_outputs(shown),
            "download": "/bundle.zip" + query, "download_class": DOWNLOAD_ON, "share": share_base + query,
            "welcome": {"display": "none"}, "stats": stats, "status": panels.status_lines(observations),
            "lc_title": panels.lightcurve_title(shown),
            "sources_title": sources_title(catalog_table(observations.results)), "tab": "view",
            "phot_note": panels.photometry_note(shown) if catalog_failed is None else "",
            "shape_note": panels.sed_shape_note(shown) if catalog_failed is None else "",
            "rejects": panels.rejects_section(shown)}


#: Each plot's graph id and the name its exported files carry (wise_<target>_<name>.png|svg).
PLOTS = {"sed-graph": "sed", "cc-graph": "colour_colour", "lc-graph": "lightcurve", "pg-graph": "periodogram",
         "fold-graph": "fold", "flare-graph": "flare_excess", "dust-graph": "dust",
         "cm-graph": "colour_magnitude"}


def panel_outputs(*, duplicate: bool) -> dict[str, Any]:
    """Where each key of a panels dict (``render``, ``placeholder``) goes on the page. The state
    callback writes them too (``duplicate``), for the loading state of a new lookup."""
    def out(component: str, prop: str, shared: bool = False) -> Output:
        return Output(component, prop, allow_duplicate=duplicate or shared)

    return {"rows": out("sources", "rowData"), "sed": out("sed-graph", "figure"), "lc": out("lc-graph", "figure"),
            "colours": out("cc-graph", "figure"), "colour_verdicts": out("colour-verdicts", "children"),
            "filters": out("filters", "rowData"), "filters_note": out("filters-note", "children"),
            "progress": out("progress", "children", shared=True),
            "sources_message": out("sources-message", "children"), "selection": out("selection", "children"),
            "detail": out("source-detail", "children"),
            "configs": [out(graph, "config") for graph in PLOTS],
            "timeseries": [out("pg-graph", "figure"), out("fold-graph", "figure"), out("cm-graph", "figure")],
            "pg_hint": out("pg-hint", "children"), "pg_style": out("pg-graphs", "style"),
            "flare": [out("flare-graph", "figure"), out("dust-graph", "figure")],
            "flare_summary": out("flare-summary", "children"), "flare_style": out("flare-graphs", "style"),
            "fit": out("sources", "columnSize"),
            "download": out("download", "href"), "download_class": out("download", "className"),
            "share": out("share-url", "value"), "welcome": out("welcome", "style"),
            "stats": out("lc-stats", "children"), "status": out("status", "children"),
            "lc_title": out("lc-title", "children"), "sources_title": out("sources-title", "children"),
            "tab": out("view-tabs", "value"), "phot_note": out("sed-phot-note", "children"),
            "shape_note": out("sed-shape-note", "children"),
            "rejects": out("rejects", "children")}


#: A redraw's value for an output it leaves as drawn (``no_update`` cannot travel in a store).
UNCHANGED = {"unchanged": True}


def redraw_outputs() -> list[Output]:
    """The panels' outputs in one flat list, then ``rendered``: the page's redraw for the sky
    context (``redraw_of``; applied by assets/wise.js ``applyRedraw``)."""
    return [*(o for out in panel_outputs(duplicate=True).values() for o in (out if isinstance(out, list) else [out])),
            Output("rendered", "data", allow_duplicate=True)]


def redraw_of(state_data: dict | None, before: dict, after: dict, drawn_with: dict) -> dict:
    """The redraw when the sky context comes, as the page takes it: the view state it was drawn
    for, and one value per output of ``redraw_outputs``. Only what the sky changed is sent (the
    SED's Gaia points and note; the light curve only when a moving counterpart shifts the epoch
    match); the rest is ``UNCHANGED`` and stays as drawn: a redraw would lose nothing, but
    flickers and briefly removes a plot's titles."""
    values = [UNCHANGED if new is no_update or _same(old, new) else new
              for old, new in zip(_flat(before), _flat(after), strict=True)]
    return {"state": state_data, "values": [*values, drawn_with]}


def _flat(panels: dict) -> list:
    """A panels dict's values in the order of ``redraw_outputs`` (a list output's one by one)."""
    return [v for key, out in panel_outputs(duplicate=True).items()
            for v in (panels[key] if isinstance(out, list) else [panels[key]])]


FLARE_HINT = ("Tick 'search for an infrared flare': a baseline per band (Bayesian blocks), each visit's excess, the "
              "flare, and the dust's temperature per visit (with z: its radius and luminosity).")


def _flare_outputs(shown: Any) -> dict:
    """The Flare & dust panel: its two figures and one sentence, or the hint while not asked for."""
    found = shown.flare
    if found is None:
        return {"flare": [no_update, no_update], "flare_summary": FLARE_HINT, "flare_style": {"display": "none"}}
    return {"flare": [figures.excess_figure(found), figures.dust_figure(found)],
            "flare_summary": figures.flare_sentence(found), "flare_style": {}}


def best_period(shown: Any, band: str) -> tuple[float | None, str]:
    """The best period of ``band`` and where it came from: the view's periodogram when it was
    asked for (``pg=1``), else one computed for the fold alone (not drawn, not in the bundle)."""
    period, drawn = shown.best_period(band)
    if period is None:
        return None, "no best period: too few detected exposures"
    where = "drawn above" if drawn else "not drawn: tick 'Lomb–Scargle periodogram' to see it"
    return period, f"the best period of the {band} Lomb–Scargle periodogram, {where}"


PG_HINT = "Tick 'Lomb–Scargle periodogram' or type a period to fold (days, or 'best')."


def _timeseries(shown: Any, state: ViewState) -> list:
    """The periodogram and the folded light curve (their graphs are hidden, with ``PG_HINT``
    shown instead, while neither is asked for)."""
    if not state.wants_timeseries:
        return [no_update, no_update]
    pg_fig = (figures.periodogram_figure(shown, state.fold_band) if shown.params.periodogram
              else figures.message_figure("Tick 'Lomb–Scargle periodogram' to compute it."))
    if state.fold_period == "best":
        period, how = best_period(shown, state.fold_band)
        fold_fig = figures.folded_figure(shown, state.fold_band, period, how, state.unit)
    elif state.fold_period is not None:
        fold_fig = figures.folded_figure(shown, state.fold_band, float(state.fold_period), "typed", state.unit)
    else:
        fold_fig = figures.message_figure("Type a period to fold (days, or 'best').")
    return [pg_fig, fold_fig]
