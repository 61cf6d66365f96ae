"""The page layout: header with target box and status, demo targets, four panels, controls."""

from __future__ import annotations

from typing import Any, cast

import dash_ag_grid as dag
from dash import dcc, html

from dashboard.archive import offline as archive
from dashboard.science.photometry import COLOUR_CORRECTIONS, W4_RED_FACTOR
from dashboard.science.quality import EPOCH_CUTS, SATURATION_CUT, SATURATION_LABEL
from dashboard.ui import notes
from dashboard.ui.batch import ONE_TAB_STOP
from dashboard.ui.batch import section as batch_section
from dashboard.ui.figures import message_figure
from dashboard.ui.figures.style import BASE_CONFIG
from dashboard.ui.panels import LIGHTCURVE_TITLE, SOURCES_TITLE
from dashboard.ui.urlstate import BOUNDS, ViewState

LOADING = message_figure("Loading…")  # never empty axes before the first render
#: The tables a view may add (``core/tables.ADDED``) as the page names them.
ADDED_CHOICES = {"psr": "AllWISE Reject Table", "catwise": "CatWISE2020", "unwise": "unWISE"}
#: The SED's photometry choices (``apertures.PHOT_MODES``) as the page names them.
PHOT_CHOICES = {"auto": "auto", "profile": "profile fit", "elliptical": "elliptical aperture",
                "aperture": "standard aperture"}
GRAPH_CONFIG = cast("dcc.Graph.Config", BASE_CONFIG)

#: Flag-cell colours by the tone ``panels.flag_tone`` gives a value (the legend says the same).
FLAG_TONES = {"clean": "#dcfce7", "caution": "#fff3cd", "bad": "#f8c9c6"}
FLAG_LEGEND = [
    ("clean", "ph_qual A/B/C in every band; cc_flags 0"),
    ("caution", "ph_qual U in a band: '> m' is a 95% upper limit on the flux (fainter than m); "
                "cc_flags lower case (contaminated)"),
    ("bad", "ph_qual X/Z (no measurement or no error); cc_flags upper case (spurious)"),
]


def _flag_style(column: str) -> dict:
    """Cell colours for a flag column from its tone field (a plain comparison: the grid
    evaluates conditions without regular expressions)."""
    conditions = [{"condition": f"params.data.{column}_tone === '{tone}'", "style": {"backgroundColor": colour}}
                  for tone, colour in FLAG_TONES.items()]
    return {"styleConditions": [
        {"condition": "params.value === 'not recorded'", "style": {"color": "#6b7280", "fontStyle": "italic"}},
        *conditions]}


def _mag_formatter(band: str) -> dict:
    """"12.345 ± 0.021", or "> 12.345" where the magnitude is a 95% upper limit on the flux."""
    err, limit = f"params.data.w{band}sigmpro", f"params.data.w{band}_limit"
    return {"function": f"params.value == null ? '—' : {limit} ? '> ' + params.value.toFixed(3) : "
                        f"params.value.toFixed(3) + ({err} == null ? '' : ' ± ' + {err}.toFixed(3))"}


def _source_columns() -> list[dict]:
    """Sized to their content (``columnSize="autoSize"``); headers say the unit."""
    # numbers right-aligned in their cells; the header stays left-aligned, so its filter icon sits
    # in its own column (a right-aligned header put it beside the previous column's)
    number = {"filter": "agNumberColumnFilter", "cellClass": "ag-right-aligned-cell"}
    cols: list[dict] = [
        {"field": "designation", "headerName": "designation",
         "headerTooltip": "the catalog's designation (AllWISE: WISEA J…; the panel title names the catalog)"},
        {"field": "sep", "headerName": "sep. (″)", "headerTooltip": "separation from the target (arcsec)",
         "sort": "asc", "minWidth": 104, **number},  # autoSize alone fits "0.4" and breaks the header
        {"field": "colour_class", "headerName": "colour class", "tooltipField": "colour_class_tip", "minWidth": 92,
         "headerTooltip": "published WISE colour criteria the source meets (yes only; hover for every verdict: "
                          "yes, no, undetermined by a limit, n/a); the criteria and papers are in the docs"},
    ]
    cols += [{"field": f"w{b}mpro", "headerName": f"W{b} (Vega mag ± σ)", "valueFormatter": _mag_formatter(b),
              **number} for b in "1234"]
    cols += [{"field": f"w{b}snr", "headerName": f"W{b} SNR", **number} for b in "1234"]
    cols += [{"field": f"w{b}sat", "headerName": f"w{b}sat", "headerTooltip": "fraction of saturated pixels",
              "cellStyle": {"styleConditions": [{"condition": f"params.data.w{b}_saturated",
                                                 "style": {"backgroundColor": FLAG_TONES["bad"]}}]},
              **number} for b in "1234"]
    cols += [{"field": col, "headerName": col, "tooltipField": f"{col}_tip", "cellStyle": _flag_style(col)}
             for col in ("ph_qual", "cc_flags")]
    cols.append({"field": "ext_flg", "headerName": "ext_flg", "tooltipField": "ext_flg_tip"})
    return cols


def _flag_legend() -> html.Div:
    return html.Div(className="flag-legend", children=[
        html.Span([html.Span(className="swatch", style={"backgroundColor": FLAG_TONES[tone]}), text])
        for tone, text in FLAG_LEGEND])


def _demo_link(t: archive.DemoTarget) -> str:
    """A demo target's link: its name, the radius its recordings cover, and its event date (t0)."""
    event = f"&t0={t.event['mjd']:.9g}" if t.event else ""
    return f"?target={t.name.replace(' ', '+')}&r={t.link_radius_arcsec:g}{event}"


def _demo_links() -> html.Div:
    items = [html.Li([dcc.Link(t.name, href=_demo_link(t), className="demo"),
                      html.Span(f" — {t.kind}: {t.shows}; recorded within {t.covered_radius_arcsec:g}″"
                                + (f"; t0 = its {t.event['what']}, MJD {t.event['mjd']:.9g}" if t.event else ""),
                                className="muted")])
             for t in archive.demo_targets()]
    return html.Div(id="welcome", className="welcome", style={"display": "none"}, children=[
        html.H2("Try a demo target (real IRSA rows shipped with the app, work offline)"),
        html.Ul(items, className="demo-list"),
        html.P("Or type a name, coordinates (314.2624 +14.2044, 20:57:02.97 +14:12:16.3, l=61.4 b=-19.7) "
               "or an AllWISE designation (J205702.96+141216.2, AT2019dsg's host).", className="muted"),
    ])


def _panel(title: str, body: list, extra: list | None = None, panel_id: str = "", title_id: str = "") -> html.Section:
    # tabIndex -1: a skip link (SKIP_LINKS) moves the keyboard focus to the panel itself
    return html.Section(className="panel", id=panel_id or None, tabIndex="-1" if panel_id else None, children=[
        html.Div(className="panel-head", children=[html.H2(title, id=title_id) if title_id else html.H2(title),
                                                   *(extra or [])]),
        *body,
    ])


def _aria(attribute: str, value: str) -> dict[str, Any]:
    """An ``aria-*`` attribute as keyword arguments (Dash's html components take them so)."""
    return {f"aria-{attribute}": value}


def _data(attribute: str, value: str) -> dict[str, Any]:
    """A ``data-*`` attribute for a component (what assets/*.js reads)."""
    return {f"data-{attribute}": value}


def _named(name: str, control: Any) -> html.Div:
    """A list of options as one named group for screen readers (assets/a11y.js drops the listbox
    roles Dash 4 puts around native checkboxes and radio buttons)."""
    return html.Div(control, role="group", **_aria("label", name))


def _number_box(box_id: str, label: str, key: str, value: float) -> html.Div:
    low, high, _ = BOUNDS[key]  # the URL's bounds, defined once
    return html.Div([html.Label(f"{label}, {low:g}–{high:g}", htmlFor=box_id),
                     dcc.Input(id=box_id, type="number", min=low, max=high, step="any", value=value, debounce=True,
                               className="small-input")])


def _controls(state: ViewState) -> html.Section:
    return _panel("Quality cuts", [
        html.Div(className="controls", children=[
            html.Div([html.Label("Catalog ph_qual allowed (U = upper limit)", id="ph-qual-label"),
                      html.Div(dcc.Checklist(id="ph-qual", options=list("ABCUXZ"), value=list(state.ph_qual),
                                             inline=True), role="group", **_aria("labelledby", "ph-qual-label"))]),
            html.Div([_named("catalog cc_flags", dcc.Checklist(
                id="clean-cc", options=[{"label": "catalog cc_flags clean ('0') per band", "value": "on"}],
                value=[]))]),
            html.Div([html.Label("ext_flg ≤", id="max-ext-label"),
                      html.Div(dcc.RadioItems(id="max-ext", options=list(range(6)), value=state.max_ext, inline=True),
                               role="group", **_aria("labelledby", "max-ext-label"))]),
            html.Div([html.Label("catalog SNR ≥", htmlFor="min-snr"),
                      dcc.Input(id="min-snr", type="number", min=0, max=1000, step=0.5, value=state.min_snr,
                                debounce=True, className="small-input")]),
            html.Div([html.Label("Epoch cuts (per table; a cut needs its column)", id="epoch-cuts-label"),
                      html.Div(dcc.Checklist(id="epoch-cuts", options=[*[{"label": c.label, "value": c.token}
                                                                         for c in EPOCH_CUTS],
                                                                       {"label": SATURATION_LABEL,
                                                                        "value": SATURATION_CUT}],
                                             value=list(state.epoch_cuts), className="cut-list"),
                               role="group", **_aria("labelledby", "epoch-cuts-label"))]),
            html.Div([_named("visit binning", dcc.Checklist(
                id="binning", options=[{"label": "bin epochs into visits (timewise)", "value": "on"}],
                value=["on"]))]),
        ]),
        html.H3("Visit binning and SED"),
        html.Div(className="controls controls-3", children=[
            _number_box("visit-gap", "visit gap (days)", "gap", state.visit_gap),
            _number_box("outlier-threshold", "outlier threshold (× spread)", "othr", state.outlier_threshold),
            _number_box("outlier-quantile", "outlier spread quantile", "oq", state.outlier_quantile),
            html.Div([html.Label(["SED colour correction, F", html.Sub("ν"), " ∝ ν", html.Sup("−α"), ", α ="],
                                 id="sed-alpha-label"),
                      html.Div(dcc.RadioItems(id="sed-alpha", value="none", inline=True, className="alpha-list",
                                              options=[{"label": "none", "value": "none"},
                                                       *[{"label": f"{a}", "value": a} for a in COLOUR_CORRECTIONS]]),
                               role="group", **_aria("labelledby", "sed-alpha-label"))]),
            html.Div([_named("W4 red-source correction", dcc.Checklist(
                id="w4red", options=[{"label": f"W4 red-source correction (× {W4_RED_FACTOR:g})", "value": "on"}],
                value=[]))]),
        ]),
        html.H3("What each cut removed"),
        html.P(id="filters-note", className="muted"),
        # each cut beside its counts, so no number is scrolled out of sight (a phone scrolls to the
        # table and status); long texts have tooltips
        dag.AgGrid(id="filters", columnDefs=[
            {"field": "criterion", "tooltipField": "criterion", "flex": 2, "minWidth": 150},
            {"field": "removed", "headerName": "removed (rows)", "type": "rightAligned", "width": 88},
            {"field": "not recorded", "headerName": "not recorded (rows)", "type": "rightAligned", "width": 98},
            {"field": "table", "width": 160},
            {"field": "status", "tooltipField": "status", "flex": 1, "minWidth": 130, "wrapText": True,
             "autoHeight": True, "cellStyle": {"lineHeight": "1.35", "paddingTop": "4px", "paddingBottom": "4px"}},
        ], rowData=[], className="ag-theme-alpine", style={"width": "100%", "height": None},
            defaultColDef={"wrapHeaderText": True, "autoHeaderHeight": True, "resizable": True},
            dashGridOptions={**ONE_TAB_STOP, "tooltipShowDelay": 200, "domLayout": "autoHeight"}),
    ], panel_id="controls-panel")


def _sky_panel() -> html.Section:
    """Image and identification (dashboard/sky): its own loading state and messages, per service."""
    def grid(grid_id: str, columns: list[tuple[str, str]]) -> dag.AgGrid:
        return dag.AgGrid(id=grid_id, rowData=[], className="ag-theme-alpine sky-grid",
                          columnDefs=[{"field": f, "headerName": h, "sortable": True, "resizable": True,
                                       "minWidth": 200 if f == "source_id" else 8 * len(h) + 48} for f, h in columns],
                          dashGridOptions={**ONE_TAB_STOP, "domLayout": "autoHeight"}, defaultColDef={"flex": 1},
                          style={"width": "100%", "height": None})

    return _panel("Sky context: WISE image, SIMBAD and Gaia DR3", [
        html.Div(id="sky-progress", className="progress", role="status"),
        html.Div(id="sky-messages", className="panel-message", role="status"),
        html.Div(id="sky-body", className="sky-body", children=[  # image beside the identification; stacked when narrow
            html.Div(className="sky-image", children=[
                dcc.Loading(dcc.Graph(id="sky-graph", figure=LOADING, config=GRAPH_CONFIG), type="circle"),
                html.P(id="blending", className="blending"),
                html.Div(id="linkouts", className="linkouts"),
            ]),
            html.Div(className="sky-ids", children=[
                html.H3("SIMBAD (nearest first)"),
                html.Div(id="simbad-message", className="panel-message", role="status"),
                grid("simbad-table", [("main_id", "main identifier"), ("otype", "type"),
                                      ("separation_arcsec", "separation (arcsec)")]),
                html.H3("Gaia DR3 (nearest first)"),
                html.Div(id="gaia-message", className="panel-message", role="status"),
                grid("gaia-table", [("source_id", "source_id"), ("separation_arcsec", "separation (arcsec)"),
                                    ("phot_g_mean_mag", "G (mag)"), ("bp_rp", "BP−RP (mag)"),
                                    ("parallax", "parallax (mas)"), ("pmra", "μα* (mas/yr)"),
                                    ("pmdec", "μδ (mas/yr)"), ("ruwe", "RUWE"),
                                    ("allwise_best_neighbour", "AllWISE match")]),
            ]),
        ]),
    ], extra=[_named("image band", dcc.RadioItems(id="img-band", options=["W1", "W2", "W3", "W4"], value="W1",
                                                  inline=True))],
        panel_id="sky-panel")


#: Skip links (the first tab stops of the page): straight to each panel, as a keyboard or
#: screen-reader user would otherwise Tab through every control before it.
SKIP_LINKS = [("sources-panel", "sources"), ("sed-panel", "SED"), ("lc-panel", "light curve"),
              ("controls-panel", "quality cuts"), ("colours-panel", "colours"), ("pg-panel", "periodogram"),
              ("flare-panel", "flare & dust"), ("sky-panel", "sky context"), ("frames-panel", "visit images"),
              ("footer", "download")]
#: The grids are one tab stop each (``ONE_TAB_STOP``: arrow keys move inside, Tab leaves):
#: without it Tab walked every header and cell, ~50 presses from the table to the first cut.


def _skip_links() -> html.Nav:
    return html.Nav(className="skip-links", **_aria("label", "skip to a panel"), children=[
        html.A(f"Skip to {name}", href=f"#{target}", className="skip-link") for target, name in SKIP_LINKS])


def _flare_panel() -> html.Section:
    """Flare & dust: the excess over the baseline with its blocks, the dust per visit, one sentence."""
    return _panel("Flare & dust echo (visits)", [
        html.P(id="flare-summary", className="muted"),
        html.Div(id="flare-graphs", className="pg-graphs", style={"display": "none"}, children=[
            dcc.Loading(dcc.Graph(id="flare-graph", figure=LOADING, config=GRAPH_CONFIG), type="circle"),
            dcc.Loading(dcc.Graph(id="dust-graph", figure=LOADING, config=GRAPH_CONFIG), type="circle"),
        ]),
    ], extra=[html.Div(className="pg-controls", children=[
        _named("flare search", dcc.Checklist(id="flare-toggle", value=[], options=[
            {"label": "search for an infrared flare", "value": "on"}])),
        html.Label("redshift z", htmlFor="redshift-input", className="muted"),
        dcc.Input(id="redshift-input", type="number", min=0, max=7, step="any", debounce=True,
                  className="small-input", placeholder="none"),
    ])], panel_id="flare-panel")


def _main(state: ViewState) -> html.Main:
    """The panels of a view (mounted once there is one: see ``make_layout``)."""
    return html.Main(id="main", className="grid", children=[
        _sources_panel(), _sed_panel(), _lightcurve_panel(), _controls(state), _colours_panel(),
        _periodogram_panel(), _flare_panel(), _sky_panel(), _frames_panel(), notes.panel(),
    ])


def _sources_panel() -> html.Section:
    """The source table, its flags legend, the selected source's detail and the added tables."""
    return _panel(SOURCES_TITLE, [
        html.Div(id="sources-message", className="panel-message"),
        dag.AgGrid(id="sources", columnDefs=_source_columns(), rowData=[], className="ag-theme-alpine",
                   # ~7 rows at once (Arp 220's 60" field has 12); autoSize measures headers too by default
                   style={"height": "330px"}, getRowId="params.data.key", columnSize="autoSize",
                   # sized to the values, headers wrapped above them: at 420 px several columns
                   # show, not the designation alone (the component's own prop, not a grid option)
                   columnSizeOptions={"skipHeader": True},
                   defaultColDef={"sortable": True, "filter": True, "resizable": True, "wrapHeaderText": True,
                                  "autoHeaderHeight": True, "minWidth": 80},
                   dashGridOptions={**ONE_TAB_STOP, "tooltipShowDelay": 150,
                                    "suppressColumnVirtualisation": True,
                                    "getRowStyle": {"styleConditions": [{
                                        "condition": "params.data.selected",
                                        "style": {"backgroundColor": "#dbeafe", "fontWeight": "600"}}]}}),
        _flag_legend(),
        html.Div(id="source-detail", className="source-detail"),
        html.Div(id="rejects", className="rejects"),
    ], extra=[html.Span(id="selection", className="muted"),
              # the label and its choices wrap as one piece
              html.Div([html.Span("also query:", className="muted", title="tables fetched only on request: "
                                  "the reject table's sources the catalog left out, and the deeper W1/W2 "
                                  "catalogs"),
                        _named("also query", dcc.Checklist(id="add-tables", inline=True, value=[], options=[
                            {"label": label, "value": token} for token, label in ADDED_CHOICES.items()]))],
                       style={"display": "inline-flex", "gap": "6px", "alignItems": "center",
                              "flexWrap": "wrap"})],
        panel_id="sources-panel",
        title_id="sources-title")


def _sed_panel() -> html.Section:
    """The SED, its photometry note and shape note; the axis and photometry choices."""
    return _panel("Spectral energy distribution", [
        dcc.Loading(dcc.Graph(id="sed-graph", figure=LOADING, config=GRAPH_CONFIG), type="circle"),
        html.P(id="sed-phot-note", className="muted phot-note"),
        html.P(id="sed-shape-note", className="muted phot-note"),
    ], extra=[_named("SED axis", dcc.RadioItems(id="sed-axis", options=[
        {"label": html.Span(["F", html.Sub("ν"), " (Jy)"]), "value": "fnu"},
        {"label": html.Span(["ν F", html.Sub("ν"), " (erg s⁻¹ cm⁻²)"]), "value": "nufnu"}],
                             value="fnu", inline=True)),
        _named("SED photometry", dcc.RadioItems(id="sed-phot", options=[
            {"label": label, "value": mode} for mode, label in PHOT_CHOICES.items()], value="auto",
            inline=True))], panel_id="sed-panel")


def _lightcurve_panel() -> html.Section:
    """The light curve, its statistics and the colour–magnitude track; the unit choice."""
    return _panel(LIGHTCURVE_TITLE, [
        html.Div(id="lc-stats", className="muted"),
        dcc.Loading(dcc.Graph(id="lc-graph", figure=LOADING, config=GRAPH_CONFIG), type="circle"),
        html.H3("Colour–magnitude track (dust or intrinsic?)"),
        dcc.Loading(dcc.Graph(id="cm-graph", figure=LOADING, config=GRAPH_CONFIG), type="circle"),
    ], extra=[_named("light-curve unit", dcc.RadioItems(
        id="lc-unit", value="mag", inline=True,
        options=[{"label": "magnitude", "value": "mag"}, {"label": "flux (mJy)", "value": "flux"}]))],
        panel_id="lc-panel", title_id="lc-title")


def _colours_panel() -> html.Section:
    """The colour–colour diagram and the criteria's verdicts."""
    return _panel("Colours: AGN criteria", [html.Div(className="cc-body", children=[
        dcc.Loading(dcc.Graph(id="cc-graph", figure=LOADING, config=GRAPH_CONFIG), type="circle"),
        html.Div(id="colour-verdicts", className="colour-verdicts"),
    ])], panel_id="colours-panel")


def _periodogram_panel() -> html.Section:
    """The periodogram and the folded light curve; their controls."""
    return _panel("Periodogram and folding (single exposures that passed the cuts)", [
        html.P(id="pg-hint", className="muted"),
        html.Div(id="pg-graphs", className="pg-graphs", children=[
            dcc.Loading(dcc.Graph(id="pg-graph", figure=LOADING, config=GRAPH_CONFIG), type="circle"),
            dcc.Loading(dcc.Graph(id="fold-graph", figure=LOADING, config=GRAPH_CONFIG), type="circle"),
        ]),
    ], extra=[html.Div(className="pg-controls", children=[
        _named("periodogram", dcc.Checklist(id="pg-toggle", value=[],
                                            options=[{"label": "Lomb–Scargle periodogram", "value": "on"}])),
        html.Label("fold at", htmlFor="fold-input", className="muted"),
        dcc.Input(id="fold-input", type="text", placeholder="best or days", debounce=True,
                  className="small-input fold-input", autoComplete="off"),
        _named("band folded", dcc.RadioItems(id="fold-band", options=["W1", "W2"], value="W1", inline=True)),
    ])], panel_id="pg-panel")


def _frames_panel() -> html.Section:
    """The images of a visit (dashboard/sky/evidence.py): its own loading state and messages."""
    return _panel("Visit images: the single-exposure frames of a visit, a reference, their difference", [
        html.P("Choose a visit (its number is the visit column of lightcurve_visits.csv) and a reference "
               "to compare it with; the frames are found by position and time in IRSA's image archive.",
               className="muted"),
        html.Div(id="frames-progress", className="progress", role="status"),
        html.Div(id="frames-message", className="panel-message", role="status"),
        html.P(id="visit-list", className="muted visit-list"),
        html.Div(id="frames-images", className="hidden", children=[  # shown when there are images to show
            dcc.Loading(dcc.Graph(id="frames-graph", figure=LOADING, config=GRAPH_CONFIG), type="circle"),
            html.P("W1 co-adds · + the target · ○ the visit's detections · difference: red brighter, blue fainter "
                   "than the reference", className="muted"),
            html.H3("Every visit, one stretch (W1, a few frames each)"),
            dcc.Loading(dcc.Graph(id="strip-graph", figure=LOADING, config=GRAPH_CONFIG), type="circle"),
        ]),
        html.Details([html.Summary("frames used and their URLs"), html.Ul(id="frames-list", className="frames-list")]),
    ], extra=[html.Div(className="frames-controls", children=[
        html.Label("visit", htmlFor="visit-pick", className="muted"),
        dcc.Input(id="visit-pick", type="number", min=0, step=1, debounce=True, placeholder="0, 1, …",
                  className="small-input visit-pick"),
        html.Label("reference", htmlFor="ref-pick", className="muted"),
        dcc.Input(id="ref-pick", type="number", min=0, step=1, debounce=True, placeholder="none",
                  className="small-input visit-pick"),
    ])], panel_id="frames-panel")


def _header(state: ViewState) -> html.Header:
    """The title, the target and radius boxes with Go and Cancel, and the lines that say what happened."""
    return html.Header(className="header", children=[
        html.Div(className="brand", children=[html.H1("WISE Explorer"),
                                              html.Span("AllWISE sources · W1–W4 SED · NEOWISE light curve",
                                                        className="muted"),
                                              html.A("many targets (batch)", href="/batch", className="nav"),
                                              html.Span(id="who", className="who")]),
        html.Div(className="search", children=[
            # debounce off: Dash 4's Input with debounce=True puts the caret back where it was a
            # keystroke ago (a setTimeout per keystroke), so fast typing scrambled the text
            # ("AdsgT2019"). These two boxes are read as State on Go or Enter, never as Inputs,
            # so no callback runs as they are typed into.
            dcc.Input(id="target-input", type="text", placeholder="target: name, coordinates or WISEA J…",
                      debounce=False, n_submit=0, className="target-input", autoComplete="off"),
            # text, not number: a browser number box hands over nothing for "-3", and the
            # message must echo what was typed
            dcc.Input(id="radius-input", type="text", value=f"{state.radius:g}", n_submit=0,
                      debounce=False, className="radius-input", autoComplete="off"),
            html.Label("arcsec", htmlFor="radius-input", className="muted", title="cone radius (arcsec)"),
            html.Button("Go", id="go", n_clicks=0, className="go"),
            html.Button("Cancel", id="cancel", n_clicks=0, className="cancel", style={"display": "none"}),
        ]),
        html.Div(id="notice", className="notice", role="alert"),
        html.Div(id="progress", className="progress"),
        html.Div(id="status", className="status"),
    ])


def make_layout() -> html.Div:
    state = ViewState()
    return html.Div(id="page", className="page", children=[
        dcc.Location(id="url", refresh=False),
        dcc.Store(id="query"), dcc.Store(id="fetched"), dcc.Store(id="view-state"), dcc.Store(id="cancelled"),
        dcc.Store(id="canonical"), dcc.Store(id="address"), dcc.Store(id="zoom"),
        dcc.Store(id="sky-query"), dcc.Store(id="sky"), dcc.Store(id="motion"), dcc.Store(id="rendered"),
        dcc.Store(id="redraw"),
        dcc.Store(id="simbad-z"),
        dcc.Store(id="frames-query"), dcc.Store(id="frames"),
        _skip_links(),
        _header(state),
        _demo_links(),
        # The panels are mounted only once there is a view (a target): dcc.Tabs renders the
        # selected tab alone, so the landing page loads neither plotly.js (1.5 MB) nor AG Grid's
        # grid code, and paints in half the bytes. The tab bar is hidden; rendering.py selects.
        dcc.Tabs(id="view-tabs", value="landing", className="view-tabs-bar", parent_className="view-tabs",
                 children=[dcc.Tab(value="landing", label="landing"), dcc.Tab(value="view", label="view", children=[
                     _main(state)])]),
        dcc.Tabs(id="batch-tabs", value="off", className="view-tabs-bar", parent_className="view-tabs",
                 children=[dcc.Tab(value="off", label="off"), dcc.Tab(value="on", label="batch",
                                                                      children=[batch_section()])]),

        html.Footer(id="footer", className="footer", tabIndex="-1", children=[
            html.A("Download bundle (.zip)", id="download", className="button disabled", download=""),
            html.Span(id="download-error", className="download-error", role="alert"),
            html.Div(className="samp", children=[  # assets/samp.js: the SAMP Web Profile, to the user's own hub
                html.Button("Send to TOPCAT", id="samp-topcat", className="samp-send", **_data("tool", "topcat"),
                            title="the sources, epochs and visits of this view, as VOTables, through SAMP"),
                html.Button("Send to Aladin", id="samp-aladin", className="samp-send", **_data("tool", "aladin"),
                            title="the sky image and the sources of this view, through SAMP"),
                html.Span(id="samp-status", className="muted", role="status"),
            ]),
            html.Div(className="share", children=[
                html.Label("Link to this view", htmlFor="share-url", className="visually-hidden"),
                dcc.Input(id="share-url", readOnly=True, value="", className="share-input"),
                dcc.Clipboard(target_id="share-url", title="Copy link", className="copy"),
                html.Span("Copy link", className="muted"),
            ]),
            html.Span("Data: NASA/IPAC Infrared Science Archive (IRSA); WISE and NEOWISE. Cite what you use: "
                      "the bundle holds CITATION.bib.", className="muted"),
        ]),
    ])
